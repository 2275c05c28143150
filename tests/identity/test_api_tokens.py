"""Personal access tokens: creation and its ceilings, the scope guard, expiry, revocation,
regeneration, the member's current role, the IP allowlist and per-day usage."""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from comptoir.app import ROUTERS
from comptoir.audit.models import AuditEvent
from comptoir.identity.models import ApiToken, User
from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.scopes import SCOPES
from comptoir.kit.settings import Settings
from comptoir.kit.tenancy import all_tenants
from tests.conftest import PASSWORD, Account, login, register
from tests.identity.test_members import accept_new, bearer, invite

TOKEN_SHAPE = re.compile(r"^cpt_[A-Za-z0-9_-]{43}$")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Usage reaches the database after every request, so that tests can read it at once.
    return settings.model_copy(update={"api_usage_flush_seconds": 0})


def create_token(
    client: TestClient, headers: dict[str, str], scopes: list[str], **fields: Any
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/api-tokens",
        headers=headers,
        json={"name": fields.pop("name", "Script"), "scopes": scopes, **fields},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def auth(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


@contextmanager
def at_window_start(seconds: int = 60) -> Iterator[None]:
    """Move the clock to the start of the next rate-limit window (minute, or hour with
    3600): a test counting requests in one window then has the whole window."""
    moment = clock.now().timestamp()
    with clock.travel(timedelta(seconds=seconds - moment % seconds + 0.5)):
        yield


def member(client: TestClient, owner: Account, email: str, role: str) -> dict[str, str]:
    """A member of the owner's organization with ``role``; their auth headers."""
    return bearer(accept_new(client, invite(client, owner, email, role=role)))


def membership_id(client: TestClient, owner: Account, email: str) -> str:
    members = client.get("/api/v1/members", headers=owner.headers).json()
    return str(next(m["id"] for m in members if m["email"] == email))


def new_invoice(client: TestClient, headers: dict[str, str]) -> str:
    party = client.post("/api/v1/customers", headers=headers, json={"name": "Client SA"})
    assert party.status_code == 201, party.text
    invoice = client.post(
        "/api/v1/invoices",
        headers=headers,
        json={
            "customer": party.json()["id"],
            "lines": [{"description": "Work", "unit_price": "10.00", "tax_codes": []}],
        },
    )
    assert invoice.status_code == 201, invoice.text
    return str(invoice.json()["id"])


# -- creation ----------------------------------------------------------------------------


def test_the_secret_is_shown_once_and_only_its_hash_is_kept(
    client: TestClient, owner: Account, database: Database
) -> None:
    created = create_token(
        client,
        owner.headers,
        ["parties:read", "invoices:read", "invoices:read"],
        name="  Shop   sync ",
        ip_allowlist=["203.0.113.7/24", "2001:db8::1"],
    )
    raw = created["token"]
    assert TOKEN_SHAPE.match(raw)
    assert created["prefix"] == raw[:12]
    assert created["name"] == "Shop sync"
    assert created["scopes"] == ["invoices:read", "parties:read"]
    assert created["ip_allowlist"] == ["203.0.113.0/24", "2001:db8::1/128"]
    assert created["status"] == "active"
    assert created["user_email"] == owner.email

    listed = client.get("/api/v1/api-tokens", headers=owner.headers).json()["items"]
    fetched = client.get(f"/api/v1/api-tokens/{created['id']}", headers=owner.headers).json()
    assert [item["id"] for item in listed] == [created["id"]]
    assert "token" not in listed[0] and "token" not in fetched
    assert raw not in str(listed) + str(fetched)

    with database.session() as session, all_tenants(session):
        row = session.get(ApiToken, uuid.UUID(created["id"]))
        assert row is not None
        assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
        assert raw not in str({c.name: getattr(row, c.name) for c in ApiToken.__table__.columns})
        actions = [e.action for e in session.scalars(select(AuditEvent))]
    assert "api_token.created" in actions


def test_two_tokens_never_share_a_secret(client: TestClient, owner: Account) -> None:
    secrets = {create_token(client, owner.headers, ["invoices:read"])["token"] for _ in range(5)}
    assert len(secrets) == 5


def test_a_member_cannot_grant_a_scope_their_role_lacks(client: TestClient, owner: Account) -> None:
    sales = member(client, owner, "sales@example.net", "sales")
    response = client.post(
        "/api/v1/api-tokens",
        headers=sales,
        json={"name": "Too much", "scopes": ["invoices:write", "bills:write"]},
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("scopes", "scope_not_allowed")]
    assert "bills:write" in errors[0]["message"]
    allowed = create_token(client, sales, ["invoices:write", "quotes:read"])
    assert allowed["scopes"] == ["invoices:write", "quotes:read"]


def _in(days: int) -> str:
    return (clock.now() + timedelta(days=days)).isoformat()


BAD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("name-not-text", {"name": 5, "scopes": ["invoices:read"]}, "name"),
    ("name-empty", {"name": "", "scopes": ["invoices:read"]}, "name"),
    ("name-blank", {"name": "   ", "scopes": ["invoices:read"]}, "name"),
    ("name-huge", {"name": "x" * 101, "scopes": ["invoices:read"]}, "name"),
    ("scopes-not-a-list", {"name": "t", "scopes": "invoices:read"}, "scopes"),
    ("scopes-empty", {"name": "t", "scopes": []}, "scopes"),
    ("scope-unknown", {"name": "t", "scopes": ["invoices:delete"]}, "scopes"),
    ("scope-audit-write", {"name": "t", "scopes": ["audit:write"]}, "scopes"),
    ("scope-not-text", {"name": "t", "scopes": [7]}, "scopes.0"),
    (
        "expiry-not-a-date",
        {"name": "t", "scopes": ["invoices:read"], "expires_at": "soon"},
        "expires_at",
    ),
    (
        "expiry-past",
        {"name": "t", "scopes": ["invoices:read"], "expires_at": "2020-01-01T00:00:00Z"},
        "expires_at",
    ),
    (
        "expiry-over-5-years",
        {"name": "t", "scopes": ["invoices:read"], "expires_at": "2099-01-01T00:00:00Z"},
        "expires_at",
    ),
    # Moments that exist with their offset but not in UTC.
    (
        "expiry-before-year-1-in-utc",
        {"name": "t", "scopes": ["invoices:read"], "expires_at": "0001-01-01T00:00:00+05:00"},
        "expires_at",
    ),
    (
        "expiry-after-year-9999-in-utc",
        {"name": "t", "scopes": ["invoices:read"], "expires_at": "9999-12-31T23:59:59-05:00"},
        "expires_at",
    ),
    (
        "cidr-bad",
        {"name": "t", "scopes": ["invoices:read"], "ip_allowlist": ["10.0.0.0/33"]},
        "ip_allowlist.0",
    ),
    (
        "cidr-words",
        {"name": "t", "scopes": ["invoices:read"], "ip_allowlist": ["1.2.3.4", "office"]},
        "ip_allowlist.1",
    ),
    (
        "cidr-too-many",
        {
            "name": "t",
            "scopes": ["invoices:read"],
            "ip_allowlist": [f"10.0.0.{i}" for i in range(51)],
        },
        "ip_allowlist",
    ),
    (
        "limit-zero",
        {"name": "t", "scopes": ["invoices:read"], "requests_per_minute": 0},
        "requests_per_minute",
    ),
    (
        "limit-text",
        {"name": "t", "scopes": ["invoices:read"], "requests_per_minute": "10"},
        "requests_per_minute",
    ),
    (
        "limit-above-organization",
        {"name": "t", "scopes": ["invoices:read"], "requests_per_minute": 301},
        "requests_per_minute",
    ),
    (
        "hour-above-organization",
        {"name": "t", "scopes": ["invoices:read"], "requests_per_hour": 10001},
        "requests_per_hour",
    ),
    (
        "minute-above-hour",
        {
            "name": "t",
            "scopes": ["invoices:read"],
            "requests_per_minute": 100,
            "requests_per_hour": 50,
        },
        "requests_per_minute",
    ),
    ("unknown-field", {"name": "t", "scopes": ["invoices:read"], "role": "owner"}, "role"),
]


@pytest.mark.parametrize(
    ("body", "field"), [(b, f) for _, b, f in BAD_BODIES], ids=[i for i, _, _ in BAD_BODIES]
)
def test_bad_input_is_refused_with_field_errors(
    client: TestClient, owner: Account, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/api-tokens", headers=owner.headers, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert client.get("/api/v1/api-tokens", headers=owner.headers).json()["items"] == []


def test_a_naive_expiry_is_read_as_utc(client: TestClient, owner: Account) -> None:
    moment = (clock.now() + timedelta(days=3)).replace(tzinfo=None, microsecond=0)
    created = create_token(client, owner.headers, ["invoices:read"], expires_at=moment.isoformat())
    assert datetime.fromisoformat(created["expires_at"]) == moment.replace(tzinfo=UTC)


def test_a_10_mb_body_is_refused_before_it_is_read(client: TestClient, owner: Account) -> None:
    response = client.post(
        "/api/v1/api-tokens",
        headers={**owner.headers, "content-type": "application/json"},
        content=b'{"name": "' + b"x" * (10 * 1024 * 1024) + b'", "scopes": []}',
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_the_scope_list_names_every_scope(client: TestClient, owner: Account) -> None:
    assert client.get("/api/v1/api-tokens/scopes").status_code == 401
    scopes = client.get("/api/v1/api-tokens/scopes", headers=owner.headers).json()
    assert list(scopes) == ["items"]
    assert {s["scope"]: s["description"] for s in scopes["items"]} == SCOPES
    viewer = member(client, owner, "viewer@example.net", "viewer")
    assert client.get("/api/v1/api-tokens/scopes", headers=viewer).status_code == 200


# -- the scope guard ---------------------------------------------------------------------


def _flat(routes: list[Any]) -> list[Any]:
    found = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        found.extend([route] if inner is None else _flat(inner.routes))
    return found


def _scope_of(dependant: Any) -> str | None:
    for dependency in dependant.dependencies:
        scope = getattr(dependency.call, "required_scope", None) or _scope_of(dependency)
        if scope:
            return str(scope)
    return None


def _routes(scope: str, methods: set[str]) -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for router in ROUTERS
        for route in _flat(router.routes)
        if isinstance(route, APIRoute)
        and route.path.startswith("/api/v1")
        and _scope_of(route.dependant) == scope
        for method in route.methods & methods
    )


INVOICE_WRITES = _routes("invoices:write", {"POST", "PUT", "PATCH", "DELETE"})
INVOICE_READS = _routes("invoices:read", {"GET"})


def test_the_walk_finds_the_invoice_routes() -> None:
    assert ("POST", "/api/v1/invoices") in INVOICE_WRITES
    assert ("POST", "/api/v1/invoices/{invoice_id}/issue") in INVOICE_WRITES
    assert ("GET", "/api/v1/invoices/{invoice_id}") in INVOICE_READS


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"{(\w+)}", lambda m: ids.get(m.group(1), str(uuid.uuid4())), path)


def test_a_read_only_token_is_refused_every_invoice_write(
    client: TestClient, owner: Account
) -> None:
    invoice_id = new_invoice(client, owner.headers)
    reader = auth(create_token(client, owner.headers, ["invoices:read"])["token"])
    before = client.get(f"/api/v1/invoices/{invoice_id}", headers=owner.headers).json()
    refused = []
    for method, path in INVOICE_WRITES:
        response = client.request(
            method,
            _fill(path, {"invoice_id": invoice_id, "kind": "invoice"}),
            headers=reader,
            json={},
        )
        if response.status_code != 403 or response.json()["code"] != "insufficient_scope":
            refused.append((method, path, response.status_code))
    assert refused == []
    assert client.get(f"/api/v1/invoices/{invoice_id}", headers=owner.headers).json() == before
    assert len(client.get("/api/v1/invoices", headers=owner.headers).json()["items"]) == 1


def test_a_read_only_token_reads_what_its_owner_reads(client: TestClient, owner: Account) -> None:
    invoice_id = new_invoice(client, owner.headers)
    reader = auth(create_token(client, owner.headers, ["invoices:read"])["token"])
    differences = []
    for method, path in INVOICE_READS:
        url = _fill(path, {"invoice_id": invoice_id, "kind": "invoice_sent"})
        mine = client.request(method, url, headers=owner.headers)
        token = client.request(method, url, headers=reader)
        if token.status_code != mine.status_code or token.status_code == 403:
            differences.append((path, mine.status_code, token.status_code))
    assert differences == []
    listed = client.get("/api/v1/invoices", headers=reader)
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()["items"]] == [invoice_id]
    assert client.get("/api/v1/customers", headers=reader).json()["code"] == "insufficient_scope"


