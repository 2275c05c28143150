"""Events of the webhooks themselves."""

from __future__ import annotations

from comptoir.outbox.catalog import EventType

TEST = "webhook.test"
ENDPOINT_DISABLED = "webhook_endpoint.disabled"

EVENTS: tuple[EventType, ...] = (
    EventType(
        TEST,
        "Sent on demand from an endpoint's page or API, to check the receiver.",
        {
            "message": "This is a test event from Comptoir.",
            "endpoint_id": "01939d2f-d0dd-77ee-d8ff-590011aa522b",
        },
        # Sent only when asked for, so no endpoint subscribes to it.
        public=False,
    ),
    EventType(
        ENDPOINT_DISABLED,
        "An endpoint was disabled: it answered 410 Gone, or failed for days.",
        {
            "id": "01939d2f-d0dd-77ee-d8ff-590011aa522b",
            "url": "https://hooks.example.com/comptoir",
            "reason": "failing",
        },
        # Told to the organization's admins by the notification centre.
        public=False,
    ),
)
