"""Invoices: drafting rules, errors beside fields, frozen once issued, cancelling, lists."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from comptoir.kit.db import Database
from comptoir.kit.tenancy import all_tenants
from comptoir.outbox.models import OutboxEvent
from tests.conftest import Account, register
from tests.ledger.helpers import balances
from tests.sales.helpers import customer, invoice


def test_bad_drafts_name_the_field(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner)
    stranger = register(client, organization_name="Stranger SARL")
    theirs = customer(client, stranger)
    cases = [
        ({"customer": theirs["id"]}, "customer"),
        ({"customer": "nobody"}, "customer"),
        (
            {"lines": [{"description": "X", "unit_price": "1", "tax_codes": ["NOPE"]}]},
            "lines[0].tax_codes",
        ),
        ({"lines": [{"description": "X", "unit_price": "1e40"}]}, "lines[0].unit_price"),
        ({"lines": [{"unit_price": "10"}]}, "lines[0].description"),
        ({"lines": [{"description": "X"}]}, "lines[0].unit_price"),
        (
            {"lines": [{"description": "X", "unit_price": "1", "discount_percent": "101"}]},
            "lines[0].discount_percent",
        ),
        (
            {"lines": [{"description": "X", "unit_price": "1", "account": "512"}]},
            "lines[0].account",
        ),
        ({"currency": "XXQ"}, "currency"),
        ({"due_date": "2026-01-01"}, "due_date"),
    ]
    for change, field in cases:
        body = {
            "customer": acme["id"],
            "issue_date": "2026-02-01",
            "lines": [{"description": "Work", "unit_price": "10.00"}],
        } | change
        response = client.post("/api/v1/invoices", headers=owner.headers, json=body)
        assert response.status_code == 422, (change, response.text)
        assert field in [error["field"] for error in response.json()["errors"]], response.text
    wrong_type = client.post(
        "/api/v1/invoices",
        headers=owner.headers,
        json={"customer": acme["id"], "lines": [{"description": "X", "unit_price": 1.5}]},
    )
    assert wrong_type.status_code == 422
    assert client.get("/api/v1/invoices", headers=owner.headers).json()["items"] == []


def test_the_tax_engine_picks_the_tax_when_none_is_given(
    client: TestClient, owner: Account
) -> None:
    domestic = customer(client, owner)
    german = customer(client, owner, name="GmbH", country="DE", vat_number="DE136695976")
    here = invoice(
        client, owner, domestic["id"], [{"description": "Advice", "unit_price": "100"}], issue=False
    )
    abroad = invoice(
        client, owner, german["id"], [{"description": "Advice", "unit_price": "100"}], issue=False
    )
    assert here["lines"][0]["tax_codes"] == ["FR-20-S"]
    assert here["totals"]["gross"] == "120.00"
    assert abroad["lines"][0]["tax_codes"] == ["EU-RC-S"]
    assert abroad["totals"]["gross"] == "100.00"


def test_drafts_change_issued_invoices_do_not(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner)
    draft = invoice(client, owner, acme["id"], issue=False)
    assert draft["number"] is None and draft["status"] == "draft"
    changed = client.patch(
        f"/api/v1/invoices/{draft['id']}",
        headers=owner.headers,
        json={"lines": [{"description": "Less", "unit_price": "50.00", "tax_codes": ["FR-20"]}]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["totals"]["gross"] == "60.00"
    issued = client.post(f"/api/v1/invoices/{draft['id']}/issue", headers=owner.headers).json()
    assert issued["status"] == "issued"
    for method in ("patch", "delete"):
        response = client.request(
            method, f"/api/v1/invoices/{draft['id']}", headers=owner.headers, json={"notes": "x"}
        )
        assert response.status_code == 409, response.text
    again = client.post(f"/api/v1/invoices/{draft['id']}/issue", headers=owner.headers)
    assert again.status_code == 409
    other = invoice(client, owner, acme["id"], issue=False)
    assert (
        client.delete(f"/api/v1/invoices/{other['id']}", headers=owner.headers).status_code == 204
    )
    assert client.get(f"/api/v1/invoices/{other['id']}", headers=owner.headers).status_code == 404


def test_cancel_issues_a_full_credit_note(
    client: TestClient, owner: Account, database: Database
) -> None:
    acme = customer(client, owner)
    issued = invoice(client, owner, acme["id"])
    cancelled = client.post(f"/api/v1/invoices/{issued['id']}/cancel", headers=owner.headers)
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "cancelled"
    assert body["amount_due"] == "0.00"
    credit_id = body["settlements"][0]["credit_note_id"]
    credit = client.get(f"/api/v1/credit-notes/{credit_id}", headers=owner.headers).json()
    assert credit["number"] == "AV-2026-00001"
    assert credit["totals"]["gross"] == "1200.00"
    with database.unit_of_work() as session, all_tenants(session):
        announced = session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.type == "credit_note.issued")
        ).all()
    assert [event["id"] for event in announced] == [credit_id]
    ledger = balances(client, owner)
    assert ledger.get("411", Decimal(0)) == 0
    assert ledger.get("706", Decimal(0)) == 0
    assert (
        client.post(f"/api/v1/invoices/{issued['id']}/cancel", headers=owner.headers).status_code
        == 409
    )


def test_lists_filter_sort_and_paginate(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner)
    bolt = customer(client, owner, name="Bolt Industries")
    for day in ("2026-02-01", "2026-02-03", "2026-02-05"):
        invoice(client, owner, acme["id"], issue_date=day)
    invoice(client, owner, bolt["id"], issue=False, issue_date="2026-02-04")

    def numbers(**params: str) -> list[str | None]:
        response = client.get("/api/v1/invoices", headers=owner.headers, params=params)
        assert response.status_code == 200, response.text
        return [item["number"] for item in response.json()["items"]]

    assert numbers(status="draft") == [None]
    assert numbers(q="bolt") == [None]
    assert numbers(sort="issue_date", status="issued") == [
        "F-2026-00001",
        "F-2026-00002",
        "F-2026-00003",
    ]
    assert numbers(date_from="2026-02-02", date_to="2026-02-04", sort="-issue_date") == [
        None,
        "F-2026-00002",
    ]
    first = client.get(
        "/api/v1/invoices", headers=owner.headers, params={"limit": 2, "sort": "number"}
    ).json()
    assert [i["number"] for i in first["items"]] == ["F-2026-00001", "F-2026-00002"]
    rest = client.get(
        "/api/v1/invoices",
        headers=owner.headers,
        params={"limit": 2, "sort": "number", "cursor": first["next_cursor"]},
    ).json()
    assert [i["number"] for i in rest["items"]] == ["F-2026-00003"]
    assert (
        client.get("/api/v1/invoices", headers=owner.headers, params={"sort": "bogus"}).status_code
        == 422
    )
    assert (
        client.get("/api/v1/invoices", headers=owner.headers, params={"cursor": "!!"}).status_code
        == 422
    )
    overdue = client.get(
        "/api/v1/invoices", headers=owner.headers, params={"status": "overdue"}
    ).json()
    assert all(item["overdue"] for item in overdue["items"]) and len(overdue["items"]) == 3


def test_forged_sort_cursors_are_refused_not_crashes(client: TestClient, owner: Account) -> None:
    import base64
    import json

    def cursor(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    some_id = "00000000-0000-7000-8000-000000000000"
    for sort, value in (
        ("issue_date", ["2024-01-01", 5]),
        ("issue_date", [5, some_id]),
        ("issue_date", [True, some_id]),
        ("issue_date", [{"a": 1}, some_id]),
        ("issue_date", ["not a date", some_id]),
        ("gross", ["100", some_id]),
        ("number", [7, some_id]),
        ("due_date", ["2024-01-01", ["x"]]),
        ("issue_date", "not a pair"),
    ):
        response = client.get(
            "/api/v1/invoices",
            headers=owner.headers,
            params={"sort": sort, "cursor": cursor(value)},
        )
        assert response.status_code == 422, (sort, value, response.text)
        assert response.json()["errors"][0]["field"] == "cursor"