TOKEN_WRITES = sorted(
    (method, route.path)
    for router in ROUTERS
    for route in _flat(router.routes)
    if isinstance(route, APIRoute) and route.path.startswith("/api/v1/api-tokens")
    for method in route.methods - {"GET", "HEAD"}
)


def test_the_walk_finds_every_token_write() -> None:
    assert TOKEN_WRITES == [
        ("POST", "/api/v1/api-tokens"),
        ("POST", "/api/v1/api-tokens/{token_id}/regenerate"),
        ("POST", "/api/v1/api-tokens/{token_id}/revoke"),
        ("PUT", "/api/v1/api-tokens/limits"),
    ]


@pytest.mark.parametrize(
    ("method", "path"), TOKEN_WRITES, ids=[f"{m} {p}" for m, p in TOKEN_WRITES]
)
def test_a_token_manages_no_tokens(
    client: TestClient, owner: Account, method: str, path: str
) -> None:
    # A narrow token holding api_tokens:write could otherwise take a broader sibling's
    # secret by regenerating it, or mint children free of its own expiry and allowlist.
    minter = create_token(
        client,
        owner.headers,
        ["api_tokens:read", "api_tokens:write", "organization:write", "invoices:read"],
        expires_at=_in(1),
    )
    sibling = create_token(client, owner.headers, sorted(SCOPES))
    bodies = {
        "/api/v1/api-tokens": {"name": "Child", "scopes": ["invoices:read"]},
        "/api/v1/api-tokens/limits": {"requests_per_minute": 1, "requests_per_hour": 1},
    }
    before = client.get(f"/api/v1/api-tokens/{sibling['id']}", headers=owner.headers).json()
    response = client.request(
        method,
        _fill(path, {"token_id": sibling["id"]}),
        headers=auth(minter["token"]),
        json=bodies.get(path),
    )
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "token_not_allowed"
    assert "cpt_" not in response.text
    after = client.get(f"/api/v1/api-tokens/{sibling['id']}", headers=owner.headers).json()
    assert after == before
    listed = client.get("/api/v1/api-tokens", headers=auth(minter["token"]))
    assert listed.status_code == 200
    assert {t["id"] for t in listed.json()["items"]} == {minter["id"], sibling["id"]}
    assert client.get("/api/v1/api-tokens/limits", headers=owner.headers).json() == {
        "requests_per_minute": 300,
        "requests_per_hour": 10000,
    }
    assert client.get("/api/v1/invoices", headers=auth(sibling["token"])).status_code == 200


