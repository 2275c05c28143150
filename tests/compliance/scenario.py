"""A small year of books through the API: an opening entry, sales, purchases, payments
lettered against them, a foreign-currency invoice, entries in several journals."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Account
from tests.ledger.helpers import entry

SIREN = "732829320"


def set_siren(client: TestClient, owner: Account, siren: str | None = SIREN) -> None:
    response = client.patch("/api/v1/organization", headers=owner.headers, json={"siren": siren})
    assert response.status_code == 200, response.text


def party(client: TestClient, owner: Account, kind: str, code: str, name: str) -> str:
    response = client.post(
        f"/api/v1/{kind}", headers=owner.headers, json={"code": code, "name": name}
    )
    assert response.status_code == 201, response.text
    party_id: str = response.json()["id"]
    return party_id


def line_id(posted: dict[str, Any], account: str) -> str:
    found: str = next(line["id"] for line in posted["lines"] if line["account_code"] == account)
    return found


def letter(client: TestClient, owner: Account, lines: list[str], on: str) -> str:
    response = client.post(
        "/api/v1/matchings", headers=owner.headers, json={"line_ids": lines, "date": on}
    )
    assert response.status_code == 201, response.text
    code: str = response.json()["code"]
    return code


def build(client: TestClient, owner: Account) -> None:
    """The year 2026 of ``owner``'s organization, posted in an order that differs from the
    dates, with the opening entry posted last."""
    set_siren(client, owner)
    dupont = party(client, owner, "customers", "DUPONT", "Dupont & Fils")
    martin = party(client, owner, "suppliers", "MARTIN", "Établissements Martin")
    sale = entry(
        client,
        owner,
        [
            {"account": "411", "debit": "1200.00", "party_id": dupont, "label": "Facture F-1"},
            {"account": "706", "credit": "1000.00", "label": "Prestations | conseil"},
            {"account": "44571", "credit": "200.00", "label": "TVA collectée 20 %"},
        ],
        journal="VT",
        on="2026-01-10",
        reference="F-2026-001",
    )
    purchase = entry(
        client,
        owner,
        [
            {"account": "607", "debit": "500.00", "label": "Marchandises"},
            {"account": "44566", "debit": "100.00", "label": "TVA déductible"},
            {"account": "401", "credit": "600.00", "party_id": martin, "label": "Facture M-77"},
        ],
        journal="AC",
        on="2026-01-12",
        reference="M-77",
    )
    receipt = entry(
        client,
        owner,
        [
            {"account": "512", "debit": "1200.00"},
            {"account": "411", "credit": "1200.00", "party_id": dupont},
        ],
        journal="BQ",
        on="2026-02-01",
        reference="VIR-DUPONT",
    )
    payment = entry(
        client,
        owner,
        [
            {"account": "401", "debit": "600.00", "party_id": martin},
            {"account": "512", "credit": "600.00"},
        ],
        journal="BQ",
        on="2026-02-03",
    )
    letter(client, owner, [line_id(sale, "411"), line_id(receipt, "411")], "2026-02-01")
    letter(client, owner, [line_id(purchase, "401"), line_id(payment, "401")], "2026-02-03")
    entry(
        client,
        owner,
        [
            {
                "account": "411",
                "debit": "1000.00",
                "currency": "USD",
                "exchange_rate": "0.925",
                "party_id": dupont,
                "label": "Invoice F-2 (USD)",
            },
            {
                "account": "706",
                "credit": "1000.00",
                "currency": "USD",
                "exchange_rate": "0.925",
                "label": "Export services",
            },
        ],
        journal="VT",
        on="2026-03-05",
        reference="F-2026-002",
    )
    entry(
        client,
        owner,
        [("626", "debit", "45.90"), ("512", "credit", "45.90")],
        journal="OD",
        on="2026-01-20",
    )
    entry(
        client,
        owner,
        [
            {"account": "512", "debit": "10000.00", "label": "Solde banque"},
            {"account": "101", "credit": "10000.00", "label": "Capital"},
        ],
        journal="AN",
        on="2026-01-01",
        reference="Ouverture 2026",
    )
