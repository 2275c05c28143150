"""Expenses: the tax split, posting, reimbursements, categories, suggestions, who sees
what, and what bad input gets."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Account, register
from tests.notifications.helpers import member
from tests.purchases.expense_helpers import (
    act,
    entry_count,
    entry_lines,
    expense,
    set_rules,
    submitted,
)
from tests.purchases.helpers import supplier

AUTO = [{"up_to": None, "steps": []}]


@pytest.mark.parametrize(
    ("amount", "tax_code", "net", "tax"),
    [
        ("12.00", "FR-20", "10.00", "2.00"),
        ("10.01", "FR-20", "8.34", "1.67"),
        ("24.00", "FR-10", "21.82", "2.18"),
        ("0.01", "FR-20", "0.01", "0.00"),
        ("99.99", None, "99.99", "0.00"),
    ],
    ids=["12.00-FR-20", "10.01-FR-20", "24.00-FR-10", "one-cent", "no-tax"],
)
def test_the_amount_splits_exactly_into_net_and_tax(
    client: TestClient, owner: Account, amount: str, tax_code: str | None, net: str, tax: str
) -> None:
    created = expense(client, owner, amount=amount, tax_code=tax_code)
    assert (created["amount"], created["net"], created["tax"]) == (amount, net, tax)
    assert created["tax_code"] == tax_code
    assert created["status"] == "draft"
    assert created["entry_id"] is None
    assert [item["action"] for item in created["history"]] == ["created"]


def test_paid_by_the_company_posts_to_the_bank_once_approved(
    client: TestClient, owner: Account
) -> None:
    set_rules(client, owner, AUTO)
    before = entry_count(client, owner)
    created = expense(client, owner, amount="12.00", category="office_supplies")
    assert created["category"] == {"code": "606", "name": created["category"]["name"]}
    assert created["account"] == "512"
    assert entry_count(client, owner) == before  # nothing reaches the ledger as a draft
    paid = act(client, owner, created["id"], "submit").json()
    assert paid["status"] == "paid"
    assert [item["action"] for item in paid["history"]] == [
        "created",
        "submitted",
        "auto_approved",
        "posted",
    ]
    assert sorted(entry_lines(client, owner, paid["entry_id"])) == [
        ("44566", "2.00", "0.00"),
        ("512", "0.00", "12.00"),
        ("606", "10.00", "0.00"),
    ]
    entry = client.get(f"/api/v1/journal-entries/{paid['entry_id']}", headers=owner.headers).json()
    assert entry["journal_code"] == "AC"
    assert entry["date"] == "2026-03-02"
    assert entry["description"] == "Taxi Parisien Taxi to the client"


def test_paid_by_an_employee_waits_on_421_until_reimbursed(
    client: TestClient, owner: Account
) -> None:
    set_rules(client, owner, AUTO)
    first = submitted(client, owner, paid_by="employee", amount="12.00")
    second = submitted(client, owner, paid_by="employee", amount="30.00", tax_code=None)
    assert first["status"] == second["status"] == "posted"
    assert first["employee"]["id"] == owner.user_id
    assert first["account"] is None
    assert sorted(entry_lines(client, owner, first["entry_id"])) == [
        ("421", "0.00", "12.00"),
        ("44566", "2.00", "0.00"),
        ("625", "10.00", "0.00"),
    ]
    response = client.post(
        "/api/v1/expense-reimbursements",
        headers=owner.headers,
        json={
            "employee": owner.email,
            "expenses": [first["id"], second["id"]],
            "date": "2026-03-31",
            "reference": "VIR-0331",
        },
    )
    assert response.status_code == 201, response.text
    paid = response.json()
    assert paid["amount"] == "42.00"
    assert paid["account"] == "512"
    assert sorted(paid["expenses"]) == sorted([first["id"], second["id"]])
    assert sorted(entry_lines(client, owner, paid["entry_id"])) == [
        ("421", "12.00", "0.00"),
        ("421", "30.00", "0.00"),
        ("512", "0.00", "42.00"),
    ]
    # Each expense's 421 line is lettered with its reimbursement line.
    for item in (first, second):
        lines = client.get(
            f"/api/v1/journal-entries/{item['entry_id']}", headers=owner.headers
        ).json()["lines"]
        [payable] = [line for line in lines if line["account_code"] == "421"]
        assert payable["matching_code"]
    reimbursement_lines = client.get(
        f"/api/v1/journal-entries/{paid['entry_id']}", headers=owner.headers
    ).json()["lines"]
    assert all(
        line["matching_code"] for line in reimbursement_lines if line["account_code"] == "421"
    )
    again = client.get(f"/api/v1/expenses/{first['id']}", headers=owner.headers).json()
    assert again["status"] == "reimbursed"
    assert again["reimbursement_id"] == paid["id"]
    assert again["history"][-1]["action"] == "reimbursed"
    # Reimbursed once only.
    twice = client.post(
        "/api/v1/expense-reimbursements",
        headers=owner.headers,
        json={"employee": owner.user_id, "expenses": [first["id"]]},
    )
    assert twice.status_code == 422
    assert twice.json()["errors"][0]["field"] == "expenses[0]"
    listed = client.get("/api/v1/expense-reimbursements", headers=owner.headers).json()
    assert [item["id"] for item in listed["items"]] == [paid["id"]]


def test_categories_list_friendly_keys_then_other_expense_accounts(
    client: TestClient, owner: Account
) -> None:
    response = client.get("/api/v1/expenses/categories", headers=owner.headers)
    assert response.status_code == 200, response.text
    items = response.json()
    keyed = {item["key"]: item["account"]["code"] for item in items if item["key"]}
    assert keyed["travel"] == "625"
    assert keyed["phone_internet"] == "626"
    assert keyed["bank_charges"] == "627"
    assert len(keyed) == 12
    plain = [item["account"]["code"] for item in items if item["key"] is None]
    assert "641" in plain and "625" not in plain and "60" not in plain


def test_categories_follow_the_generic_chart(client: TestClient) -> None:
    other = register(client, organization_name="Lusaka Ltd", country="ZM", base_currency="ZMW")
    items = client.get("/api/v1/expenses/categories", headers=other.headers).json()
    keyed = {item["key"]: item["account"]["code"] for item in items if item["key"]}
    assert keyed["travel"] == "6600"
    assert keyed["office_supplies"] == "6500"
    assert keyed["other"] == "6990"


def test_suggestions_come_from_the_last_expense_of_the_supplier(
    client: TestClient, owner: Account
) -> None:
    party = supplier(client, owner, name="Orange Business")
    expense(client, owner, supplier=party["id"], category="626", tax_code="FR-20")
    expense(client, owner, supplier_name="Café de la Gare", category="meals", tax_code="FR-10")
    by_party = client.get(
        "/api/v1/expenses/suggestions", headers=owner.headers, params={"supplier": party["id"]}
    ).json()
    assert by_party == {
        "category": {"code": "626", "name": by_party["category"]["name"]},
        "tax_code": "FR-20",
    }
    by_name = client.get(
        "/api/v1/expenses/suggestions",
        headers=owner.headers,
        params={"supplier_name": "  CAFÉ DE LA GARE "},
    ).json()
    assert (by_name["category"]["code"], by_name["tax_code"]) == ("625", "FR-10")
    unknown = client.get(
        "/api/v1/expenses/suggestions", headers=owner.headers, params={"supplier_name": "Nobody"}
    ).json()
    assert unknown == {"category": None, "tax_code": None}


def test_staff_see_only_their_own_expenses(client: TestClient, owner: Account) -> None:
    sales = member(client, owner, "sales@example.net", "sales")
    warehouse = member(client, owner, "stock@example.net", "warehouse")
    viewer = member(client, owner, "viewer@example.net", "viewer")
    accountant = member(client, owner, "books@example.net", "accountant")
    theirs = expense(client, sales, description="Train ticket", paid_by="employee")
    mine = expense(client, owner, description="Printer paper")

    def ids(headers: dict[str, str], **params: Any) -> set[str]:
        response = client.get("/api/v1/expenses", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert ids(sales) == {theirs["id"]}
    assert ids(warehouse) == set()
    assert ids(viewer) == ids(accountant) == ids(owner.headers) == {theirs["id"], mine["id"]}
    assert ids(owner.headers, mine="true") == {mine["id"]}
    assert client.get(f"/api/v1/expenses/{mine['id']}", headers=sales).status_code == 404
    assert client.get(f"/api/v1/expenses/{theirs['id']}", headers=warehouse).status_code == 404
    assert (
        client.patch(
            f"/api/v1/expenses/{mine['id']}", headers=sales, json={"note": "x"}
        ).status_code
        == 404
    )
    # Viewers read but never write.
    assert (
        client.post(
            "/api/v1/expenses",
            headers=viewer,
            json={"description": "x", "amount": "1.00", "category": "other"},
        ).status_code
        == 403
    )
    # Staff cannot record an expense for somebody else; an administrator can.
    response = client.post(
        "/api/v1/expenses",
        headers=sales,
        json={
            "description": "x",
            "amount": "1.00",
            "category": "other",
            "paid_by": "employee",
            "employee": owner.email,
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "employee"
    for_them = expense(client, owner, paid_by="employee", employee="sales@example.net")
    assert for_them["employee"]["name"] == "New Person"
    assert for_them["id"] in ids(sales)


def test_other_tenants_ids_and_non_expense_accounts_are_refused(
    client: TestClient, owner: Account
) -> None:
    other = register(client, organization_name="Other SARL")
    theirs = expense(client, other)
    their_supplier = supplier(client, other, name="Theirs")
    assert client.get(f"/api/v1/expenses/{theirs['id']}", headers=owner.headers).status_code == 404
    assert act(client, owner, theirs["id"], "submit").status_code == 404
    response = client.post(
        "/api/v1/expenses",
        headers=owner.headers,
        json={
            "description": "x",
            "amount": "1.00",
            "category": "411",
            "supplier": their_supplier["id"],
            "tax_code": "XX-99",
            "account": "606",
        },
    )
    assert response.status_code == 422
    fields = {(error["field"], error["code"]) for error in response.json()["errors"]}
    assert fields == {
        ("category", "not_expense"),
        ("supplier", "not_found"),
        ("tax_code", "unknown_tax"),
        ("account", "not_bank"),
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": 12.5}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-3.00"}, "amount"),
        ({"amount": "1000000000.01"}, "amount"),
        ({"amount": "1e40"}, "amount"),
        ({"amount": "12.001"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"category": "60"}, "category"),
        ({"category": "nonsense"}, "category"),
        ({"category": ""}, "category"),
        ({"description": ""}, "description"),
        ({"description": "x" * 201}, "description"),
        ({"supplier_name": "x" * 201}, "supplier_name"),
        ({"project": "x" * 61}, "project"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "USD"}, "currency"),
        ({"paid_by": "friend"}, "paid_by"),
        ({"date": "2026-13-45"}, "date"),
        ({"date": "9999-12-31"}, "date"),
        ({"date": "0001-01-01"}, "date"),
        ({"tax_code": 20}, "tax_code"),
        ({"employee": "nobody@example.net", "paid_by": "employee"}, "employee"),
        ({"unknown": 1}, "unknown"),
    ],
    ids=lambda value: str(value)[:40] if isinstance(value, dict) else value,
)
def test_bad_input_answers_beside_its_field(
    client: TestClient, owner: Account, body: dict[str, Any], field: str
) -> None:
    base = {"description": "Lunch", "amount": "10.00", "category": "meals"}
    before = client.get("/api/v1/expenses", headers=owner.headers).json()["items"]
    response = client.post("/api/v1/expenses", headers=owner.headers, json=base | body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(field in error["field"] for error in response.json()["errors"]), response.text
    assert client.get("/api/v1/expenses", headers=owner.headers).json()["items"] == before


def test_foreign_currency_uses_the_rate_of_the_day(client: TestClient, owner: Account) -> None:
    set_rules(client, owner, AUTO)
    rate = client.post(
        "/api/v1/exchange-rates",
        headers=owner.headers,
        json={"base": "USD", "quote": "EUR", "date": "2026-03-01", "rate": "0.9"},
    )
    assert rate.status_code == 201, rate.text
    paid = submitted(client, owner, amount="120.00", currency="USD", tax_code=None)
    assert (paid["amount"], paid["currency"]) == ("120.00", "USD")
    assert sorted(entry_lines(client, owner, paid["entry_id"])) == [
        ("512", "0.00", "108.00"),
        ("625", "108.00", "0.00"),
    ]


def test_edit_and_delete_only_while_a_draft(client: TestClient, owner: Account) -> None:
    set_rules(client, owner, AUTO)
    draft = expense(client, owner)
    changed = client.patch(
        f"/api/v1/expenses/{draft['id']}",
        headers=owner.headers,
        json={"amount": "24.00", "project": "Salon 2026", "note": "With the client"},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["net"], changed.json()["tax"]) == ("20.00", "4.00")
    assert changed.json()["project"] == "Salon 2026"
    assert (
        client.delete(f"/api/v1/expenses/{draft['id']}", headers=owner.headers).status_code == 204
    )
    assert client.get(f"/api/v1/expenses/{draft['id']}", headers=owner.headers).status_code == 404
    paid = submitted(client, owner)
    refused = client.patch(
        f"/api/v1/expenses/{paid['id']}", headers=owner.headers, json={"note": "x"}
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "not_editable")
    gone = client.delete(f"/api/v1/expenses/{paid['id']}", headers=owner.headers)
    assert (gone.status_code, gone.json()["code"]) == (409, "not_a_draft")


def test_a_retried_create_makes_one_expense(client: TestClient, owner: Account) -> None:
    body = {"description": "Parking", "amount": "6.50", "category": "fuel_vehicle"}
    headers = owner.headers | {"Idempotency-Key": "expense-parking-1"}
    first = client.post("/api/v1/expenses", headers=headers, json=body)
    second = client.post("/api/v1/expenses", headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    listed = client.get("/api/v1/expenses", headers=owner.headers).json()["items"]
    assert len(listed) == 1


def test_a_supplier_with_expenses_is_archived_not_deleted(
    client: TestClient, owner: Account
) -> None:
    party = supplier(client, owner, name="SNCF")
    expense(client, owner, supplier=party["id"])
    response = client.delete(f"/api/v1/suppliers/{party['id']}", headers=owner.headers)
    assert response.status_code == 409, response.text


def test_reimbursement_bad_input(client: TestClient, owner: Account) -> None:
    set_rules(client, owner, AUTO)
    sales = member(client, owner, "sales@example.net", "sales")
    company = submitted(client, owner)
    theirs = submitted(client, sales, paid_by="employee")
    draft = expense(client, owner, paid_by="employee")

    def refused(body: dict[str, Any], headers: dict[str, str] | None = None) -> set[str]:
        response = client.post(
            "/api/v1/expense-reimbursements", headers=headers or owner.headers, json=body
        )
        assert response.status_code in (403, 422), response.text
        return {error["field"] for error in response.json().get("errors", [])}

    assert refused({"employee": owner.email, "expenses": [company["id"]]}) == {"expenses[0]"}
    assert refused({"employee": owner.email, "expenses": [theirs["id"]]}) == {"expenses[0]"}
    assert refused({"employee": owner.email, "expenses": [draft["id"]]}) == {"expenses[0]"}
    assert refused({"employee": owner.email, "expenses": ["not-an-id"]}) == {"expenses[0]"}
    assert refused({"employee": "sales@example.net", "expenses": [theirs["id"], theirs["id"]]}) == {
        "expenses[1]"
    }
    assert refused(
        {"employee": "sales@example.net", "expenses": [theirs["id"]], "date": "2026-01-01"}
    ) == {"date"}
    assert refused(
        {"employee": "sales@example.net", "expenses": [theirs["id"]], "account": "606"}
    ) == {"account"}
    # Staff do not pay themselves back.
    assert refused({"employee": "sales@example.net", "expenses": [theirs["id"]]}, sales) == set()
