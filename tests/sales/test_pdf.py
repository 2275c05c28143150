"""The invoice PDF: its printed totals are the API's and the ledger's; the stored copy
is what every download returns."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdf
from fastapi.testclient import TestClient

from tests.conftest import Account
from tests.ledger.helpers import balances
from tests.sales.helpers import customer, invoice


def _text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def _euros(amount: str) -> str:
    return f"€{Decimal(amount):,.2f}"


def test_printed_totals_are_the_api_and_the_ledger(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner, language="en")
    issued = invoice(
        client,
        owner,
        acme["id"],
        [
            {
                "description": "Bread",
                "quantity": "3",
                "unit_price": "2.35",
                "tax_codes": ["FR-5.5"],
            },
            {
                "description": "Cake",
                "quantity": "1",
                "unit_price": "18.90",
                "tax_codes": ["FR-5.5"],
            },
            {
                "description": "Catering",
                "quantity": "7",
                "unit_price": "1234.56",
                "tax_codes": ["FR-20"],
            },
        ],
    )
    response = client.get(f"/api/v1/invoices/{issued['id']}/pdf", headers=owner.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = _text(response.content)
    totals = issued["totals"]
    for label, amount in (
        ("Total excl. tax", totals["net"]),
        ("Tax", totals["tax"]),
        ("Total incl. tax", totals["gross"]),
        ("Amount due", issued["amount_due"]),
    ):
        assert f"{label} {_euros(amount)}" in text, (label, amount, text)
    for tax in issued["taxes"]:
        assert _euros(tax["amount"]) in text
    assert issued["number"] in text
    ledger = balances(client, owner)
    assert ledger["411"] == Decimal(totals["gross"])
    assert -ledger["706"] == Decimal(totals["net"])
    assert -ledger["44571"] == Decimal(totals["tax"])
    again = client.get(f"/api/v1/invoices/{issued['id']}/pdf", headers=owner.headers)
    assert again.content == response.content


def test_a_draft_previews_marked_draft(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner, language="fr")
    draft = invoice(client, owner, acme["id"], issue=False)
    response = client.get(f"/api/v1/invoices/{draft['id']}/pdf", headers=owner.headers)
    assert response.status_code == 200
    text = _text(response.content)
    assert "BROUILLON" in text
    assert "Facture" in text