def test_another_organizations_token_is_unknown(client: TestClient, owner: Account) -> None:
    other = register(client, organization_name="Other SARL")
    theirs = create_token(client, other.headers, ["invoices:read"])
    for method, suffix in (
        ("GET", ""),
        ("GET", "/usage"),
        ("POST", "/revoke"),
        ("POST", "/regenerate"),
    ):
        response = client.request(
            method, f"/api/v1/api-tokens/{theirs['id']}{suffix}", headers=owner.headers
        )
        assert response.status_code == 404, (suffix, response.text)
    assert (
        client.get(f"/api/v1/api-tokens/{theirs['id']}", headers=other.headers).json()["status"]
        == "active"
    )
    # Their token works in their organization only.
    mine = client.get("/api/v1/invoices", headers=auth(theirs["token"]))
    assert mine.status_code == 200 and mine.json()["items"] == []


def test_members_see_their_own_tokens_and_admins_every_one(
    client: TestClient, owner: Account
) -> None:
    accountant = member(client, owner, "accountant@example.net", "accountant")
    theirs = create_token(client, accountant, ["invoices:read"])
    mine = create_token(client, owner.headers, ["invoices:read"])
    assert [
        t["id"] for t in client.get("/api/v1/api-tokens", headers=accountant).json()["items"]
    ] == [theirs["id"]]
    assert client.get(f"/api/v1/api-tokens/{mine['id']}", headers=accountant).status_code == 404
    assert (
        client.post(f"/api/v1/api-tokens/{mine['id']}/revoke", headers=accountant).status_code
        == 404
    )
    refused = client.get("/api/v1/api-tokens?all=true", headers=accountant)
    assert refused.status_code == 403 and refused.json()["code"] == "admin_required"

    everyone = client.get("/api/v1/api-tokens?all=true", headers=owner.headers).json()["items"]
    assert {(t["id"], t["user_email"]) for t in everyone} == {
        (theirs["id"], "accountant@example.net"),
        (mine["id"], owner.email),
    }
    assert [
        t["id"] for t in client.get("/api/v1/api-tokens", headers=owner.headers).json()["items"]
    ] == [mine["id"]]
    # Admins may revoke a member's token, not take over its secret.
    regenerated = client.post(
        f"/api/v1/api-tokens/{theirs['id']}/regenerate", headers=owner.headers
    )
    assert regenerated.status_code == 403 and regenerated.json()["code"] == "not_token_owner"
    revoked = client.post(f"/api/v1/api-tokens/{theirs['id']}/revoke", headers=owner.headers)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert (
        client.get("/api/v1/invoices", headers=auth(theirs["token"])).json()["code"]
        == "token_revoked"
    )


