"""What a webhook carries: the JSON body of the Standard Webhooks specification, fixed once
per delivery so every retry sends the same bytes, and the endpoint secrets that sign it."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import datetime
from typing import Any

from comptoir.webhooks.models import WebhookDelivery, WebhookEndpoint

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
# Past this size a body carries the ids of its objects instead of the objects: receivers
# fetch them through the API.
MAX_BODY_BYTES = 256 * 1024


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _ids_only(data: dict[str, Any]) -> dict[str, Any]:
    kept = {key: value for key, value in data.items() if key == "id" or key.endswith("_id")}
    return {**kept, "truncated": True}


def body(event_type: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    """``{type, timestamp, data}`` as compact JSON."""
    envelope = {
        "type": event_type,
        "timestamp": occurred_at.isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    text = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, default=str)
    if len(text.encode("utf-8")) <= MAX_BODY_BYTES:
        return text
    envelope["data"] = _ids_only(data)
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, default=str)


def new_delivery(
    endpoint: WebhookEndpoint,
    *,
    event_type: str,
    text: str,
    event_id: uuid.UUID | None = None,
) -> WebhookDelivery:
    """A delivery due now; the caller adds it to the session."""
    return WebhookDelivery(
        organization_id=endpoint.organization_id,
        endpoint_id=endpoint.id,
        event_id=event_id,
        event_type=event_type,
        body=text,
    )


def message_id(delivery_id: uuid.UUID) -> str:
    """The ``webhook-id`` header: the receiver's idempotency key."""
    return f"msg_{delivery_id.hex}"
