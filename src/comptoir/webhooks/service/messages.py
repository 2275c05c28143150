"""What a webhook carries: the JSON body of the Standard Webhooks specification, fixed once
per delivery so every retry sends the same bytes, and the endpoint secrets that sign it."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import datetime
from typing import Any

from comptoir.kit.ids import new_id
from comptoir.webhooks.models import WebhookEndpoint

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


def delivery_row(
    endpoint: WebhookEndpoint,
    *,
    event_type: str,
    text: str,
    now: datetime,
    event_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The columns of a new delivery, due now (the sender adds the first delay of the
    schedule, if any): a bulk insert's row, or a ``WebhookDelivery``'s arguments."""
    return {
        "id": new_id(),
        "organization_id": endpoint.organization_id,
        "endpoint_id": endpoint.id,
        "event_id": event_id,
        "event_type": event_type,
        "body": text,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def message_id(delivery_id: uuid.UUID) -> str:
    """The ``webhook-id`` header: the receiver's idempotency key."""
    return f"msg_{delivery_id.hex}"
