"""Contracts every route must keep, checked over the live route table so new routes are
covered without anyone remembering to: a declared scope, and 404 for other tenants' ids."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from comptoir.app import ROUTERS
from comptoir.files.service.storage import storage_for
from comptoir.worker.runner import Worker
from tests.conftest import Account, register
from tests.files.samples import PDF, store
from tests.identity.test_members import accept_new, invite


def _flat(routes: list[Any]) -> list[Any]:
    """Routes with those of included routers spelled out: FastAPI keeps an included
    router as one entry (``original_router``), which would hide its routes from the walks."""
    found = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is None:
            found.append(route)
            continue
        assert not route.include_context.prefix, "give the sub-router its own prefix"
        found.extend(_flat(inner.routes))
    return found


def _api_routes() -> list[APIRoute]:
    return [
        route
        for router in ROUTERS
        for route in _flat(router.routes)
        if isinstance(route, APIRoute) and route.path.startswith("/api/v1")
    ]


def _declared_scope(dependant: Any) -> str | None:
    for dependency in dependant.dependencies:
        scope = getattr(dependency.call, "required_scope", None)
        if scope:
            return str(scope)
        nested = _declared_scope(dependency)
        if nested:
            return nested
    return None


ROUTES = _api_routes()


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{sorted(r.methods)[0]} {r.path}")
def test_every_api_route_declares_a_scope_or_is_public(route: APIRoute) -> None:
    public = getattr(route.endpoint, "public_route", False)
    scope = _declared_scope(route.dependant)
    assert public or scope, f"{route.path} has neither require_scope(...) nor @public"
    if public:
        # Only the authentication entry points may be public, and the payment providers'
        # callbacks, which prove who sends them with a signature instead.
        assert route.path.startswith(
            ("/api/v1/auth/", "/api/v1/invitations/{token}", "/api/v1/payments/callbacks/")
        ), route.path


def test_the_public_routes_are_exactly_the_auth_entry_points() -> None:
    public = sorted(
        f"{sorted(r.methods)[0]} {r.path}"
        for r in ROUTES
        if getattr(r.endpoint, "public_route", False)
    )
    assert public == [
        "GET /api/v1/invitations/{token}/preview",
        "POST /api/v1/auth/login",
        "POST /api/v1/auth/password-reset/confirm",
        "POST /api/v1/auth/password-reset/request",
        "POST /api/v1/auth/refresh",
        "POST /api/v1/auth/register",
        "POST /api/v1/auth/verify-email",
        "POST /api/v1/invitations/{token}/accept",
        "POST /api/v1/payments/callbacks/{provider}",
    ]


# How to find, in another organization, an object for each kind of path parameter.
# A route with a parameter missing here fails the walk below until one is added.
def _other_member(client: TestClient, other: Account, worker: Worker) -> str:
    return str(client.get("/api/v1/members", headers=other.headers).json()[0]["id"])


def _other_invitation(client: TestClient, other: Account, worker: Worker) -> str:
    invite(client, other, "pending@example.net")
    return str(client.get("/api/v1/invitations", headers=other.headers).json()[0]["id"])


def _other_audit_event(client: TestClient, other: Account, worker: Worker) -> str:
    return str(client.get("/api/v1/audit-events", headers=other.headers).json()["items"][0]["id"])


def _other_mail(client: TestClient, other: Account, worker: Worker) -> str:
    invite(client, other, "mailed@example.net")
    worker.drain()
    return str(client.get("/api/v1/mail", headers=other.headers).json()["items"][0]["id"])


def _other_account(client: TestClient, other: Account, worker: Worker) -> str:
    return str(
        client.get("/api/v1/accounts?search=512", headers=other.headers).json()["items"][0]["id"]
    )


def _other_journal(client: TestClient, other: Account, worker: Worker) -> str:
    return str(client.get("/api/v1/journals", headers=other.headers).json()[0]["id"])


def _other_entry(client: TestClient, other: Account, worker: Worker) -> str:
    response = client.post(
        "/api/v1/journal-entries",
        headers=other.headers,
        json={
            "journal": "OD",
            "date": "2026-01-15",
            "post": True,
            "lines": [{"account": "512", "debit": "10.00"}, {"account": "101", "credit": "10.00"}],
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _other_matching(client: TestClient, other: Account, worker: Worker) -> str:
    line_ids = []
    for side, counter in (("debit", "706"), ("credit", "512")):
        entry = client.post(
            "/api/v1/journal-entries",
            headers=other.headers,
            json={
                "journal": "OD",
                "date": "2026-01-15",
                "post": True,
                "lines": [
                    {"account": "411", side: "5.00"},
                    {"account": counter, "credit" if side == "debit" else "debit": "5.00"},
                ],
            },
        ).json()
        line_ids.append(
            next(line["id"] for line in entry["lines"] if line["account_code"] == "411")
        )
    response = client.post("/api/v1/matchings", headers=other.headers, json={"line_ids": line_ids})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _other_rate(client: TestClient, other: Account, worker: Worker) -> str:
    response = client.post(
        "/api/v1/exchange-rates",
        headers=other.headers,
        json={"base": "EUR", "quote": "USD", "date": "2026-01-01", "rate": "1.1"},
    )
    return str(response.json()["id"])


def _other_tax(client: TestClient, other: Account, worker: Worker) -> str:
    taxes = client.get("/api/v1/taxes", headers=other.headers).json()
    return str(taxes[0]["id"])


def _other_party(client: TestClient, other: Account, worker: Worker) -> str:
    # Customer and supplier, so that only the organization can explain a 404.
    party = client.post(
        "/api/v1/customers", headers=other.headers, json={"name": "Theirs", "is_supplier": True}
    )
    assert party.status_code == 201, party.text
    return str(party.json()["id"])


def _other_product(client: TestClient, other: Account, worker: Worker) -> str:
    product = client.post("/api/v1/products", headers=other.headers, json={"name": "Theirs"})
    assert product.status_code == 201, product.text
    return str(product.json()["id"])


def _other_document(path: str) -> Callable[[TestClient, Account, Worker], str]:
    """A draft invoice or credit note of the other organization (drafts answer every
    route that an issued document answers, so only the organization explains a 404)."""

    def make(client: TestClient, other: Account, worker: Worker) -> str:
        party = client.post("/api/v1/customers", headers=other.headers, json={"name": "Theirs"})
        assert party.status_code == 201, party.text
        document = client.post(
            path,
            headers=other.headers,
            json={
                "customer": party.json()["id"],
                "lines": [{"description": "Work", "unit_price": "10.00", "tax_codes": []}],
            },
        )
        assert document.status_code == 201, document.text
        return str(document.json()["id"])

    return make


def _other_payment(client: TestClient, other: Account, worker: Worker) -> str:
    party = client.post("/api/v1/customers", headers=other.headers, json={"name": "Theirs"})
    assert party.status_code == 201, party.text
    payment = client.post(
        "/api/v1/payments",
        headers=other.headers,
        json={"customer": party.json()["id"], "date": "2026-02-10", "amount": "10.00"},
    )
    assert payment.status_code == 201, payment.text
    return str(payment.json()["id"])


def _other_recurring(client: TestClient, other: Account, worker: Worker) -> str:
    party = client.post("/api/v1/customers", headers=other.headers, json={"name": "Theirs"})
    assert party.status_code == 201, party.text
    template = client.post(
        "/api/v1/recurring-invoices",
        headers=other.headers,
        json={
            "name": "Theirs",
            "customer": party.json()["id"],
            "frequency": "monthly",
            "lines": [{"description": "Work", "unit_price": "10.00", "tax_codes": []}],
        },
    )
    assert template.status_code == 201, template.text
    return str(template.json()["id"])


def _other_notification(client: TestClient, other: Account, worker: Worker) -> str:
    _other_payment(client, other, worker)
    worker.drain()
    notices = client.get("/api/v1/notifications", headers=other.headers).json()["items"]
    return str(notices[0]["id"])


def _other_file(client: TestClient, other: Account, worker: Worker) -> str:
    # Files have no upload route of their own yet: the service stores one directly.
    app: Any = client.app
    storage = storage_for(app.state.settings)
    return str(store(app.state.database, storage, other.organization_id, PDF, "bill.pdf").id)


def _other_purchase(path: str) -> Callable[[TestClient, Account, Worker], str]:
    """A draft bill or supplier credit note of the other organization."""

    def make(client: TestClient, other: Account, worker: Worker) -> str:
        party = client.post("/api/v1/suppliers", headers=other.headers, json={"name": "Theirs"})
        assert party.status_code == 201, party.text
        document = client.post(
            path,
            headers=other.headers,
            json={
                "supplier": party.json()["id"],
                "supplier_number": "T-1",
                "lines": [{"description": "Work", "unit_price": "10.00", "account": "606"}],
            },
        )
        assert document.status_code == 201, document.text
        return str(document.json()["id"])

    return make


def _other_expense(client: TestClient, other: Account, worker: Worker) -> str:
    expense = client.post(
        "/api/v1/expenses",
        headers=other.headers,
        json={
            "description": "Taxi",
            "amount": "12.00",
            "category": "travel",
            "paid_by": "employee",
        },
    )
    assert expense.status_code == 201, expense.text
    return str(expense.json()["id"])


def _other_reimbursement(client: TestClient, other: Account, worker: Worker) -> str:
    expense_id = _other_expense(client, other, worker)
    for action in ("submit", "approve"):
        response = client.post(f"/api/v1/expenses/{expense_id}/{action}", headers=other.headers)
        assert response.status_code == 200, response.text
    reimbursement = client.post(
        "/api/v1/expense-reimbursements",
        headers=other.headers,
        json={"employee": other.email, "expenses": [expense_id]},
    )
    assert reimbursement.status_code == 201, reimbursement.text
    return str(reimbursement.json()["id"])


def _other_supplier_payment(client: TestClient, other: Account, worker: Worker) -> str:
    party = client.post("/api/v1/suppliers", headers=other.headers, json={"name": "Theirs"})
    assert party.status_code == 201, party.text
    payment = client.post(
        "/api/v1/supplier-payments",
        headers=other.headers,
        json={"supplier": party.json()["id"], "date": "2026-02-10", "amount": "10.00"},
    )
    assert payment.status_code == 201, payment.text
    return str(payment.json()["id"])


def _other_webhook_endpoint(client: TestClient, other: Account, worker: Worker) -> str:
    # A public address literal: the URL check resolves no name and refuses private targets.
    response = client.post(
        "/api/v1/webhooks", headers=other.headers, json={"url": "https://93.184.215.14/hooks"}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _other_webhook_delivery(client: TestClient, other: Account, worker: Worker) -> str:
    endpoint_id = _other_webhook_endpoint(client, other, worker)
    response = client.post(f"/api/v1/webhooks/{endpoint_id}/test", headers=other.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def _other_api_token(client: TestClient, other: Account, worker: Worker) -> str:
    response = client.post(
        "/api/v1/api-tokens",
        headers=other.headers,
        json={"name": "Theirs", "scopes": ["invoices:read"]},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _other_vat_return(client: TestClient, other: Account, worker: Worker) -> str:
    response = client.post(
        "/api/v1/accounting/vat/returns", headers=other.headers, json={"period": "2026-01"}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


OTHER_TENANT_IDS: dict[str, Callable[[TestClient, Account, Worker], str]] = {
    "member_id": _other_member,
    "invitation_id": _other_invitation,
    "event_id": _other_audit_event,
    "message_id": _other_mail,
    "account_id": _other_account,
    "journal_id": _other_journal,
    "entry_id": _other_entry,
    "matching_id": _other_matching,
    "rate_id": _other_rate,
    "tax_id": _other_tax,
    "party_id": _other_party,
    "product_id": _other_product,
    "invoice_id": _other_document("/api/v1/invoices"),
    "credit_note_id": _other_document("/api/v1/credit-notes"),
    "quote_id": _other_document("/api/v1/quotes"),
    "payment_id": _other_payment,
    "recurring_id": _other_recurring,
    # The portal's document pages: any kind of sales document.
    "document_id": _other_document("/api/v1/invoices"),
    "file_id": _other_file,
    # Not a tenant id (which rendition of a file), but the web walk fills every parameter.
    "variant": lambda client, other, worker: "original",
    "notification_id": _other_notification,
    "bill_id": _other_purchase("/api/v1/bills"),
    "expense_id": _other_expense,
    "reimbursement_id": _other_reimbursement,
    "supplier_credit_note_id": _other_purchase("/api/v1/supplier-credit-notes"),
    "supplier_payment_id": _other_supplier_payment,
    "endpoint_id": _other_webhook_endpoint,
    "delivery_id": _other_webhook_delivery,
    "token_id": _other_api_token,
    "return_id": _other_vat_return,
}
# Parameters that are not tenant ids: secrets carried in a link; a payment provider's name
# (one of a fixed list: each organization has its own connection under the same name);
# an e-mail template's kind (each organization has its own wording of the same kinds); which
# rendition of a stored file is asked for (original or thumbnail); which kind of document
# approval rules apply to (expense or bill: each organization has its own rules of each).
NOT_TENANT_IDS = {"token", "provider", "kind", "variant", "applies_to"}
# A valid body for routes that take one, so that validation does not answer first.
SAMPLE_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/v1/members/{member_id}"): {"role": "viewer"},
    ("PATCH", "/api/v1/accounts/{account_id}"): {"name": "Renamed"},
    ("PATCH", "/api/v1/journals/{journal_id}"): {"name": "Renamed"},
    ("PUT", "/api/v1/journal-entries/{entry_id}"): {
        "journal": "OD",
        "date": "2026-01-15",
        "lines": [{"account": "512", "debit": "1.00"}, {"account": "101", "credit": "1.00"}],
    },
    ("POST", "/api/v1/journal-entries/{entry_id}/reverse"): {"date": "2026-01-20"},
    ("PATCH", "/api/v1/taxes/{tax_id}"): {"active": False},
    ("PATCH", "/api/v1/customers/{party_id}"): {"name": "Renamed"},
    ("PATCH", "/api/v1/suppliers/{party_id}"): {"name": "Renamed"},
    ("PATCH", "/api/v1/products/{product_id}"): {"name": "Renamed"},
    ("PATCH", "/api/v1/invoices/{invoice_id}"): {"notes": "Changed"},
    ("PATCH", "/api/v1/credit-notes/{credit_note_id}"): {"notes": "Changed"},
    ("PATCH", "/api/v1/quotes/{quote_id}"): {"notes": "Changed"},
    ("POST", "/api/v1/quotes/{quote_id}/reject"): {"reason": "Too cheap"},
    ("POST", "/api/v1/quotes/{quote_id}/send"): {},
    ("POST", "/api/v1/quotes/{quote_id}/accept"): {},
    ("POST", "/api/v1/quotes/{quote_id}/decline"): {},
    ("POST", "/api/v1/credit-notes/{credit_note_id}/apply"): {"invoice": "F-1", "amount": "1"},
    ("POST", "/api/v1/invoices/{invoice_id}/send"): {},
    ("POST", "/api/v1/credit-notes/{credit_note_id}/send"): {},
    ("PATCH", "/api/v1/recurring-invoices/{recurring_id}"): {"name": "Renamed"},
    ("POST", "/api/v1/payments/{payment_id}/allocate"): {
        "allocations": [{"invoice": "F-1", "amount": "1"}]
    },
    ("PATCH", "/api/v1/bills/{bill_id}"): {"notes": "Changed"},
    ("POST", "/api/v1/bills/{bill_id}/reject"): {"reason": "Wrong"},
    ("POST", "/api/v1/bills/{bill_id}/cancel"): {"supplier_number": "AV-1"},
    ("PATCH", "/api/v1/supplier-credit-notes/{supplier_credit_note_id}"): {"notes": "Changed"},
    ("POST", "/api/v1/supplier-credit-notes/{supplier_credit_note_id}/apply"): {
        "allocations": [{"bill": "F-1", "amount": "1"}]
    },
}
SAMPLE_BODIES |= {
    ("PATCH", "/api/v1/expenses/{expense_id}"): {"note": "Changed"},
    ("POST", "/api/v1/expenses/{expense_id}/reject"): {"reason": "Wrong"},
    # Receipts are multipart: the walk's JSON body carries no file, and the expense or bill
    # is looked up before the missing file is noticed.
    ("POST", "/api/v1/expenses/{expense_id}/receipts"): {},
    ("POST", "/api/v1/bills/{bill_id}/receipts"): {},
}
SAMPLE_BODIES |= {
    ("POST", "/api/v1/supplier-payments/{supplier_payment_id}/allocate"): {
        "allocations": [{"bill": "F-1", "amount": "1"}]
    },
}
SAMPLE_BODIES |= {
    ("PATCH", "/api/v1/webhooks/{endpoint_id}"): {"description": "Changed"},
}
# Required query parameters, so that validation does not answer first.
SAMPLE_QUERIES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/api/v1/accounts/{account_id}/balance"): {"as_of": "2026-12-31"},
}


def _walk() -> list[tuple[str, APIRoute]]:
    cases = []
    for route in ROUTES:
        params = set(re.findall(r"{(\w+)}", route.path)) - NOT_TENANT_IDS
        if params:
            cases.extend((method, route) for method in sorted(route.methods))
    return cases


def _params(route: APIRoute) -> tuple[str, ...]:
    return tuple(sorted(set(re.findall(r"{(\w+)}", route.path))))


def _grouped(cases: list[tuple[str, APIRoute]]) -> list[list[tuple[str, APIRoute]]]:
    """The routes taking the same kinds of ids, together: one pair of organizations and
    one set of the other's records serve them all (setting them up is the slow part)."""
    groups: dict[tuple[str, ...], list[tuple[str, APIRoute]]] = {}
    for method, route in cases:
        groups.setdefault(_params(route), []).append((method, route))
    return [groups[key] for key in sorted(groups)]


