"""The organization profile: validation of national identifiers, audit of changes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Account, register
from tests.identity.test_members import accept_new, bearer, invite


def test_update_profile_normalizes_and_audits(client: TestClient, owner: Account) -> None:
    response = client.patch(
        "/api/v1/organization",
        headers=owner.headers,
        json={
            "siren": "732 829 320",
            "vat_number": "fr 44 732829320",
            "fiscal_year_start_month": 7,
            "timezone": "Europe/Paris",
            "locale": "fr-FR",
            "city": "Lyon",
            "address_line2": "",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["siren"] == "732829320"
    assert body["vat_number"] == "FR44732829320"
    assert body["fiscal_year_start_month"] == 7
    assert body["locale"] == "fr_FR"
    assert body["address_line2"] is None
    event = client.get(
        "/api/v1/audit-events?action=organization.updated", headers=owner.headers
    ).json()["items"][0]
    assert event["after"]["siren"] == "732829320"
    assert event["before"]["siren"] is None
    assert event["actor_email"] == owner.email
    assert event["request_id"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("siren", "732829321"),
        ("siren", "12345"),
        ("vat_number", "FR00732829320"),
        ("vat_number", "DE12345"),
        ("tpin", "12345"),
        ("timezone", "Mars/Olympus"),
        ("locale", "xx_YY"),
        ("country", "XX"),
        ("base_currency", "XYZ"),
        ("legal_name", "  "),
    ],
)
def test_invalid_profile_values_are_422_beside_the_field(
    client: TestClient, owner: Account, field: str, value: str
) -> None:
    response = client.patch("/api/v1/organization", headers=owner.headers, json={field: value})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("value", [0, 13, "seven", 7.5, True])
def test_fiscal_month_wrong_values(client: TestClient, owner: Account, value: object) -> None:
    response = client.patch(
        "/api/v1/organization", headers=owner.headers, json={"fiscal_year_start_month": value}
    )
    assert response.status_code == 422


def test_zambian_tpin_and_all_errors_at_once(client: TestClient) -> None:
    zambian = register(
        client, organization_name="Lusaka Traders Ltd", country="ZM", base_currency="ZMW"
    )
    ok = client.patch("/api/v1/organization", headers=zambian.headers, json={"tpin": "1001234567"})
    assert ok.json()["tpin"] == "1001234567"
    several = client.patch(
        "/api/v1/organization", headers=zambian.headers, json={"tpin": "1", "timezone": "Nowhere"}
    )
    assert {e["field"] for e in several.json()["errors"]} == {"tpin", "timezone"}


def test_only_organization_writers_can_change_it(client: TestClient, owner: Account) -> None:
    accountant = accept_new(client, invite(client, owner, "acc@example.org", role="accountant"))
    assert client.get("/api/v1/organization", headers=bearer(accountant)).status_code == 200
    refused = client.patch(
        "/api/v1/organization", headers=bearer(accountant), json={"city": "Nice"}
    )
    assert refused.status_code == 403
    assert client.get("/api/v1/organization", headers=owner.headers).json()["city"] is None


def test_unknown_fields_are_refused(client: TestClient, owner: Account) -> None:
    response = client.patch(
        "/api/v1/organization", headers=owner.headers, json={"id": "x", "created_at": "now"}
    )
    assert response.status_code == 422


def test_company_email_is_checked(client: TestClient, owner: Account) -> None:
    bad = client.patch(
        "/api/v1/organization", headers=owner.headers, json={"email": "not an address"}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "email"
    ok = client.patch(
        "/api/v1/organization", headers=owner.headers, json={"email": "Contact@Example.org"}
    )
    assert ok.json()["email"] == "contact@example.org"
    cleared = client.patch("/api/v1/organization", headers=owner.headers, json={"email": ""})
    assert cleared.json()["email"] is None


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("siren", "732829321", "invalid_checksum"),
        ("siren", "12345", "invalid_length"),
        ("siren", "73282932A", "invalid_format"),
        ("vat_number", "FR00732829320", "invalid_checksum"),
        ("vat_number", "DE12345", "invalid_length"),
        ("tpin", "12345", "invalid_length"),
    ],
)
def test_invalid_identifiers_name_the_rule_they_break(
    client: TestClient, owner: Account, field: str, value: str, code: str
) -> None:
    response = client.patch("/api/v1/organization", headers=owner.headers, json={field: value})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == (field, code)
    assert error["message"]
