"""One calculation everywhere: the API, the web preview and a posted document show the
same cents, because they run the same code (documents.calculate_document), and the
ledger lines a document posts carry its taxes with their bases."""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from comptoir.kit.db import Database
from comptoir.kit.tenancy import set_organization
from comptoir.ledger.service import entries
from comptoir.ledger.service.entries import EntryInput
from comptoir.tax.service import documents, postings
from tests.conftest import PASSWORD, Account
from tests.ledger.helpers import balances
from tests.test_route_contracts import _web_login

# Awkward on purpose: included prices, a 5.5 % line, a discount, VAT on payment for a
# service, a zero-rated export line and a fixed per-unit eco-contribution on top of VAT.
LINES: list[dict[str, Any]] = [
    {"quantity": "3", "unit_price": "19.99", "discount_percent": "0", "tax_codes": ["FR-20"]},
    {"quantity": "7", "unit_price": "0.95", "discount_percent": "10", "tax_codes": ["FR-5.5"]},
    {"quantity": "1", "unit_price": "1250", "discount_percent": "0", "tax_codes": ["FR-20-S"]},
    {"quantity": "2", "unit_price": "80", "discount_percent": "0", "tax_codes": ["EXPORT"]},
    {
        "quantity": "4",
        "unit_price": "12.50",
        "discount_percent": "0",
        "tax_codes": ["ECO", "FR-20"],
    },
]


def _add_eco_contribution(client: TestClient, owner: Account) -> None:
    response = client.post(
        "/api/v1/taxes",
        headers=owner.headers,
        json={"code": "ECO", "label": "Éco-participation", "kind": "fixed", "amount": "0.42"},
    )
    assert response.status_code == 201, response.text


def _preview_figures(html: str) -> dict[str, str]:
    """The figures the web preview shows, by data attribute, as plain decimals."""
    figures = {
        f"total.{name}": value for name, value in re.findall(r'data-total="(\w+)">([^<]+)<', html)
    }
    for code, cells in re.findall(r'<tr data-tax="([^"]+)">(.*?)</tr>', html, re.S):
        base, amount = re.findall(r'<td class="num">([^<]+)</td>', cells)
        figures[f"tax.{code}.base"], figures[f"tax.{code}.amount"] = base, amount
    for row, cells in re.findall(r'<tr data-line="(\d+)">(.*?)</tr>', html, re.S):
        net, tax, gross = re.findall(r'<td class="num">([^<]+)</td>', cells)
        figures[f"line.{row}"] = f"{net}/{tax}/{gross}"
    return {key: value.replace("\u202f", "") for key, value in figures.items()}


def _api_figures(body: dict[str, Any]) -> dict[str, str]:
    figures = {f"total.{name}": value for name, value in body["totals"].items()}
    for tax in body["taxes"]:
        figures[f"tax.{tax['code']}.base"] = tax["base"]
        figures[f"tax.{tax['code']}.amount"] = tax["amount"]
    for row, line in enumerate(body["lines"]):
        figures[f"line.{row}"] = f"{line['net']}/{line['tax']}/{line['gross']}"
    return figures


def test_api_preview_and_ledger_show_the_same_cents(
    client: TestClient, owner: Account, database: Database
) -> None:
    _add_eco_contribution(client, owner)
    for included in (False, True):
        api = client.post(
            "/api/v1/tax/calculate",
            headers=owner.headers,
            json={"currency": "EUR", "prices_include_tax": included, "lines": LINES},
        )
        assert api.status_code == 200, api.text
        from_api = _api_figures(api.json())

        _web_login(client, owner.email, PASSWORD)
        query: list[tuple[str, str]] = [("currency", "EUR")]
        if included:
            query.append(("prices_include_tax", "on"))
        for row, line in enumerate(LINES):
            query += [(f"lines.{row}.{k}", line[k]) for k in ("quantity", "unit_price")]
            query.append((f"lines.{row}.discount_percent", line["discount_percent"]))
            query += [(f"lines.{row}.tax_codes", code) for code in line["tax_codes"]]
        preview = client.get("/taxes/preview", params=query, headers={"HX-Request": "true"})
        assert preview.status_code == 200, preview.text
        assert _preview_figures(preview.text) == from_api

    # The document as sales will post it: calculated once, its lines and taxes to the
    # ledger. The books then hold exactly the API's figures.
    with database.unit_of_work() as session:
        set_organization(session, uuid.UUID(owner.organization_id))
        calculation = documents.calculate_document(
            session,
            currency="EUR",
            lines=[
                documents.DocumentLine(
                    line["quantity"],
                    line["unit_price"],
                    line["discount_percent"],
                    line["tax_codes"],
                )
                for line in LINES
            ],
        )
        posted = entries.record(
            session,
            EntryInput(
                journal="VT",
                date=date(2026, 3, 10),
                reference="F-2026-00001",
                lines=postings.entry_lines(
                    session,
                    calculation,
                    side="sale",
                    line_accounts=["707", "707", "706", "707", "707"],
                    line_tax_codes=[line["tax_codes"] for line in LINES],
                    counterpart_account="411",
                ),
            ),
        )
        entry_id = posted.id
    api = client.post(
        "/api/v1/tax/calculate",
        headers=owner.headers,
        json={"currency": "EUR", "lines": LINES},
    ).json()
    taxes = {tax["code"]: tax for tax in api["taxes"]}
    books = balances(client, owner)
    assert books["411"] == Decimal(api["totals"]["gross"])
    assert -(books["706"] + books["707"]) == Decimal(api["totals"]["net"])
    # VAT on the service waits on 44574 until paid; the rest is collected at once.
    assert -books["44574"] == Decimal(taxes["FR-20-S"]["amount"])
    assert -books["44571"] == sum(
        Decimal(taxes[code]["amount"]) for code in ("FR-20", "FR-5.5", "ECO")
    )
    lines = client.get(f"/api/v1/journal-entries/{entry_id}", headers=owner.headers).json()["lines"]
    tagged = {(line["account_code"], line["tax_code"]): line for line in lines}
    for code in ("FR-20", "FR-5.5", "ECO"):
        line = tagged["44571", code]
        assert line["credit"] == taxes[code]["amount"]
        # Signed like the amount: a credit line's base is negative.
        assert line["tax_base"] == f"-{taxes[code]['base']}"
    assert tagged["44574", "FR-20-S"]["tax_base"] == f"-{taxes['FR-20-S']['base']}"
    # The export carries no tax: its revenue line is what tells the VAT return its base.
    assert tagged["707", "EXPORT"]["credit"] == taxes["EXPORT"]["base"] == "160.00"
    assert ("44571", "EXPORT") not in tagged

    # Reversing the document negates the bases as it negates the amounts.
    reversed_ = client.post(
        f"/api/v1/journal-entries/{entry_id}/reverse",
        headers=owner.headers,
        json={"date": "2026-03-11"},
    )
    assert reversed_.status_code in (200, 201), reversed_.text
    reversal = {
        (line["account_code"], line["tax_code"]): line for line in reversed_.json()["lines"]
    }
    assert reversal["44571", "FR-20"]["tax_base"] == taxes["FR-20"]["base"]
    assert all(amount == 0 for amount in balances(client, owner).values())
