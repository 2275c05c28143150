"""What a disabled webhook endpoint tells the organization's owners and administrators
(connected in ``comptoir.wiring``: neither webhooks nor notifications know the other)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from comptoir.identity.roles import ADMIN_ROLES
from comptoir.notifications.service import recipients
from comptoir.notifications.service.registry import Event, EventKind, Notice, Rule
from comptoir.webhooks.events import ENDPOINT_DISABLED

KINDS = (
    EventKind(
        ENDPOINT_DISABLED,
        "Webhook endpoint disabled",
        "A webhook endpoint stopped receiving events: it answered 410 Gone or failed for "
        "days (for owners and administrators).",
        default_email=True,
    ),
)

REASONS = {
    "gone": "it answered 410 Gone, which asks senders to stop",
    "failing": "every delivery to it has failed for days",
}


def endpoint_disabled(session: Session, event: Event) -> Iterable[Notice]:
    reason = str(event.payload.get("reason", ""))
    yield Notice(
        recipients.with_roles(session, ADMIN_ROLES),
        f"Webhook endpoint disabled: {event.payload.get('url')}",
        body=f"Comptoir stopped sending events to it because {REASONS.get(reason, reason)}. "
        "Fix the receiver, then enable the endpoint again: its pending deliveries resume, "
        "and events that happen while it is disabled are not sent to it.",
        link=f"/settings/webhooks/{event.payload.get('id')}",
    )


RULES: tuple[tuple[str, Rule], ...] = ((ENDPOINT_DISABLED, endpoint_disabled),)
