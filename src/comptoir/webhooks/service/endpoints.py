"""Webhook endpoints: where an organization wants its events, which ones, and the secret
that signs them. Only admins manage them (``webhooks:read|write``), so the secret is shown
whenever one endpoint is read."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit import clock
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.kit.pagination import Page, keyset_page
from comptoir.kit.settings import Settings
from comptoir.outbox import catalog
from comptoir.webhooks import events
from comptoir.webhooks.models import WebhookDelivery, WebhookEndpoint
from comptoir.webhooks.service import messages, signing, targets

MAX_DESCRIPTION = 500
# Every endpoint costs a delivery per event: a bound keeps one organization's fan-out sane.
MAX_ENDPOINTS = 50
# After a rotation the old secret still signs for this long, so receivers can switch over.
ROTATION_OVERLAP = timedelta(hours=24)
FIELDS = frozenset({"url", "description", "event_types", "enabled"})
TEST_MESSAGE = "This is a test event from Comptoir."


def _description(value: object, errors: list[FieldError]) -> str:
    if not isinstance(value, str):
        errors.append(FieldError("description", "Give a text.", "type"))
        return ""
    text = value.strip()
    if len(text) > MAX_DESCRIPTION:
        errors.append(
            FieldError("description", f"At most {MAX_DESCRIPTION} characters.", "too_long")
        )
    return text


def _event_types(value: object, errors: list[FieldError]) -> list[str]:
    """Public catalogue types, de-duplicated and sorted; empty means every event."""
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        errors.append(FieldError("event_types", "Give a list of event types.", "type"))
        return []
    unknown = sorted({item for item in value if not catalog.is_public(item)})
    if unknown:
        shown = ", ".join(name[:80] for name in unknown[:5])
        errors.append(
            FieldError(
                "event_types",
                f"Unknown event type: {shown}. GET /api/v1/webhooks/events lists them.",
                "unknown_event_type",
            )
        )
        return []
    return sorted(set(value))


def _url(value: object, settings: Settings, errors: list[FieldError]) -> str:
    if not isinstance(value, str):
        errors.append(FieldError("url", "Give the receiver's URL.", "type"))
        return ""
    try:
        return targets.check_url(value, allow_private=settings.webhooks_allow_private)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        return ""


def _enabled(value: object, errors: list[FieldError]) -> bool:
    if not isinstance(value, bool):
        errors.append(FieldError("enabled", "Give true or false.", "type"))
        return False
    return value


def _check(values: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Every given field checked and normalized; all problems reported at once."""
    errors: list[FieldError] = [
        FieldError(key[:80], "Unknown field.", "unknown_field")
        for key in values
        if key not in FIELDS
    ]
    clean: dict[str, Any] = {}
    if "url" in values:
        clean["url"] = _url(values["url"], settings, errors)
    if "description" in values:
        clean["description"] = _description(values["description"], errors)
    if "event_types" in values:
        clean["event_types"] = _event_types(values["event_types"], errors)
    if "enabled" in values:
        clean["enabled"] = _enabled(values["enabled"], errors)
    if errors:
        raise ValidationFailed(errors)
    return clean


def _audited(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """What the audit trail keeps of an endpoint: never its secret."""
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "enabled": endpoint.enabled,
    }


def create(session: Session, settings: Settings, values: dict[str, Any]) -> WebhookEndpoint:
    """A new endpoint with a fresh secret; ``url`` is required, the rest has defaults."""
    if "url" not in values:
        raise ValidationFailed.single("url", "Give the receiver's URL.", "required")
    clean = _check(values, settings)
    count = session.scalar(select(func.count()).select_from(WebhookEndpoint)) or 0
    if count >= MAX_ENDPOINTS:
        raise Conflict(
            f"An organization has at most {MAX_ENDPOINTS} webhook endpoints; delete one first.",
            code="too_many_endpoints",
        )
    endpoint = WebhookEndpoint(
        url=clean["url"],
        description=clean.get("description", ""),
        event_types=clean.get("event_types", []),
        enabled=clean.get("enabled", True),
        secret=messages.new_secret(),
    )
    if not endpoint.enabled:
        endpoint.disabled_reason = "manual"
        endpoint.disabled_at = clock.now()
    session.add(endpoint)
    session.flush()
    audit.record(
        session,
        "webhook_endpoint.created",
        target_type="webhook_endpoint",
        target_id=endpoint.id,
        after=_audited(endpoint),
    )
    return endpoint


