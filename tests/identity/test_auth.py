"""Sign-up, log-in, tokens, rotation and reuse detection, log-out, brute-force limits."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from comptoir.kit import clock
from tests.conftest import PASSWORD, Account, login, register


def test_register_returns_tokens_user_and_organization(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register",
        json={
            "email": "Marie@Example.COM",
            "password": PASSWORD,
            "organization_name": "  Boulangerie Marie ",
            "country": "fr",
            "base_currency": "eur",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["access_token"]
    assert body["refresh_token"]
    assert 0 < body["expires_in"] <= 15 * 60
    assert body["user"]["email"] == "marie@example.com"
    assert body["user"]["email_verified"] is False
    assert body["organization"]["legal_name"] == "Boulangerie Marie"
    assert body["organization"]["country"] == "FR"
    assert body["organization"]["base_currency"] == "EUR"
    assert body["organization"]["timezone"] == "Europe/Paris"
    assert body["organization"]["locale"] == "fr_FR"
    assert body["role"] == "owner"


def test_register_duplicate_email_is_a_conflict(client: TestClient) -> None:
    account = register(client)
    response = client.post(
        "/api/v1/auth/register",
        json={
            "email": account.email.upper(),
            "password": PASSWORD,
            "organization_name": "Other",
            "country": "FR",
            "base_currency": "EUR",
        },
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "email_taken"


def test_concurrent_registrations_of_one_email_create_one_account(client: TestClient) -> None:
    payload = {
        "email": "race@example.com",
        "password": PASSWORD,
        "organization_name": "Race",
        "country": "FR",
        "base_currency": "EUR",
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(
            pool.map(
                lambda _: client.post("/api/v1/auth/register", json=payload).status_code, range(4)
            )
        )
    assert statuses.count(201) == 1
    assert set(statuses) <= {201, 409}
    assert login(client, "race@example.com")["user"]["email"] == "race@example.com"


def test_register_reports_every_invalid_field(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register",
        json={
            "email": "not-an-address",
            "password": "short",
            "organization_name": " ",
            "country": "XX",
            "base_currency": "ABC",
        },
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"email", "password", "organization_name", "country", "base_currency"}


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short-1", "password_too_short"),
        ("password1234", "password_too_common"),
        ("aaaaaaaaaaaa", "password_too_common"),
        ("x" * 1001, "string_too_long"),
    ],
)
def test_password_policy(client: TestClient, password: str, code: str) -> None:
    response = client.post(
        "/api/v1/auth/register",
        json={
            "email": "p@example.com",
            "password": password,
            "organization_name": "P",
            "country": "FR",
            "base_currency": "EUR",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == code


@pytest.mark.parametrize(
    "payload",
    [
        {
            "email": 12,
            "password": PASSWORD,
            "organization_name": "X",
            "country": "FR",
            "base_currency": "EUR",
        },
        {
            "email": "a@example.com",
            "password": None,
            "organization_name": "X",
            "country": "FR",
            "base_currency": "EUR",
        },
        {
            "email": "a@example.com",
            "password": PASSWORD,
            "organization_name": "X",
            "country": "FR",
            "base_currency": "EUR",
            "admin": True,
        },
        [],
        "string",
    ],
)
def test_register_wrong_types_are_422(client: TestClient, payload: object) -> None:
    response = client.post("/api/v1/auth/register", json=payload)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


def test_login_and_me(client: TestClient) -> None:
    account = register(client)
    body = login(client, account.email.upper())
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["user"]["email"] == account.email
    assert me.json()["role"] == "owner"
    assert "members:write" in me.json()["scopes"]
    assert [o["legal_name"] for o in me.json()["organizations"]] == ["Acme SARL"]


@pytest.mark.parametrize("password", ["wrong-password-123", "", "x" * 999])
def test_wrong_password_is_401_and_audited(client: TestClient, password: str) -> None:
    account = register(client)
    response = client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": password}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    events = client.get(
        "/api/v1/audit-events?action=auth.login_failed", headers=account.headers
    ).json()
    # Failed log-ins precede any organization; they are recorded but not in the tenant's trail.
    assert events["items"] == []


def test_unknown_email_answers_like_a_wrong_password(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_ten_failures_lock_the_address_for_fifteen_minutes(client: TestClient) -> None:
    account = register(client)
    for _ in range(10):
        assert (
            client.post(
                "/api/v1/auth/login", json={"email": account.email, "password": "nope-nope-nope"}
            ).status_code
            == 401
        )
    locked = client.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_login_attempts"
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    with clock.travel(timedelta(minutes=15, seconds=1)):
        assert (
            client.post(
                "/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}
            ).status_code
            == 200
        )


def test_ten_failures_from_one_ip_lock_that_ip_for_any_address(client: TestClient) -> None:
    for i in range(10):
        client.post(
            "/api/v1/auth/login",
            json={"email": f"ghost{i}@example.com", "password": "nope-nope-nope"},
        )
    account_free = client.post(
        "/api/v1/auth/login", json={"email": "someone@example.com", "password": PASSWORD}
    )
    assert account_free.status_code == 429


def test_access_token_expires_after_fifteen_minutes(client: TestClient, owner: Account) -> None:
    with clock.travel(timedelta(minutes=15, seconds=1)):
        response = client.get("/api/v1/auth/me", headers=owner.headers)
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer not.a.jwt",
        "Basic dXNlcjpwYXNz",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
    ],
)
def test_bad_authorization_headers_are_401(client: TestClient, header: str) -> None:
    response = client.get("/api/v1/auth/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_token_signed_with_another_key_is_refused(client: TestClient, owner: Account) -> None:
    import jwt

    claims = jwt.decode(owner.access_token, options={"verify_signature": False})
    forged = jwt.encode(claims, "another-secret-key-0123456789abcdef", algorithm="HS256")
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code
        == 401
    )


def test_refresh_rotates_and_reuse_revokes_the_family(client: TestClient, owner: Account) -> None:
    first = client.post("/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token})
    assert first.status_code == 200
    second_token = first.json()["refresh_token"]
    assert second_token != owner.refresh_token
    new_access = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert client.get("/api/v1/auth/me", headers=new_access).status_code == 200

    reused = client.post("/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token})
    assert reused.status_code == 401
    assert reused.json()["code"] == "refresh_token_reused"
    # The whole family is gone: the newest refresh token and the access tokens too.
    assert (
        client.post("/api/v1/auth/refresh", json={"refresh_token": second_token}).status_code == 401
    )
    assert client.get("/api/v1/auth/me", headers=new_access).status_code == 401
    # Other sessions of the same user are untouched.
    assert (
        client.get(
            "/api/v1/auth/me",
            headers={"Authorization": f"Bearer {login(client, owner.email)['access_token']}"},
        ).status_code
        == 200
    )


def test_concurrent_refreshes_with_one_token_succeed_at_most_once(
    client: TestClient, owner: Account
) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = list(
            pool.map(
                lambda _: (
                    client.post(
                        "/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token}
                    ).status_code
                ),
                range(3),
            )
        )
    assert statuses.count(200) <= 1
    assert set(statuses) <= {200, 401}


def test_expired_and_unknown_refresh_tokens(client: TestClient, owner: Account) -> None:
    assert (
        client.post("/api/v1/auth/refresh", json={"refresh_token": "nonsense"}).json()["code"]
        == "invalid_refresh_token"
    )
    with clock.travel(timedelta(days=31)):
        response = client.post("/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token})
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


def test_logout_ends_the_session_at_once(client: TestClient, owner: Account) -> None:
    assert client.post("/api/v1/auth/logout", headers=owner.headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=owner.headers).status_code == 401
    assert (
        client.post("/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token}).status_code
        == 401
    )


def test_switch_organization(client: TestClient, owner: Account) -> None:
    created = client.post(
        "/api/v1/organizations",
        headers=owner.headers,
        json={"legal_name": "Second Ltd", "country": "ZM", "base_currency": "ZMW"},
    )
    assert created.status_code == 201
    second_id = created.json()["id"]
    switched = client.post(
        "/api/v1/auth/switch-organization",
        headers=owner.headers,
        json={"organization_id": second_id},
    )
    assert switched.status_code == 200
    headers = {"Authorization": f"Bearer {switched.json()['access_token']}"}
    assert client.get("/api/v1/organization", headers=headers).json()["legal_name"] == "Second Ltd"
    # The old token stays bound to the first organization.
    assert (
        client.get("/api/v1/organization", headers=owner.headers).json()["legal_name"]
        == "Owner Org SARL"
    )
    # A refresh now opens in the organization switched to.
    refreshed = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token}
    ).json()
    assert refreshed["organization"]["id"] == second_id
    # The next log-in opens there too.
    assert login(client, owner.email)["organization"]["id"] == second_id


def test_switch_to_an_organization_you_do_not_belong_to_is_404(
    client: TestClient, owner: Account
) -> None:
    stranger = register(client, organization_name="Stranger SA")
    response = client.post(
        "/api/v1/auth/switch-organization",
        headers=owner.headers,
        json={"organization_id": stranger.organization_id},
    )
    assert response.status_code == 404
    response = client.post(
        "/api/v1/auth/switch-organization",
        headers=owner.headers,
        json={"organization_id": "not-a-uuid"},
    )
    assert response.status_code == 422


def test_rename_yourself(client: TestClient, owner: Account) -> None:
    renamed = client.patch(
        "/api/v1/auth/me", headers=owner.headers, json={"name": "  Marie   Curie "}
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Marie Curie"
    assert (
        client.get("/api/v1/auth/me", headers=owner.headers).json()["user"]["name"] == "Marie Curie"
    )
    assert (
        client.patch("/api/v1/auth/me", headers=owner.headers, json={"name": "x" * 201}).status_code
        == 422
    )
    assert (
        client.patch(
            "/api/v1/auth/me", headers=owner.headers, json={"email": "x@example.com"}
        ).status_code
        == 422
    )
