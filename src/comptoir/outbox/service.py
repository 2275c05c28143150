"""Writing events and jobs; the worker package reads them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from comptoir.kit import clock
from comptoir.kit.tenancy import current_organization
from comptoir.outbox import catalog
from comptoir.outbox.models import Job, OutboxEvent


def emit(
    session: Session,
    event_type: str,
    data: dict[str, Any],
    *,
    organization_id: uuid.UUID | None = None,
) -> OutboxEvent:
    """Record that something happened; delivered to subscribers after commit."""
    if catalog.STRICT and catalog.get(event_type) is None:
        raise catalog.UnknownEventType(f"{event_type!r} is not in the events catalogue")
    event = OutboxEvent(
        type=event_type,
        payload=data,
        organization_id=organization_id or current_organization(session),
    )
    session.add(event)
    session.flush()
    return event


def enqueue(
    session: Session,
    handler: str,
    payload: dict[str, Any],
    *,
    organization_id: uuid.UUID | None = None,
    run_at: datetime | None = None,
    max_attempts: int = 8,
) -> Job:
    """Ask the worker to run ``handler`` once this transaction commits."""
    job = Job(
        handler=handler,
        payload=payload,
        organization_id=organization_id or current_organization(session),
        run_at=run_at or clock.now(),
        max_attempts=max_attempts,
    )
    session.add(job)
    session.flush()
    return job
