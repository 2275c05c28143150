"""The events catalogue: every event type the application emits is declared by its domain
with a description and a sample whose keys are those of the real payload; emitting an
uncatalogued type fails while the suite runs (strict mode)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from comptoir import demo, wiring
from comptoir.kit.db import Database
from comptoir.kit.tenancy import all_tenants
from comptoir.outbox import catalog
from comptoir.outbox import service as outbox
from comptoir.outbox.models import OutboxEvent
from tests.conftest import Account
from tests.identity.test_members import accept_new, invite
from tests.sales.helpers import customer, invoice, pay


def test_the_suite_refuses_uncatalogued_events(database: Database, owner: Account) -> None:
    assert catalog.STRICT
    with (
        pytest.raises(catalog.UnknownEventType, match=r"invoice\.exploded"),
        database.unit_of_work() as session,
    ):
        outbox.emit(session, "invoice.exploded", {"id": "x"})
    with database.unit_of_work(write=False) as session, all_tenants(session):
        assert (
            session.scalars(select(OutboxEvent).where(OutboxEvent.type == "invoice.exploded")).all()
            == []
        )


def test_strict_mode_is_off_outside_the_tests(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog, "STRICT", False)
    with database.unit_of_work() as session, all_tenants(session):
        event = outbox.emit(session, "something.new", {"n": 1})
        assert event.type == "something.new"


def test_every_declared_event_is_catalogued_and_described() -> None:
    names = [kind.name for kind in wiring.EVENT_TYPES]
    assert len(names) == len(set(names)), "an event type is declared twice"
    public = [kind for kind in wiring.EVENT_TYPES if kind.public]
    assert len(public) >= 30
    for kind in wiring.EVENT_TYPES:
        assert catalog.get(kind.name) is kind
        assert kind.description.endswith("."), kind.name
        assert kind.sample, kind.name
    internal = {kind.name for kind in wiring.EVENT_TYPES if not kind.public}
    assert internal == {"approval_rules.changed", "webhook_endpoint.disabled", "webhook.test"}


def test_the_webhooks_guide_lists_every_public_event() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text(encoding="utf-8")
    missing = [
        kind.name for kind in wiring.EVENT_TYPES if kind.public and f"`{kind.name}`" not in guide
    ]
    assert missing == []


def _ok(response: Any, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, response.text
    result: dict[str, Any] = response.json() if response.content else {}
    return result


def _party_life(client: TestClient, owner: Account, role: str) -> None:
    created = _ok(
        client.post(f"/api/v1/{role}s", headers=owner.headers, json={"name": f"A {role}"}), 201
    )
    path = f"/api/v1/{role}s/{created['id']}"
    _ok(client.patch(path, headers=owner.headers, json={"name": f"The {role}"}), 200)
    _ok(client.patch(path, headers=owner.headers, json={"archived": True}), 200)
    _ok(client.patch(path, headers=owner.headers, json={"archived": False}), 200)
    _ok(client.delete(path, headers=owner.headers), 204)


def _business_flows(client: TestClient, owner: Account) -> None:
    """What the demo company does not do: changes, deletions, members, quotes, mail,
    credit notes and reversals."""
    headers = owner.headers
    for role in ("customer", "supplier"):
        _party_life(client, owner, role)
    product = _ok(client.post("/api/v1/products", headers=headers, json={"name": "Bread"}), 201)
    product_path = f"/api/v1/products/{product['id']}"
    _ok(client.patch(product_path, headers=headers, json={"name": "Rye bread"}), 200)
    _ok(client.delete(product_path, headers=headers), 204)
    _ok(client.patch("/api/v1/organization", headers=headers, json={"city": "Lyon"}), 200)

    accept_new(client, invite(client, owner, "member@example.net", role="sales"))
    member = next(
        m
        for m in _ok(client.get("/api/v1/members", headers=headers), 200)  # type: ignore[union-attr]
        if m["email"] == "member@example.net"
    )
    _ok(
        client.patch(f"/api/v1/members/{member['id']}", headers=headers, json={"role": "viewer"}),
        200,
    )
    _ok(client.delete(f"/api/v1/members/{member['id']}", headers=headers), 204)

    entry = _ok(
        client.post(
            "/api/v1/journal-entries",
            headers=headers,
            json={
                "journal": "OD",
                "date": "2026-01-15",
                "post": True,
                "lines": [
                    {"account": "512", "debit": "10.00"},
                    {"account": "101", "credit": "10.00"},
                ],
            },
        ),
        201,
    )
    _ok(
        client.post(
            f"/api/v1/journal-entries/{entry['id']}/reverse",
            headers=headers,
            json={"date": "2026-01-20"},
        ),
        200,
        201,
    )

    acme = customer(client, owner)
    lines = [{"description": "Bread", "quantity": "10", "unit_price": "4.20", "tax_codes": []}]
    quote = _ok(
        client.post(
            "/api/v1/quotes", headers=headers, json={"customer": acme["id"], "lines": lines}
        ),
        201,
    )
    _ok(client.post(f"/api/v1/quotes/{quote['id']}/send", headers=headers, json={}), 200)
    _ok(client.post(f"/api/v1/quotes/{quote['id']}/accept", headers=headers, json={}), 200)
    _ok(client.post(f"/api/v1/quotes/{quote['id']}/convert", headers=headers), 201)
    declined = _ok(
        client.post(
            "/api/v1/quotes", headers=headers, json={"customer": acme["id"], "lines": lines}
        ),
        201,
    )
    _ok(client.post(f"/api/v1/quotes/{declined['id']}/send", headers=headers, json={}), 200)
    _ok(client.post(f"/api/v1/quotes/{declined['id']}/decline", headers=headers, json={}), 200)

    sold = invoice(client, owner, acme["id"])
    _ok(client.post(f"/api/v1/invoices/{sold['id']}/send", headers=headers, json={}), 200)
    credit = _ok(
        client.post("/api/v1/credit-notes", headers=headers, json={"invoice": sold["id"]}), 201
    )
    _ok(client.post(f"/api/v1/credit-notes/{credit['id']}/issue", headers=headers), 200)
    _ok(client.post(f"/api/v1/credit-notes/{credit['id']}/send", headers=headers, json={}), 200)
    paid = invoice(client, owner, acme["id"])
    pay(client, owner, acme["id"], paid["amount_due"], [(paid["id"], paid["amount_due"])])


def test_every_emitted_payload_has_the_keys_of_its_sample(
    client: TestClient, owner: Account, database: Database
) -> None:
    with database.unit_of_work() as session:
        demo.ensure(session)
    _business_flows(client, owner)

    with database.unit_of_work(write=False) as session, all_tenants(session):
        emitted = [(event.type, event.payload) for event in session.scalars(select(OutboxEvent))]
    mismatches = {}
    for event_type, payload in emitted:
        kind = catalog.get(event_type)
        assert kind is not None, event_type
        if set(payload) != set(kind.sample):
            mismatches[event_type] = sorted(set(payload) ^ set(kind.sample))
    assert mismatches == {}
    covered = {event_type for event_type, _ in emitted}
    # The flows reach most of the catalogue, not a handful of events.
    assert len(covered) >= 45, sorted(covered)