def test_lists_page_with_a_cursor(client: TestClient, owner: Account) -> None:
    made = [
        create_token(client, owner.headers, ["invoices:read"], name=f"T{i}")["id"] for i in range(5)
    ]
    first = client.get("/api/v1/api-tokens?limit=3", headers=owner.headers).json()
    second = client.get(
        f"/api/v1/api-tokens?limit=3&cursor={first['next_cursor']}", headers=owner.headers
    ).json()
    assert [t["id"] for t in first["items"] + second["items"]] == made[::-1]
    assert second["next_cursor"] is None


# -- the token's life --------------------------------------------------------------------


def test_an_expired_token_is_refused(
    client: TestClient, owner: Account, database: Database
) -> None:
    created = create_token(client, owner.headers, ["invoices:read"], expires_at=_in(1))
    assert client.get("/api/v1/invoices", headers=auth(created["token"])).status_code == 200
    with clock.travel(timedelta(days=1, seconds=1)):
        response = client.get("/api/v1/invoices", headers=auth(created["token"]))
        assert response.status_code == 401
        assert response.json()["code"] == "token_expired"
        assert response.headers["www-authenticate"] == "Bearer"
    # The owner's log-in lives 15 minutes, not a day: the token's expiry comes to them.
    with database.unit_of_work() as session, all_tenants(session):
        row = session.get(ApiToken, uuid.UUID(created["id"]))
        assert row is not None
        row.expires_at = clock.now() - timedelta(seconds=1)
    shown = client.get(f"/api/v1/api-tokens/{created['id']}", headers=owner.headers).json()
    assert shown["status"] == "expired"
    again = client.post(f"/api/v1/api-tokens/{created['id']}/regenerate", headers=owner.headers)
    assert again.status_code == 409 and again.json()["code"] == "token_expired"


