"""The worker handler that turns outbox events into notifications."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from comptoir.notifications.service import delivery, registry
from comptoir.outbox.models import OutboxEvent
from comptoir.worker.registry import JobContext, handler, subscribe

DELIVER_JOB = "notifications.deliver"


@handler(DELIVER_JOB)
def deliver_notifications(session: Session, payload: dict[str, Any], context: JobContext) -> None:
    event = session.get(OutboxEvent, uuid.UUID(payload["event_id"]))
    if event is None:
        return
    delivery.deliver(
        session, event.id, event.type, event.payload, base_url=context.settings.base_url
    )


def subscribe_kinds() -> None:
    """Run the handler for every registered kind; the wiring calls it once domains have
    registered theirs."""
    for kind in registry.kinds():
        subscribe(kind.type, DELIVER_JOB)
