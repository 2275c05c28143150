"""Helpers to produce notifications the way members would: through the sales API and the
worker."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Account
from tests.identity.test_members import accept_new, bearer, invite

Headers = dict[str, str]


def member(client: TestClient, owner: Account, email: str, role: str) -> Headers:
    return bearer(accept_new(client, invite(client, owner, email, role=role)))


def customer(client: TestClient, headers: Headers, name: str = "Acme") -> str:
    response = client.post(
        "/api/v1/customers",
        headers=headers,
        json={"name": name, "email": "ap@acme.test", "country": "FR"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def receive_payment(client: TestClient, headers: Headers, amount: str = "120.00") -> str:
    response = client.post(
        "/api/v1/payments",
        headers=headers,
        json={"customer": customer(client, headers), "date": "2026-02-10", "amount": amount},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def notifications(client: TestClient, headers: Headers, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/notifications", headers=headers, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def unread(client: TestClient, headers: Headers) -> int:
    response = client.get("/api/v1/notifications/unread-count", headers=headers)
    assert response.status_code == 200, response.text
    return int(response.json()["unread"])