def test_a_revoked_token_stops_at_once(
    client: TestClient, owner: Account, database: Database
) -> None:
    created = create_token(client, owner.headers, ["invoices:read", "api_tokens:write"])
    token = auth(created["token"])
    assert client.get("/api/v1/invoices", headers=token).status_code == 200
    revoked = client.post(f"/api/v1/api-tokens/{created['id']}/revoke", headers=owner.headers)
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked" and revoked.json()["revoked_at"]
    response = client.get("/api/v1/invoices", headers=token)
    assert response.status_code == 401 and response.json()["code"] == "token_revoked"
    again = client.post(f"/api/v1/api-tokens/{created['id']}/revoke", headers=owner.headers)
    assert again.status_code == 200 and again.json()["revoked_at"] == revoked.json()["revoked_at"]
    regenerate = client.post(
        f"/api/v1/api-tokens/{created['id']}/regenerate", headers=owner.headers
    )
    assert regenerate.status_code == 409 and regenerate.json()["code"] == "token_revoked"
    with database.session() as session, all_tenants(session):
        actions = [e.action for e in session.scalars(select(AuditEvent))]
    assert actions.count("api_token.revoked") == 1


def test_two_revocations_at_once_leave_one_state(
    client: TestClient, owner: Account, database: Database
) -> None:
    created = create_token(client, owner.headers, ["invoices:read"])
    barrier = threading.Barrier(2)
    answers: list[tuple[int, dict[str, Any]]] = []

    def revoke() -> None:
        barrier.wait(timeout=10)
        response = client.post(f"/api/v1/api-tokens/{created['id']}/revoke", headers=owner.headers)
        answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=revoke) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [status for status, _ in answers] == [200, 200]
    assert answers[0][1]["revoked_at"] == answers[1][1]["revoked_at"]
    with database.session() as session, all_tenants(session):
        actions = [e.action for e in session.scalars(select(AuditEvent))]
    assert actions.count("api_token.revoked") == 1


def test_regenerating_replaces_the_secret_and_keeps_the_settings(
    client: TestClient, owner: Account
) -> None:
    created = create_token(
        client, owner.headers, ["invoices:read"], requests_per_minute=50, requests_per_hour=500
    )
    regenerated = client.post(
        f"/api/v1/api-tokens/{created['id']}/regenerate", headers=owner.headers
    )
    assert regenerated.status_code == 200, regenerated.text
    body = regenerated.json()
    assert TOKEN_SHAPE.match(body["token"]) and body["token"] != created["token"]
    assert body["prefix"] == body["token"][:12]
    assert body["regenerated_at"]
    for key in ("id", "name", "scopes", "requests_per_minute", "requests_per_hour", "created_at"):
        assert body[key] == created[key]
    old = client.get("/api/v1/invoices", headers=auth(created["token"]))
    assert old.status_code == 401 and old.json()["code"] == "invalid_token"
    assert client.get("/api/v1/invoices", headers=auth(body["token"])).status_code == 200


