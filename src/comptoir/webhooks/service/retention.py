"""How long the delivery log keeps its rows: 30 days, then a periodic task deletes them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from comptoir.kit import clock
from comptoir.webhooks.models import WebhookAttempt, WebhookDelivery

KEEP = timedelta(days=30)


def purge(session: Session) -> None:
    """Delete attempts and deliveries older than ``KEEP`` (every tenant's: the worker's
    session sees them all). A delivery being sent right now stays until it is recorded."""
    cutoff = clock.now() - KEEP
    session.execute(
        delete(WebhookAttempt)
        .where(WebhookAttempt.started_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(WebhookDelivery)
        .where(WebhookDelivery.created_at < cutoff, WebhookDelivery.status != "delivering")
        .execution_options(synchronize_session=False)
    )
