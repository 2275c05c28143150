"""Which tax a sale takes: the rule table on its own, then the resolver over real
organizations' taxes through the API (code, treatment and legal mention)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.tax.service.rules import (
    PRODUCT_CATEGORIES,
    Sale,
    place_of,
    rule_for,
    sales_rules,
)
from tests.conftest import Account, register

# A French VAT number with valid check digits (that of a large French company) and a
# German one; both pass python-stdnum's checks.
FR_VAT = "FR40303265045"
DE_VAT = "DE136695976"


@pytest.mark.parametrize(
    ("seller", "buyer", "status", "category", "supply", "drc", "expected"),
    [
        ("FR", "FR", "consumer", "standard", "goods", False, ("domestic", "domestic")),
        ("FR", "FR", "business_vat", "reduced", "services", False, ("domestic", "domestic")),
        (
            "FR",
            "FR",
            "business_vat",
            "standard",
            "services",
            True,
            ("domestic_reverse_charge", "domestic_reverse_charge"),
        ),
        # A consumer cannot self-assess: the reverse charge needs a business buyer.
        ("FR", "FR", "consumer", "standard", "services", True, ("domestic", "domestic")),
        ("FR", "FR", "consumer", "exempt", "services", False, ("exempt", "exempt")),
        (
            "FR",
            "DE",
            "business_vat",
            "standard",
            "goods",
            False,
            ("intra_eu_b2b_goods", "reverse_charge"),
        ),
        (
            "FR",
            "DE",
            "business_vat",
            "reduced",
            "services",
            False,
            ("intra_eu_b2b_services", "reverse_charge"),
        ),
        # Without a valid VAT number an EU business is charged VAT like a consumer.
        ("FR", "DE", "business", "standard", "goods", False, ("intra_eu_b2c", "domestic")),
        ("FR", "IT", "consumer", "standard", "services", False, ("intra_eu_b2c", "domestic")),
        ("FR", "US", "consumer", "standard", "goods", False, ("export_goods", "export")),
        ("FR", "CH", "business", "standard", "services", False, ("export_services_b2b", "export")),
        (
            "FR",
            "CH",
            "consumer",
            "standard",
            "services",
            False,
            ("export_services_b2c", "domestic"),
        ),
        # Overseas departments are outside the EU's VAT territory: a sale there is an export.
        ("FR", "GP", "consumer", "standard", "goods", False, ("export_goods", "export")),
        (
            "DE",
            "AT",
            "business_vat",
            "standard",
            "goods",
            False,
            ("intra_eu_b2b_goods", "reverse_charge"),
        ),
        # Non-EU sellers never use the intra-EU rules.
        ("GB", "FR", "business_vat", "standard", "goods", False, ("export_goods", "export")),
        ("ZM", "ZM", "business", "zero", "goods", False, ("domestic", "domestic")),
        ("ZM", "ZA", "business", "standard", "goods", False, ("export_goods", "export")),
        (
            "ZM",
            "ZA",
            "consumer",
            "standard",
            "services",
            False,
            ("export_services_b2c", "domestic"),
        ),
        ("US", "US", "consumer", "standard", "goods", False, ("domestic", "domestic")),
    ],
)
def test_rule_table(
    seller: str,
    buyer: str,
    status: Any,
    category: str,
    supply: Any,
    drc: bool,
    expected: tuple[str, str],
) -> None:
    rule, _ = rule_for(Sale(seller, buyer, status, category, supply, drc))
    assert (rule.name, rule.treatment) == expected


def test_places() -> None:
    assert place_of("FR", "FR") == "domestic"
    assert place_of("FR", "BE") == "intra_eu"
    assert place_of("FR", "CH") == "abroad"
    assert place_of("GB", "FR") == "abroad"
    assert place_of("FR", "MQ") == "abroad"


def _resolve(client: TestClient, account: Account, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/tax/resolve", json=body, headers=account.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.parametrize(
    ("body", "code", "treatment", "mention"),
    [
        ({"buyer_country": "FR"}, "FR-20", "domestic", None),
        ({"buyer_country": "FR", "category": "reduced_2"}, "FR-5.5", "domestic", None),
        ({"buyer_country": "FR", "category": "super_reduced"}, "FR-2.1", "domestic", None),
        # French services: VAT on payment by default (TVA sur les encaissements).
        (
            {"buyer_country": "FR", "supply": "services"},
            "FR-20-S",
            "domestic",
            "TVA acquittée sur les encaissements",
        ),
        (
            {"buyer_country": "FR", "buyer_vat_number": FR_VAT, "domestic_reverse_charge": True},
            "FR-RC",
            "domestic_reverse_charge",
            "Autoliquidation \u2013 article 283-2 nonies du CGI",
        ),
        (
            {"buyer_country": "DE", "buyer_vat_number": DE_VAT},
            "EU-RC-G",
            "reverse_charge",
            "Autoliquidation \u2013 Exonération de TVA, article 262 ter I du CGI",
        ),
        (
            {"buyer_country": "DE", "buyer_vat_number": "de 136 695 976", "supply": "services"},
            "EU-RC-S",
            "reverse_charge",
            "Autoliquidation \u2013 Reverse charge — Article 196 Directive 2006/112/EC",
        ),
        ({"buyer_country": "DE", "buyer_is_business": True}, "FR-20", "domestic", None),
        (
            {"buyer_country": "US"},
            "EXPORT",
            "export",
            "Exonération de TVA \u2013 article 262 I du CGI",
        ),
        (
            {"buyer_country": "CH", "buyer_is_business": True, "supply": "services"},
            "EXPORT",
            "export",
            "TVA non applicable \u2013 article 259-1 du CGI (prestation à un preneur établi hors de l'UE)",
        ),
        (
            {"buyer_country": "fr", "category": "exempt", "supply": "services"},
            "EXEMPT",
            "exempt",
            "TVA non applicable, article 293 B du CGI",
        ),
    ],
)
def test_a_french_seller(
    client: TestClient,
    owner: Account,
    body: dict[str, Any],
    code: str,
    treatment: str,
    mention: str | None,
) -> None:
    result = _resolve(client, owner, **body)
    assert (result["code"], result["treatment"], result["mention"]) == (code, treatment, mention)


def test_a_german_seller_reverse_charges_services_to_a_french_business(
    client: TestClient,
) -> None:
    german = register(client, organization_name="Muster GmbH", country="DE", base_currency="EUR")
    services = _resolve(
        client, german, buyer_country="FR", buyer_vat_number=FR_VAT, supply="services"
    )
    assert (services["code"], services["rate"], services["rule"]) == (
        "EU-RC-S",
        "0",
        "intra_eu_b2b_services",
    )
    assert services["mention"] == "Reverse charge — Article 196 Directive 2006/112/EC"
    assert services["buyer_status"] == "business_vat" and services["place"] == "intra_eu"
    consumer = _resolve(client, german, buyer_country="FR", category="reduced")
    assert (consumer["code"], consumer["rate"]) == ("DE-7", "7")
    zero = _resolve(client, german, buyer_country="DE", category="zero")
    assert (zero["code"], zero["treatment"]) == ("DE-0", "domestic")


def test_a_zambian_seller_uses_zra_codes(client: TestClient) -> None:
    zambian = register(
        client, organization_name="Lusaka Traders Ltd", country="ZM", base_currency="ZMW"
    )
    assert _resolve(client, zambian, buyer_country="ZM")["code"] == "A"
    assert _resolve(client, zambian, buyer_country="ZM", category="zero")["code"] == "C3"
    assert _resolve(client, zambian, buyer_country="ZM", category="exempt")["code"] == "D"
    export = _resolve(client, zambian, buyer_country="ZA")
    assert (export["code"], export["mention"]) == ("C1", "Zero-rated export")


def test_a_uk_seller_has_a_zero_rate(client: TestClient) -> None:
    british = register(client, organization_name="Tea Ltd", country="GB", base_currency="GBP")
    assert _resolve(client, british, buyer_country="GB", category="zero")["code"] == "GB-0"
    assert _resolve(client, british, buyer_country="GB", category="reduced")["code"] == "GB-5"
    assert _resolve(client, british, buyer_country="FR")["code"] == "EXPORT"


def test_a_us_seller_charges_the_buyers_state_when_it_collects_there(
    client: TestClient,
) -> None:
    american = register(client, organization_name="Widgets Inc", country="US", base_currency="USD")
    taxes = {
        tax["code"]: tax for tax in client.get("/api/v1/taxes", headers=american.headers).json()
    }
    for code in ("US-CA", "US-NY"):
        response = client.patch(
            f"/api/v1/taxes/{taxes[code]['id']}", json={"active": True}, headers=american.headers
        )
        assert response.status_code == 200, response.text
    assert _resolve(client, american, buyer_country="US", buyer_region="ny")["code"] == "US-NY"
    assert _resolve(client, american, buyer_country="US", buyer_region="CA")["code"] == "US-CA"


def test_refusals(client: TestClient, owner: Account) -> None:
    def problem(body: dict[str, Any]) -> dict[str, Any]:
        response = client.post("/api/v1/tax/resolve", json=body, headers=owner.headers)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        result: dict[str, Any] = response.json()
        return result

    wrong_digit = problem({"buyer_country": "DE", "buyer_vat_number": "DE136695977"})
    assert wrong_digit["errors"][0]["field"] == "buyer_vat_number"
    assert wrong_digit["errors"][0]["code"] == "invalid_checksum"
    assert problem({"buyer_country": "XX"})["errors"][0]["field"] == "buyer_country"
    assert problem({"buyer_country": "FR", "category": "luxury"})["errors"][0]["field"] == (
        "category"
    )
    assert problem({"buyer_country": "FR", "supply": "both"})["status"] == 422
    assert problem({"buyer_country": "FR", "domestic_reverse_charge": "yes"})["status"] == 422
    # France has no parking rate on the mainland: the rule is found, the tax is not.
    missing = problem({"buyer_country": "FR", "category": "parking"})
    assert missing["errors"][0]["code"] == "no_tax"
    assert "Settings → Taxes" in missing["errors"][0]["message"]


def test_the_rule_file_decides_every_sale() -> None:
    """Every combination finds a rule, and every row uses only values the resolver knows:
    an edit of sales.csv that leaves a hole or a typo fails here, not on an invoice."""
    rows = sales_rules()
    assert {row.place for row in rows} <= {"*", "domestic", "intra_eu", "abroad"}
    assert {row.buyer for row in rows} <= {"*", "business", "business_vat", "consumer"}
    assert {row.supply for row in rows} <= {"*", "goods", "services"}
    assert {row.category for row in rows} <= {"*", *PRODUCT_CATEGORIES}
    assert {row.domestic_reverse_charge for row in rows} <= {"*", "yes", "no"}
    assert {row.tax_category for row in rows} <= {"", "product"}
    treatments = {row.treatment for row in rows}
    assert treatments <= {
        "domestic",
        "reverse_charge",
        "domestic_reverse_charge",
        "export",
        "exempt",
    }
    for seller, buyer, status, category, supply, drc in itertools.product(
        ("FR", "DE", "GB", "ZM", "US"),
        ("FR", "DE", "GB", "ZM", "US", "MQ"),
        ("business_vat", "business", "consumer"),
        PRODUCT_CATEGORIES,
        ("goods", "services"),
        (False, True),
    ):
        rule, _ = rule_for(Sale(seller, buyer, status, category, supply, drc))  # type: ignore[arg-type]
        assert rule.treatment in treatments
