"""Settings → API & webhooks, access tokens: the pages driven as a browser posts their forms,
and the tokens they make used against the API."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta
from html import unescape

from fastapi.testclient import TestClient

from comptoir.identity.models import ApiToken
from comptoir.identity.service import api_tokens
from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.tenancy import set_organization
from tests.conftest import Account
from tests.identity.test_members import accept_new, invite
from tests.parties.test_pages import web_login

TOKEN = re.compile(r"cpt_[A-Za-z0-9_-]{40,}")


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'id="f-{field}-error">.*?<span>(.*?)</span>', html, re.S)
    assert found, f"no error beside {field}"
    return unescape(found.group(1))


def _form(csrf: str, **fields: str | list[str]) -> dict[str, str | list[str]]:
    return {
        "csrf_token": csrf,
        "name": "Shop sync",
        "expiry": "30",
        "expires_on": "",
        "scopes": ["invoices:read", "parties:write"],
        "ip_allowlist": "",
        "requests_per_minute": "",
        "requests_per_hour": "",
    } | fields


def _create(client: TestClient, csrf: str, **fields: str | list[str]) -> tuple[str, str]:
    """Creates a token through the form; answers its secret, read from the page shown once,
    and the token's id."""
    response = client.post("/settings/api/tokens", data=_form(csrf, **fields))
    assert response.status_code == 200, response.text
    assert response.url.path == "/settings/api"
    secrets = TOKEN.findall(response.text)
    assert len(set(secrets)) == 1, "the new secret is shown, once"
    assert "shown only this once" in response.text
    found = re.search(r'href="/settings/api/tokens/([0-9a-f-]{36})"', response.text)
    assert found
    return secrets[0], found.group(1)


def test_a_token_made_in_the_page_is_shown_once_and_works(
    client: TestClient, owner: Account
) -> None:
    csrf = web_login(client, owner)
    page = client.get("/settings/api")
    assert page.status_code == 200
    assert 'href="/settings/api"' in page.text and "API &amp; webhooks" in page.text
    assert 'value="invoices:write"' in page.text
    secret, token_id = _create(client, csrf)

    again = client.get("/settings/api")
    assert secret not in again.text and not TOKEN.search(again.text)
    assert "Shop sync" in again.text and secret[:12] in again.text

    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/invoices", headers=headers).status_code == 200
    refused = client.post("/api/v1/invoices", headers=headers, json={})
    assert refused.status_code == 403

    detail = client.get(f"/settings/api/tokens/{token_id}")
    assert detail.status_code == 200
    assert "invoices:read" in detail.text and "parties:write" in detail.text
    assert "Active" in detail.text


def test_bad_inputs_show_beside_their_fields(client: TestClient, owner: Account) -> None:
    csrf = web_login(client, owner)
    response = client.post(
        "/settings/api/tokens",
        data=_form(
            csrf,
            name="  ",
            expiry="date",
            expires_on="31/12/2030",
            scopes=[],
            ip_allowlist="10.0.0.1\nnot-an-address",
            requests_per_minute="many",
        ),
    )
    assert response.status_code == 422
    assert _field_error(response.text, "expires_on") == "Give a date, as YYYY-MM-DD."
    assert _field_error(response.text, "requests_per_minute") == (
        "Give a whole number, or leave empty."
    )
    # The service's checks run once the form's own are met.
    response = client.post(
        "/settings/api/tokens",
        data=_form(
            csrf,
            name="  ",
            expiry="date",
            expires_on="2001-01-01",
            scopes=[],
            ip_allowlist="10.0.0.1\nnot-an-address",
            requests_per_minute="5000000",
        ),
    )
    assert response.status_code == 422
    assert _field_error(response.text, "name") == "Give the token a name."
    assert _field_error(response.text, "expires_on") == "Choose a moment in the future."
    assert _field_error(response.text, "scopes") == "Choose at least one scope."
    assert "not-an-address" in _field_error(response.text, "ip_allowlist")
    assert "organization's limit" in _field_error(response.text, "requests_per_minute")
    # What was typed stays in the form.
    assert "10.0.0.1\nnot-an-address</textarea>" in response.text
    forged = client.post("/settings/api/tokens", data=_form(csrf, scopes=["nonsense:read"]))
    assert forged.status_code == 422
    assert "Unknown scope" in _field_error(forged.text, "scopes")
    assert not TOKEN.search(client.get("/settings/api").text)


