"""Reverse charge self-assessed by the buyer, and VAT on fixed assets: the calculation
leaves self-assessed VAT out of what the supplier is paid, a purchase posts it both due
(4452) and deductible (44566), a sale refuses it, and the deductible VAT of a capitalised
purchase lands on 44562 with its own base."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from comptoir.tax.service.calculation import LineInput, TaxRule, calculate
from tests.conftest import Account, register
from tests.ledger.helpers import balances
from tests.purchases.expense_helpers import entry_lines, set_rules, submitted
from tests.purchases.helpers import bill, supplier
from tests.purchases.test_supplier_credit_notes import credit_note
from tests.purchases.test_supplier_payments import pay
from tests.sales.helpers import customer
from tests.test_route_contracts import _web_login

SELF20 = TaxRule("FR-AI-S-20", Decimal(20), self_assessed=True)
VAT20 = TaxRule("FR-20", Decimal(20))
DE_VAT = "DE136695976"


def line(quantity: str, price: str, *taxes: TaxRule) -> LineInput:
    return LineInput(Decimal(quantity), Decimal(price), taxes)


# -- the calculation -------------------------------------------------------------------------


def test_a_self_assessed_tax_is_reported_but_not_paid_to_the_supplier() -> None:
    result = calculate([line("1", "1000", SELF20)], currency="EUR")
    assert (result.net, result.tax, result.gross, result.self_assessed) == (
        100000,
        0,
        100000,
        20000,
    )
    assert [(t.code, t.base, t.amount, t.self_assessed) for t in result.taxes] == [
        ("FR-AI-S-20", 100000, 20000, True)
    ]
    only = result.lines[0]
    assert (only.net, only.tax, only.gross, only.self_assessed) == (100000, 0, 100000, 20000)
    assert [(t.code, t.base, t.amount, t.self_assessed) for t in only.taxes] == [
        ("FR-AI-S-20", 100000, 20000, True)
    ]


@pytest.mark.parametrize("rounding", ["line", "document"])
def test_next_to_a_charged_tax_on_another_line(rounding: str) -> None:
    result = calculate(
        [line("1", "1000", SELF20), line("3", "33.33", VAT20)],
        currency="EUR",
        rounding=rounding,  # type: ignore[arg-type]
    )
    assert (result.net, result.tax, result.gross, result.self_assessed) == (
        109999,
        2000,
        111999,
        20000,
    )
    assert [(t.code, t.base, t.amount, t.self_assessed) for t in result.taxes] == [
        ("FR-AI-S-20", 100000, 20000, True),
        ("FR-20", 9999, 2000, False),
    ]


def test_prices_including_tax_never_include_a_self_assessed_tax() -> None:
    """The price on a reverse-charged supplier's invoice is net: nothing is taken out of
    it, while a charged tax on the next line is."""
    result = calculate(
        [line("1", "1000", SELF20), line("1", "120", VAT20)],
        currency="EUR",
        prices_include_tax=True,
    )
    assert [(item.net, item.tax, item.gross, item.self_assessed) for item in result.lines] == [
        (100000, 0, 100000, 20000),
        (10000, 2000, 12000, 0),
    ]
    assert (result.net, result.tax, result.gross, result.self_assessed) == (
        110000,
        2000,
        112000,
        20000,
    )


def test_a_compound_tax_is_not_charged_on_a_self_assessed_one() -> None:
    levy = TaxRule("LEVY", Decimal(10), compound=True)
    result = calculate([line("1", "100", SELF20, levy)], currency="EUR")
    assert [(t.code, t.base, t.amount) for t in result.lines[0].taxes] == [
        ("FR-AI-S-20", 10000, 2000),
        ("LEVY", 10000, 1000),
    ]
    assert (result.tax, result.gross, result.self_assessed) == (1000, 11000, 2000)


def test_a_fixed_self_assessed_tax_is_per_unit_and_outside_the_gross() -> None:
    duty = TaxRule("DUTY", kind="fixed", amount=Decimal("0.50"), self_assessed=True)
    result = calculate([line("4", "10", duty, VAT20)], currency="EUR")
    assert (result.net, result.tax, result.gross, result.self_assessed) == (4000, 800, 4800, 200)


@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=Decimal("-50"), max_value=Decimal("500"), places=2),
            st.decimals(min_value=Decimal("-9999"), max_value=Decimal("9999"), places=3),
            st.booleans(),
            st.booleans(),
        ),
        max_size=15,
    ),
    st.booleans(),
    st.sampled_from(["line", "document"]),
)
def test_any_document_with_self_assessed_taxes_adds_up(
    rows: list[tuple[Decimal, Decimal, bool, bool]], included: bool, rounding: str
) -> None:
    lines = [
        LineInput(
            quantity,
            price,
            tuple(rule for rule, on in ((SELF20, assessed), (VAT20, charged)) if on),
        )
        for quantity, price, assessed, charged in rows
    ]
    result = calculate(lines, currency="EUR", prices_include_tax=included, rounding=rounding)  # type: ignore[arg-type]
    assert result.gross == result.net + result.tax
    assert result.tax == sum(t.amount for t in result.taxes if not t.self_assessed)
    assert result.self_assessed == sum(t.amount for t in result.taxes if t.self_assessed)
    for item in result.lines:
        assert item.gross == item.net + item.tax
        assert item.self_assessed == sum(t.amount for t in item.taxes if t.self_assessed)
        for tax in item.taxes:
            # Self-assessed or charged, a 20 % tax is on the line's net.
            assert tax.base == item.net


# -- the API calculator ------------------------------------------------------------------------


def test_the_calculator_reports_self_assessed_vat_apart(client: TestClient, owner: Account) -> None:
    response = client.post(
        "/api/v1/tax/calculate",
        headers=owner.headers,
        json={
            "currency": "EUR",
            "lines": [
                {"quantity": "1", "unit_price": "1000", "tax_codes": ["FR-AI-S-20"]},
                {"quantity": "1", "unit_price": "100", "tax_codes": ["FR-20"]},
            ],
        },
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["totals"] == {"net": "1100.00", "tax": "20.00", "gross": "1120.00"}
    assert result["self_assessed"] == "200.00"
    assert result["taxes"] == [
        {
            "code": "FR-AI-S-20",
            "rate": "20",
            "kind": "percent",
            "base": "1000.00",
            "amount": "200.00",
            "self_assessed": True,
        },
        {"code": "FR-20", "rate": "20", "kind": "percent", "base": "100.00", "amount": "20.00"},
    ]
    first, second = result["lines"]
    assert (first["net"], first["tax"], first["gross"], first["self_assessed"]) == (
        "1000.00",
        "0.00",
        "1000.00",
        "200.00",
    )
    assert first["taxes"] == [
        {"code": "FR-AI-S-20", "base": "1000.00", "amount": "200.00", "self_assessed": True}
    ]
    # A line without one keeps the shape it always had.
    assert second == {
        "net": "100.00",
        "tax": "20.00",
        "gross": "120.00",
        "taxes": [{"code": "FR-20", "base": "100.00", "amount": "20.00"}],
    }


def test_a_french_organization_has_both_self_assessed_taxes(
    client: TestClient, owner: Account
) -> None:
    response = client.get("/api/v1/taxes", headers=owner.headers)
    assert response.status_code == 200, response.text
    found = {tax["code"]: tax for tax in response.json()}
    services, goods = found["FR-AI-S-20"], found["FR-AI-G-20"]
    for tax in (services, goods):
        assert (tax["rate"], tax["treatment"], tax["active"]) == ("20", "reverse_charge", True)
        assert (tax["collected_account"], tax["deductible_account"]) == ("4452", "44566")
        assert (tax["return_box"], tax["deductible_box"]) == ("08", "20")
    assert (services["supply"], services["base_box"], services["mention"]) == (
        "services",
        "A3",
        "Autoliquidation",
    )
    assert (goods["supply"], goods["base_box"]) == ("goods", "B2")


def test_another_member_state_self_assesses_at_its_standard_rate(client: TestClient) -> None:
    german = register(client, organization_name="Muster GmbH", country="DE", base_currency="EUR")
    response = client.get("/api/v1/taxes", headers=german.headers)
    assert response.status_code == 200, response.text
    found = {tax["code"]: tax for tax in response.json()}
    services, goods = found["DE-RC-S-19"], found["DE-RC-G-19"]
    # The generic chart has no self-assessed VAT account: the VAT is owed on output VAT.
    assert (services["collected_account"], services["deductible_account"]) == ("2200", "1500")
    assert (services["supply"], goods["supply"]) == ("services", "goods")
    assert services["treatment"] == goods["treatment"] == "reverse_charge"
    # Selling services to a French business still takes the 0 % reverse charge.
    resolved = client.post(
        "/api/v1/tax/resolve",
        headers=german.headers,
        json={"buyer_country": "FR", "buyer_vat_number": "FR40303265045", "supply": "services"},
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["code"] == "EU-RC-S"


# -- purchases -------------------------------------------------------------------------------


def _lines(found: dict[str, Any]) -> list[tuple[str, str, str, str | None, str | None]]:
    return sorted(
        (line["account_code"], line["debit"], line["credit"], line["tax_code"], line["tax_base"])
        for line in found["lines"]
    )


def _entry(client: TestClient, owner: Account, entry_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/journal-entries/{entry_id}", headers=owner.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _german(client: TestClient, owner: Account) -> dict[str, Any]:
    return supplier(client, owner, name="Software GmbH", country="DE", vat_number=DE_VAT)


SERVICES = [
    {
        "description": "Annual software subscription",
        "quantity": "1",
        "unit_price": "1000.00",
        "tax_codes": ["FR-AI-S-20"],
        "account": "604",
    }
]


def test_a_bill_from_a_german_supplier_owes_and_deducts_the_vat(
    client: TestClient, owner: Account
) -> None:
    posted = bill(client, owner, _german(client, owner)["id"], SERVICES)
    assert (posted["net"], posted["tax"], posted["gross"], posted["amount_due"]) == (
        "1000.00",
        "0.00",
        "1000.00",
        "1000.00",
    )
    assert posted["taxes"] == []
    assert posted["self_assessed_taxes"] == [
        {"code": "FR-AI-S-20", "rate": "20", "base": "1000.00", "amount": "200.00"}
    ]
    assert _lines(_entry(client, owner, posted["entry_id"])) == [
        ("401", "0.00", "1000.00", None, None),
        # Bases are signed like their line: the VAT owed is a credit.
        ("4452", "0.00", "200.00", "FR-AI-S-20", "-1000.00"),
        ("44566", "200.00", "0.00", "FR-AI-S-20", "1000.00"),
        ("604", "1000.00", "0.00", "FR-AI-S-20", None),
    ]
    paid = pay(client, owner, posted["supplier"]["id"], "1000.00", [(posted["id"], "1000.00")])
    assert paid["amount"] == "1000.00"
    after = client.get(f"/api/v1/bills/{posted['id']}", headers=owner.headers).json()
    assert (after["status"], after["amount_due"]) == ("paid", "0.00")
    books = balances(client, owner)
    assert (books["4452"], books["44566"], books["401"]) == (
        Decimal("-200.00"),
        Decimal("200.00"),
        Decimal("0.00"),
    )


def test_a_supplier_credit_note_mirrors_the_self_assessment(
    client: TestClient, owner: Account
) -> None:
    posted = bill(client, owner, _german(client, owner)["id"], SERVICES)
    credited = credit_note(client, owner, bill=posted["id"])
    assert (credited["gross"], credited["tax"]) == ("1000.00", "0.00")
    assert credited["self_assessed_taxes"][0]["amount"] == "200.00"
    assert _lines(_entry(client, owner, credited["entry_id"])) == [
        ("401", "1000.00", "0.00", None, None),
        ("4452", "200.00", "0.00", "FR-AI-S-20", "1000.00"),
        ("44566", "0.00", "200.00", "FR-AI-S-20", "-1000.00"),
        ("604", "0.00", "1000.00", "FR-AI-S-20", None),
    ]
    books = balances(client, owner)
    assert all(books.get(code, Decimal(0)) == 0 for code in ("4452", "44566", "401", "604"))


def test_vat_on_a_fixed_asset_goes_to_44562_with_its_own_base(
    client: TestClient, owner: Account
) -> None:
    martin = supplier(client, owner)
    posted = bill(
        client,
        owner,
        martin["id"],
        [
            {
                "description": "Laptop",
                "quantity": "1",
                "unit_price": "1500.00",
                "tax_codes": ["FR-20"],
                "account": "2183",
            },
            {
                "description": "Paper",
                "quantity": "2",
                "unit_price": "50.00",
                "tax_codes": ["FR-20"],
                "account": "606",
            },
        ],
    )
    assert (posted["net"], posted["tax"], posted["gross"]) == ("1600.00", "320.00", "1920.00")
    assert _lines(_entry(client, owner, posted["entry_id"])) == [
        ("2183", "1500.00", "0.00", "FR-20", None),
        ("401", "0.00", "1920.00", None, None),
        ("44562", "300.00", "0.00", "FR-20", "1500.00"),
        ("44566", "20.00", "0.00", "FR-20", "100.00"),
        ("606", "100.00", "0.00", "FR-20", None),
    ]


def test_an_asset_bought_in_another_member_state_is_self_assessed_on_44562(
    client: TestClient, owner: Account
) -> None:
    posted = bill(
        client,
        owner,
        _german(client, owner)["id"],
        [
            {
                "description": "Server",
                "quantity": "1",
                "unit_price": "2000.00",
                "tax_codes": ["FR-AI-G-20"],
                "account": "2183",
            }
        ],
    )
    assert _lines(_entry(client, owner, posted["entry_id"])) == [
        ("2183", "2000.00", "0.00", "FR-AI-G-20", None),
        ("401", "0.00", "2000.00", None, None),
        ("4452", "0.00", "400.00", "FR-AI-G-20", "-2000.00"),
        ("44562", "400.00", "0.00", "FR-AI-G-20", "2000.00"),
    ]


def test_without_an_account_for_vat_on_assets_the_tax_s_own_account_is_used(
    client: TestClient, owner: Account
) -> None:
    """Organizations created before 44562 got its subtype keep their VAT on 44566."""
    chart = client.get("/api/v1/accounts", headers=owner.headers, params={"search": "44562"})
    assert chart.status_code == 200, chart.text
    account = next(a for a in chart.json()["items"] if a["code"] == "44562")
    assert account["subtype"] == "tax_deductible_assets"
    changed = client.patch(
        f"/api/v1/accounts/{account['id']}",
        headers=owner.headers,
        json={"subtype": "tax_deductible"},
    )
    assert changed.status_code == 200, changed.text
    posted = bill(
        client,
        owner,
        supplier(client, owner)["id"],
        [
            {
                "description": "Laptop",
                "quantity": "1",
                "unit_price": "1500.00",
                "tax_codes": ["FR-20"],
                "account": "2183",
            }
        ],
    )
    assert ("44566", "300.00", "0.00", "FR-20", "1500.00") in _lines(
        _entry(client, owner, posted["entry_id"])
    )


def test_an_expense_under_reverse_charge_is_paid_net_and_self_assessed(
    client: TestClient, owner: Account
) -> None:
    set_rules(client, owner, [{"up_to": None, "steps": []}])
    done = submitted(
        client,
        owner,
        category="office_supplies",
        supplier_name="Ads Ireland Ltd",
        description="Online advertising",
        amount="50.00",
        tax_code="FR-AI-S-20",
    )
    assert (done["status"], done["net"], done["tax"], done["amount"]) == (
        "paid",
        "50.00",
        "0.00",
        "50.00",
    )
    assert sorted(entry_lines(client, owner, done["entry_id"])) == [
        ("4452", "0.00", "10.00"),
        ("44566", "10.00", "0.00"),
        ("512", "0.00", "50.00"),
        ("606", "50.00", "0.00"),
    ]


# -- sales -----------------------------------------------------------------------------------


def test_a_sale_refuses_a_self_assessed_tax(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner, country="DE", vat_number=DE_VAT)
    response = client.post(
        "/api/v1/invoices",
        headers=owner.headers,
        json={
            "customer": acme["id"],
            "issue_date": "2026-02-01",
            "lines": [
                {
                    "description": "Consulting",
                    "quantity": "1",
                    "unit_price": "1000",
                    "tax_codes": ["FR-AI-S-20"],
                }
            ],
        },
    )
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == ("lines[0].tax_codes", "self_assessed_on_sale")
    assert error["message"] == "FR-AI-S-20 is self-assessed by the buyer: use it on purchases."
    # The intra-EU sale of services takes the 0 % reverse charge, not the purchase's tax.
    resolved = client.post(
        "/api/v1/tax/resolve",
        headers=owner.headers,
        json={"buyer_country": "DE", "buyer_vat_number": DE_VAT, "supply": "services"},
    )
    assert resolved.json()["code"] == "EU-RC-S"


# -- pages -----------------------------------------------------------------------------------


def test_the_bill_page_shows_the_self_assessed_vat_outside_the_total(
    client: TestClient, owner: Account
) -> None:
    posted = bill(client, owner, _german(client, owner)["id"], SERVICES)
    _web_login(client, owner.email, owner.password)
    page = client.get(f"/purchases/bills/{posted['id']}")
    assert page.status_code == 200, page.text
    html = page.text.replace("\u202f", "").replace("\xa0", " ")
    assert 'data-total="gross">1,000.00<' in html or 'data-total="gross">1000.00<' in html
    assert 'data-self-assessed="true"' in html
    assert "VAT you self-assess" in html
    assert "Autoliquidation. Not in the total" in html


def test_the_preview_shows_self_assessed_vat_outside_the_total(
    client: TestClient, owner: Account
) -> None:
    _web_login(client, owner.email, owner.password)
    query = [
        ("currency", "EUR"),
        ("lines.0.quantity", "1"),
        ("lines.0.unit_price", "1000"),
        ("lines.0.tax_codes", "FR-AI-S-20"),
    ]
    preview = client.get("/taxes/preview", params=query, headers={"HX-Request": "true"})
    assert preview.status_code == 200, preview.text
    html = preview.text.replace("\u202f", "")
    assert 'data-total="gross">1,000.00<' in html or 'data-total="gross">1000.00<' in html
    assert 'data-total="tax">0.00<' in html
    assert 'data-total="self_assessed">200.00<' in html
    assert "20 % · self-assessed" in html
