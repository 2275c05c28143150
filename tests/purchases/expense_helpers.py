"""Helpers to drive expenses through the API as members would."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Account

Headers = dict[str, str]

TIERED = [
    {"up_to": "100.00", "steps": []},
    {"up_to": "1000.00", "steps": ["admin"]},
    {"up_to": None, "steps": ["admin", "owner"]},
]


def headers_of(who: Account | Headers) -> Headers:
    return who.headers if isinstance(who, Account) else who


def set_rules(client: TestClient, owner: Account, rules: list[dict[str, Any]]) -> None:
    response = client.put(
        "/api/v1/approval-rules/expense", headers=owner.headers, json={"rules": rules}
    )
    assert response.status_code == 200, response.text


def expense(client: TestClient, who: Account | Headers, **fields: Any) -> dict[str, Any]:
    body = {
        "date": "2026-03-02",
        "supplier_name": "Taxi Parisien",
        "description": "Taxi to the client",
        "amount": "12.00",
        "tax_code": "FR-20",
        "category": "travel",
    } | fields
    response = client.post("/api/v1/expenses", headers=headers_of(who), json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def act(
    client: TestClient, who: Account | Headers, expense_id: str, action: str, **body: Any
) -> Any:
    return client.post(
        f"/api/v1/expenses/{expense_id}/{action}", headers=headers_of(who), json=body or None
    )


def submitted(client: TestClient, who: Account | Headers, **fields: Any) -> dict[str, Any]:
    created = expense(client, who, **fields)
    response = act(client, who, created["id"], "submit")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def entry_lines(client: TestClient, owner: Account, entry_id: str) -> list[tuple[str, str, str]]:
    """(account code, debit, credit) of each line of an entry, in the base currency."""
    response = client.get(f"/api/v1/journal-entries/{entry_id}", headers=owner.headers)
    assert response.status_code == 200, response.text
    return [
        (line["account_code"], line["debit"], line["credit"]) for line in response.json()["lines"]
    ]


def entry_count(client: TestClient, owner: Account) -> int:
    response = client.get("/api/v1/journal-entries?limit=200", headers=owner.headers)
    assert response.status_code == 200, response.text
    return len(response.json()["items"])
