"""Aged payables: what was owed to each supplier on a date, by days past due, less
advances and unused credit notes, as it stood on that date."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Account, register
from tests.purchases.helpers import bill, bill_lines, supplier
from tests.purchases.test_supplier_payments import pay


def aged(client: TestClient, owner: Account, as_of: str, **params: str) -> list[dict[str, Any]]:
    response = client.get(
        "/api/v1/reports/aged-payables", headers=owner.headers, params={"as_of": as_of} | params
    )
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


BUCKETS = ("not_due", "days_1_30", "days_31_60", "days_61_90", "over_90")


def amounts(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(row[key] for key in (*BUCKETS, "unapplied_credit", "total"))


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2026-01-31", None),
        ("2026-02-01", ("120.00", "0.00", "0.00", "0.00", "0.00", "0.00", "120.00")),
        ("2026-03-03", ("0.00", "120.00", "0.00", "0.00", "0.00", "0.00", "120.00")),
        ("2026-04-15", ("0.00", "0.00", "120.00", "0.00", "0.00", "0.00", "120.00")),
        ("2026-05-10", ("0.00", "0.00", "0.00", "120.00", "0.00", "0.00", "120.00")),
        ("2026-06-01", ("0.00", "0.00", "0.00", "0.00", "120.00", "0.00", "120.00")),
    ],
    ids=["before-the-bill", "not-due", "1-30", "31-60", "61-90", "over-90"],
)
def test_a_bill_moves_through_the_buckets(
    client: TestClient, owner: Account, as_of: str, expected: tuple[str, ...] | None
) -> None:
    martin = supplier(client, owner)
    bill(client, owner, martin["id"], due_date="2026-03-02")
    reports = aged(client, owner, as_of)
    if expected is None:
        assert reports == []
        return
    [report] = reports
    assert report["currency"] == "EUR"
    assert report["as_of"] == as_of
    [row] = report["rows"]
    assert row["supplier"]["id"] == martin["id"]
    assert amounts(row) == expected
    assert amounts(report["totals"]) == expected


def test_only_what_stood_on_the_date_counts(client: TestClient, owner: Account) -> None:
    martin = supplier(client, owner)
    other = supplier(client, owner, name="Autre Fournisseur")
    posted = bill(client, owner, martin["id"], due_date="2026-02-15")
    bill(client, owner, other["id"], lines=bill_lines("50.00"), due_date="2026-02-28")
    pay(client, owner, martin["id"], "100.00", [(posted["id"], "100.00")], on="2026-03-10")
    before = aged(client, owner, "2026-03-09")
    [report] = before
    rows = {row["supplier"]["name"]: row for row in report["rows"]}
    assert rows["Fournitures Martin"]["days_1_30"] == "120.00"
    assert rows["Autre Fournisseur"]["days_1_30"] == "60.00"
    assert report["totals"]["total"] == "180.00"
    [after] = aged(client, owner, "2026-03-10")
    rows = {row["supplier"]["name"]: row for row in after["rows"]}
    assert rows["Fournitures Martin"]["days_1_30"] == "20.00"
    assert after["totals"]["total"] == "80.00"
    [only] = aged(client, owner, "2026-03-10", supplier=other["id"])
    assert [row["supplier"]["id"] for row in only["rows"]] == [other["id"]]


def test_advances_and_unused_credit_notes_reduce_what_is_owed(
    client: TestClient, owner: Account
) -> None:
    martin = supplier(client, owner)
    bill(client, owner, martin["id"], lines=bill_lines("500.00"), due_date="2026-03-01")
    advance = pay(client, owner, martin["id"], "100.00", [], on="2026-02-05")
    draft = client.post(
        "/api/v1/supplier-credit-notes",
        headers=owner.headers,
        json={
            "supplier": martin["id"],
            "supplier_number": "AV-7",
            "issue_date": "2026-02-06",
            "lines": [bill_lines("30.00")[0] | {"tax_codes": []}],
        },
    )
    assert draft.status_code == 201, draft.text
    posted = client.post(
        f"/api/v1/supplier-credit-notes/{draft.json()['id']}/post", headers=owner.headers
    )
    assert posted.status_code == 200, posted.text
    [report] = aged(client, owner, "2026-02-10")
    [row] = report["rows"]
    assert row["not_due"] == "600.00"
    assert row["unapplied_credit"] == "130.00"
    assert row["total"] == "470.00"
    [early] = aged(client, owner, "2026-02-05")
    assert early["rows"][0]["unapplied_credit"] == "100.00"
    assert advance["unallocated"] == "100.00"


def test_foreign_currencies_get_their_own_report_and_others_see_nothing(
    client: TestClient, owner: Account
) -> None:
    rate = client.post(
        "/api/v1/exchange-rates",
        headers=owner.headers,
        json={"base": "USD", "quote": "EUR", "date": "2026-01-01", "rate": "0.9"},
    )
    assert rate.status_code == 201, rate.text
    acme = supplier(client, owner, name="Acme Corp", country="US", currency="USD")
    martin = supplier(client, owner)
    bill(client, owner, acme["id"], lines=[bill_lines("200.00")[0] | {"tax_codes": []}])
    bill(client, owner, martin["id"])
    reports = aged(client, owner, "2026-02-02")
    assert [(r["currency"], r["totals"]["total"]) for r in reports] == [
        ("EUR", "120.00"),
        ("USD", "200.00"),
    ]
    stranger = register(client, organization_name="Stranger SARL")
    assert aged(client, stranger, "2026-02-02") == []
    assert aged(client, stranger, "2026-02-02", supplier=martin["id"]) == []
    for params in ({"as_of": "soon"}, {"supplier": "nobody"}):
        response = client.get("/api/v1/reports/aged-payables", headers=owner.headers, params=params)
        assert response.status_code == 422
