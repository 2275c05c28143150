"""VAT due on payment (French VAT on services): it waits on 44574 from the invoice on and
moves to 44571 with each payment, dated the payment, the paid share to the cent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from comptoir.tax.service.exigibility import share
from tests.conftest import Account
from tests.ledger.helpers import balances
from tests.sales.helpers import customer, invoice, pay

SERVICES = {"description": "Conseil", "quantity": "1", "unit_price": "1000.00"}
GOODS = {"description": "Matériel", "quantity": "1", "unit_price": "1000.00"}


def _line(base: dict[str, str], tax: str, **fields: str) -> dict[str, Any]:
    return base | {"tax_codes": [tax]} | fields


def _transfers(client: TestClient, owner: Account, number: str) -> list[dict[str, Any]]:
    """The entries moving ``number``'s VAT from pending to collected, oldest first."""
    listed = client.get(
        "/api/v1/journal-entries",
        headers=owner.headers,
        params={"journal": "OD", "reference": number, "limit": 200},
    )
    assert listed.status_code == 200, listed.text
    found = []
    for summary in reversed(listed.json()["items"]):
        full = client.get(f"/api/v1/journal-entries/{summary['id']}", headers=owner.headers)
        assert full.status_code == 200, full.text
        found.append(full.json())
    return found


