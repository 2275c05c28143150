"""Helpers to write entries and read balances through the API, as a client would."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Account


def entry(
    client: TestClient,
    owner: Account,
    lines: list[tuple[str, str, str]] | list[dict[str, Any]],
    *,
    journal: str = "OD",
    on: str = "2026-01-15",
    post: bool = True,
    reference: str | None = None,
    expect: int = 201,
) -> dict[str, Any]:
    """Lines as (account, "debit"|"credit", amount) or as full line dicts."""
    body_lines = [
        line if isinstance(line, dict) else {"account": line[0], line[1]: line[2]} for line in lines
    ]
    response = client.post(
        "/api/v1/journal-entries",
        headers=owner.headers,
        json={
            "journal": journal,
            "date": on,
            "post": post,
            "reference": reference,
            "lines": body_lines,
        },
    )
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


def balances(
    client: TestClient, owner: Account, date_to: str = "2099-12-31", date_from: str | None = None
) -> dict[str, Decimal]:
    """Closing balance per account code, signed (debit positive)."""
    params = {"date_to": date_to} | ({"date_from": date_from} if date_from else {})
    report = client.get("/api/v1/reports/trial-balance", headers=owner.headers, params=params)
    assert report.status_code == 200, report.text
    return {
        row["code"]: Decimal(row["closing_debit"]) - Decimal(row["closing_credit"])
        for row in report.json()["rows"]
    }