def list_endpoints(session: Session, *, limit: int | None, cursor: str | None) -> Page[Any]:
    """Newest first."""
    return keyset_page(
        session, select(WebhookEndpoint), WebhookEndpoint.id, limit=limit, cursor=cursor
    )


def get(session: Session, endpoint_id: uuid.UUID, *, for_update: bool = False) -> WebhookEndpoint:
    query = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    endpoint = session.scalar(query)
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def update(
    session: Session, settings: Settings, endpoint_id: uuid.UUID, values: dict[str, Any]
) -> WebhookEndpoint:
    """Changes only the fields given. Disabling by hand says so (``manual``); enabling
    clears why the endpoint stopped and its run of failures, so it starts afresh."""
    endpoint = get(session, endpoint_id, for_update=True)
    clean = _check(values, settings)
    if "enabled" in clean and clean["enabled"] != endpoint.enabled:
        if clean["enabled"]:
            clean.update(disabled_reason=None, disabled_at=None, failing_since=None)
        else:
            clean.update(disabled_reason="manual", disabled_at=clock.now())
    audit.apply_changes(
        session, endpoint, clean, action="webhook_endpoint.updated", target_type="webhook_endpoint"
    )
    return endpoint


def delete(session: Session, endpoint_id: uuid.UUID) -> None:
    """The endpoint goes with its deliveries and their log."""
    endpoint = get(session, endpoint_id, for_update=True)
    audit.record(
        session,
        "webhook_endpoint.deleted",
        target_type="webhook_endpoint",
        target_id=endpoint.id,
        before=_audited(endpoint),
    )
    session.delete(endpoint)
    session.flush()


def rotate_secret(session: Session, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """A new secret at once; the current one keeps signing beside it for 24 hours. Rotating
    again within them drops the oldest secret: only the last two ever sign."""
    endpoint = get(session, endpoint_id, for_update=True)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = clock.now() + ROTATION_OVERLAP
    endpoint.secret = messages.new_secret()
    session.flush()
    audit.record(
        session,
        "webhook_endpoint.secret_rotated",
        target_type="webhook_endpoint",
        target_id=endpoint.id,
        after={"previous_secret_expires_at": endpoint.previous_secret_expires_at},
    )
    return endpoint


def previous_secret(endpoint: WebhookEndpoint) -> str | None:
    """The old secret while it still signs, else None."""
    secrets = signing.signing_secrets(
        endpoint.secret, endpoint.previous_secret, endpoint.previous_secret_expires_at
    )
    return secrets[1] if len(secrets) > 1 else None


def send_test(session: Session, endpoint_id: uuid.UUID) -> WebhookDelivery:
    """A ``webhook.test`` delivery due now; the worker sends it like any other."""
    endpoint = get(session, endpoint_id)
    if not endpoint.enabled:
        raise Conflict(
            "This endpoint is disabled: enable it to send it a test event.",
            code="endpoint_disabled",
        )
    data = {"message": TEST_MESSAGE, "endpoint_id": str(endpoint.id)}
    now = clock.now()
    delivery = WebhookDelivery(
        **messages.delivery_row(
            endpoint, event_type=events.TEST, text=messages.body(events.TEST, now, data), now=now
        )
    )
    session.add(delivery)
    session.flush()
    audit.record(
        session,
        "webhook_endpoint.test_sent",
        target_type="webhook_endpoint",
        target_id=endpoint.id,
        after={"delivery_id": delivery.id},
    )
    return delivery
