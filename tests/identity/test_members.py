"""Invitations, members, roles and the last-owner rule."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient

from comptoir.kit import clock
from comptoir.worker.runner import Worker
from tests.conftest import PASSWORD, Account, login, register


def invite(client: TestClient, by: Account, email: str, role: str = "accountant") -> str:
    response = client.post(
        "/api/v1/invitations", headers=by.headers, json={"email": email, "role": role}
    )
    assert response.status_code == 201, response.text
    return urlparse(response.json()["accept_url"]).path.rsplit("/", 1)[1]


def accept_new(client: TestClient, token: str, name: str = "New Person") -> dict:
    response = client.post(
        f"/api/v1/invitations/{token}/accept", json={"password": PASSWORD, "name": name}
    )
    assert response.status_code == 200, response.text
    return response.json()


def bearer(body: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_invitation_creates_the_account_and_the_membership(
    client: TestClient, owner: Account, worker: Worker
) -> None:
    token = invite(client, owner, "Newcomer@Example.com")
    preview = client.get(f"/api/v1/invitations/{token}/preview")
    assert preview.status_code == 200
    assert preview.json() == {
        "email": "newcomer@example.com",
        "role": "accountant",
        "organization_name": "Owner Org SARL",
        "expires_at": preview.json()["expires_at"],
        "account_exists": False,
    }
    body = accept_new(client, token)
    assert body["role"] == "accountant"
    assert body["organization"]["id"] == owner.organization_id
    assert body["user"]["email_verified"] is True  # they opened the mailbox to get here
    members = client.get("/api/v1/members", headers=owner.headers).json()
    assert {(m["email"], m["role"]) for m in members} == {
        (owner.email, "owner"),
        ("newcomer@example.com", "accountant"),
    }
    # The accountant's scopes follow the role.
    me = client.get("/api/v1/auth/me", headers=bearer(body)).json()
    assert "members:write" not in me["scopes"]
    assert "entries:write" in me["scopes"]
    assert (
        client.post(
            "/api/v1/invitations",
            headers=bearer(body),
            json={"email": "x@example.com", "role": "viewer"},
        ).status_code
        == 403
    )
    # The invitation mail went out through the worker, on the organization's sent-mail list.
    worker.drain()
    mails = client.get("/api/v1/mail", headers=owner.headers).json()["items"]
    invitation_mail = next(m for m in mails if m["kind"] == "invitation")
    assert invitation_mail["to_address"] == "newcomer@example.com"
    assert invitation_mail["status"] == "sent"


def test_existing_account_accepts_with_its_password(client: TestClient, owner: Account) -> None:
    other = register(client, organization_name="Other Org")
    token = invite(client, owner, other.email, role="sales")
    assert client.get(f"/api/v1/invitations/{token}/preview").json()["account_exists"] is True
    wrong = client.post(
        f"/api/v1/invitations/{token}/accept", json={"password": "not-the-password"}
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "password"
    ok = client.post(f"/api/v1/invitations/{token}/accept", json={"password": PASSWORD})
    assert ok.status_code == 200
    assert ok.json()["organization"]["id"] == owner.organization_id
    orgs = client.get("/api/v1/organizations", headers=other.headers).json()
    assert {o["legal_name"] for o in orgs} == {"Other Org", "Owner Org SARL"}


def test_signed_in_invitee_accepts_with_bearer_token(client: TestClient, owner: Account) -> None:
    other = register(client, organization_name="Other Org")
    token = invite(client, owner, other.email, role="viewer")
    response = client.post(f"/api/v1/invitations/{token}/accept", headers=other.headers, json={})
    assert response.status_code == 200
    assert response.json()["role"] == "viewer"


def test_used_expired_withdrawn_and_unknown_invitations(client: TestClient, owner: Account) -> None:
    token = invite(client, owner, "once@example.com")
    accept_new(client, token)
    reused = client.post(f"/api/v1/invitations/{token}/accept", json={"password": PASSWORD})
    assert reused.status_code == 410
    assert reused.json()["code"] == "invitation_used"

    late = invite(client, owner, "late@example.com")
    with clock.travel(timedelta(days=7, seconds=1)):
        expired = client.post(f"/api/v1/invitations/{late}/accept", json={"password": PASSWORD})
    assert expired.status_code == 410
    assert expired.json()["code"] == "invitation_expired"

    withdrawn = invite(client, owner, "withdrawn@example.com")
    pending = client.get("/api/v1/invitations", headers=owner.headers).json()
    target = next(i for i in pending if i["email"] == "withdrawn@example.com")
    assert (
        client.delete(f"/api/v1/invitations/{target['id']}", headers=owner.headers).status_code
        == 204
    )
    assert (
        client.post(
            f"/api/v1/invitations/{withdrawn}/accept", json={"password": PASSWORD}
        ).status_code
        == 404
    )
    assert client.get("/api/v1/invitations/not-a-token/preview").status_code == 404


def test_inviting_again_replaces_the_earlier_link(client: TestClient, owner: Account) -> None:
    first = invite(client, owner, "twice@example.com")
    second = invite(client, owner, "twice@example.com", role="viewer")
    assert (
        client.post(f"/api/v1/invitations/{first}/accept", json={"password": PASSWORD}).status_code
        == 404
    )
    assert accept_new(client, second)["role"] == "viewer"
    assert [
        i["email"] for i in client.get("/api/v1/invitations", headers=owner.headers).json()
    ] == []


def test_inviting_a_member_or_with_bad_input(client: TestClient, owner: Account) -> None:
    member = client.post(
        "/api/v1/invitations", headers=owner.headers, json={"email": owner.email, "role": "viewer"}
    )
    assert member.status_code == 409
    assert member.json()["code"] == "already_member"
    bad_role = client.post(
        "/api/v1/invitations",
        headers=owner.headers,
        json={"email": "a@example.com", "role": "emperor"},
    )
    assert bad_role.status_code == 422
    bad_mail = client.post(
        "/api/v1/invitations", headers=owner.headers, json={"email": "nope", "role": "viewer"}
    )
    assert bad_mail.status_code == 422
    assert bad_mail.json()["errors"][0]["field"] == "email"


def test_new_account_password_policy_applies_on_acceptance(
    client: TestClient, owner: Account
) -> None:
    token = invite(client, owner, "weak@example.com")
    response = client.post(f"/api/v1/invitations/{token}/accept", json={"password": "short"})
    assert response.status_code == 422
    assert client.get(f"/api/v1/invitations/{token}/preview").status_code == 200  # still usable


def test_roles_and_the_last_owner(client: TestClient, owner: Account) -> None:
    admin_body = accept_new(client, invite(client, owner, "admin@example.org", role="admin"))
    admin = bearer(admin_body)
    members = {m["email"]: m for m in client.get("/api/v1/members", headers=owner.headers).json()}
    owner_member = members[owner.email]["id"]
    admin_member = members["admin@example.org"]["id"]

    demote_last = client.patch(
        f"/api/v1/members/{owner_member}", headers=owner.headers, json={"role": "admin"}
    )
    assert demote_last.status_code == 409
    assert demote_last.json()["code"] == "last_owner"
    assert (
        client.delete(f"/api/v1/members/{owner_member}", headers=owner.headers).status_code == 409
    )

    # An admin cannot touch owners nor make anyone owner.
    assert (
        client.patch(
            f"/api/v1/members/{owner_member}", headers=admin, json={"role": "viewer"}
        ).status_code
        == 403
    )
    assert (
        client.patch(
            f"/api/v1/members/{admin_member}", headers=admin, json={"role": "owner"}
        ).status_code
        == 403
    )
    assert client.delete(f"/api/v1/members/{owner_member}", headers=admin).status_code == 403

    promoted = client.patch(
        f"/api/v1/members/{admin_member}", headers=owner.headers, json={"role": "owner"}
    )
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "owner"
    assert (
        client.patch(
            f"/api/v1/members/{owner_member}", headers=owner.headers, json={"role": "viewer"}
        ).status_code
        == 200
    )
    events = client.get("/api/v1/audit-events?action=member.role_changed", headers=admin).json()[
        "items"
    ]
    assert [(e["before"]["role"], e["after"]["role"]) for e in events] == [
        ("owner", "viewer"),
        ("admin", "owner"),
    ]


def test_removed_member_loses_access_at_once(client: TestClient, owner: Account) -> None:
    body = accept_new(client, invite(client, owner, "leaver@example.org", role="sales"))
    member_id = next(
        m["id"]
        for m in client.get("/api/v1/members", headers=owner.headers).json()
        if m["email"] == "leaver@example.org"
    )
    assert client.delete(f"/api/v1/members/{member_id}", headers=owner.headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=bearer(body)).status_code == 401
    assert (
        client.post(
            "/api/v1/auth/refresh", json={"refresh_token": body["refresh_token"]}
        ).status_code
        == 401
    )
    refused = client.post(
        "/api/v1/auth/login", json={"email": "leaver@example.org", "password": PASSWORD}
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "no_membership"
    assert client.get(f"/api/v1/members/{member_id}", headers=owner.headers).status_code == 404


@pytest.mark.parametrize("role", ["viewer", "sales", "warehouse", "client", "supplier"])
def test_roles_without_members_write_cannot_manage_members(
    client: TestClient, owner: Account, role: str
) -> None:
    body = accept_new(client, invite(client, owner, f"{role}@example.org", role=role))
    members_read = client.get("/api/v1/members", headers=bearer(body))
    assert members_read.status_code == (403 if role in {"client", "supplier"} else 200)
    response = client.post(
        "/api/v1/invitations",
        headers=bearer(body),
        json={"email": "z@example.com", "role": "viewer"},
    )
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"


def test_accepting_twice_in_parallel_creates_one_membership(
    client: TestClient, owner: Account
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    token = invite(client, owner, "parallel@example.org")
    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = list(
            pool.map(
                lambda _: (
                    client.post(
                        f"/api/v1/invitations/{token}/accept", json={"password": PASSWORD}
                    ).status_code
                ),
                range(3),
            )
        )
    assert statuses.count(200) == 1
    members = [
        m
        for m in client.get("/api/v1/members", headers=owner.headers).json()
        if m["email"] == "parallel@example.org"
    ]
    assert len(members) == 1
    assert login(client, "parallel@example.org")["role"] == "accountant"


def test_invitation_password_guesses_count_against_the_login_limit(
    client: TestClient, owner: Account
) -> None:
    other = register(client, organization_name="Target Org")
    token = invite(client, owner, other.email, role="viewer")
    for _ in range(10):
        wrong = client.post(
            f"/api/v1/invitations/{token}/accept", json={"password": "guess-guess-guess"}
        )
        assert wrong.status_code == 422
    locked = client.post(f"/api/v1/invitations/{token}/accept", json={"password": PASSWORD})
    assert locked.status_code == 429
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": other.email, "password": PASSWORD}
        ).status_code
        == 429
    )
