"""Helpers for the endpoint API tests: creating endpoints as a client would, and writing
delivery-log rows directly, as the sender would have left them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.tenancy import as_organization
from comptoir.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.conftest import Account

# A public address literal: the URL check needs no DNS for it, and refuses private ones.
PUBLIC_URL = "https://93.184.215.14/hooks/comptoir"


def create_endpoint(client: TestClient, owner: Account, **fields: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/webhooks", headers=owner.headers, json={"url": PUBLIC_URL} | fields
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def add_delivery(
    database: Database,
    owner: Account,
    endpoint_id: str,
    *,
    status: str = "failed",
    event_type: str = "invoice.issued",
    created_at: datetime | None = None,
    attempts: list[dict[str, Any]] | None = None,
) -> str:
    """A delivery with its attempts (each a dict of WebhookAttempt fields), as logged."""
    with (
        database.unit_of_work() as session,
        as_organization(session, uuid.UUID(owner.organization_id)),
    ):
        endpoint = session.get(WebhookEndpoint, uuid.UUID(endpoint_id))
        assert endpoint is not None
        created = created_at or clock.now()
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id,
            event_type=event_type,
            body=f'{{"type":"{event_type}","timestamp":"{created.isoformat()}","data":{{}}}}',
            status=status,
            attempts=len(attempts or []),
            next_attempt_at=None if status in ("succeeded", "failed") else created,
            created_at=created,
            last_status_code=(attempts or [{}])[-1].get("response_status"),
        )
        session.add(delivery)
        session.flush()
        for number, fields in enumerate(attempts or [], start=1):
            session.add(
                WebhookAttempt(
                    delivery_id=delivery.id,
                    endpoint_id=endpoint.id,
                    number=number,
                    request_headers={"webhook-id": f"msg_{delivery.id.hex}"},
                    **({"started_at": created} | fields),
                )
            )
        session.flush()
        return str(delivery.id)


def delivery_row(database: Database, owner: Account, delivery_id: str) -> WebhookDelivery:
    with (
        database.unit_of_work(write=False) as session,
        as_organization(session, uuid.UUID(owner.organization_id)),
    ):
        delivery = session.get(WebhookDelivery, uuid.UUID(delivery_id))
        assert delivery is not None
        session.expunge(delivery)
        return delivery
