"""Every list answers the same envelope, ``{"items": [...], "next_cursor": ...}``, and
pages with ``limit`` and ``cursor``: checked over the OpenAPI document, so that a new
list route is held to it, except the few named below with the reason they differ."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.server.openapi import operations
from tests.conftest import Account
from tests.server.test_openapi_quality import document

# Lists that are not paged, each with why. Small fixed catalogues and one record's own
# short lists come whole; reports are one object per currency, not pages of records.
NOT_PAGED = {
    # Catalogues of the application: a fixed number of entries.
    "/api/v1/currencies",
    "/api/v1/expenses/categories",
    "/api/v1/payment-providers",
    "/api/v1/sales/email-templates",
    "/api/v1/api-tokens/scopes",
    "/api/v1/webhooks/events",
    # One per kind of notification or of document that approval rules apply to.
    "/api/v1/notifications/preferences",
    "/api/v1/approval-rules",
    # Configuration a business keeps short: its journals, taxes, fiscal years, team,
    # pending invitations, the organizations a user belongs to.
    "/api/v1/journals",
    "/api/v1/taxes",
    "/api/v1/fiscal-years",
    "/api/v1/members",
    "/api/v1/invitations",
    "/api/v1/organizations",
    # One record's own short lists: an invoice's reminders, a bill's history, the
    # receipts of an expense or a bill.
    "/api/v1/invoices/{invoice_id}/reminders",
    "/api/v1/bills/{bill_id}/history",
    "/api/v1/expenses/{expense_id}/receipts",
    "/api/v1/bills/{bill_id}/receipts",
    # Reports: one object per currency.
    "/api/v1/reports/aged-receivables",
    "/api/v1/reports/aged-payables",
}

# Pages larger than 200: the chart of accounts (a few hundred rows) comes in one page.
LIMIT_MAX = {"/api/v1/accounts": 1000}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _answer(operation: dict[str, Any]) -> dict[str, Any]:
    content = operation["responses"].get("200", {}).get("content", {})
    return _resolve(content.get("application/json", {}).get("schema", {}))


def _lists() -> list[str]:
    """GETs that answer many records: an array, or an object with ``items``."""
    return sorted(
        path
        for method, path, operation in operations(document())
        if method == "GET"
        and (
            _answer(operation).get("type") == "array"
            or "items" in _answer(operation).get("properties", {})
        )
    )


LISTS = _lists()


def test_the_exceptions_are_still_lists() -> None:
    # An exception whose route went away or became paged is dropped from the allowance.
    assert sorted(NOT_PAGED - set(LISTS)) == []


@pytest.mark.parametrize("path", [p for p in LISTS if p not in NOT_PAGED])
def test_every_list_pages_with_the_same_envelope(path: str) -> None:
    operation = document()["paths"][path]["get"]
    answer = _answer(operation)
    assert answer.get("type") == "object", "answer {items, next_cursor}, not a bare array"
    assert set(answer["properties"]) == {"items", "next_cursor"}
    assert set(answer.get("required", [])) == {"items", "next_cursor"}
    assert _resolve(answer["properties"]["items"]).get("type") == "array"
    cursor_types = {o.get("type") for o in answer["properties"]["next_cursor"].get("anyOf", [])}
    assert cursor_types == {"string", "null"}
    parameters = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
    assert {"limit", "cursor"} <= set(parameters)
    assert parameters["limit"]["schema"].get("maximum") == LIMIT_MAX.get(path, 200)


@pytest.mark.parametrize(
    ("path", "make"),
    [
        (
            "/api/v1/exchange-rates",
            lambda n: {"base": "EUR", "quote": "USD", "date": f"2026-01-0{n}", "rate": f"1.{n}"},
        ),
    ],
)
def test_a_converted_list_pages_through_everything(
    client: TestClient, owner: Account, path: str, make: Any
) -> None:
    for n in range(1, 6):
        created = client.post(path, headers=owner.headers, json=make(n))
        assert created.status_code == 201, created.text
    seen: list[str] = []
    cursor = ""
    while True:
        page = client.get(f"{path}?limit=2&cursor={cursor}", headers=owner.headers).json()
        seen += [item["date"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"2026-01-0{n}" for n in range(5, 0, -1)]
