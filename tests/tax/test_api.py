"""The tax API: an organization's taxes from its country, custom taxes, the calculation
endpoint giving the same cents as the calculation itself, and its refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from comptoir.tax.service.calculation import LineInput, TaxRule, calculate
from tests.conftest import Account, register


def _taxes(client: TestClient, account: Account) -> dict[str, dict]:
    response = client.get("/api/v1/taxes", headers=account.headers)
    assert response.status_code == 200, response.text
    return {tax["code"]: tax for tax in response.json()}


def test_a_french_organization_gets_french_vat(client: TestClient, owner: Account) -> None:
    taxes = _taxes(client, owner)
    standard = taxes["FR-20"]
    assert (standard["rate"], standard["collected_account"], standard["deductible_account"]) == (
        "20",
        "44571",
        "44566",
    )
    assert (standard["base_box"], standard["return_box"], standard["exigibility"]) == (
        "A1",
        "08",
        "invoice",
    )
    assert taxes["FR-20-S"]["exigibility"] == "payment"
    assert taxes["FR-20-S"]["pending_account"] == "44574"
    assert {code: taxes[code]["rate"] for code in ("FR-10", "FR-5.5", "FR-2.1")} == {
        "FR-10": "10",
        "FR-5.5": "5.5",
        "FR-2.1": "2.1",
    }
    assert taxes["FR-DOM-8.5"]["active"] is False and taxes["FR-CORSE-13"]["active"] is False
    assert "Autoliquidation" in taxes["EU-RC-G"]["mention"]
    assert taxes["EU-RC-S"]["treatment"] == "reverse_charge"
    assert taxes["EXPORT"]["base_box"] == "E1"


def test_a_zambian_organization_gets_the_zra_codes(client: TestClient) -> None:
    zambian = register(
        client, organization_name="Lusaka Traders Ltd", country="ZM", base_currency="ZMW"
    )
    taxes = _taxes(client, zambian)
    assert {"A", "B", "C1", "C2", "C3", "D", "E", "RVAT", "TOT", "IPL1", "IPL2", "TL", "F"} <= set(
        taxes
    )
    assert taxes["A"]["rate"] == "16" and taxes["F"]["rate"] == "10"
    assert taxes["A"]["collected_account"] == "2200"


def test_a_german_organization_gets_its_rates_and_reverse_charge(client: TestClient) -> None:
    german = register(client, organization_name="Muster GmbH", country="DE", base_currency="EUR")
    taxes = _taxes(client, german)
    assert taxes["DE-19"]["rate"] == "19" and taxes["DE-7"]["rate"] == "7"
    assert "Article 196" in taxes["EU-RC-S"]["mention"]
    assert {"EXPORT", "EXEMPT"} <= set(taxes)


def test_calculate_through_the_api(client: TestClient, owner: Account) -> None:
    body = {
        "currency": "EUR",
        "prices_include_tax": True,
        "lines": [
            {"quantity": "1", "unit_price": "9.99", "tax_codes": ["FR-20"]},
            {"quantity": "2", "unit_price": "5", "discount_percent": "10", "tax_codes": ["FR-5.5"]},
        ],
    }
    response = client.post("/api/v1/tax/calculate", headers=owner.headers, json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    expected = calculate(
        [
            LineInput(Decimal(1), Decimal("9.99"), [TaxRule("FR-20", Decimal(20))]),
            LineInput(Decimal(2), Decimal(5), [TaxRule("FR-5.5", Decimal("5.5"))], Decimal(10)),
        ],
        currency="EUR",
        prices_include_tax=True,
    )
    assert result["totals"] == {"net": "16.85", "tax": "2.14", "gross": "18.99"}
    assert (expected.net, expected.tax, expected.gross) == (1685, 214, 1899)
    assert result["lines"][0] == {
        "net": "8.32",
        "tax": "1.67",
        "gross": "9.99",
        "taxes": [{"code": "FR-20", "base": "8.32", "amount": "1.67"}],
    }
    assert result["taxes"] == [
        {"code": "FR-20", "rate": "20", "kind": "percent", "base": "8.32", "amount": "1.67"},
        {"code": "FR-5.5", "rate": "5.5", "kind": "percent", "base": "8.53", "amount": "0.47"},
    ]
    assert result["rounding"] == "line"


def test_the_organization_rounds_per_document_when_it_says_so(
    client: TestClient, owner: Account
) -> None:
    body = {
        "currency": "EUR",
        "lines": [{"quantity": "1", "unit_price": "0.10", "tax_codes": ["FR-5.5"]}] * 100,
    }
    per_line = client.post("/api/v1/tax/calculate", headers=owner.headers, json=body).json()
    assert per_line["totals"]["tax"] == "1.00"
    response = client.put(
        "/api/v1/tax/settings", headers=owner.headers, json={"rounding": "document"}
    )
    assert response.json() == {"rounding": "document"}
    per_document = client.post("/api/v1/tax/calculate", headers=owner.headers, json=body).json()
    assert per_document["totals"]["tax"] == "0.55"
    assert per_document["rounding"] == "document"


def test_custom_fixed_tax_and_disabling(client: TestClient, owner: Account) -> None:
    response = client.post(
        "/api/v1/taxes",
        headers=owner.headers,
        json={
            "code": "ECO",
            "label": "Éco-participation",
            "kind": "fixed",
            "amount": "0.50",
            "sequence": 1,
        },
    )
    assert response.status_code == 201, response.text
    eco = response.json()
    assert (eco["kind"], eco["amount"], eco["origin"], eco["collected_account"]) == (
        "fixed",
        "0.5",
        "custom",
        "44571",
    )
    result = client.post(
        "/api/v1/tax/calculate",
        headers=owner.headers,
        json={
            "currency": "EUR",
            "lines": [{"quantity": "3", "unit_price": "10", "tax_codes": ["FR-20", "ECO"]}],
        },
    ).json()
    assert result["totals"] == {"net": "30.00", "tax": "7.50", "gross": "37.50"}
    duplicate = client.post(
        "/api/v1/taxes",
        headers=owner.headers,
        json={"code": "ECO", "label": "Again", "kind": "fixed", "amount": "1"},
    )
    assert duplicate.status_code == 422 and duplicate.json()["errors"][0]["code"] == "duplicate"
    off = client.patch(f"/api/v1/taxes/{eco['id']}", headers=owner.headers, json={"active": False})
    assert off.json()["active"] is False
    refused = client.post(
        "/api/v1/tax/calculate",
        headers=owner.headers,
        json={
            "currency": "EUR",
            "lines": [{"quantity": "1", "unit_price": "1", "tax_codes": ["ECO"]}],
        },
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "lines[0].tax_codes"


@pytest.mark.parametrize(
    ("line", "field", "code"),
    [
        ({"quantity": "abc", "unit_price": "1"}, "lines[0].quantity", "invalid"),
        ({"quantity": "1e40", "unit_price": "1"}, "lines[0].quantity", "out_of_range"),
        ({"quantity": "1", "unit_price": "1.0000001"}, "lines[0].unit_price", "too_precise"),
        ({"quantity": "1", "unit_price": "NaN"}, "lines[0].unit_price", "out_of_range"),
        (
            {"quantity": "1", "unit_price": "1", "discount_percent": "101"},
            "lines[0].discount_percent",
            "out_of_range",
        ),
        (
            {"quantity": "1", "unit_price": "1", "tax_codes": ["NOPE"]},
            "lines[0].tax_codes",
            "unknown_tax",
        ),
    ],
)
def test_calculation_refusals(
    client: TestClient, owner: Account, line: dict, field: str, code: str
) -> None:
    response = client.post(
        "/api/v1/tax/calculate", headers=owner.headers, json={"currency": "EUR", "lines": [line]}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == (field, code)


def test_unknown_currency_and_wrong_types(client: TestClient, owner: Account) -> None:
    for body in (
        {"currency": "ZZZ", "lines": []},
        {"currency": "EUR", "lines": [{"quantity": 1.5, "unit_price": "1"}]},
        {"currency": "EUR", "lines": "nope"},
        {"currency": "EUR", "prices_include_tax": "yes", "lines": []},
    ):
        response = client.post("/api/v1/tax/calculate", headers=owner.headers, json=body)
        assert response.status_code == 422, (body, response.text)


def test_another_organizations_tax_codes_do_not_apply(client: TestClient, owner: Account) -> None:
    other = register(client, organization_name="Other Ltd", country="GB", base_currency="GBP")
    response = client.post(
        "/api/v1/tax/calculate",
        headers=other.headers,
        json={
            "currency": "GBP",
            "lines": [{"quantity": "1", "unit_price": "1", "tax_codes": ["FR-20"]}],
        },
    )
    assert response.status_code == 422
    assert _taxes(client, other)["GB-20"]["rate"] == "20"


def _calculate(client: TestClient, account: Account, currency: str, lines: list) -> dict:
    response = client.post(
        "/api/v1/tax/calculate",
        headers=account.headers,
        json={
            "currency": currency,
            "lines": [
                {"quantity": quantity, "unit_price": price, "tax_codes": codes}
                for quantity, price, codes in lines
            ],
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_zero_rated_reverse_charge_export_and_exempt_lines(
    client: TestClient, owner: Account
) -> None:
    """A French invoice mixing an intra-EU delivery, an export, an exempt line and a taxed
    one: the 0 % lines keep their base in the breakdown (the VAT return needs it) and add
    no tax."""
    result = _calculate(
        client,
        owner,
        "EUR",
        [
            ("2", "500", ["EU-RC-G"]),
            ("1", "250", ["EXPORT"]),
            ("4", "20", ["EXEMPT"]),
            ("1", "100", ["FR-20"]),
        ],
    )
    breakdown = {tax["code"]: (tax["base"], tax["amount"]) for tax in result["taxes"]}
    assert breakdown == {
        "EU-RC-G": ("1000.00", "0.00"),
        "EXPORT": ("250.00", "0.00"),
        "EXEMPT": ("80.00", "0.00"),
        "FR-20": ("100.00", "20.00"),
    }
    assert result["totals"] == {"net": "1430.00", "tax": "20.00", "gross": "1450.00"}
    assert [line["tax"] for line in result["lines"]] == ["0.00", "0.00", "0.00", "20.00"]


@pytest.mark.parametrize(
    ("lines", "taxes", "totals"),
    [
        # Standard rate A, 16 %.
        ([("3", "333.33", ["A"])], {"A": ("999.99", "160.00")}, ("999.99", "160.00", "1159.99")),
        # Exports, zero-rated and exempt supplies carry no VAT but keep their base.
        (
            [("1", "500", ["C1"]), ("1", "200", ["C3"]), ("1", "300", ["D"])],
            {"C1": ("500.00", "0.00"), "C3": ("200.00", "0.00"), "D": ("300.00", "0.00")},
            ("1000.00", "0.00", "1000.00"),
        ),
        # A hotel bill: VAT, the 1.5 % tourism levy and the 10 % service charge side by side.
        (
            [("2", "450", ["A", "TL", "F"])],
            {"A": ("900.00", "144.00"), "TL": ("900.00", "13.50"), "F": ("900.00", "90.00")},
            ("900.00", "247.50", "1147.50"),
        ),
        # A supplier on turnover tax charges its customer nothing.
        ([("1", "1000", ["TOT"])], {"TOT": ("1000.00", "0.00")}, ("1000.00", "0.00", "1000.00")),
        # Insurance premium levy at 5 %.
        (
            [("1", "12000", ["IPL1"])],
            {"IPL1": ("12000.00", "600.00")},
            ("12000.00", "600.00", "12600.00"),
        ),
    ],
)
def test_zambian_codes(client: TestClient, lines: list, taxes: dict, totals: tuple) -> None:
    zambian = register(
        client, organization_name="Lusaka Lodge Ltd", country="ZM", base_currency="ZMW"
    )
    result = _calculate(client, zambian, "ZMW", lines)
    assert {t["code"]: (t["base"], t["amount"]) for t in result["taxes"]} == taxes
    assert (result["totals"]["net"], result["totals"]["tax"], result["totals"]["gross"]) == totals