def _group_id(group: list[tuple[str, APIRoute]]) -> str:
    return "-".join(_params(group[0][1]))


class _Tenants:
    """Our organization (with a second admin, so that nothing the owner does is refused
    for being the last owner) and another one, whose records are made once per kind."""

    def __init__(self, client: TestClient, worker: Worker) -> None:
        self.client = client
        self.worker = worker
        self.mine = register(client, organization_name="Mine SARL")
        accept_new(client, invite(client, self.mine, "colleague@example.net", role="admin"))
        self.other = register(client, organization_name="Theirs SARL")
        self._ids: dict[str, str] = {}

    def path_of(self, route: APIRoute) -> str:
        for param in _params(route):
            assert param in OTHER_TENANT_IDS, f"add a factory for {{{param}}} to OTHER_TENANT_IDS"
            if param not in self._ids:
                self._ids[param] = OTHER_TENANT_IDS[param](self.client, self.other, self.worker)
        return route.path.format(**self._ids)

    def untouched(self) -> bool:
        """Nothing of theirs changed: their audit trail records no action by us."""
        actions = self.client.get("/api/v1/audit-events", headers=self.other.headers)
        return all(e["actor_email"] == self.other.email for e in actions.json()["items"])


@pytest.mark.parametrize("group", _grouped(_walk()), ids=_group_id)
def test_other_tenants_ids_answer_404(
    client: TestClient, worker: Worker, group: list[tuple[str, APIRoute]]
) -> None:
    tenants = _Tenants(client, worker)
    failures = []
    for method, route in group:
        path = tenants.path_of(route)
        body = SAMPLE_BODIES.get((method, route.path))
        if route.body_field is not None:
            assert body is not None, f"add a sample body for {method} {route.path} to SAMPLE_BODIES"
        params = SAMPLE_QUERIES.get((method, route.path))
        response = client.request(
            method, path, headers=tenants.mine.headers, json=body, params=params
        )
        if (
            response.status_code != 404
            or response.headers["content-type"] != "application/problem+json"
            or not tenants.untouched()
        ):
            failures.append((method, route.path, response.status_code, response.text[:200]))
    assert not failures, failures


