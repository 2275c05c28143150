"""From committed outbox events to deliveries: one per event and subscribed endpoint,
written in the transaction that marks the events dispatched (a dispatch hook)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from comptoir.kit import clock
from comptoir.outbox import catalog
from comptoir.outbox.models import OutboxEvent
from comptoir.webhooks.models import WebhookDelivery, WebhookEndpoint
from comptoir.webhooks.service import messages


def subscribed(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return not endpoint.event_types or event_type in endpoint.event_types


def fan_out(session: Session, events: list[OutboxEvent]) -> None:
    """Create the deliveries of ``events`` in one statement.

    Events of no organization and internal (non-public) types are nobody's webhooks.
    The worker's session sees every tenant: one query reads the endpoints of them all.
    """
    deliverable = [e for e in events if e.organization_id is not None and catalog.is_public(e.type)]
    if not deliverable:
        return
    organizations = {event.organization_id for event in deliverable}
    endpoints: dict[uuid.UUID, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.organization_id.in_(organizations), WebhookEndpoint.enabled.is_(True)
        )
    ):
        endpoints[endpoint.organization_id].append(endpoint)
    now = clock.now()
    rows: list[dict[str, Any]] = []
    for event in deliverable:
        assert event.organization_id is not None
        text: str | None = None
        for endpoint in endpoints.get(event.organization_id, ()):
            if not subscribed(endpoint, event.type):
                continue
            text = text or messages.body(event.type, event.occurred_at, event.payload)
            rows.append(
                messages.delivery_row(
                    endpoint, event_type=event.type, text=text, now=now, event_id=event.id
                )
            )
    if rows:
        session.execute(insert(WebhookDelivery), rows)
