"""Every POST that creates or moves money honours ``Idempotency-Key``: the same key with
the same request answers the first answer again and changes nothing more; the same key
with another request is refused with 422 ``idempotency_key_reused``."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from comptoir.server.idempotency import idempotency
from tests.conftest import Account
from tests.purchases.helpers import bill, bill_lines, supplier
from tests.sales.helpers import customer, invoice
from tests.test_route_contracts import ROUTES

_keys = itertools.count(1)
CSV = {"content-type": "text/csv"}


@dataclass
class Request:
    """One money request, another one to reuse its key with, and what must not change
    when the first is replayed."""

    path: str
    body: Any
    other_path: str
    other_body: Any
    watch: list[str]
    csv: bool = False
    status: int = 200


def _post(client: TestClient, owner: Account, path: str, body: Any = None) -> dict[str, Any]:
    response = client.post(path, headers=owner.headers, json=body)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def _entry_body(amount: str, *, post: bool = True) -> dict[str, Any]:
    return {
        "journal": "OD",
        "date": "2026-01-15",
        "post": post,
        "lines": [{"account": "512", "debit": amount}, {"account": "101", "credit": amount}],
    }


ENTRIES = "/api/v1/journal-entries?limit=200"


def _journal_entry(client: TestClient, owner: Account) -> Request:
    return Request(
        "/api/v1/journal-entries",
        _entry_body("10.00"),
        "/api/v1/journal-entries",
        _entry_body("11.00"),
        [ENTRIES],
        status=201,
    )


def _post_entry(client: TestClient, owner: Account) -> Request:
    first, second = (
        _post(client, owner, "/api/v1/journal-entries", _entry_body(a, post=False))
        for a in ("10.00", "11.00")
    )
    return Request(
        f"/api/v1/journal-entries/{first['id']}/post",
        None,
        f"/api/v1/journal-entries/{second['id']}/post",
        None,
        [ENTRIES],
    )


def _reverse_entry(client: TestClient, owner: Account) -> Request:
    posted = _post(client, owner, "/api/v1/journal-entries", _entry_body("10.00"))
    path = f"/api/v1/journal-entries/{posted['id']}/reverse"
    return Request(
        path, {"date": "2026-01-20"}, path, {"date": "2026-01-21"}, [ENTRIES], status=201
    )


def _revaluation(client: TestClient, owner: Account) -> Request:
    for day, rate in (("2026-11-01", "1.25"), ("2026-12-31", "1.00")):
        _post(
            client,
            owner,
            "/api/v1/exchange-rates",
            {"base": "EUR", "quote": "USD", "date": day, "rate": rate},
        )
    _post(
        client,
        owner,
        "/api/v1/journal-entries",
        {
            "journal": "VT",
            "date": "2026-11-15",
            "post": True,
            "lines": [
                {"account": "411", "debit": "1000.00", "currency": "USD"},
                {"account": "706", "credit": "800.00"},
            ],
        },
    )
    return Request(
        "/api/v1/revaluations",
        {"date": "2026-12-31"},
        "/api/v1/revaluations",
        {"date": "2026-12-30"},
        [ENTRIES],
        status=201,
    )


def _opening_balances(client: TestClient, owner: Account) -> Request:
    path = "/api/v1/imports/opening-balances?date=2026-01-01"
    return Request(
        path,
        "account,debit,credit\n512,500.00,\n101,,500.00\n",
        path,
        "account,debit,credit\n512,600.00,\n101,,600.00\n",
        [ENTRIES],
        csv=True,
    )


def _entries_import(client: TestClient, owner: Account) -> Request:
    rows = "reference,date,journal,account,debit,credit\nP1,2026-01-05,BQ,512,{0},\nP1,2026-01-05,BQ,411,,{0}\n"
    return Request(
        "/api/v1/imports/journal-entries",
        rows.format("120.00"),
        "/api/v1/imports/journal-entries",
        rows.format("130.00"),
        [ENTRIES],
        csv=True,
    )


def _lines(amount: str) -> list[dict[str, Any]]:
    return [{"description": "Consulting", "unit_price": amount, "tax_codes": ["FR-20"]}]


def _new_invoice(client: TestClient, owner: Account) -> Request:
    acme = customer(client, owner)
    body = {"customer": acme["id"], "issue_date": "2026-02-01", "lines": _lines("100.00")}
    return Request(
        "/api/v1/invoices",
        body,
        "/api/v1/invoices",
        body | {"lines": _lines("110.00")},
        ["/api/v1/invoices?limit=200"],
        status=201,
    )


def _issue_invoice(client: TestClient, owner: Account) -> Request:
    acme = customer(client, owner)
    first, second = (invoice(client, owner, acme["id"], issue=False) for _ in range(2))
    return Request(
        f"/api/v1/invoices/{first['id']}/issue",
        None,
        f"/api/v1/invoices/{second['id']}/issue",
        None,
        [ENTRIES, "/api/v1/invoices?limit=200"],
    )


def _cancel_invoice(client: TestClient, owner: Account) -> Request:
    acme = customer(client, owner)
    first, second = (invoice(client, owner, acme["id"]) for _ in range(2))
    return Request(
        f"/api/v1/invoices/{first['id']}/cancel",
        None,
        f"/api/v1/invoices/{second['id']}/cancel",
        None,
        [ENTRIES, "/api/v1/credit-notes?limit=200"],
    )


def _new_credit_note(client: TestClient, owner: Account) -> Request:
    acme = customer(client, owner)
    body = {"customer": acme["id"], "issue_date": "2026-02-01", "lines": _lines("10.00")}
    return Request(
        "/api/v1/credit-notes",
        body,
        "/api/v1/credit-notes",
        body | {"lines": _lines("11.00")},
        ["/api/v1/credit-notes?limit=200"],
        status=201,
    )


def _issued_credit_note(client: TestClient, owner: Account, customer_id: str) -> dict[str, Any]:
    draft = _post(
        client,
        owner,
        "/api/v1/credit-notes",
        {"customer": customer_id, "issue_date": "2026-02-02", "lines": _lines("50.00")},
    )
    return _post(client, owner, f"/api/v1/credit-notes/{draft['id']}/issue")


def _issue_credit_note(client: TestClient, owner: Account) -> Request:
    acme = customer(client, owner)
    first, second = (
        _post(
            client,
            owner,
            "/api/v1/credit-notes",
            {"customer": acme["id"], "issue_date": "2026-02-02", "lines": _lines("50.00")},
        )
        for _ in range(2)
    )
    return Request(
        f"/api/v1/credit-notes/{first['id']}/issue",
        None,
        f"/api/v1/credit-notes/{second['id']}/issue",
        None,
        [ENTRIES, "/api/v1/credit-notes?limit=200"],
    )


def _apply_credit_note(client: TestClient, owner: Account) -> Request:
    acme = customer(client, owner)
    open_invoice = invoice(client, owner, acme["id"])
    credit = _issued_credit_note(client, owner, acme["id"])
    path = f"/api/v1/credit-notes/{credit['id']}/apply"
    return Request(
        path,
        {"invoice": open_invoice["id"], "amount": "10.00"},
        path,
        {"invoice": open_invoice["id"], "amount": "11.00"},
        [ENTRIES, f"/api/v1/invoices/{open_invoice['id']}"],
    )


def _payment_body(customer_id: str, amount: str) -> dict[str, Any]:
    return {"customer": customer_id, "date": "2026-02-10", "amount": amount}


def _new_payment(client: TestClient, owner: Account) -> Request:
    acme = customer(client, owner)
    return Request(
        "/api/v1/payments",
        _payment_body(acme["id"], "10.00"),
        "/api/v1/payments",
        _payment_body(acme["id"], "11.00"),
        [ENTRIES, "/api/v1/payments?limit=200"],
        status=201,
    )


def _allocate_payment(client: TestClient, owner: Account) -> Request:
    acme = customer(client, owner)
    open_invoice = invoice(client, owner, acme["id"])
    advance = _post(client, owner, "/api/v1/payments", _payment_body(acme["id"], "500.00"))
    path = f"/api/v1/payments/{advance['id']}/allocate"

    def body(amount: str) -> dict[str, Any]:
        return {"allocations": [{"invoice": open_invoice["id"], "amount": amount}]}

    return Request(
        path,
        body("10.00"),
        path,
        body("11.00"),
        [ENTRIES, f"/api/v1/payments/{advance['id']}", f"/api/v1/invoices/{open_invoice['id']}"],
    )


def _run_recurring(client: TestClient, owner: Account) -> Request:
    acme = customer(client, owner)
    first, second = (
        _post(
            client,
            owner,
            "/api/v1/recurring-invoices",
            {
                "name": "Hosting",
                "customer": acme["id"],
                "lines": _lines("50.00"),
                "frequency": "monthly",
                "start_date": "2026-01-31",
            },
        )
        for _ in range(2)
    )
    return Request(
        f"/api/v1/recurring-invoices/{first['id']}/run",
        None,
        f"/api/v1/recurring-invoices/{second['id']}/run",
        None,
        [ENTRIES, "/api/v1/invoices?limit=200"],
        status=201,
    )


def _bill_body(supplier_id: str, amount: str) -> dict[str, Any]:
    return {
        "supplier": supplier_id,
        "supplier_number": f"F-{amount}",
        "issue_date": "2026-02-01",
        "lines": bill_lines(amount),
    }


def _new_bill(client: TestClient, owner: Account) -> Request:
    martin = supplier(client, owner)
    return Request(
        "/api/v1/bills",
        _bill_body(martin["id"], "100.00"),
        "/api/v1/bills",
        _bill_body(martin["id"], "110.00"),
        ["/api/v1/bills?limit=200"],
        status=201,
    )


def _cancel_bill(client: TestClient, owner: Account) -> Request:
    martin = supplier(client, owner)
    posted = bill(client, owner, martin["id"])
    path = f"/api/v1/bills/{posted['id']}/cancel"
    return Request(
        path,
        {"supplier_number": "AV-1"},
        path,
        {"supplier_number": "AV-2"},
        [ENTRIES, "/api/v1/supplier-credit-notes?limit=200"],
    )


def _supplier_credit_body(supplier_id: str, amount: str) -> dict[str, Any]:
    return _bill_body(supplier_id, amount) | {"supplier_number": f"AV-{amount}"}


def _new_supplier_credit_note(client: TestClient, owner: Account) -> Request:
    martin = supplier(client, owner)
    return Request(
        "/api/v1/supplier-credit-notes",
        _supplier_credit_body(martin["id"], "10.00"),
        "/api/v1/supplier-credit-notes",
        _supplier_credit_body(martin["id"], "11.00"),
        ["/api/v1/supplier-credit-notes?limit=200"],
        status=201,
    )


def _post_supplier_credit_note(client: TestClient, owner: Account) -> Request:
    martin = supplier(client, owner)
    first, second = (
        _post(
            client,
            owner,
            "/api/v1/supplier-credit-notes",
            _supplier_credit_body(martin["id"], amount),
        )
        for amount in ("10.00", "11.00")
    )
    return Request(
        f"/api/v1/supplier-credit-notes/{first['id']}/post",
        None,
        f"/api/v1/supplier-credit-notes/{second['id']}/post",
        None,
        [ENTRIES],
    )


def _apply_supplier_credit_note(client: TestClient, owner: Account) -> Request:
    martin = supplier(client, owner)
    posted = bill(client, owner, martin["id"])
    draft = _post(
        client,
        owner,
        "/api/v1/supplier-credit-notes",
        _supplier_credit_body(martin["id"], "50.00"),
    )
    credit = _post(client, owner, f"/api/v1/supplier-credit-notes/{draft['id']}/post")
    path = f"/api/v1/supplier-credit-notes/{credit['id']}/apply"

    def body(amount: str) -> dict[str, Any]:
        return {"allocations": [{"bill": posted["id"], "amount": amount}], "date": "2026-02-06"}

    return Request(
        path, body("10.00"), path, body("11.00"), [ENTRIES, f"/api/v1/bills/{posted['id']}"]
    )


def _expense_body(amount: str, **fields: Any) -> dict[str, Any]:
    return {
        "date": "2026-03-02",
        "supplier_name": "Taxi Parisien",
        "description": "Taxi to the client",
        "amount": amount,
        "tax_code": "FR-20",
        "category": "travel",
    } | fields


def _new_expense(client: TestClient, owner: Account) -> Request:
    return Request(
        "/api/v1/expenses",
        _expense_body("12.00"),
        "/api/v1/expenses",
        _expense_body("13.00"),
        ["/api/v1/expenses?limit=200"],
        status=201,
    )


def _reimbursement(client: TestClient, owner: Account) -> Request:
    ids = []
    for amount in ("12.00", "13.00"):
        spent = _post(client, owner, "/api/v1/expenses", _expense_body(amount, paid_by="employee"))
        approved = _post(client, owner, f"/api/v1/expenses/{spent['id']}/submit")
        if approved["status"] != "approved":
            approved = _post(client, owner, f"/api/v1/expenses/{spent['id']}/approve")
        ids.append(approved["id"])
    return Request(
        "/api/v1/expense-reimbursements",
        {"employee": owner.email, "expenses": ids[:1]},
        "/api/v1/expense-reimbursements",
        {"employee": owner.email, "expenses": ids[1:]},
        [ENTRIES, "/api/v1/expense-reimbursements?limit=200"],
        status=201,
    )


def _supplier_payment_body(supplier_id: str, amount: str) -> dict[str, Any]:
    return {"supplier": supplier_id, "date": "2026-02-10", "amount": amount}


def _new_supplier_payment(client: TestClient, owner: Account) -> Request:
    martin = supplier(client, owner)
    return Request(
        "/api/v1/supplier-payments",
        _supplier_payment_body(martin["id"], "10.00"),
        "/api/v1/supplier-payments",
        _supplier_payment_body(martin["id"], "11.00"),
        [ENTRIES, "/api/v1/supplier-payments?limit=200"],
        status=201,
    )


def _allocate_supplier_payment(client: TestClient, owner: Account) -> Request:
    martin = supplier(client, owner)
    advance = _post(
        client, owner, "/api/v1/supplier-payments", _supplier_payment_body(martin["id"], "500.00")
    )
    posted = bill(client, owner, martin["id"])
    path = f"/api/v1/supplier-payments/{advance['id']}/allocate"

    def body(amount: str) -> dict[str, Any]:
        return {"allocations": [{"bill": posted["id"], "amount": amount}], "date": "2026-02-15"}

    return Request(
        path, body("50.00"), path, body("60.00"), [ENTRIES, f"/api/v1/bills/{posted['id']}"]
    )


# Every route that creates or moves money, and how to make one request of it. Routes that
# only change a state (submit, approve) answer a retry with 409 from the state itself.
MONEY_ROUTES: dict[str, Callable[[TestClient, Account], Request]] = {
    "/api/v1/journal-entries": _journal_entry,
    "/api/v1/journal-entries/{entry_id}/post": _post_entry,
    "/api/v1/journal-entries/{entry_id}/reverse": _reverse_entry,
    "/api/v1/revaluations": _revaluation,
    "/api/v1/imports/opening-balances": _opening_balances,
    "/api/v1/imports/journal-entries": _entries_import,
    "/api/v1/invoices": _new_invoice,
    "/api/v1/invoices/{invoice_id}/issue": _issue_invoice,
    "/api/v1/invoices/{invoice_id}/cancel": _cancel_invoice,
    "/api/v1/credit-notes": _new_credit_note,
    "/api/v1/credit-notes/{credit_note_id}/issue": _issue_credit_note,
    "/api/v1/credit-notes/{credit_note_id}/apply": _apply_credit_note,
    "/api/v1/payments": _new_payment,
    "/api/v1/payments/{payment_id}/allocate": _allocate_payment,
    "/api/v1/recurring-invoices/{recurring_id}/run": _run_recurring,
    "/api/v1/bills": _new_bill,
    "/api/v1/bills/{bill_id}/cancel": _cancel_bill,
    "/api/v1/supplier-credit-notes": _new_supplier_credit_note,
    "/api/v1/supplier-credit-notes/{supplier_credit_note_id}/post": _post_supplier_credit_note,
    "/api/v1/supplier-credit-notes/{supplier_credit_note_id}/apply": _apply_supplier_credit_note,
    "/api/v1/expenses": _new_expense,
    "/api/v1/expense-reimbursements": _reimbursement,
    "/api/v1/supplier-payments": _new_supplier_payment,
    "/api/v1/supplier-payments/{supplier_payment_id}/allocate": _allocate_supplier_payment,
}


def _guarded(dependant: Any) -> bool:
    return any(sub.call is idempotency or _guarded(sub) for sub in dependant.dependencies)


@pytest.mark.parametrize("path", sorted(MONEY_ROUTES))
def test_the_route_reads_the_key(path: str) -> None:
    [route] = [
        r for r in ROUTES if isinstance(r, APIRoute) and r.path == path and "POST" in r.methods
    ]
    assert _guarded(route.dependant), f"POST {path} ignores Idempotency-Key"


def _send(client: TestClient, owner: Account, path: str, body: Any, key: str, csv: bool) -> Any:
    headers = owner.headers | {"Idempotency-Key": key}
    if csv:
        return client.post(path, headers=headers | CSV, content=body)
    return client.post(path, headers=headers, json=body)


def _state(client: TestClient, owner: Account, paths: list[str]) -> list[Any]:
    return [client.get(path, headers=owner.headers).json() for path in paths]


@pytest.mark.parametrize("path", sorted(MONEY_ROUTES))
def test_a_retry_with_the_same_key_answers_the_same_and_changes_nothing(
    client: TestClient, owner: Account, path: str
) -> None:
    request = MONEY_ROUTES[path](client, owner)
    key = f"retry-{next(_keys)}"
    before = _state(client, owner, request.watch)
    first = _send(client, owner, request.path, request.body, key, request.csv)
    assert first.status_code == request.status, first.text
    after_first = _state(client, owner, request.watch)
    assert after_first != before, "the first request changed nothing: the check proves nothing"

    replay = _send(client, owner, request.path, request.body, key, request.csv)
    assert (replay.status_code, replay.json()) == (first.status_code, first.json())
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert _state(client, owner, request.watch) == after_first

    reused = _send(client, owner, request.other_path, request.other_body, key, request.csv)
    assert reused.status_code == 422, reused.text
    assert reused.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert _state(client, owner, request.watch) == after_first
