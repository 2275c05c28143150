"""Worker job that delivers queued mail."""

from __future__ import annotations

import smtplib
import uuid
from typing import Any

from sqlalchemy.orm import Session

from comptoir.mail import service
from comptoir.worker.registry import JobContext, Retry, handler


@handler(service.DELIVER_JOB)
def deliver_mail(session: Session, payload: dict[str, Any], context: JobContext) -> None:
    transport = service.MailTransport.from_settings(context.settings)
    try:
        service.deliver(
            session,
            uuid.UUID(payload["message_id"]),
            transport,
            final_attempt=context.final_attempt,
            reply_to=payload.get("reply_to"),
        )
    except (OSError, smtplib.SMTPException) as exc:
        raise Retry(f"{type(exc).__name__}: {exc}") from exc