# The web pages follow the same rule: another organization's ids answer the 404 page.
WEB_SAMPLE_FORMS: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/settings/members/{member_id}/role"): {"role": "viewer"},
    ("POST", "/accounting/accounts/{account_id}/edit"): {
        "code": "512",
        "name": "Renamed",
        "type": "asset",
    },
    ("POST", "/accounting/journals/{journal_id}/edit"): {
        "code": "BQ",
        "name": "Renamed",
        "type": "bank",
    },
    ("POST", "/accounting/entries/{entry_id}/edit"): {
        "journal": "OD",
        "date": "2026-01-15",
        "lines.0.account": "512",
        "lines.0.debit": "1.00",
        "lines.1.account": "101",
        "lines.1.credit": "1.00",
        "action": "post",
    },
    ("POST", "/accounting/entries/{entry_id}/reverse"): {"date": "2026-01-20"},
}
WEB_SAMPLE_FORMS |= {
    ("POST", "/settings/webhooks/{endpoint_id}"): {
        "url": "https://93.184.215.14/hooks",
        "description": "Changed",
        "events": "all",
        "enabled": "on",
    },
}


def _web_walk() -> list[tuple[str, APIRoute]]:
    cases = []
    for router in ROUTERS:
        for route in _flat(router.routes):
            if not isinstance(route, APIRoute) or route.path.startswith("/api"):
                continue
            if set(re.findall(r"{(\w+)}", route.path)) - NOT_TENANT_IDS:
                cases.extend((method, route) for method in sorted(route.methods))
    return cases


def _web_login(client: TestClient, email: str, password: str) -> str:
    client.get("/login")
    csrf = client.cookies.get("comptoir_csrf")
    assert csrf
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code in {302, 303}, response.text
    return csrf


@pytest.mark.parametrize("group", _grouped(_web_walk()), ids=_group_id)
def test_other_tenants_ids_answer_404_in_the_web_app(
    client: TestClient, worker: Worker, group: list[tuple[str, APIRoute]]
) -> None:
    tenants = _Tenants(client, worker)
    paths = [(method, route, tenants.path_of(route)) for method, route in group]
    csrf = _web_login(client, tenants.mine.email, tenants.mine.password)
    failures = []
    for method, route, path in paths:
        form = {**WEB_SAMPLE_FORMS.get((method, route.path), {}), "csrf_token": csrf}
        response = client.request(
            method, path, data=form if method == "POST" else None, follow_redirects=False
        )
        if (
            response.status_code != 404
            or not response.headers["content-type"].startswith("text/html")
            or not tenants.untouched()
        ):
            failures.append((method, route.path, response.status_code))
    assert not failures, failures