def _entry(client: TestClient, owner: Account, entry_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/journal-entries/{entry_id}", headers=owner.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _on(entry: dict[str, Any], account: str) -> list[dict[str, Any]]:
    return [line for line in entry["lines"] if line["account_code"] == account]


def _pending_left(entries: list[dict[str, Any]]) -> tuple[Decimal, Decimal, Decimal]:
    """What the entries leave on 44574: base amount, document-currency amount, tax base."""
    lines = [line for entry in entries for line in _on(entry, "44574")]
    return (
        sum((Decimal(line["debit"]) - Decimal(line["credit"]) for line in lines), Decimal(0)),
        sum((Decimal(line["amount_currency"]) for line in lines), Decimal(0)),
        sum((Decimal(line["tax_base"] or "0") for line in lines), Decimal(0)),
    )


def test_services_vat_is_collected_as_the_invoice_is_paid(
    client: TestClient, owner: Account
) -> None:
    acme = customer(client, owner)
    issued = invoice(
        client,
        owner,
        acme["id"],
        [_line(SERVICES, "FR-20-S"), _line(GOODS, "FR-20")],
        issue_date="2026-03-10",
    )
    assert issued["totals"]["gross"] == "2400.00"
    march = balances(client, owner)
    assert march["44571"] == Decimal("-200.00")
    assert march["44574"] == Decimal("-200.00")
    assert _transfers(client, owner, issued["number"]) == []

    pay(client, owner, acme["id"], "600.00", [(issued["id"], "600.00")], on="2026-04-15")
    (april,) = _transfers(client, owner, issued["number"])
    assert april["date"] == "2026-04-15"
    assert april["journal_code"] == "OD"
    assert april["status"] == "posted"
    assert april["description"] == f"TVA sur encaissement — {issued['number']}"
    assert (april["source_type"], april["source_id"]) == ("vat_on_payment", issued["id"])
    assert [
        (line["account_code"], line["debit"], line["credit"], line["tax_code"], line["tax_base"])
        for line in april["lines"]
    ] == [
        ("44574", "50.00", "0.00", "FR-20-S", "250.00"),
        ("44571", "0.00", "50.00", "FR-20-S", "-250.00"),
    ]
    assert {line["party_id"] for line in april["lines"]} == {acme["id"]}
    assert balances(client, owner, date_to="2026-04-30")["44571"] == Decimal("-250.00")

    pay(client, owner, acme["id"], "1800.00", [(issued["id"], "1800.00")], on="2026-05-20")
    april_again, may = _transfers(client, owner, issued["number"])
    assert april_again["id"] == april["id"]
    assert may["date"] == "2026-05-20"
    assert [(line["debit"], line["credit"], line["tax_base"]) for line in may["lines"]] == [
        ("150.00", "0.00", "750.00"),
        ("0.00", "150.00", "-750.00"),
    ]
    sale = _entry(client, owner, issued["entry_id"])
    assert _pending_left([sale, april, may]) == (0, 0, 0)
    final = balances(client, owner)
    assert final.get("44574", Decimal(0)) == 0
    assert final["44571"] == Decimal("-400.00")


def test_uneven_partial_payments_leave_no_cent_pending(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner)
    issued = invoice(
        client,
        owner,
        acme["id"],
        [_line(SERVICES, "FR-20-S", unit_price="83.33")],
        issue_date="2026-03-01",
    )
    assert issued["totals"]["gross"] == "100.00"
    for amount, day in (("33.33", "2026-03-05"), ("33.33", "2026-03-06"), ("33.34", "2026-03-07")):
        pay(client, owner, acme["id"], amount, [(issued["id"], amount)], on=day)
    moves = _transfers(client, owner, issued["number"])
    # 16.67 of VAT on 83.33: 5.56 (16.67 x 1/3 rounded), then 11.11 - 5.56, then the rest.
    assert [_on(move, "44571")[0]["credit"] for move in moves] == ["5.56", "5.55", "5.56"]
    assert [_on(move, "44571")[0]["tax_base"] for move in moves] == [
        "-27.77",
        "-27.78",
        "-27.78",
    ]
    sale = _entry(client, owner, issued["entry_id"])
    assert _pending_left([sale, *moves]) == (0, 0, 0)
    assert balances(client, owner)["44571"] == Decimal("-16.67")


def test_a_foreign_invoice_moves_exact_base_and_currency_shares(
    client: TestClient, owner: Account
) -> None:
    for day, rate in (("2026-03-01", "0.8765"), ("2026-04-01", "0.95")):
        response = client.post(
            "/api/v1/exchange-rates",
            headers=owner.headers,
            json={"base": "USD", "quote": "EUR", "date": day, "rate": rate},
        )
        assert response.status_code == 201, response.text
    buyer = customer(client, owner, name="Franco-American SAS", currency="USD")
    issued = invoice(
        client, owner, buyer["id"], [_line(SERVICES, "FR-20-S")], issue_date="2026-03-10"
    )
    assert issued["currency"] == "USD"
    assert issued["totals"]["gross"] == "1200.00"
    sale = _entry(client, owner, issued["entry_id"])
    (pending,) = _on(sale, "44574")
    # 200.00 USD at 0.8765 on a base of 1000.00 USD.
    assert (pending["credit"], pending["amount_currency"], pending["tax_base"]) == (
        "175.30",
        "-200.00",
        "-876.50",
    )
    for amount, day in (("4.00", "2026-04-08"), ("496.00", "2026-04-10"), ("700.00", "2026-04-20")):
        pay(client, owner, buyer["id"], amount, [(issued["id"], amount)], on=day)
    moves = _transfers(client, owner, issued["number"])
    assert [move["date"] for move in moves] == ["2026-04-08", "2026-04-10", "2026-04-20"]
    collected = [_on(move, "44571")[0] for move in moves]
    # Paid 4.00, then 500.00, then all of 1,200.00 USD: 200.00 USD x 4/1200 = 0.67 USD and
    # 175.30 EUR x 4/1200 = 0.58 EUR, then 83.33 USD and 73.04 EUR in all, then the rest.
    assert [(line["amount_currency"], line["credit"]) for line in collected] == [
        ("-0.67", "0.58"),
        ("-82.66", "72.46"),
        ("-116.67", "102.26"),
    ]
    assert {line["currency"] for move in moves for line in move["lines"]} == {"USD"}
    # The invoice's rate gives 0.59 EUR for 0.67 USD and 72.45 EUR for 82.66 USD: those
    # two carry the rate of their exact share; the last one converts right at 0.8765.
    assert [Decimal(line["exchange_rate"]) for line in collected] == [
        Decimal("0.865671641791"),
        Decimal("0.876602951851"),
        Decimal("0.8765"),
    ]
    assert _pending_left([sale, *moves])[:2] == (0, 0)
    ledger = balances(client, owner)
    assert ledger.get("44574", Decimal(0)) == 0
    assert ledger["44571"] == Decimal("-175.30")


def test_a_credit_note_then_a_payment_clear_the_pending_vat(
    client: TestClient, owner: Account
) -> None:
    acme = customer(client, owner)
    issued = invoice(
        client,
        owner,
        acme["id"],
        [_line(SERVICES, "FR-20-S"), _line(GOODS, "FR-20")],
        issue_date="2026-03-10",
    )
    credit = client.post(
        "/api/v1/credit-notes",
        headers=owner.headers,
        json={
            "invoice": issued["id"],
            "issue_date": "2026-03-20",
            "lines": [
                _line(SERVICES, "FR-20-S", unit_price="500.00"),
                _line(GOODS, "FR-20", unit_price="500.00"),
            ],
        },
    )
    assert credit.status_code == 201, credit.text
    issued_credit = client.post(
        f"/api/v1/credit-notes/{credit.json()['id']}/issue", headers=owner.headers
    )
    assert issued_credit.status_code == 200, issued_credit.text
    # The credit note settles half the invoice and moves no VAT: its entry reversed half.
    assert _transfers(client, owner, issued["number"]) == []
    assert balances(client, owner)["44574"] == Decimal("-100.00")
    pay(client, owner, acme["id"], "1200.00", [(issued["id"], "1200.00")], on="2026-04-02")
    (move,) = _transfers(client, owner, issued["number"])
    assert _on(move, "44571")[0]["credit"] == "100.00"
    ledger = balances(client, owner)
    assert ledger.get("44574", Decimal(0)) == 0
    assert ledger["44571"] == Decimal("-200.00")


def test_a_refunded_credit_note_takes_its_vat_back(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner)
    issued = invoice(
        client, owner, acme["id"], [_line(SERVICES, "FR-20-S")], issue_date="2026-03-10"
    )
    pay(client, owner, acme["id"], "1200.00", [(issued["id"], "1200.00")], on="2026-03-15")
    assert balances(client, owner)["44571"] == Decimal("-200.00")
    credit = client.post(
        "/api/v1/credit-notes",
        headers=owner.headers,
        json={"invoice": issued["id"], "issue_date": "2026-04-01"},
    ).json()
    assert (
        client.post(f"/api/v1/credit-notes/{credit['id']}/issue", headers=owner.headers).status_code
        == 200
    )
    refund = client.post(
        "/api/v1/payments",
        headers=owner.headers,
        json={
            "customer": acme["id"],
            "date": "2026-04-05",
            "amount": "1200.00",
            "direction": "out",
            "allocations": [{"credit_note": credit["id"], "amount": "1200.00"}],
        },
    )
    assert refund.status_code == 201, refund.text
    numbered = client.get(f"/api/v1/credit-notes/{credit['id']}", headers=owner.headers).json()
    (back,) = _transfers(client, owner, numbered["number"])
    assert back["date"] == "2026-04-05"
    assert [(line["account_code"], line["debit"], line["credit"]) for line in back["lines"]] == [
        ("44574", "0.00", "200.00"),
        ("44571", "200.00", "0.00"),
    ]
    ledger = balances(client, owner)
    assert ledger.get("44574", Decimal(0)) == 0
    assert ledger.get("44571", Decimal(0)) == 0


def test_credit_on_account_moves_the_vat_when_allocated(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner)
    issued = invoice(
        client, owner, acme["id"], [_line(SERVICES, "FR-20-S")], issue_date="2026-03-10"
    )
    advance = pay(client, owner, acme["id"], "1500.00", [], on="2026-03-02")
    assert _transfers(client, owner, issued["number"]) == []
    allocated = client.post(
        f"/api/v1/payments/{advance['id']}/allocate",
        headers=owner.headers,
        json={
            "allocations": [{"invoice": issued["number"], "amount": "480.00"}],
            "date": "2026-04-03",
        },
    )
    assert allocated.status_code == 200, allocated.text
    (move,) = _transfers(client, owner, issued["number"])
    assert move["date"] == "2026-04-03"
    assert _on(move, "44571")[0]["credit"] == "80.00"
    assert _on(move, "44571")[0]["tax_base"] == "-400.00"
    assert balances(client, owner)["44574"] == Decimal("-120.00")


def test_an_invoice_without_vat_on_payment_posts_no_transfer(
    client: TestClient, owner: Account
) -> None:
    acme = customer(client, owner)
    issued = invoice(client, owner, acme["id"], [_line(GOODS, "FR-20")], issue_date="2026-03-10")
    pay(client, owner, acme["id"], "1200.00", [(issued["id"], "1200.00")], on="2026-03-15")
    assert _transfers(client, owner, issued["number"]) == []
    assert "44574" not in balances(client, owner)


def test_a_retried_payment_moves_the_vat_once(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner)
    issued = invoice(
        client, owner, acme["id"], [_line(SERVICES, "FR-20-S")], issue_date="2026-03-10"
    )
    body = {
        "customer": acme["id"],
        "date": "2026-03-20",
        "amount": "600.00",
        "allocations": [{"invoice": issued["id"], "amount": "600.00"}],
    }
    headers = owner.headers | {"Idempotency-Key": "vat-on-payment-1"}
    first = client.post("/api/v1/payments", headers=headers, json=body)
    again = client.post("/api/v1/payments", headers=headers, json=body)
    assert first.status_code == again.status_code == 201, again.text
    assert first.json()["id"] == again.json()["id"]
    (move,) = _transfers(client, owner, issued["number"])
    assert _on(move, "44571")[0]["credit"] == "100.00"
    assert balances(client, owner)["44574"] == Decimal("-100.00")


@given(
    pending=st.integers(min_value=-(10**12), max_value=10**12),
    cuts=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=12),
)
def test_cumulative_shares_add_up_to_the_pending_tax(pending: int, cuts: list[int]) -> None:
    gross = sum(cuts)
    paid, moved = 0, 0
    for cut in cuts:
        before = share(pending, paid, gross)
        paid += cut
        step = share(pending, paid, gross) - before
        assert step * pending >= 0
        moved += step
    assert moved == pending
    assert share(-pending, paid // 3, gross) == -share(pending, paid // 3, gross)