def test_a_demoted_members_tokens_shrink_with_them(client: TestClient, owner: Account) -> None:
    accountant = member(client, owner, "accountant@example.net", "accountant")
    created = create_token(client, accountant, ["invoices:read", "invoices:write", "parties:write"])
    token = auth(created["token"])
    assert (
        client.post("/api/v1/customers", headers=token, json={"name": "Before"}).status_code == 201
    )
    membership = membership_id(client, owner, "accountant@example.net")
    demoted = client.patch(
        f"/api/v1/members/{membership}", headers=owner.headers, json={"role": "viewer"}
    )
    assert demoted.status_code == 200, demoted.text
    refused = client.post("/api/v1/customers", headers=token, json={"name": "After"})
    assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope"
    assert client.get("/api/v1/invoices", headers=token).status_code == 200
    me = client.get("/api/v1/auth/me", headers=token).json()
    assert me["role"] == "viewer"
    assert me["scopes"] == ["invoices:read"]
    # Promoted again, the token gets back what it was given, and no more.
    client.patch(f"/api/v1/members/{membership}", headers=owner.headers, json={"role": "admin"})
    assert client.get("/api/v1/auth/me", headers=token).json()["scopes"] == created["scopes"]


def test_a_removed_or_disabled_members_token_is_refused(
    client: TestClient, owner: Account, database: Database
) -> None:
    accountant = member(client, owner, "accountant@example.net", "accountant")
    removed = auth(create_token(client, accountant, ["invoices:read"])["token"])
    assert client.get("/api/v1/invoices", headers=removed).status_code == 200
    membership = membership_id(client, owner, "accountant@example.net")
    assert client.delete(f"/api/v1/members/{membership}", headers=owner.headers).status_code == 204
    response = client.get("/api/v1/invoices", headers=removed)
    assert response.status_code == 401 and response.json()["code"] == "not_a_member"

    disabled = auth(create_token(client, owner.headers, ["invoices:read"])["token"])
    with database.unit_of_work() as session:
        user = session.get(User, uuid.UUID(owner.user_id))
        assert user is not None
        user.is_active = False
    response = client.get("/api/v1/invoices", headers=disabled)
    assert response.status_code == 401 and response.json()["code"] == "account_disabled"


def test_unknown_tokens_are_refused(client: TestClient, owner: Account) -> None:
    for raw in ("cpt_", "cpt_" + "A" * 43, "cpt_" + "!" * 5000):
        response = client.get("/api/v1/invoices", headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code == 401, raw
        assert response.json()["code"] == "invalid_token"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/auth/logout", None),
        (
            "POST",
            "/api/v1/auth/change-password",
            {"current_password": "x" * 12, "new_password": "y" * 12},
        ),
        ("POST", "/api/v1/auth/switch-organization", {"organization_id": str(uuid.UUID(int=1))}),
    ],
    ids=["logout", "change-password", "switch-organization"],
)
def test_session_routes_refuse_tokens(
    client: TestClient, owner: Account, method: str, path: str, body: dict[str, Any] | None
) -> None:
    token = auth(create_token(client, owner.headers, sorted(SCOPES))["token"])
    response = client.request(method, path, headers=token, json=body)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "token_not_allowed"
    assert client.get("/api/v1/auth/me", headers=token).status_code == 200


def _login_only(dependant: Any) -> bool:
    return any(
        getattr(dependency.call, "required_scope", None) == "*" or _login_only(dependency)
        for dependency in dependant.dependencies
    )


# Every route guarded by require_login(), whatever the router.
LOGIN_ROUTES = sorted(
    (method, route.path)
    for router in ROUTERS
    for route in _flat(router.routes)
    if isinstance(route, APIRoute) and _login_only(route.dependant)
    for method in route.methods
)
# Reads of the token's own organization or of the application's catalogues: nothing of
# the member's other organizations, and no change.
TOKEN_READABLE = [
    ("GET", "/api/v1/api-tokens/scopes"),
    ("GET", "/api/v1/auth/me"),
    ("GET", "/api/v1/currencies"),
]
LOGIN_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/organizations"): {
        "legal_name": "Sneaky SARL",
        "country": "FR",
        "base_currency": "EUR",
    },
    ("PATCH", "/api/v1/auth/me"): {"name": "Renamed by a token"},
    ("POST", "/api/v1/auth/change-password"): {
        "current_password": PASSWORD,
        "new_password": "another-Sturdy-passphrase-43",
    },
    ("POST", "/api/v1/auth/switch-organization"): {"organization_id": str(uuid.UUID(int=1))},
}


