"""Settings → API & webhooks, webhook endpoints: the pages driven as a browser posts their
forms, with the real sender delivering to a verifying receiver on loopback."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from html import unescape

from fastapi.testclient import TestClient

from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.settings import Settings
from comptoir.kit.tenancy import as_organization
from comptoir.webhooks.models import WebhookEndpoint
from comptoir.worker.runner import Worker
from tests.conftest import Account
from tests.identity.test_members import accept_new, invite
from tests.parties.test_pages import web_login
from tests.webhooks.conftest import endpoint_row
from tests.webhooks.endpoint_helpers import PUBLIC_URL, add_delivery
from tests.webhooks.receiver import Answer, Receiver

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]+")


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'id="f-{field}-error">.*?<span>(.*?)</span>', html, re.S)
    assert found, f"no error beside {field}"
    return unescape(found.group(1))


def _form(csrf: str, **fields: str | list[str]) -> dict[str, str | list[str]]:
    return {
        "csrf_token": csrf,
        "url": PUBLIC_URL,
        "description": "Shop",
        "events": "all",
        "enabled": "on",
    } | fields


def _add(client: TestClient, csrf: str, **fields: str | list[str]) -> tuple[str, str]:
    """Adds an endpoint through the form; answers its id and the page it lands on."""
    response = client.post("/settings/webhooks", data=_form(csrf, **fields))
    assert response.status_code == 200, response.text
    found = re.fullmatch(r"/settings/webhooks/([0-9a-f-]{36})", response.url.path)
    assert found, response.url
    return found.group(1), response.text


def _listening(client: TestClient, hook_settings: Settings) -> None:
    client.app.state.settings = hook_settings  # type: ignore[attr-defined]


def test_adding_an_endpoint_and_its_page(client: TestClient, owner: Account) -> None:
    csrf = web_login(client, owner)
    listing = client.get("/settings/webhooks")
    assert listing.status_code == 200
    assert "No webhook endpoints yet." in listing.text
    assert 'value="invoice.issued"' in listing.text
    endpoint_id, page = _add(
        client, csrf, events="some", event_types=["invoice.issued", "payment.received"]
    )
    assert "The endpoint is added." in page
    assert PUBLIC_URL in page and "2 event types" in page
    assert re.search(r'value="invoice.issued" checked', page)
    # The secret is in the page, behind the "Reveal" disclosure.
    [secret] = set(SECRET.findall(page))
    assert secret == endpoint_row_secret(client, owner, endpoint_id)
    assert re.search(r'<details class="secret-reveal">\s*<summary[^>]*>Reveal', page)
    listing = client.get("/settings/webhooks").text
    assert "2 events" in listing and "No attempts" in listing and "Enabled" in listing


def endpoint_row_secret(client: TestClient, owner: Account, endpoint_id: str) -> str:
    body = client.get(f"/api/v1/webhooks/{endpoint_id}", headers=owner.headers).json()
    return str(body["secret"])


def test_bad_inputs_show_beside_their_fields(client: TestClient, owner: Account) -> None:
    csrf = web_login(client, owner)
    response = client.post(
        "/settings/webhooks",
        data=_form(csrf, url="ftp://example.com/x", description="x" * 501, events="some"),
    )
    assert response.status_code == 422
    assert _field_error(response.text, "url")
    assert "500" in _field_error(response.text, "description")
    assert _field_error(response.text, "events") == (
        "Tick at least one event, or choose every event."
    )
    private = client.post("/settings/webhooks", data=_form(csrf, url="http://127.0.0.1:9/x"))
    assert private.status_code == 422
    assert "private" in _field_error(private.text, "url").lower() or "loopback" in (
        _field_error(private.text, "url").lower()
    )
    forged = client.post(
        "/settings/webhooks", data=_form(csrf, events="some", event_types=["made.up"])
    )
    assert forged.status_code == 422
    assert "made.up" in _field_error(forged.text, "events")
    assert "No webhook endpoints yet." in client.get("/settings/webhooks").text


def test_editing_an_endpoint(client: TestClient, owner: Account) -> None:
    csrf = web_login(client, owner)
    endpoint_id, _page = _add(client, csrf)
    bad = client.post(f"/settings/webhooks/{endpoint_id}", data=_form(csrf, url="nonsense"))
    assert bad.status_code == 422
    assert _field_error(bad.text, "url")
    assert 'value="nonsense"' in bad.text
    saved = client.post(
        f"/settings/webhooks/{endpoint_id}",
        data=_form(csrf, description="Renamed", events="some", event_types=["customer.created"]),
    )
    assert saved.status_code == 200 and "The endpoint is saved." in saved.text
    body = client.get(f"/api/v1/webhooks/{endpoint_id}", headers=owner.headers).json()
    assert (body["description"], body["event_types"]) == ("Renamed", ["customer.created"])
    disabled = client.post(f"/settings/webhooks/{endpoint_id}", data=_form(csrf, enabled=""))
    assert "It was disabled by hand." in disabled.text and "Re-enable" in disabled.text
    assert "Send test event" not in disabled.text


def test_a_test_event_reaches_the_receiver_and_shows_in_the_log(
    client: TestClient,
    owner: Account,
    receiver: Receiver,
    hook_settings: Settings,
    hook_worker: Worker,
) -> None:
    hook_worker.drain()
    _listening(client, hook_settings)
    csrf = web_login(client, owner)
    endpoint_id, _page = _add(client, csrf, url=receiver.url)
    receiver.secrets.append(endpoint_row_secret(client, owner, endpoint_id))
    sent = client.post(f"/settings/webhooks/{endpoint_id}/test", data={"csrf_token": csrf})
    assert sent.status_code == 200 and "A test event is on its way" in sent.text
    assert "webhook.test" in sent.text and "Pending" in sent.text
    hook_worker.drain()
    [received] = receiver.wait_for(1)
    assert received.verified and received.payload["type"] == "webhook.test"

    page = client.get(f"/settings/webhooks/{endpoint_id}").text
    assert "Delivered" in page and "HTTP 200" in page
    assert f"webhook-id: {received.webhook_id}" in page
    assert "webhook-signature: v1," in page
    assert "100.00 %" in page and "1 of 1 attempts" in page
    assert "100.00 %" in client.get("/settings/webhooks").text
    failed_only = client.get(f"/settings/webhooks/{endpoint_id}?status=failed").text
    assert "No failed deliveries." in failed_only
    # An unknown filter shows every delivery rather than failing.
    assert "webhook.test" in client.get(f"/settings/webhooks/{endpoint_id}?status=x").text


def test_retrying_a_failed_delivery(
    client: TestClient,
    owner: Account,
    receiver: Receiver,
    hook_settings: Settings,
    hook_worker: Worker,
) -> None:
    hook_worker.drain()
    _listening(client, hook_settings)
    csrf = web_login(client, owner)
    endpoint_id, _page = _add(client, csrf, url=receiver.url)
    receiver.secrets.append(endpoint_row_secret(client, owner, endpoint_id))
    receiver.answer(Answer(status=500, body="boom"))
    client.post(f"/settings/webhooks/{endpoint_id}/test", data={"csrf_token": csrf})
    hook_worker.drain()
    receiver.wait_for(1)
    page = client.get(f"/settings/webhooks/{endpoint_id}").text
    assert "HTTP 500" in page and "boom" in page
    found = re.search(
        r'action="/settings/webhooks/[0-9a-f-]+/deliveries/([0-9a-f-]{36})/retry"', page
    )
    assert found
    retried = client.post(
        f"/settings/webhooks/{endpoint_id}/deliveries/{found.group(1)}/retry",
        data={"csrf_token": csrf},
    )
    assert retried.status_code == 200 and "The delivery is due again" in retried.text
    hook_worker.drain()
    second = receiver.wait_for(2)
    assert len(second) == 2 and second[0].webhook_id == second[1].webhook_id
    page = client.get(f"/settings/webhooks/{endpoint_id}").text
    assert "manual retry" in page and "Delivered" in page


def test_rotating_the_secret(client: TestClient, owner: Account) -> None:
    csrf = web_login(client, owner)
    endpoint_id, page = _add(client, csrf)
    [old] = set(SECRET.findall(page))
    rotated = client.post(
        f"/settings/webhooks/{endpoint_id}/rotate-secret", data={"csrf_token": csrf}
    )
    assert rotated.status_code == 200 and "The secret is rotated." in rotated.text
    [new] = set(SECRET.findall(rotated.text))
    assert new != old
    assert "The previous secret still signs beside it until" in rotated.text
    assert "24 hours" in rotated.text


def test_a_disabled_endpoint_says_why_and_is_enabled_again(
    client: TestClient, owner: Account, database: Database
) -> None:
    csrf = web_login(client, owner)
    endpoint_id, _page = _add(client, csrf)
    add_delivery(database, owner, endpoint_id, status="failed", created_at=clock.now())
    # As the sender leaves an endpoint that answered 410.
    with (
        database.unit_of_work() as session,
        as_organization(session, uuid.UUID(owner.organization_id)),
    ):
        gone = session.get(WebhookEndpoint, uuid.UUID(endpoint_id))
        assert gone is not None
        gone.enabled = False
        gone.disabled_reason = "gone"
        gone.disabled_at = clock.now() - timedelta(hours=1)
    page = client.get(f"/settings/webhooks/{endpoint_id}").text
    assert "It answered 410 Gone" in page and "Re-enable" in page
    # Retrying needs the endpoint enabled: no button until then.
    assert 'form="retry-' not in page
    assert "410 Gone" in client.get("/settings/webhooks").text
    tried = client.post(f"/settings/webhooks/{endpoint_id}/test", data={"csrf_token": csrf})
    assert tried.status_code == 409 and "enable it to send it a test event" in tried.text
    enabled = client.post(f"/settings/webhooks/{endpoint_id}/enable", data={"csrf_token": csrf})
    assert enabled.status_code == 200 and "enabled again" in enabled.text
    row = endpoint_row(database, uuid.UUID(endpoint_id))
    assert row.enabled and row.disabled_reason is None and row.failing_since is None


def test_deleting_an_endpoint(client: TestClient, owner: Account) -> None:
    csrf = web_login(client, owner)
    endpoint_id, _page = _add(client, csrf)
    deleted = client.post(f"/settings/webhooks/{endpoint_id}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 200 and "The endpoint is deleted" in deleted.text
    assert client.get(f"/settings/webhooks/{endpoint_id}").status_code == 404


def test_roles_without_the_scope(client: TestClient, owner: Account) -> None:
    accept_new(client, invite(client, owner, "acc@example.com", "accountant"), "Al Accountant")
    csrf = web_login(client, owner)
    endpoint_id, _page = _add(client, csrf)
    csrf = web_login(client, "acc@example.com", owner.password)
    assert client.get("/settings/webhooks").status_code == 403
    assert client.get(f"/settings/webhooks/{endpoint_id}").status_code == 403
    refused = client.post("/settings/webhooks", data=_form(csrf))
    assert refused.status_code == 403
    assert client.get(f"/settings/webhooks/{uuid.uuid4()}").status_code in {403, 404}
