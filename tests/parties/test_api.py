"""Customers and suppliers through the API: one party model with roles, identifiers checked
by the tax engine's rules, contacts, archive instead of delete once used, CSV in and out."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Account, register
from tests.ledger.helpers import entry


def _create(
    client: TestClient, owner: Account, body: dict[str, Any], plural: str = "customers"
) -> dict[str, Any]:
    response = client.post(f"/api/v1/{plural}", headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_a_customer_by_hand(client: TestClient, owner: Account) -> None:
    acme = _create(client, owner, {"name": "Acme", "email": "AP@Acme.test", "country": "FR"})
    assert acme["code"] == "C00001"
    assert (acme["is_customer"], acme["is_supplier"]) == (True, False)
    assert acme["email"] == "ap@acme.test"
    assert acme["payment_terms"] == "net_30"
    assert acme["billing_address"]["country"] == "FR" and acme["shipping_address"] is None
    second = _create(client, owner, {"name": "Beta"})
    assert second["code"] == "C00002" and second["country"] == "FR"
    supplier = _create(client, owner, {"name": "Papeterie Martin"}, "suppliers")
    assert supplier["code"] == "S00001"
    listed = client.get("/api/v1/customers", headers=owner.headers).json()
    assert {p["name"] for p in listed["items"]} == {"Acme", "Beta"}
    assert client.get(f"/api/v1/suppliers/{acme['id']}", headers=owner.headers).status_code == 404


def test_every_field_and_contacts(client: TestClient, owner: Account) -> None:
    body = {
        "name": "Muster GmbH",
        "code": "MUSTER",
        "kind": "company",
        "country": "DE",
        "vat_number": "de 136 695 976",
        "phone": "030 1234567",
        "website": "https://muster.example",
        "currency": "eur",
        "language": "de",
        "payment_terms": "net_30_end_of_month",
        "billing_address": {"line1": "Musterstraße 1", "postal_code": "10115", "city": "Berlin"},
        "shipping_address": {"line1": "Lager 7", "city": "Potsdam"},
        "notes": "Prefers PDF invoices.",
        "contacts": [
            {"name": "Erika Mustermann", "email": "erika@muster.example", "role": "Buchhaltung"},
            {"name": "Max", "phone": "+49 30 7654321"},
        ],
    }
    muster = _create(client, owner, body)
    assert muster["vat_number"] == "DE136695976"
    assert muster["phone"] == "+49301234567"
    assert muster["currency"] == "EUR"
    assert muster["shipping_address"] == {
        "line1": "Lager 7",
        "line2": None,
        "postal_code": None,
        "city": "Potsdam",
        "region": None,
        "country": "DE",
    }
    assert [c["name"] for c in muster["contacts"]] == ["Erika Mustermann", "Max"]
    assert muster["contacts"][1]["phone"] == "+49307654321"

    changed = client.patch(
        f"/api/v1/customers/{muster['id']}",
        headers=owner.headers,
        json={
            "is_supplier": True,
            "contacts": [{"name": "Erika Mustermann"}],
            "shipping_address": None,
        },
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["is_supplier"] is True and body["shipping_address"] is None
    assert [c["name"] for c in body["contacts"]] == ["Erika Mustermann"]
    # Both roles: it is listed as a supplier too, as one party.
    suppliers = client.get("/api/v1/suppliers", headers=owner.headers).json()["items"]
    assert [p["id"] for p in suppliers] == [muster["id"]]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"name": "X", "vat_number": "FR41303265045"}, "vat_number", "invalid_checksum"),
        ({"name": "X", "company_number": "303265046"}, "company_number", "invalid_checksum"),
        ({"name": "X", "company_number": "3032650450001"}, "company_number", "invalid_length"),
        (
            {"name": "X", "country": "ZM", "company_number": "12345"},
            "company_number",
            "invalid_length",
        ),
        ({"name": "X", "phone": "12"}, "phone", "invalid_format"),
        ({"name": "X", "email": "not an address"}, "email", "invalid_email"),
        ({"name": "X", "country": "XX"}, "country", "invalid"),
        ({"name": "X", "currency": "XYZ"}, "currency", "invalid"),
        ({"name": "X", "language": "qq_ZZ"}, "language", "invalid"),
        ({"name": "  "}, "name", "required"),
        ({"name": "X", "code": "no spaces please"}, "code", "invalid"),
    ],
)
def test_refusals_name_the_field(
    client: TestClient, owner: Account, body: dict[str, Any], field: str, code: str
) -> None:
    response = client.post("/api/v1/customers", headers=owner.headers, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert (field, code) in errors
    assert client.get("/api/v1/customers", headers=owner.headers).json()["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": 12},
        {"name": "X", "payment_terms": "whenever"},
        {"name": "X", "is_supplier": "yes"},
        {"name": "X", "contacts": [{"email": "a@b.test"}]},
        {"name": "X", "surprise": 1},
        {"name": "x" * 201},
    ],
)
def test_malformed_bodies_are_problems(client: TestClient, owner: Account, body: Any) -> None:
    response = client.post("/api/v1/customers", headers=owner.headers, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_duplicate_code_and_other_tenants(client: TestClient, owner: Account) -> None:
    acme = _create(client, owner, {"name": "Acme", "code": "ACME"})
    again = client.post(
        "/api/v1/customers", headers=owner.headers, json={"name": "Acme 2", "code": "ACME"}
    )
    assert again.status_code == 422
    assert again.json()["errors"][0]["code"] == "duplicate"
    other = register(client, organization_name="Other SARL")
    # Codes are per organization; ids of another organization are not found.
    assert _create(client, other, {"name": "Acme", "code": "ACME"})["code"] == "ACME"
    for method in ("get", "patch", "delete"):
        kwargs: dict[str, Any] = {"json": {"name": "Stolen"}} if method == "patch" else {}
        response = getattr(client, method)(
            f"/api/v1/customers/{acme['id']}", headers=other.headers, **kwargs
        )
        assert response.status_code == 404


def test_delete_while_unused_archive_once_used(client: TestClient, owner: Account) -> None:
    unused = _create(client, owner, {"name": "Never Bought"})
    assert (
        client.delete(f"/api/v1/customers/{unused['id']}", headers=owner.headers).status_code == 204
    )
    used = _create(client, owner, {"name": "Regular"})
    entry(
        client,
        owner,
        [
            {"account": "411", "debit": "10.00", "party_id": used["id"]},
            {"account": "706", "credit": "10.00"},
        ],
    )
    refused = client.delete(f"/api/v1/customers/{used['id']}", headers=owner.headers)
    assert refused.status_code == 409
    assert "archive" in refused.json()["detail"]
    archived = client.patch(
        f"/api/v1/customers/{used['id']}", headers=owner.headers, json={"archived": True}
    )
    assert archived.json()["archived"] is True
    assert client.get("/api/v1/customers", headers=owner.headers).json()["items"] == []
    shown = client.get("/api/v1/customers?archived=true", headers=owner.headers).json()["items"]
    assert [p["name"] for p in shown] == ["Regular"]


def test_search_filters_and_pages(client: TestClient, owner: Account) -> None:
    for index in range(7):
        _create(
            client,
            owner,
            {
                "name": f"Client {index}",
                "billing_address": {"city": "Lyon" if index % 2 else "Nantes"},
            },
        )
    lyon = client.get("/api/v1/customers?q=lyon", headers=owner.headers).json()["items"]
    assert sorted(p["name"] for p in lyon) == ["Client 1", "Client 3", "Client 5"]
    first = client.get("/api/v1/customers?limit=4", headers=owner.headers).json()
    second = client.get(
        f"/api/v1/customers?limit=4&cursor={first['next_cursor']}", headers=owner.headers
    ).json()
    assert len(first["items"]) == 4 and len(second["items"]) == 3
    assert second["next_cursor"] is None


def test_idempotent_create(client: TestClient, owner: Account) -> None:
    headers = {**owner.headers, "Idempotency-Key": "create-acme-1"}
    first = client.post("/api/v1/customers", headers=headers, json={"name": "Acme"})
    again = client.post("/api/v1/customers", headers=headers, json={"name": "Acme"})
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.json()["id"] == again.json()["id"]
    assert len(client.get("/api/v1/customers", headers=owner.headers).json()["items"]) == 1


def test_concurrent_creates_get_distinct_codes(client: TestClient, owner: Account) -> None:
    codes: list[str] = []
    failures: list[str] = []

    def create(index: int) -> None:
        response = client.post(
            "/api/v1/customers", headers=owner.headers, json={"name": f"Rush {index}"}
        )
        if response.status_code == 201:
            codes.append(response.json()["code"])
        else:
            failures.append(response.text)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(set(codes)) == 8


CSV = """name,code,email,vat_number,company_number,country,payment_terms,address_line1,postal_code,city
Boulangerie Paul,,paul@example.fr,,303265045,FR,net_30,1 rue du Four,75001,Paris
Muster GmbH,MUSTER,,DE136695976,,DE,end_of_month,,,
"""


def _upload(client: TestClient, owner: Account, text: str, dry_run: bool) -> Any:
    return client.post(
        f"/api/v1/customers/import?dry_run={'true' if dry_run else 'false'}",
        headers=owner.headers,
        files={"file": ("customers.csv", text.encode(), "text/csv")},
    )


def test_csv_import_preview_then_import_then_export(client: TestClient, owner: Account) -> None:
    preview = _upload(client, owner, CSV, dry_run=True)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert (body["rows"], body["created"], body["errors"]) == (2, 0, [])
    assert [p["name"] for p in body["preview"]] == ["Boulangerie Paul", "Muster GmbH"]
    assert client.get("/api/v1/customers", headers=owner.headers).json()["items"] == []

    done = _upload(client, owner, CSV, dry_run=False).json()
    assert done["created"] == 2
    exported = client.get("/api/v1/customers/export", headers=owner.headers)
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert lines[0].startswith("code,name,kind,email")
    assert any(line.startswith("C00001,Boulangerie Paul,company,paul@example.fr") for line in lines)
    assert any("MUSTER,Muster GmbH" in line and "DE136695976" in line for line in lines)


def test_csv_import_reports_every_row_and_creates_nothing(
    client: TestClient, owner: Account
) -> None:
    # A blank row is skipped but counted: rows are reported as the spreadsheet numbers them.
    bad = """name,vat_number,country,payment_terms,email
Good One,,FR,net_30,
,,FR,net_30,
Bad Vat,FR41303265045,FR,net_30,

Bad Terms,,FR,someday,nobody
"""
    result = _upload(client, owner, bad, dry_run=False).json()
    assert result["created"] == 0
    assert {(e["row"], e["column"]) for e in result["errors"]} == {
        (3, "name"),
        (4, "vat_number"),
        (6, "payment_terms"),
        (6, "email"),
    }
    assert client.get("/api/v1/customers", headers=owner.headers).json()["items"] == []
    for text, message in [
        ("", "no rows"),
        ("city\nParis\n", "name column"),
        ("name,shoe_size\nX,42\n", "Unknown column"),
    ]:
        response = _upload(client, owner, text, dry_run=True)
        assert response.status_code == 422
        assert message in response.json()["detail"]