def test_the_walk_finds_the_login_routes() -> None:
    assert ("POST", "/api/v1/organizations") in LOGIN_ROUTES
    assert ("PATCH", "/api/v1/auth/me") in LOGIN_ROUTES
    assert [route for route in LOGIN_ROUTES if route in TOKEN_READABLE] == TOKEN_READABLE


@pytest.mark.parametrize(
    ("method", "path"), LOGIN_ROUTES, ids=[f"{m} {p}" for m, p in LOGIN_ROUTES]
)
def test_login_routes_refuse_tokens_but_for_harmless_reads(
    client: TestClient, owner: Account, method: str, path: str
) -> None:
    token = auth(create_token(client, owner.headers, sorted(SCOPES))["token"])
    response = client.request(method, path, headers=token, json=LOGIN_BODIES.get((method, path)))
    if (method, path) in TOKEN_READABLE:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "token_not_allowed"
    me = client.get("/api/v1/auth/me", headers=owner.headers).json()
    assert me["user"]["name"] == "Test User"
    assert [o["legal_name"] for o in me["organizations"]] == ["Owner Org SARL"]
    assert login(client, owner.email)["access_token"]


def test_a_tokens_me_names_its_own_organization_only(client: TestClient, owner: Account) -> None:
    other = client.post(
        "/api/v1/organizations",
        headers=owner.headers,
        json={"legal_name": "Second SARL", "country": "FR", "base_currency": "EUR"},
    )
    assert other.status_code == 201, other.text
    mine = client.get("/api/v1/auth/me", headers=owner.headers).json()
    assert len(mine["organizations"]) == 2
    token = auth(create_token(client, owner.headers, ["invoices:read"])["token"])
    seen = client.get("/api/v1/auth/me", headers=token).json()
    assert [o["legal_name"] for o in seen["organizations"]] == ["Owner Org SARL"]
    assert seen["organization"]["legal_name"] == "Owner Org SARL"


def test_the_web_app_never_takes_a_token(client: TestClient, owner: Account) -> None:
    raw = create_token(client, owner.headers, ["invoices:read"])["token"]
    client.cookies.set("comptoir_session", raw)
    page = client.get("/sales/invoices", headers=auth(raw), follow_redirects=False)
    assert page.status_code in {302, 303}
    assert page.headers["location"].startswith("/login")


# -- where from --------------------------------------------------------------------------


def test_the_ip_allowlist_lets_in_only_the_addresses_listed(app: Any, owner: Account) -> None:
    with TestClient(app) as setup:
        created = create_token(
            setup,
            owner.headers,
            ["invoices:read"],
            ip_allowlist=["203.0.113.0/24", "2001:db8::/32"],
        )
    token = auth(created["token"])
    for address, allowed in (
        ("203.0.113.5", True),
        ("203.0.113.250", True),
        ("::ffff:203.0.113.9", True),
        ("2001:db8::42", True),
        ("198.51.100.7", False),
        ("203.0.114.1", False),
        ("2001:db9::1", False),
    ):
        with TestClient(app, client=(address, 50000)) as caller:
            response = caller.get("/api/v1/invoices", headers=token)
        if allowed:
            assert response.status_code == 200, (address, response.text)
        else:
            assert response.status_code == 403, address
            assert response.json()["code"] == "ip_not_allowed"
            assert address in response.json()["detail"]


