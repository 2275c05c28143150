"""The customer statement: its figures are the ledger's and the aged receivables', in the
JSON and in the PDF, in the customer's language."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import pypdf
from babel.numbers import format_currency
from fastapi.testclient import TestClient

from tests.conftest import Account, register
from tests.ledger.helpers import balances
from tests.parties.test_pages import web_login
from tests.sales.helpers import customer, invoice, pay

PERIOD = {"date_from": "2026-02-01", "date_to": "2026-03-31"}


def _text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def _money(amount: str, locale: str) -> str:
    return str(format_currency(Decimal(amount), "EUR", locale=locale))


def _history(client: TestClient, owner: Account, **fields: Any) -> dict[str, Any]:
    """Before the period: an invoice partly paid. In it: an invoice, a credit note, the
    rest of the first invoice, a payment on account, another invoice. After it: more."""
    acme = customer(client, owner, **fields)
    first = invoice(client, owner, acme["id"], issue_date="2026-01-10")
    pay(client, owner, acme["id"], "200.00", [(first["id"], "200.00")], on="2026-01-20")
    second = invoice(client, owner, acme["id"], issue_date="2026-02-01")
    credit = client.post(
        "/api/v1/credit-notes",
        headers=owner.headers,
        json={
            "customer": acme["id"],
            "issue_date": "2026-02-12",
            "lines": [{"description": "Goodwill", "unit_price": "100.00", "tax_codes": []}],
        },
    ).json()
    issued = client.post(f"/api/v1/credit-notes/{credit['id']}/issue", headers=owner.headers)
    assert issued.status_code == 200, issued.text
    pay(client, owner, acme["id"], "1000.00", [(first["id"], "1000.00")], on="2026-02-15")
    pay(client, owner, acme["id"], "300.00", [], on="2026-03-05", reference="ON-ACCOUNT")
    third = invoice(
        client,
        owner,
        acme["id"],
        [{"description": "Audit", "unit_price": "500.00", "tax_codes": ["FR-20"]}],
        issue_date="2026-03-20",
    )
    later = invoice(client, owner, acme["id"], issue_date="2026-04-05")
    pay(client, owner, acme["id"], "50.00", [(later["id"], "50.00")], on="2026-04-10")
    return {
        "customer": acme,
        "first": first,
        "second": second,
        "credit": issued.json(),
        "third": third,
    }


def test_the_statement_is_the_ledger_and_the_aged_receivables(
    client: TestClient, owner: Account
) -> None:
    made = _history(client, owner, language="en")
    path = f"/api/v1/customers/{made['customer']['id']}/statement"
    response = client.get(path, headers=owner.headers, params=PERIOD)
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["currency"] == "EUR"
    assert found["opening_balance"] == "1000.00"
    assert balances(client, owner, date_to="2026-01-31")["411"] == Decimal("1000.00")
    assert [
        (line["kind"], line["debit"], line["credit"], line["balance"]) for line in found["lines"]
    ] == [
        ("invoice", "1200.00", "0.00", "2200.00"),
        ("credit_note", "0.00", "100.00", "2100.00"),
        ("payment", "0.00", "1000.00", "1100.00"),
        ("payment", "0.00", "300.00", "800.00"),
        ("invoice", "600.00", "0.00", "1400.00"),
    ]
    assert found["lines"][0]["number"] == made["second"]["number"]
    assert found["lines"][3]["number"] == "ON-ACCOUNT"
    assert (found["total_debit"], found["total_credit"]) == ("1800.00", "1400.00")
    assert found["closing_balance"] == "1400.00"
    assert balances(client, owner, date_to="2026-03-31")["411"] == Decimal("1400.00")

    aged = client.get(
        "/api/v1/reports/aged-receivables",
        headers=owner.headers,
        params={"as_of": "2026-03-31", "customer": made["customer"]["id"]},
    ).json()[0]["totals"]
    assert found["ageing"] | {"currency": "EUR"} == aged
    assert aged["total"] == found["closing_balance"]
    assert [(i["number"], i["due"], i["bucket"], i["days_late"]) for i in found["open_items"]] == [
        (made["second"]["number"], "1200.00", "days_1_30", 28),
        (made["third"]["number"], "600.00", "not_due", 0),
    ]

    pdf = client.get(f"{path}/pdf", headers=owner.headers, params=PERIOD)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    text = _text(pdf.content)
    assert "Statement of account" in text
    for label, amount in (
        ("Opening balance", "1000.00"),
        ("Invoiced and refunded", "1800.00"),
        ("Paid and credited", "1400.00"),
        ("Closing balance", "1400.00"),
        ("Not due", "600.00"),
        ("1 to 30 days", "1200.00"),
        ("Unapplied credit", "-400.00"),
    ):
        assert f"{label} {_money(amount, 'en')}" in text, (label, amount)
    for number in (made["second"]["number"], made["third"]["number"], made["credit"]["number"]):
        assert number in text
    assert made["first"]["number"] not in text.split("Open items")[0]


def test_a_french_customer_reads_it_in_french(client: TestClient, owner: Account) -> None:
    made = _history(client, owner, language="fr")
    path = f"/api/v1/customers/{made['customer']['id']}/statement/pdf"
    response = client.get(path, headers=owner.headers, params=PERIOD)
    assert response.status_code == 200, response.text
    text = _text(response.content)
    assert "Relevé de compte" in text
    for label, amount in (
        ("Solde d'ouverture", "1000.00"),
        ("Solde de clôture", "1400.00"),
        ("1 à 30 jours", "1200.00"),
    ):
        assert f"{label} {_money(amount, 'fr')}" in text, (label, amount)
    assert re.search(r"28\s+jours\s+de\s+retard", text)


def test_the_period_currency_and_customer_are_checked(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner)
    path = f"/api/v1/customers/{acme['id']}/statement"
    for params, field in (
        ({"date_from": "2026-03-01", "date_to": "2026-02-01"}, "date_from"),
        ({"currency": "XX"}, "currency"),
        ({"date_to": "2026-02-30"}, "date_to"),
    ):
        response = client.get(path, headers=owner.headers, params=params)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
    empty = client.get(path, headers=owner.headers, params={"date_to": "2026-06-30"}).json()
    assert (empty["date_from"], empty["opening_balance"], empty["lines"]) == (
        "2026-01-01",
        "0.00",
        [],
    )
    supplier = client.post("/api/v1/suppliers", headers=owner.headers, json={"name": "Bolts"})
    only_supplier = f"/api/v1/customers/{supplier.json()['id']}/statement"
    assert client.get(only_supplier, headers=owner.headers).status_code == 404
    stranger = register(client, organization_name="Stranger SARL")
    assert client.get(path, headers=stranger.headers).status_code == 404


def test_the_customer_page_links_to_the_statement(client: TestClient, owner: Account) -> None:
    made = _history(client, owner, language="en")
    web_login(client, owner)
    page = client.get(f"/sales/customers/{made['customer']['id']}")
    link = f"/sales/customers/{made['customer']['id']}/statement"
    assert f'href="{link}"' in page.text
    response = client.get(link, params=PERIOD)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f"Closing balance {_money('1400.00', 'en')}" in _text(response.content)
    supplier_id = client.post("/api/v1/suppliers", headers=owner.headers, json={"name": "B"})
    supplier_page = client.get(f"/purchases/suppliers/{supplier_id.json()['id']}")
    assert supplier_page.status_code == 200
    assert f"{supplier_id.json()['id']}/statement" not in supplier_page.text
    stranger = register(client, organization_name="Stranger SARL")
    theirs = customer(client, stranger)
    assert client.get(f"/sales/customers/{theirs['id']}/statement").status_code == 404
