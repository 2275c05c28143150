"""Notification centre API bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_type: str
    title: str
    body: str | None
    link: str | None = Field(description="Path of the web page the notification is about.")
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None


class UnreadCount(BaseModel):
    unread: int


class ReadAll(BaseModel):
    marked_read: int = Field(description="How many notifications were unread.")


class PreferenceOut(BaseModel):
    event_type: str
    label: str
    description: str
    in_app: bool
    email: bool


class PreferenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_type: str = Field(max_length=60)
    in_app: bool
    email: bool


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    preferences: list[PreferenceIn] = Field(max_length=200)
