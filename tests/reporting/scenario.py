"""A year of business built through the API as a client would: the books the statement
tests read. 2025 is a short first year; 2026 the year under test."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Account
from tests.ledger.helpers import entry
from tests.purchases.helpers import bill, supplier
from tests.sales.helpers import customer, invoice, pay


def rate(client: TestClient, owner: Account, on: str, value: str) -> None:
    response = client.post(
        "/api/v1/exchange-rates",
        headers=owner.headers,
        json={"base": "USD", "quote": "EUR", "date": on, "rate": value},
    )
    assert response.status_code == 201, response.text


def french_year(client: TestClient, owner: Account) -> None:
    """Owner's capital, a loan, sales at 20 % and 5.5 %, a foreign-currency sale paid at
    another rate, purchases, expenses, an asset bought on credit, interest."""
    entry(
        client,
        owner,
        [("512", "debit", "10000.00"), ("101", "credit", "10000.00")],
        on="2025-09-01",
    )
    buyer = customer(client, owner, name="Dupont SA")
    old = invoice(
        client,
        owner,
        buyer["id"],
        [
            {
                "description": "Audit",
                "quantity": "1",
                "unit_price": "2000.00",
                "tax_codes": ["FR-20"],
            }
        ],
        issue_date="2025-10-15",
    )
    pay(client, owner, buyer["id"], "2400.00", [(old["id"], "2400.00")], on="2025-11-15")
    entry(client, owner, [("626", "debit", "80.00"), ("512", "credit", "80.00")], on="2025-12-10")

    entry(
        client, owner, [("512", "debit", "5000.00"), ("164", "credit", "5000.00")], on="2026-01-05"
    )
    sold = invoice(
        client,
        owner,
        buyer["id"],
        [
            {
                "description": "Consulting",
                "quantity": "2",
                "unit_price": "500.00",
                "tax_codes": ["FR-20"],
            }
        ],
        issue_date="2026-01-20",
    )
    pay(client, owner, buyer["id"], "1200.00", [(sold["id"], "1200.00")], on="2026-02-10")
    invoice(
        client,
        owner,
        buyer["id"],
        [{"description": "Books", "quantity": "4", "unit_price": "50.00", "tax_codes": ["FR-5.5"]}],
        issue_date="2026-02-12",
    )
    rate(client, owner, "2026-03-01", "0.90")
    rate(client, owner, "2026-03-20", "0.95")
    yankee = customer(client, owner, name="Yankee Inc", country="US", currency="USD")
    foreign = invoice(
        client,
        owner,
        yankee["id"],
        [{"description": "Design", "quantity": "1", "unit_price": "1000.00", "tax_codes": []}],
        issue_date="2026-03-01",
    )
    pay(client, owner, yankee["id"], "1000.00", [(foreign["id"], "1000.00")], on="2026-03-20")
    seller = supplier(client, owner)
    bill(
        client,
        owner,
        seller["id"],
        [
            {
                "description": "Paper",
                "quantity": "1",
                "unit_price": "300.00",
                "tax_codes": ["FR-20"],
                "account": "606",
            }
        ],
        issue_date="2026-02-15",
    )
    entry(
        client,
        owner,
        [("2183", "debit", "1500.00"), ("44562", "debit", "300.00"), ("404", "credit", "1800.00")],
        on="2026-04-02",
    )
    entry(client, owner, [("626", "debit", "45.50"), ("512", "credit", "45.50")], on="2026-04-30")
    entry(client, owner, [("661", "debit", "20.00"), ("512", "credit", "20.00")], on="2026-06-30")


def generic_year(client: TestClient, owner: Account) -> None:
    """The same kind of year on the generic (IFRS-style) chart, by manual entries."""
    lines: list[tuple[str, list[tuple[str, str, str]]]] = [
        ("2025-09-01", [("1120", "debit", "8000.00"), ("3100", "credit", "8000.00")]),
        (
            "2025-10-01",
            [
                ("1200", "debit", "1160.00"),
                ("4200", "credit", "1000.00"),
                ("2200", "credit", "160.00"),
            ],
        ),
        ("2026-01-05", [("1120", "debit", "4000.00"), ("2510", "credit", "4000.00")]),
        (
            "2026-02-01",
            [
                ("1200", "debit", "2320.00"),
                ("4100", "credit", "2000.00"),
                ("2200", "credit", "320.00"),
            ],
        ),
        ("2026-02-20", [("1120", "debit", "2320.00"), ("1200", "credit", "2320.00")]),
        (
            "2026-03-01",
            [
                ("5200", "debit", "700.00"),
                ("1500", "debit", "112.00"),
                ("2110", "credit", "812.00"),
            ],
        ),
        ("2026-03-15", [("6200", "debit", "400.00"), ("1120", "credit", "400.00")]),
        ("2026-04-01", [("1610", "debit", "3000.00"), ("1120", "credit", "3000.00")]),
        ("2026-06-30", [("7100", "debit", "35.00"), ("1120", "credit", "35.00")]),
        ("2026-07-01", [("1120", "debit", "50.00"), ("4800", "credit", "50.00")]),
    ]
    for on, body in lines:
        entry(client, owner, body, on=on)


def trial_result(client: TestClient, owner: Account, date_from: str, date_to: str) -> Decimal:
    """Revenue minus expenses from the trial balance, the statements left aside."""
    response = client.get(
        "/api/v1/reports/trial-balance",
        headers=owner.headers,
        params={"date_from": date_from, "date_to": date_to},
    )
    assert response.status_code == 200, response.text
    total = Decimal(0)
    for row in response.json()["rows"]:
        if row["type"] in ("income", "expense"):
            total += Decimal(row["credit"]) - Decimal(row["debit"])
    return total


def statement(client: TestClient, owner: Account, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/v1/reports/{path}", headers=owner.headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def flat(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every line of a statement by code."""
    found: dict[str, dict[str, Any]] = {}

    def visit(line: dict[str, Any]) -> None:
        found[line["code"]] = line
        for child in line["children"]:
            visit(child)

    for line in body["lines"]:
        visit(line)
    return found