def test_a_member_grants_only_scopes_of_their_own(client: TestClient, owner: Account) -> None:
    accept_new(client, invite(client, owner, "sales@example.com", "sales"), "Sam Sales")
    csrf = web_login(client, "sales@example.com", owner.password)
    page = client.get("/settings/api")
    assert 'value="invoices:write"' in page.text
    assert 'value="entries:write"' not in page.text
    assert 'href="/settings/webhooks"' not in page.text
    response = client.post("/settings/api/tokens", data=_form(csrf, scopes=["entries:write"]))
    assert response.status_code == 422
    assert "entries:write" in _field_error(response.text, "scopes")
    assert client.get("/settings/webhooks").status_code == 403


def test_an_expiry_date_and_an_allowlist_are_kept(client: TestClient, owner: Account) -> None:
    csrf = web_login(client, owner)
    day = (clock.now() + timedelta(days=10)).date().isoformat()
    secret, token_id = _create(
        client,
        csrf,
        expiry="date",
        expires_on=day,
        ip_allowlist="203.0.113.7\n198.51.100.0/24",
        requests_per_minute="30",
    )
    detail = client.get(f"/settings/api/tokens/{token_id}").text
    assert "203.0.113.7/32, 198.51.100.0/24" in detail
    assert "30 per minute" in detail
    # The test client calls from neither address.
    refused = client.get("/api/v1/invoices", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 403


def test_revoking_stops_the_token(client: TestClient, owner: Account) -> None:
    csrf = web_login(client, owner)
    secret, token_id = _create(client, csrf)
    response = client.post(f"/settings/api/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert response.status_code == 200
    assert "The token is revoked" in response.text
    assert "Revoked" in response.text
    used = client.get("/api/v1/invoices", headers={"Authorization": f"Bearer {secret}"})
    assert used.status_code == 401
    detail = client.get(f"/settings/api/tokens/{token_id}").text
    assert "Revoke the token" not in detail and "Regenerate" not in detail


def test_regenerating_shows_the_new_secret_once(client: TestClient, owner: Account) -> None:
    csrf = web_login(client, owner)
    old, token_id = _create(client, csrf)
    response = client.post(f"/settings/api/tokens/{token_id}/regenerate", data={"csrf_token": csrf})
    assert response.status_code == 200
    [new] = set(TOKEN.findall(response.text))
    assert new != old
    assert not TOKEN.search(client.get("/settings/api").text)
    assert (
        client.get("/api/v1/invoices", headers={"Authorization": f"Bearer {old}"}).status_code
        == 401
    )
    assert (
        client.get("/api/v1/invoices", headers={"Authorization": f"Bearer {new}"}).status_code
        == 200
    )


def test_only_its_member_regenerates_a_token(client: TestClient, owner: Account) -> None:
    accept_new(client, invite(client, owner, "acc@example.com", "accountant"), "Al Accountant")
    csrf = web_login(client, "acc@example.com", owner.password)
    _secret, token_id = _create(client, csrf, scopes=["invoices:read"])
    csrf = web_login(client, owner)
    mine = client.get("/settings/api")
    assert token_id not in mine.text
    everyone = client.get("/settings/api?all=1")
    assert token_id in everyone.text and "Al Accountant" in everyone.text
    response = client.post(f"/settings/api/tokens/{token_id}/regenerate", data={"csrf_token": csrf})
    assert response.status_code == 403
    assert "Only the member a token belongs to" in response.text
    revoked = client.post(f"/settings/api/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 200


def test_the_usage_page_charts_the_last_30_days(
    client: TestClient, owner: Account, database: Database
) -> None:
    csrf = web_login(client, owner)
    _secret, token_id = _create(client, csrf)
    today = clock.now().date()
    organization = uuid.UUID(owner.organization_id)
    identifier = uuid.UUID(token_id)
    with database.unit_of_work() as session:
        api_tokens.record_usage(
            session,
            {
                api_tokens.UsageKey(identifier, organization, today): api_tokens.UsageTally(
                    40, 3, 2
                ),
                api_tokens.UsageKey(
                    identifier, organization, today - timedelta(days=2)
                ): api_tokens.UsageTally(10, 0, 0),
                # Outside the 30 days shown.
                api_tokens.UsageKey(
                    identifier, organization, today - timedelta(days=40)
                ): api_tokens.UsageTally(999, 0, 0),
            },
            {identifier: api_tokens.LastUse(clock.now(), "192.0.2.44")},
        )
    page = client.get(f"/settings/api/tokens/{token_id}")
    assert page.status_code == 200
    text = page.text
    assert "50 requests, 3 answered with an error, 2 refused by the rate limit" in text
    assert f'<td class="cell-nowrap">{today.isoformat()}</td><td class="num">40</td>' in text
    assert text.count('class="chart-bar"') == 30
    assert "192.0.2.44" in text
    assert "192.0.2.44" in client.get("/settings/api").text


def test_organization_limits_form(client: TestClient, owner: Account) -> None:
    csrf = web_login(client, owner)
    bad = client.post(
        "/settings/api/limits",
        data={
            "csrf_token": csrf,
            "org_requests_per_minute": "600",
            "org_requests_per_hour": "lots",
        },
    )
    assert bad.status_code == 422
    assert _field_error(bad.text, "org_requests_per_hour") == "Give a whole number."
    above = client.post(
        "/settings/api/limits",
        data={"csrf_token": csrf, "org_requests_per_minute": "600", "org_requests_per_hour": "100"},
    )
    assert above.status_code == 422
    assert _field_error(above.text, "org_requests_per_minute") == "Cannot exceed the hourly limit."
    saved = client.post(
        "/settings/api/limits",
        data={"csrf_token": csrf, "org_requests_per_minute": "90", "org_requests_per_hour": "4000"},
    )
    assert saved.status_code == 200 and "limits are saved" in saved.text
    assert 'value="90"' in saved.text and 'value="4000"' in saved.text


def test_roles_without_the_scope_and_other_ids(client: TestClient, owner: Account) -> None:
    accept_new(client, invite(client, owner, "viewer@example.com", "viewer"), "Vi Viewer")
    csrf = web_login(client, "viewer@example.com", owner.password)
    page = client.get("/settings/api")
    assert page.status_code == 200 and "Create token" not in page.text
    assert 'action="/settings/api/limits"' not in page.text
    response = client.post("/settings/api/tokens", data=_form(csrf, scopes=["invoices:read"]))
    assert response.status_code == 403
    assert client.get(f"/settings/api/tokens/{uuid.uuid4()}").status_code == 404
    assert client.get("/settings/api/tokens/not-an-id").status_code == 404


def test_a_regenerated_secret_is_shown_behind_200_newer_tokens(
    client: TestClient, owner: Account, database: Database
) -> None:
    csrf = web_login(client, owner)
    old, token_id = _create(client, csrf)
    with database.unit_of_work() as session:
        set_organization(session, uuid.UUID(owner.organization_id))
        session.add_all(
            ApiToken(
                user_id=uuid.UUID(owner.user_id),
                name=f"Newer {n}",
                prefix=f"cpt_newer{n:03}",
                token_hash=hashlib.sha256(f"newer-{n}".encode()).hexdigest(),
                scopes=["invoices:read"],
                ip_allowlist=[],
            )
            for n in range(200)
        )
    response = client.post(f"/settings/api/tokens/{token_id}/regenerate", data={"csrf_token": csrf})
    assert response.status_code == 200
    [new] = set(TOKEN.findall(response.text))
    assert new != old
    assert (
        client.get("/api/v1/invoices", headers={"Authorization": f"Bearer {new}"}).status_code
        == 200
    )
