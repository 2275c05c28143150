"""Supplier payments: settling bills fully and in part, advances, foreign currency,
refunds of credit notes, lettering, bad input, retries and concurrent payments."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from comptoir.kit.db import Database
from comptoir.kit.tenancy import all_tenants, set_organization
from comptoir.outbox.models import OutboxEvent
from comptoir.purchases.service import supplier_payments
from tests.conftest import Account, register
from tests.ledger.helpers import balances
from tests.purchases.helpers import bill, bill_lines, supplier


def pay(
    client: TestClient,
    owner: Account,
    supplier_id: str,
    amount: str,
    allocations: list[tuple[str, str]],
    *,
    on: str = "2026-02-10",
    expect: int = 201,
    **fields: Any,
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/supplier-payments",
        headers=owner.headers,
        json={
            "supplier": supplier_id,
            "date": on,
            "amount": amount,
            "allocations": [{"bill": b, "amount": a} for b, a in allocations],
        }
        | fields,
    )
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


def fetch(client: TestClient, owner: Account, path: str) -> dict[str, Any]:
    response = client.get(path, headers=owner.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def payable_lines(client: TestClient, owner: Account, entry_id: str) -> list[dict[str, Any]]:
    entry = fetch(client, owner, f"/api/v1/journal-entries/{entry_id}")
    return [line for line in entry["lines"] if line["account_code"] == "401"]


def events(database: Database, kind: str) -> list[OutboxEvent]:
    with database.unit_of_work() as session, all_tenants(session):
        return list(session.scalars(select(OutboxEvent).where(OutboxEvent.type == kind)))


def _rate(client: TestClient, owner: Account, on: str, rate: str) -> None:
    response = client.post(
        "/api/v1/exchange-rates",
        headers=owner.headers,
        json={"base": "USD", "quote": "EUR", "date": on, "rate": rate},
    )
    assert response.status_code == 201, response.text


def test_paying_a_bill_in_full_marks_it_paid_and_letters_both_payable_lines(
    client: TestClient, owner: Account, database: Database
) -> None:
    martin = supplier(client, owner)
    posted = bill(client, owner, martin["id"])
    assert posted["gross"] == "120.00"
    assert balances(client, owner)["401"] == Decimal("-120.00")
    payment = pay(
        client, owner, martin["id"], "120.00", [(posted["id"], "120.00")], reference="VIR-1"
    )
    assert payment["direction"] == "out"
    assert payment["allocated"] == "120.00"
    assert payment["unallocated"] == "0.00"
    assert payment["account"] == "512"
    assert [(a["bill_id"], a["amount"]) for a in payment["allocations"]] == [
        (posted["id"], "120.00")
    ]
    paid = fetch(client, owner, f"/api/v1/bills/{posted['id']}")
    assert paid["status"] == "paid"
    assert paid["amount_due"] == "0.00"
    assert paid["paid_at"] is not None
    ledger = balances(client, owner)
    assert ledger.get("401", Decimal(0)) == 0
    assert ledger["512"] == Decimal("-120.00")
    [bill_line] = payable_lines(client, owner, posted["entry_id"])
    [payment_line] = payable_lines(client, owner, payment["entry_id"])
    assert payment_line["debit"] == "120.00"
    assert bill_line["matching_code"] is not None
    assert bill_line["matching_code"] == payment_line["matching_code"]
    entry = fetch(client, owner, f"/api/v1/journal-entries/{payment['entry_id']}")
    assert entry["journal_code"] == "BQ"
    assert entry["source_type"] == "supplier_payment"
    assert entry["source_id"] == payment["id"]
    [made] = events(database, "supplier_payment.made")
    assert made.payload | {"id": None} == {
        "id": None,
        "supplier_id": martin["id"],
        "direction": "out",
        "date": "2026-02-10",
        "amount": 12000,
        "currency": "EUR",
        "method": "bank_transfer",
        "reference": "VIR-1",
        "allocated": 12000,
    }
    assert [event.payload["id"] for event in events(database, "bill.paid")] == [posted["id"]]
    assert fetch(client, owner, f"/api/v1/supplier-payments/{payment['id']}") == payment


def test_one_payment_settles_two_bills_in_part(client: TestClient, owner: Account) -> None:
    martin = supplier(client, owner)
    first = bill(client, owner, martin["id"])
    second = bill(client, owner, martin["id"], lines=bill_lines("200.00"))
    payment = pay(
        client,
        owner,
        martin["id"],
        "150.00",
        [(first["id"], "50.00"), (second["supplier_number"], "100.00")],
    )
    assert payment["allocated"] == "150.00"
    for document, due in ((first, "70.00"), (second, "140.00")):
        current = fetch(client, owner, f"/api/v1/bills/{document['id']}")
        assert current["status"] == "partially_paid"
        assert current["amount_due"] == due
    assert balances(client, owner)["401"] == Decimal("-210.00")
    lines = payable_lines(client, owner, payment["entry_id"])
    assert [line["debit"] for line in lines] == ["50.00", "100.00"]
    assert all(line["matching_code"] for line in lines)


def test_an_advance_is_allocated_later(client: TestClient, owner: Account) -> None:
    martin = supplier(client, owner)
    advance = pay(client, owner, martin["id"], "500.00", [], on="2026-01-20")
    assert advance["unallocated"] == "500.00"
    assert balances(client, owner)["401"] == Decimal("500.00")
    posted = bill(client, owner, martin["id"], lines=bill_lines("300.00"))
    allocated = client.post(
        f"/api/v1/supplier-payments/{advance['id']}/allocate",
        headers=owner.headers,
        json={"allocations": [{"bill": posted["id"], "amount": "360.00"}], "date": "2026-02-05"},
    )
    assert allocated.status_code == 200, allocated.text
    body = allocated.json()
    assert body["allocated"] == "360.00"
    assert body["unallocated"] == "140.00"
    assert body["allocations"][0]["date"] == "2026-02-05"
    assert fetch(client, owner, f"/api/v1/bills/{posted['id']}")["status"] == "paid"
    [bill_line] = payable_lines(client, owner, posted["entry_id"])
    advance_line = payable_lines(client, owner, advance["entry_id"])[-1]
    assert bill_line["matching_code"] == advance_line["matching_code"] is not None
    assert balances(client, owner)["401"] == Decimal("140.00")
    again = client.post(
        f"/api/v1/supplier-payments/{advance['id']}/allocate",
        headers=owner.headers,
        json={"allocations": [{"bill": posted["id"], "amount": "1.00"}]},
    )
    assert again.status_code == 422
    assert again.json()["errors"][0]["code"] == "not_open"
    other = bill(client, owner, martin["id"])
    too_much = client.post(
        f"/api/v1/supplier-payments/{advance['id']}/allocate",
        headers=owner.headers,
        json={"allocations": [{"bill": other["id"], "amount": "120.00"}], "date": "2026-01-01"},
    )
    assert too_much.status_code == 422
    assert too_much.json()["errors"][0]["field"] == "date"


def test_foreign_currency_payment_books_the_realized_loss(
    client: TestClient, owner: Account
) -> None:
    _rate(client, owner, "2026-02-01", "0.90")
    _rate(client, owner, "2026-02-20", "0.95")
    acme = supplier(client, owner, name="Acme Corp", country="US", currency="USD")
    posted = bill(client, owner, acme["id"], lines=[bill_lines("1000.00")[0] | {"tax_codes": []}])
    assert posted["currency"] == "USD"
    assert balances(client, owner)["401"] == Decimal("-900.00")
    first = pay(client, owner, acme["id"], "333.33", [(posted["id"], "333.33")], on="2026-02-20")
    assert first["currency"] == "USD"
    assert Decimal(first["exchange_rate"]) == Decimal("0.95")
    pay(client, owner, acme["id"], "666.67", [(posted["id"], "666.67")], on="2026-02-20")
    ledger = balances(client, owner)
    assert ledger.get("401", Decimal(0)) == 0
    assert ledger["512"] == Decimal("-950.00")
    assert ledger["666"] == Decimal("50.00")
    assert "766" not in ledger
    assert fetch(client, owner, f"/api/v1/bills/{posted['id']}")["status"] == "paid"


def test_a_supplier_refund_settles_a_credit_note(
    client: TestClient, owner: Account, database: Database
) -> None:
    martin = supplier(client, owner)
    posted = bill(client, owner, martin["id"])
    pay(client, owner, martin["id"], "120.00", [(posted["id"], "120.00")])
    draft = client.post(
        "/api/v1/supplier-credit-notes",
        headers=owner.headers,
        json={
            "supplier": martin["id"],
            "supplier_number": "AV-1",
            "issue_date": "2026-02-12",
            "lines": [bill_lines("50.00")[0] | {"tax_codes": []}],
        },
    )
    assert draft.status_code == 201, draft.text
    credit = client.post(
        f"/api/v1/supplier-credit-notes/{draft.json()['id']}/post", headers=owner.headers
    )
    assert credit.status_code == 200, credit.text
    assert balances(client, owner)["401"] == Decimal("50.00")
    wrong_way = client.post(
        "/api/v1/supplier-payments",
        headers=owner.headers,
        json={
            "supplier": martin["id"],
            "amount": "50.00",
            "allocations": [{"credit_note": credit.json()["id"], "amount": "50.00"}],
        },
    )
    assert wrong_way.status_code == 422
    assert wrong_way.json()["errors"][0]["field"] == "allocations[0].bill"
    refund = client.post(
        "/api/v1/supplier-payments",
        headers=owner.headers,
        json={
            "supplier": martin["id"],
            "direction": "in",
            "date": "2026-02-15",
            "amount": "50.00",
            "allocations": [{"credit_note": credit.json()["id"], "amount": "50.00"}],
        },
    )
    assert refund.status_code == 201, refund.text
    body = refund.json()
    assert body["allocations"][0]["credit_note_id"] == credit.json()["id"]
    assert body["allocations"][0]["bill_id"] is None
    ledger = balances(client, owner)
    assert ledger.get("401", Decimal(0)) == 0
    assert ledger["512"] == Decimal("-70.00")
    used = fetch(client, owner, f"/api/v1/supplier-credit-notes/{credit.json()['id']}")
    assert used["amount_due"] == "0.00"
    [credit_line] = payable_lines(client, owner, used["entry_id"])
    [refund_line] = payable_lines(client, owner, body["entry_id"])
    assert credit_line["matching_code"] == refund_line["matching_code"] is not None
    assert len(events(database, "supplier_payment.refunded")) == 1
    twice = client.post(
        "/api/v1/supplier-payments",
        headers=owner.headers,
        json={
            "supplier": martin["id"],
            "direction": "in",
            "amount": "1.00",
            "allocations": [{"credit_note": credit.json()["id"], "amount": "1.00"}],
        },
    )
    assert twice.status_code == 422
    assert twice.json()["errors"][0]["code"] == "exceeds_credit"
    not_allocatable = client.post(
        f"/api/v1/supplier-payments/{body['id']}/allocate",
        headers=owner.headers,
        json={"allocations": [{"bill": posted["id"], "amount": "1.00"}]},
    )
    assert not_allocatable.status_code == 409


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("too_much_for_the_bill", "exceeds_amount_due"),
        ("draft_bill", "not_open"),
        ("other_tenant_bill", "not_found"),
        ("negative", "not_positive"),
        ("not_a_number", "invalid"),
        ("wrong_type", "invalid"),
        ("twice", "duplicate"),
    ],
    ids=lambda value: str(value),
)
def test_bad_allocations_are_refused_and_nothing_is_written(
    client: TestClient, owner: Account, case: str, code: str
) -> None:
    martin = supplier(client, owner)
    posted = bill(client, owner, martin["id"])
    draft = bill(client, owner, martin["id"], approve=False)
    stranger = register(client, organization_name="Stranger SARL")
    theirs = bill(client, stranger, supplier(client, stranger)["id"])
    allocations: list[dict[str, Any]] = {
        "too_much_for_the_bill": [{"bill": posted["id"], "amount": "120.01"}],
        "draft_bill": [{"bill": draft["id"], "amount": "10.00"}],
        "other_tenant_bill": [{"bill": theirs["id"], "amount": "10.00"}],
        "negative": [{"bill": posted["id"], "amount": "-5"}],
        "not_a_number": [{"bill": posted["id"], "amount": "abc"}],
        "wrong_type": [{"bill": posted["id"], "amount": ["10"]}],
        "twice": [{"bill": posted["id"], "amount": "10"}, {"bill": posted["id"], "amount": "5"}],
    }[case]
    response = client.post(
        "/api/v1/supplier-payments",
        headers=owner.headers,
        json={"supplier": martin["id"], "amount": "500.00", "allocations": allocations},
    )
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    if case != "wrong_type":
        assert errors[-1]["code"] == code, errors
    assert fetch(client, owner, "/api/v1/supplier-payments")["items"] == []
    assert "512" not in balances(client, owner)
    assert fetch(client, owner, f"/api/v1/bills/{posted['id']}")["amount_due"] == "120.00"


def test_bad_payments_answer_422_and_others_ids_404(client: TestClient, owner: Account) -> None:
    martin = supplier(client, owner)
    other = supplier(client, owner, name="Autre Fournisseur")
    posted = bill(client, owner, martin["id"])
    wrong_supplier = pay(client, owner, other["id"], "10.00", [(posted["id"], "10")], expect=422)
    assert wrong_supplier["errors"][0]["field"] == "allocations[0].bill"
    over = pay(client, owner, martin["id"], "50.00", [(posted["id"], "60.00")], expect=422)
    assert over["errors"][0]["code"] == "exceeds"
    huge = pay(client, owner, martin["id"], "1" + "0" * 30, [], expect=422)
    assert huge["errors"][0]["field"] == "amount"
    for amount in ("0", "-10.00", "1.234"):
        refused = pay(client, owner, martin["id"], amount, [], expect=422)
        assert refused["errors"][0]["field"] == "amount"
    bad_method = pay(client, owner, martin["id"], "10.00", [], method="barter", expect=422)
    assert bad_method["errors"][0]["field"] == "method"
    not_bank = pay(client, owner, martin["id"], "10.00", [], account="606", expect=422)
    assert not_bank["errors"][0]["code"] == "not_bank"
    for body in (
        {"supplier": martin["id"], "amount": 12.5},
        {"supplier": martin["id"], "amount": "10", "direction": "sideways"},
        {"supplier": martin["id"], "amount": "10", "date": "yesterday"},
        {"supplier": martin["id"], "amount": "10", "allocations": "all"},
        {"supplier": martin["id"], "amount": "10", "surprise": True},
        {"supplier": "nobody", "amount": "10"},
    ):
        response = client.post("/api/v1/supplier-payments", headers=owner.headers, json=body)
        assert response.status_code == 422, (body, response.text)
    stranger = register(client, organization_name="Stranger SARL")
    theirs = pay(client, stranger, supplier(client, stranger)["id"], "10.00", [])
    assert (
        client.get(f"/api/v1/supplier-payments/{theirs['id']}", headers=owner.headers).status_code
        == 404
    )
    hidden = client.post(
        f"/api/v1/supplier-payments/{theirs['id']}/allocate",
        headers=owner.headers,
        json={"allocations": [{"bill": posted["id"], "amount": "1.00"}]},
    )
    assert hidden.status_code == 404
    their_supplier = pay(client, owner, theirs["supplier"]["id"], "10.00", [], expect=422)
    assert their_supplier["errors"][0]["field"] == "supplier"
    assert fetch(client, owner, "/api/v1/supplier-payments")["items"] == []


def test_listing_filters_and_the_supplier_in_use(
    client: TestClient, owner: Account, database: Database
) -> None:
    martin = supplier(client, owner)
    other = supplier(client, owner, name="Autre Fournisseur")
    pay(client, owner, martin["id"], "10.00", [], on="2026-01-05")
    pay(client, owner, other["id"], "20.00", [], on="2026-02-05")
    refund = pay(client, owner, other["id"], "5.00", [], on="2026-02-06", direction="in")
    listed = fetch(client, owner, f"/api/v1/supplier-payments?supplier={other['id']}")
    assert sorted(item["amount"] for item in listed["items"]) == ["20.00", "5.00"]
    incoming = fetch(client, owner, "/api/v1/supplier-payments?direction=in")
    assert [item["id"] for item in incoming["items"]] == [refund["id"]]
    february = fetch(client, owner, "/api/v1/supplier-payments?date_from=2026-02-01&limit=1")
    assert len(february["items"]) == 1
    assert february["next_cursor"]
    rest = fetch(
        client,
        owner,
        f"/api/v1/supplier-payments?date_from=2026-02-01&cursor={february['next_cursor']}",
    )
    assert len(rest["items"]) == 1
    removed = client.delete(f"/api/v1/suppliers/{martin['id']}", headers=owner.headers)
    assert removed.status_code == 409, removed.text
    unused = supplier(client, owner, name="Jamais Payé")
    with database.unit_of_work() as session:
        set_organization(session, uuid.UUID(owner.organization_id))
        assert supplier_payments.payment_uses_party(session, uuid.UUID(martin["id"]))
        assert not supplier_payments.payment_uses_party(session, uuid.UUID(unused["id"]))


def test_retried_payment_with_the_same_key_is_recorded_once(
    client: TestClient, owner: Account
) -> None:
    martin = supplier(client, owner)
    posted = bill(client, owner, martin["id"])
    body = {
        "supplier": martin["id"],
        "date": "2026-02-10",
        "amount": "100.00",
        "allocations": [{"bill": posted["id"], "amount": "100.00"}],
    }
    headers = owner.headers | {"Idempotency-Key": "supplier-pay-once-1"}

    def send(_: int) -> int:
        return client.post("/api/v1/supplier-payments", headers=headers, json=body).status_code

    with ThreadPoolExecutor(max_workers=3) as pool:
        codes = list(pool.map(send, range(3)))
    assert 201 in codes
    assert all(code in (201, 409) for code in codes), codes
    replay = client.post("/api/v1/supplier-payments", headers=headers, json=body)
    assert replay.status_code == 201
    assert len(fetch(client, owner, "/api/v1/supplier-payments")["items"]) == 1
    assert fetch(client, owner, f"/api/v1/bills/{posted['id']}")["amount_due"] == "20.00"


def test_two_concurrent_payments_never_overpay_a_bill(client: TestClient, owner: Account) -> None:
    martin = supplier(client, owner)
    posted = bill(client, owner, martin["id"])

    def send(index: int) -> int:
        response = client.post(
            "/api/v1/supplier-payments",
            headers=owner.headers,
            json={
                "supplier": martin["id"],
                "amount": "100.00",
                "reference": f"VIR-{index}",
                "allocations": [{"bill": posted["id"], "amount": "100.00"}],
            },
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = sorted(pool.map(send, range(2)))
    assert codes == [201, 422]
    current = fetch(client, owner, f"/api/v1/bills/{posted['id']}")
    assert current["amount_due"] == "20.00"
    assert balances(client, owner)["401"] == Decimal("-20.00")


def _allocate(
    client: TestClient,
    owner: Account,
    payment_id: str,
    bill_id: str,
    amount: str,
    on: str = "2026-02-05",
    **headers: str,
) -> Any:
    return client.post(
        f"/api/v1/supplier-payments/{payment_id}/allocate",
        headers=owner.headers | headers,
        json={"allocations": [{"bill": bill_id, "amount": amount}], "date": on},
    )


def test_an_advance_allocated_in_parts_letters_each_part_only(
    client: TestClient, owner: Account
) -> None:
    martin = supplier(client, owner)
    advance = pay(client, owner, martin["id"], "500.00", [], on="2026-01-20")
    posted = bill(client, owner, martin["id"])
    first = _allocate(client, owner, advance["id"], posted["id"], "20.00")
    assert first.status_code == 200, first.text
    partly = fetch(client, owner, f"/api/v1/bills/{posted['id']}")
    assert (partly["status"], partly["amount_due"]) == ("partially_paid", "100.00")
    # A new payment settles part of what is left: the bill's payable line is still open.
    pay(client, owner, martin["id"], "30.00", [(posted["id"], "30.00")])
    rest = _allocate(client, owner, advance["id"], posted["id"], "70.00")
    assert rest.status_code == 200, rest.text
    assert rest.json()["unallocated"] == "410.00"
    assert fetch(client, owner, f"/api/v1/bills/{posted['id']}")["status"] == "paid"
    [bill_line] = payable_lines(client, owner, posted["entry_id"])
    assert bill_line["matching_code"] is not None
    assert balances(client, owner)["401"] == Decimal("410.00")
    # What is left of the advance still settles another bill in full.
    other = bill(client, owner, martin["id"], lines=bill_lines("300.00"))
    assert _allocate(client, owner, advance["id"], other["id"], "360.00").status_code == 200
    assert fetch(client, owner, f"/api/v1/bills/{other['id']}")["status"] == "paid"
    assert balances(client, owner)["401"] == Decimal("50.00")


def test_a_retried_allocation_with_the_same_key_allocates_once(
    client: TestClient, owner: Account
) -> None:
    martin = supplier(client, owner)
    advance = pay(client, owner, martin["id"], "500.00", [], on="2026-01-20")
    posted = bill(client, owner, martin["id"])
    key = {"Idempotency-Key": "allocate-once-1"}
    first = _allocate(client, owner, advance["id"], posted["id"], "50.00", **key)
    assert first.status_code == 200, first.text
    replay = _allocate(client, owner, advance["id"], posted["id"], "50.00", **key)
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert fetch(client, owner, f"/api/v1/bills/{posted['id']}")["amount_due"] == "70.00"
    other = _allocate(client, owner, advance["id"], posted["id"], "60.00", **key)
    assert other.status_code == 422
    assert other.json()["errors"][0]["code"] == "idempotency_key_reused"


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"], ids=["far-future", "far-past"])
def test_dates_out_of_range_answer_422_on_the_date(
    client: TestClient, owner: Account, day: str
) -> None:
    martin = supplier(client, owner)
    refused = client.post(
        "/api/v1/supplier-payments",
        headers=owner.headers,
        json={"supplier": martin["id"], "date": day, "amount": "10.00"},
    )
    assert refused.status_code == 422, refused.text
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("date", "out_of_range")]
    advance = pay(client, owner, martin["id"], "500.00", [], on="2026-01-20")
    posted = bill(client, owner, martin["id"])
    late = _allocate(client, owner, advance["id"], posted["id"], "10.00", on=day)
    assert late.status_code == 422, late.text
    assert [(e["field"], e["code"]) for e in late.json()["errors"]] == [("date", "out_of_range")]
    assert fetch(client, owner, f"/api/v1/supplier-payments/{advance['id']}")["allocated"] == "0.00"
