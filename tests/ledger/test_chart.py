"""Charts by country, and the chart of accounts API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Account, register
from tests.identity.test_members import accept_new, bearer, invite
from tests.ledger.helpers import entry


def codes(client: TestClient, account: Account) -> dict[str, dict]:
    items = client.get("/api/v1/accounts", headers=account.headers).json()["items"]
    return {a["code"]: a for a in items}


def test_french_organizations_get_the_pcg(client: TestClient, owner: Account) -> None:
    chart = codes(client, owner)
    for code in (
        "101",
        "106",
        "120",
        "129",
        "401",
        "411",
        "44566",
        "44571",
        "512",
        "530",
        "607",
        "641",
        "706",
    ):
        assert code in chart, code
    assert chart["411"]["subtype"] == "receivable" and chart["411"]["reconcilable"] is True
    assert chart["4"]["is_group"] is True
    assert chart["411"]["parent_id"] == chart["41"]["id"]
    journals = {j["code"]: j for j in client.get("/api/v1/journals", headers=owner.headers).json()}
    assert set(journals) == {"VT", "AC", "BQ", "CA", "OD", "AN"}
    assert journals["BQ"]["default_debit_account_id"] == chart["512"]["id"]
    assert journals["OD"]["name"] == "Opérations diverses"


@pytest.mark.parametrize(
    ("country", "currency", "present", "absent"),
    [
        ("ZM", "ZMW", ["1130", "2220", "1200", "2110"], ["411"]),
        ("US", "USD", ["1200", "2110", "4100"], ["1130", "411"]),
    ],
)
def test_other_countries_get_the_generic_chart(
    client: TestClient, country: str, currency: str, present: list[str], absent: list[str]
) -> None:
    account = register(
        client, organization_name="Elsewhere Ltd", country=country, base_currency=currency
    )
    chart = codes(client, account)
    for code in present:
        assert code in chart
    for code in absent:
        assert code not in chart
    journals = {
        j["code"]: j["name"] for j in client.get("/api/v1/journals", headers=account.headers).json()
    }
    assert journals["OD"] == "Miscellaneous operations"


def test_create_edit_archive_delete(client: TestClient, owner: Account) -> None:
    created = client.post(
        "/api/v1/accounts",
        headers=owner.headers,
        json={
            "code": "4111",
            "name": "Clients export",
            "type": "asset",
            "subtype": "receivable",
            "parent": "411",
            "reconcilable": True,
            "currency": "usd",
        },
    )
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["currency"] == "USD"
    assert account["parent_id"] == codes(client, owner)["411"]["id"]
    duplicate = client.post(
        "/api/v1/accounts",
        headers=owner.headers,
        json={"code": "4111", "name": "Again", "type": "asset"},
    )
    assert duplicate.status_code == 422
    assert duplicate.json()["errors"][0]["code"] == "duplicate"
    renamed = client.patch(
        f"/api/v1/accounts/{account['id']}", headers=owner.headers, json={"name": "Clients USA"}
    )
    assert renamed.json()["name"] == "Clients USA"
    loop = client.patch(
        f"/api/v1/accounts/{codes(client, owner)['411']['id']}",
        headers=owner.headers,
        json={"parent": "4111"},
    )
    assert loop.status_code == 422
    assert (
        client.delete(f"/api/v1/accounts/{account['id']}", headers=owner.headers).status_code == 204
    )
    assert "4111" not in codes(client, owner)


def test_an_account_with_postings_is_archived_not_deleted(
    client: TestClient, owner: Account
) -> None:
    entry(client, owner, [("512", "debit", "10.00"), ("101", "credit", "10.00")])
    bank = codes(client, owner)["512"]
    refused = client.delete(f"/api/v1/accounts/{bank['id']}", headers=owner.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "account_in_use"
    assert (
        client.patch(
            f"/api/v1/accounts/{bank['id']}", headers=owner.headers, json={"type": "liability"}
        ).status_code
        == 409
    )
    archived = client.post(f"/api/v1/accounts/{bank['id']}/archive", headers=owner.headers)
    assert archived.json()["archived"] is True
    assert "512" not in codes(client, owner)
    assert "512" in {
        a["code"]
        for a in client.get("/api/v1/accounts?include_archived=true", headers=owner.headers).json()[
            "items"
        ]
    }
    rejected = entry(
        client, owner, [("512", "debit", "10.00"), ("101", "credit", "10.00")], expect=422
    )
    assert rejected["errors"][0]["code"] == "account_archived"
    client.post(f"/api/v1/accounts/{bank['id']}/restore", headers=owner.headers)
    entry(client, owner, [("512", "debit", "10.00"), ("101", "credit", "10.00")])


@pytest.mark.parametrize(
    "body",
    [
        {"code": "", "name": "x", "type": "asset"},
        {"code": "ok", "name": "", "type": "asset"},
        {"code": "ok", "name": "x", "type": "treasure"},
        {"code": "ok", "name": "x", "type": "asset", "subtype": "magic"},
        {"code": "ok", "name": "x", "type": "asset", "currency": "XXX1"},
        {"code": "ok", "name": "x", "type": "asset", "parent": "nope"},
        {"code": "a b", "name": "x", "type": "asset"},
    ],
)
def test_invalid_accounts(client: TestClient, owner: Account, body: dict) -> None:
    assert client.post("/api/v1/accounts", headers=owner.headers, json=body).status_code == 422


def test_search_and_filters(client: TestClient, owner: Account) -> None:
    found = client.get("/api/v1/accounts?search=41", headers=owner.headers).json()["items"]
    assert {a["code"] for a in found} >= {"41", "411", "416", "418", "419"}
    by_name = client.get("/api/v1/accounts?search=banque", headers=owner.headers).json()["items"]
    assert "512" in {a["code"] for a in by_name}
    income = client.get("/api/v1/accounts?type=income&postable=true", headers=owner.headers).json()[
        "items"
    ]
    assert income and all(a["type"] == "income" and not a["is_group"] for a in income)
    first = client.get("/api/v1/accounts?limit=10", headers=owner.headers).json()
    second = client.get(
        f"/api/v1/accounts?limit=10&cursor={first['next_cursor']}", headers=owner.headers
    ).json()
    assert first["items"][-1]["code"] < second["items"][0]["code"]


def test_readers_cannot_write_the_chart(client: TestClient, owner: Account) -> None:
    viewer = bearer(accept_new(client, invite(client, owner, "v@example.org", role="viewer")))
    assert client.get("/api/v1/accounts", headers=viewer).status_code == 200
    assert (
        client.post(
            "/api/v1/accounts", headers=viewer, json={"code": "9", "name": "x", "type": "asset"}
        ).status_code
        == 403
    )
    body = {
        "journal": "OD",
        "date": "2026-01-01",
        "lines": [{"account": "512", "debit": "1.00"}, {"account": "101", "credit": "1.00"}],
    }
    assert client.post("/api/v1/journal-entries", headers=viewer, json=body).status_code == 403
