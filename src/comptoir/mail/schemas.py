"""Sent-mail API bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class MailMessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    to_address: str
    subject: str
    status: str
    transport: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class MailMessageDetail(MailMessageOut):
    body_text: str | None


class MailMessagePage(BaseModel):
    items: list[MailMessageOut]
    next_cursor: str | None
