"""Customers' and suppliers' life, told to the outbox with the party as payload: created,
updated, archived, restored, deleted."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from comptoir.kit.db import Database
from comptoir.kit.tenancy import all_tenants
from comptoir.outbox.models import OutboxEvent
from tests.conftest import Account


def _party_events(database: Database) -> list[tuple[str, dict]]:
    with database.unit_of_work() as session, all_tenants(session):
        return [
            (event.type, event.payload)
            for event in session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.type.like("customer.%") | OutboxEvent.type.like("supplier.%"))
                .order_by(OutboxEvent.id)
            )
        ]


def test_each_change_of_a_party_is_an_event_with_the_party(
    client: TestClient, owner: Account, database: Database
) -> None:
    created = client.post(
        "/api/v1/customers",
        headers=owner.headers,
        json={"name": "Acme", "email": "ap@acme.test", "country": "FR", "language": "fr"},
    )
    assert created.status_code == 201, created.text
    party_id = created.json()["id"]
    path = f"/api/v1/customers/{party_id}"
    assert client.patch(path, headers=owner.headers, json={"name": "Acme SA"}).status_code == 200
    assert client.patch(path, headers=owner.headers, json={"archived": True}).status_code == 200
    # Archiving what is archived changes nothing and tells nobody.
    assert client.patch(path, headers=owner.headers, json={"archived": True}).status_code == 200
    assert client.patch(path, headers=owner.headers, json={"archived": False}).status_code == 200
    assert client.delete(path, headers=owner.headers).status_code == 204
    supplier = client.post("/api/v1/suppliers", headers=owner.headers, json={"name": "Bolts"})
    assert supplier.status_code == 201, supplier.text

    events = _party_events(database)
    assert [kind for kind, _ in events] == [
        "customer.created",
        "customer.updated",
        "customer.updated",
        "customer.archived",
        "customer.updated",
        "customer.updated",
        "customer.restored",
        "customer.deleted",
        "supplier.created",
    ]
    for kind, payload in events[:-1]:
        assert payload["id"] == party_id, kind
        assert payload["code"] == created.json()["code"]
        assert payload["email"] == "ap@acme.test"
        assert payload["language"] == "fr"
        assert payload["is_customer"] is True
    assert events[0][1]["name"] == "Acme"
    assert events[1][1]["name"] == "Acme SA"
    assert [p["archived"] for _, p in events[3:8]] == [True, True, True, False, False]
    assert events[-1][1]["is_supplier"] is True
    assert events[-1][1]["name"] == "Bolts"
