"""Helpers to drive the purchases API as a client would."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Account

_numbers = itertools.count(1)


def supplier(client: TestClient, owner: Account, **fields: Any) -> dict[str, Any]:
    body = {"name": "Fournitures Martin", "email": "compta@martin.test", "country": "FR"} | fields
    response = client.post("/api/v1/suppliers", headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def bill_lines(amount: str = "100.00", account: str = "606") -> list[dict[str, Any]]:
    return [
        {
            "description": "Office supplies",
            "quantity": "1",
            "unit_price": amount,
            "tax_codes": ["FR-20"],
            "account": account,
        }
    ]


def bill(
    client: TestClient,
    owner: Account,
    supplier_id: str,
    lines: list[dict[str, Any]] | None = None,
    *,
    approve: bool = True,
    **fields: Any,
) -> dict[str, Any]:
    """A bill created, and unless ``approve`` is False submitted and approved by ``owner``
    when the rules ask for it: the posted bill's JSON."""
    body = {
        "supplier": supplier_id,
        "supplier_number": f"F-{next(_numbers):05d}",
        "issue_date": "2026-02-01",
        "lines": lines or bill_lines(),
    } | fields
    response = client.post("/api/v1/bills", headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    if not approve:
        return result
    submitted = client.post(f"/api/v1/bills/{result['id']}/submit", headers=owner.headers)
    assert submitted.status_code == 200, submitted.text
    result = submitted.json()
    if result["status"] == "submitted":
        approved = client.post(f"/api/v1/bills/{result['id']}/approve", headers=owner.headers)
        assert approved.status_code == 200, approved.text
        result = approved.json()
    assert result["status"] == "posted", result
    return result
