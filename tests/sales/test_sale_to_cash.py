"""Invoice → partial payment → credit note → final payment, through the API, with every
status, the ledger's balances and the aged receivables checked at each step."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Account
from tests.ledger.helpers import balances
from tests.sales.helpers import customer, invoice, pay


def _aged(client: TestClient, owner: Account, as_of: str) -> dict[str, Any]:
    response = client.get(
        "/api/v1/reports/aged-receivables", headers=owner.headers, params={"as_of": as_of}
    )
    assert response.status_code == 200, response.text
    reports = response.json()
    return reports[0] if reports else {}


def test_invoice_to_cash(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner)
    issued = invoice(client, owner, acme["id"])
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
