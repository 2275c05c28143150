"""Helpers to drive the sales API as a client would."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Account


def customer(client: TestClient, owner: Account, **fields: Any) -> dict[str, Any]:
    body = {"name": "Acme", "email": "ap@acme.test", "country": "FR"} | fields
    response = client.post("/api/v1/customers", headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def invoice(
    client: TestClient,
    owner: Account,
    customer_id: str,
    lines: list[dict[str, Any]] | None = None,
    *,
    issue: bool = True,
    **fields: Any,
) -> dict[str, Any]:
    body = {
        "customer": customer_id,
        "issue_date": "2026-02-01",
        "lines": lines
        or [
            {
                "description": "Consulting",
                "quantity": "2",
                "unit_price": "500.00",
                "tax_codes": ["FR-20"],
            }
        ],
    } | fields
    response = client.post("/api/v1/invoices", headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    if issue:
        issued = client.post(f"/api/v1/invoices/{result['id']}/issue", headers=owner.headers)
        assert issued.status_code == 200, issued.text
        result = issued.json()
    return result


def pay(
    client: TestClient,
    owner: Account,
    customer_id: str,
    amount: str,
    allocations: list[tuple[str, str]],
    *,
    on: str = "2026-02-10",
    expect: int = 201,
    **fields: Any,
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/payments",
        headers=owner.headers,
        json={
            "customer": customer_id,
            "date": on,
            "amount": amount,
            "method": "bank_transfer",
            "allocations": [{"invoice": i, "amount": a} for i, a in allocations],
        }
        | fields,
    )
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result
