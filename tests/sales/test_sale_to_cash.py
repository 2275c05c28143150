"""Quote → approval → sending → the customer's acceptance at its link → invoice → partial
payment → credit note → final payment, through the API and the public page, with every
status, the ledger's balances and the aged receivables checked at each step."""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.tenancy import as_organization
from comptoir.sales.service import settings as sales_settings
from tests.conftest import Account
from tests.ledger.helpers import balances
from tests.sales.helpers import customer, pay


def _aged(client: TestClient, owner: Account, as_of: str) -> dict[str, Any]:
    response = client.get(
        "/api/v1/reports/aged-receivables", headers=owner.headers, params={"as_of": as_of}
    )
    assert response.status_code == 200, response.text
    reports = response.json()
    return reports[0] if reports else {}


def _on(day: str) -> AbstractContextManager[None]:
    """The clock on that day at ten (UTC), for the steps the books date by the clock."""
    moment = datetime.fromisoformat(day).replace(hour=10, tzinfo=UTC)
    return clock.travel(moment - clock.now())


def _nothing_booked(client: TestClient, owner: Account) -> None:
    """A quote is an offer, not a sale: nothing reaches the books or the receivables."""
    assert "411" not in balances(client, owner)
    assert _aged(client, owner, "2026-12-31") == {}


def _quote_step(client: TestClient, owner: Account, quote_id: str, action: str) -> dict[str, Any]:
    response = client.post(f"/api/v1/quotes/{quote_id}/{action}", headers=owner.headers, json={})
    assert response.status_code in {200, 201}, response.text
    result: dict[str, Any] = response.json()
    return result


def test_quote_to_cash(app: Any, client: TestClient, owner: Account, database: Database) -> None:
    # Quotes over 1,000.00 need an approval.
    with (
        database.unit_of_work() as session,
        as_organization(session, uuid.UUID(owner.organization_id)),
    ):
        sales_settings.update(session, {"quote_approval_threshold": "1000.00"})
    acme = customer(client, owner)
    with _on("2026-01-26"):
        created = client.post(
            "/api/v1/quotes",
            headers=owner.headers,
            json={
                "customer": acme["id"],
                "lines": [
                    {
                        "description": "Consulting",
                        "quantity": "2",
                        "unit_price": "500.00",
                        "tax_codes": ["FR-20"],
                    }
                ],
            },
        )
        assert created.status_code == 201, created.text
        quote = created.json()
        assert quote["status"] == "draft"
        assert quote["number"] == "D-2026-00001"
        assert quote["valid_until"] == "2026-02-25"
        assert quote["totals"] == {"net": "1000.00", "tax": "200.00", "gross": "1200.00"}
        _nothing_booked(client, owner)

        submitted = _quote_step(client, owner, quote["id"], "submit")
        assert submitted["status"] == "submitted"
        _nothing_booked(client, owner)
        approved = _quote_step(client, owner, quote["id"], "approve")
        assert approved["status"] == "approved"
        assert approved["approval"]["automatic"] is False
        sent = _quote_step(client, owner, quote["id"], "send")
        assert sent["status"] == "sent"
        assert sent["timeline"][-1]["detail"]["to"] == ["ap@acme.test"]
        _nothing_booked(client, owner)

    with _on("2026-02-01"):
        link = sent["public_url"].removeprefix("http://testserver")
        with TestClient(app) as browser:
            assert browser.get(link).status_code == 200
            answered = browser.post(
                f"{link}/accept",
                data={
                    "name": "Ada Buyer",
                    "agree": "yes",
                    "csrf_token": browser.cookies.get("comptoir_csrf"),
                },
                follow_redirects=False,
            )
            assert answered.status_code == 303, answered.text
        accepted = client.get(f"/api/v1/quotes/{quote['id']}", headers=owner.headers).json()
        assert accepted["status"] == "accepted"
        assert accepted["acceptance"]["name"] == "Ada Buyer"
        _nothing_booked(client, owner)

        draft = _quote_step(client, owner, quote["id"], "convert")
        assert draft["kind"] == "invoice"
        assert draft["status"] == "draft"
        assert draft["source_id"] == quote["id"]
        assert draft["issue_date"] == "2026-02-01"
        converted = client.get(f"/api/v1/quotes/{quote['id']}", headers=owner.headers).json()
        assert converted["status"] == "converted"
        assert converted["invoice_id"] == draft["id"]
        _nothing_booked(client, owner)

        response = client.post(f"/api/v1/invoices/{draft['id']}/issue", headers=owner.headers)
        assert response.status_code == 200, response.text
        issued = response.json()
    assert issued["status"] == "issued"
    assert issued["number"] == "F-2026-00001"
    assert issued["totals"] == {"net": "1000.00", "tax": "200.00", "gross": "1200.00"}
    assert issued["amount_due"] == "1200.00"
    assert issued["due_date"] == "2026-03-03"
    ledger = balances(client, owner)
    assert ledger["411"] == Decimal("1200.00")
    assert ledger["706"] == Decimal("-1000.00")
    assert ledger["44571"] == Decimal("-200.00")
    aged = _aged(client, owner, "2026-02-05")
    assert aged["totals"]["not_due"] == "1200.00"

    paid = pay(client, owner, acme["id"], "500.00", [(issued["id"], "500.00")])
    assert paid["allocated"] == "500.00"
    current = client.get(f"/api/v1/invoices/{issued['id']}", headers=owner.headers).json()
    assert current["status"] == "partially_paid"
    assert current["amount_due"] == "700.00"
    assert balances(client, owner)["411"] == Decimal("700.00")
    assert balances(client, owner)["512"] == Decimal("500.00")

    credit = client.post(
        "/api/v1/credit-notes",
        headers=owner.headers,
        json={
            "invoice": issued["id"],
            "issue_date": "2026-02-15",
            "lines": [
                {
                    "description": "Goodwill",
                    "quantity": "1",
                    "unit_price": "100.00",
                    "tax_codes": ["FR-20"],
                }
            ],
        },
    )
    assert credit.status_code == 201, credit.text
    credit_issued = client.post(
        f"/api/v1/credit-notes/{credit.json()['id']}/issue", headers=owner.headers
    )
    assert credit_issued.status_code == 200, credit_issued.text
    assert credit_issued.json()["number"] == "AV-2026-00001"
    current = client.get(f"/api/v1/invoices/{issued['id']}", headers=owner.headers).json()
    assert current["amount_due"] == "580.00"
    ledger = balances(client, owner)
    assert ledger["411"] == Decimal("580.00")
    assert ledger["706"] == Decimal("-900.00")
    assert ledger["44571"] == Decimal("-180.00")
    aged = _aged(client, owner, "2026-04-10")
    assert aged["totals"]["days_31_60"] == "580.00"
    assert aged["totals"]["total"] == "580.00"
    # As it stood before the payment, whatever happened later.
    assert _aged(client, owner, "2026-02-05")["totals"]["total"] == "1200.00"

    pay(client, owner, acme["id"], "580.00", [(issued["id"], "580.00")], on="2026-04-12")
    current = client.get(f"/api/v1/invoices/{issued['id']}", headers=owner.headers).json()
    assert current["status"] == "paid"
    assert current["amount_due"] == "0.00"
    ledger = balances(client, owner)
    assert ledger.get("411", Decimal(0)) == Decimal(0)
    assert ledger["512"] == Decimal("1080.00")
    assert _aged(client, owner, "2026-04-30") == {}
    kinds = [event["kind"] for event in current["timeline"]]
    assert kinds == ["created", "issued", "payment", "credited", "payment", "paid"]