def test_behind_a_trusted_proxy_the_forwarded_address_counts(
    settings: Settings, database: Database
) -> None:
    from comptoir.app import create_app

    proxied = create_app(settings.model_copy(update={"trusted_proxies": True}), database)
    with TestClient(proxied, client=("10.0.0.2", 40000)) as client:
        account = register(client)
        token = auth(
            create_token(client, account.headers, ["invoices:read"], ip_allowlist=["192.0.2.1"])[
                "token"
            ]
        )
        direct = client.get("/api/v1/invoices", headers=token)
        # The proxy appends the address it saw; whatever stands to its left, the client sent.
        forwarded = client.get(
            "/api/v1/invoices", headers={**token, "X-Forwarded-For": "203.0.113.9, 192.0.2.1"}
        )
        forged = client.get(
            "/api/v1/invoices", headers={**token, "X-Forwarded-For": "192.0.2.1, 198.51.100.7"}
        )
        # A proxy may add its own header line instead of appending to the client's.
        forged_line = client.get(
            "/api/v1/invoices",
            headers=[
                *token.items(),
                ("X-Forwarded-For", "192.0.2.1"),
                ("X-Forwarded-For", "198.51.100.7"),
            ],
        )
    assert direct.status_code == 403
    assert forwarded.status_code == 200, forwarded.text
    for refused, address in ((forged, "198.51.100.7"), (forged_line, "198.51.100.7")):
        assert refused.status_code == 403
        assert refused.json()["code"] == "ip_not_allowed"
        assert address in refused.json()["detail"]


# -- usage -------------------------------------------------------------------------------


def test_usage_counts_requests_errors_and_last_use(app: Any, owner: Account) -> None:
    with TestClient(app) as setup:
        created = create_token(setup, owner.headers, ["invoices:read"], requests_per_minute=4)
    token = auth(created["token"])
    with at_window_start(), TestClient(app, client=("198.51.100.23", 40000)) as caller:
        statuses = [
            caller.get("/api/v1/invoices", headers=token).status_code,
            caller.get(f"/api/v1/invoices/{uuid.uuid4()}", headers=token).status_code,
            caller.get("/api/v1/customers", headers=token).status_code,
            caller.get("/api/v1/invoices", headers=token).status_code,
            caller.get("/api/v1/invoices", headers=token).status_code,
        ]
        assert statuses == [200, 404, 403, 200, 429]
        shown = caller.get(f"/api/v1/api-tokens/{created['id']}", headers=owner.headers).json()
        usage = caller.get(f"/api/v1/api-tokens/{created['id']}/usage", headers=owner.headers)
        now = clock.now()
    assert shown["last_used_ip"] == "198.51.100.23"
    assert now - timedelta(minutes=1) < datetime.fromisoformat(shown["last_used_at"]) <= now
    body = usage.json()
    assert usage.status_code == 200
    assert len(body["days"]) == 30
    assert body["days"][-1] == {
        "day": now.date().isoformat(),
        "requests": 5,
        "errors": 3,
        "throttled": 1,
    }
    assert all(day["requests"] == 0 for day in body["days"][:-1])
    assert (body["requests"], body["errors"], body["throttled"]) == (5, 3, 1)


def test_usage_is_kept_per_day(client: TestClient, owner: Account) -> None:
    created = create_token(client, owner.headers, ["invoices:read"])
    token = auth(created["token"])
    reader = auth(create_token(client, owner.headers, ["api_tokens:read"])["token"])
    client.get("/api/v1/invoices", headers=token)
    with clock.travel(timedelta(days=1)):
        client.get("/api/v1/invoices", headers=token)
        client.get("/api/v1/invoices", headers=token)
        days = client.get(
            f"/api/v1/api-tokens/{created['id']}/usage?days=3", headers=reader
        ).json()["days"]
    today = clock.now().date()
    assert [(d["day"], d["requests"]) for d in days] == [
        ((today - timedelta(days=1)).isoformat(), 0),
        (today.isoformat(), 1),
        ((today + timedelta(days=1)).isoformat(), 2),
    ]
    for days_back in (0, 367):
        response = client.get(
            f"/api/v1/api-tokens/{created['id']}/usage?days={days_back}", headers=owner.headers
        )
        assert response.status_code == 422


def test_usage_waits_for_the_flush_interval_and_the_shutdown(
    settings: Settings, database: Database
) -> None:
    from comptoir.app import create_app

    buffered = create_app(settings.model_copy(update={"api_usage_flush_seconds": 3600}), database)
    with TestClient(buffered) as client:
        account = register(client)
        created = create_token(client, account.headers, ["invoices:read"])
        for _ in range(3):
            assert client.get("/api/v1/invoices", headers=auth(created["token"])).status_code == 200
        pending = client.get(f"/api/v1/api-tokens/{created['id']}", headers=account.headers).json()
        assert pending["last_used_at"] is None
    with TestClient(buffered) as client:
        shown = client.get(f"/api/v1/api-tokens/{created['id']}", headers=account.headers).json()
        usage = client.get(
            f"/api/v1/api-tokens/{created['id']}/usage?days=1", headers=account.headers
        )
    assert shown["last_used_at"] is not None
    assert usage.json()["requests"] == 3
