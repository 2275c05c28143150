"""The audit trail: recorded with origin, filterable, and append-only in the database."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from comptoir.kit.db import Database
from tests.conftest import Account, login
from tests.identity.test_members import accept_new, bearer, invite


def test_login_is_audited_with_origin(client: TestClient, owner: Account) -> None:
    login(client, owner.email)
    events = client.get(
        "/api/v1/audit-events?action=auth.login",
        headers={**owner.headers, "User-Agent": "pytest-agent"},
    ).json()["items"]
    assert events, "the log-in was not recorded"
    event = events[0]
    assert event["actor_email"] == owner.email
    assert event["ip"] == "testclient"
    assert event["request_id"]


def test_filters_and_pagination(client: TestClient, owner: Account) -> None:
    for i in range(5):
        client.patch("/api/v1/organization", headers=owner.headers, json={"city": f"City {i}"})
    first = client.get(
        "/api/v1/audit-events?action=organization.updated&limit=2", headers=owner.headers
    ).json()
    assert [e["after"]["city"] for e in first["items"]] == ["City 4", "City 3"]
    second = client.get(
        f"/api/v1/audit-events?action=organization.updated&limit=2&cursor={first['next_cursor']}",
        headers=owner.headers,
    ).json()
    assert [e["after"]["city"] for e in second["items"]] == ["City 2", "City 1"]
    by_target = client.get(
        f"/api/v1/audit-events?target_type=organization&target_id={owner.organization_id}&limit=200",
        headers=owner.headers,
    ).json()["items"]
    assert all(e["target_id"] == owner.organization_id for e in by_target)
    assert client.get("/api/v1/audit-events?cursor=%%%", headers=owner.headers).status_code == 422
    assert (
        client.get("/api/v1/audit-events?since=yesterday", headers=owner.headers).status_code == 422
    )


def test_audit_is_for_admins(client: TestClient, owner: Account) -> None:
    accountant = accept_new(client, invite(client, owner, "acc@example.org", role="accountant"))
    assert client.get("/api/v1/audit-events", headers=bearer(accountant)).status_code == 403


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_events SET action = 'forged'", "DELETE FROM audit_events"]
)
def test_raw_sql_cannot_rewrite_the_audit_trail(
    client: TestClient, owner: Account, database: Database, statement: str
) -> None:
    with pytest.raises(DatabaseError, match="append-only"), database.engine.begin() as conn:
        conn.execute(text(statement))
    with database.engine.connect() as conn:
        actions = set(conn.execute(text("SELECT action FROM audit_events")).scalars())
    assert "forged" not in actions
    assert "user.registered" in actions
