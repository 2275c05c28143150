"""Payments: allocation rules, customer credit, refunds, foreign currency, retries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from fastapi.testclient import TestClient

from tests.conftest import Account, register
from tests.ledger.helpers import balances
from tests.sales.helpers import customer, invoice, pay


def _rate(client: TestClient, owner: Account, on: str, rate: str) -> None:
    response = client.post(
        "/api/v1/exchange-rates",
        headers=owner.headers,
        json={"base": "USD", "quote": "EUR", "date": on, "rate": rate},
    )
    assert response.status_code == 201, response.text


def test_foreign_currency_payment_books_the_realized_difference(
    client: TestClient, owner: Account
) -> None:
    _rate(client, owner, "2026-02-01", "0.90")
    _rate(client, owner, "2026-02-20", "0.95")
    buyer = customer(client, owner, name="Yankee Inc", country="US", currency="USD")
    issued = invoice(
        client,
        owner,
        buyer["id"],
        [{"description": "Design", "quantity": "1", "unit_price": "1000.00", "tax_codes": []}],
    )
    assert issued["currency"] == "USD"
    assert Decimal(issued["exchange_rate"]) == Decimal("0.9")
    assert balances(client, owner)["411"] == Decimal("900.00")
    pay(client, owner, buyer["id"], "1000.00", [(issued["id"], "1000.00")], on="2026-02-20")
    ledger = balances(client, owner)
    assert ledger.get("411", Decimal(0)) == 0
    assert ledger["512"] == Decimal("950.00")
    assert ledger["766"] == Decimal("-50.00")


def test_overpayment_is_credit_then_allocated(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner)
    first = invoice(client, owner, acme["id"])
    second = invoice(client, owner, acme["id"], issue_date="2026-02-02")
    payment = pay(client, owner, acme["id"], "1500.00", [(first["id"], "1200.00")])
    assert payment["unallocated"] == "300.00"
    assert balances(client, owner)["411"] == Decimal("900.00")
    later = client.post(
        f"/api/v1/payments/{payment['id']}/allocate",
        headers=owner.headers,
        json={"allocations": [{"invoice": second["number"], "amount": "300.00"}]},
    )
    assert later.status_code == 200, later.text
    assert later.json()["unallocated"] == "0.00"
    current = client.get(f"/api/v1/invoices/{second['id']}", headers=owner.headers).json()
    assert current["status"] == "partially_paid"
    assert current["amount_due"] == "900.00"
    too_much = client.post(
        f"/api/v1/payments/{payment['id']}/allocate",
        headers=owner.headers,
        json={"allocations": [{"invoice": second["id"], "amount": "1.00"}]},
    )
    assert too_much.status_code == 422


def test_bad_allocations_are_refused_and_nothing_is_written(
    client: TestClient, owner: Account
) -> None:
    acme = customer(client, owner)
    other = customer(client, owner, name="Other")
    issued = invoice(client, owner, acme["id"])
    draft = invoice(client, owner, acme["id"], issue=False)
    stranger = register(client, organization_name="Stranger SARL")
    theirs = invoice(client, stranger, customer(client, stranger)["id"])
    cases = [
        ([(issued["id"], "1200.01")], "exceeds_amount_due"),
        ([(draft["id"], "10.00")], "not_open"),
        ([(theirs["id"], "10.00")], "not_found"),
        ([(issued["id"], "-5")], "invalid"),
        ([(issued["id"], "abc")], "invalid"),
    ]
    for allocations, code in cases:
        body = pay(client, owner, acme["id"], "2000.00", allocations, expect=422)
        assert body["errors"][0]["code"] == code, body
    wrong_customer = pay(client, owner, other["id"], "10.00", [(issued["id"], "10")], expect=422)
    assert wrong_customer["errors"][0]["field"] == "allocations[0].invoice"
    huge = pay(client, owner, acme["id"], "1" + "0" * 30, [], expect=422)
    assert huge["errors"][0]["field"] == "amount"
    listed = client.get("/api/v1/payments", headers=owner.headers).json()
    assert listed["items"] == []
    assert "512" not in balances(client, owner)


def test_retried_payment_with_the_same_key_is_recorded_once(
    client: TestClient, owner: Account
) -> None:
    acme = customer(client, owner)
    issued = invoice(client, owner, acme["id"])
    body = {
        "customer": acme["id"],
        "date": "2026-02-10",
        "amount": "100.00",
        "allocations": [{"invoice": issued["id"], "amount": "100.00"}],
    }
    headers = owner.headers | {"Idempotency-Key": "pay-once-1"}

    def send(_: int) -> int:
        return client.post("/api/v1/payments", headers=headers, json=body).status_code

    with ThreadPoolExecutor(max_workers=3) as pool:
        codes = list(pool.map(send, range(3)))
    assert 201 in codes
    assert all(code in (201, 409) for code in codes), codes
    listed = client.get("/api/v1/payments", headers=owner.headers).json()
    assert len(listed["items"]) == 1
    current = client.get(f"/api/v1/invoices/{issued['id']}", headers=owner.headers).json()
    assert current["amount_due"] == "1100.00"


def test_refund_pays_out_a_credit_note(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner)
    issued = invoice(client, owner, acme["id"])
    pay(client, owner, acme["id"], "1200.00", [(issued["id"], "1200.00")])
    credit = client.post(
        "/api/v1/credit-notes",
        headers=owner.headers,
        json={
            "customer": acme["id"],
            "issue_date": "2026-02-12",
            "lines": [
                {"description": "Refund of overbilling", "unit_price": "100.00", "tax_codes": []}
            ],
        },
    ).json()
    issued_credit = client.post(f"/api/v1/credit-notes/{credit['id']}/issue", headers=owner.headers)
    assert issued_credit.status_code == 200, issued_credit.text
    assert balances(client, owner)["411"] == Decimal("-100.00")
    refund = client.post(
        "/api/v1/payments",
        headers=owner.headers,
        json={
            "customer": acme["id"],
            "date": "2026-02-13",
            "amount": "100.00",
            "direction": "out",
            "allocations": [{"credit_note": credit["id"], "amount": "100.00"}],
        },
    )
    assert refund.status_code == 201, refund.text
    ledger = balances(client, owner)
    assert ledger.get("411", Decimal(0)) == 0
    assert ledger["512"] == Decimal("1100.00")
    cancel = client.post(f"/api/v1/invoices/{issued['id']}/cancel", headers=owner.headers)
    assert cancel.status_code == 409


def test_a_credit_note_applied_in_part_refunds_the_rest(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner)
    first = invoice(client, owner, acme["id"])
    credit = client.post(
        "/api/v1/credit-notes",
        headers=owner.headers,
        json={
            "customer": acme["id"],
            "issue_date": "2026-02-12",
            "lines": [{"description": "Goodwill", "unit_price": "500.00", "tax_codes": []}],
        },
    ).json()
    assert (
        client.post(f"/api/v1/credit-notes/{credit['id']}/issue", headers=owner.headers).status_code
        == 200
    )
    applied = client.post(
        f"/api/v1/credit-notes/{credit['id']}/apply",
        headers=owner.headers,
        json={"invoice": first["id"], "amount": "200.00"},
    )
    assert applied.status_code == 200, applied.text
    refund = client.post(
        "/api/v1/payments",
        headers=owner.headers,
        json={
            "customer": acme["id"],
            "date": "2026-02-13",
            "amount": "300.00",
            "direction": "out",
            "allocations": [{"credit_note": credit["id"], "amount": "300.00"}],
        },
    )
    assert refund.status_code == 201, refund.text
    after = client.get(f"/api/v1/credit-notes/{credit['id']}", headers=owner.headers).json()
    assert after["amount_due"] == "0.00"
    owed = client.get(f"/api/v1/invoices/{first['id']}", headers=owner.headers).json()
    assert owed["amount_due"] == "1000.00"
    # The invoice's 1,200.00 less the 200.00 credited; the refund cleared the rest.
    assert balances(client, owner)["411"] == Decimal("1000.00")
    aged = client.get("/api/v1/reports/aged-receivables?as_of=2026-02-13", headers=owner.headers)
    assert aged.json()[0]["totals"]["total"] == "1000.00"
