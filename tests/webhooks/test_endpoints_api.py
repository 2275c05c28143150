"""Webhook endpoints through the API: creation and every refusal, PATCH semantics, deletion,
secret rotation, the test event, roles, and the events catalogue."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from comptoir import wiring
from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.settings import Settings
from comptoir.kit.tenancy import all_tenants, as_organization
from comptoir.webhooks.models import WebhookDelivery, WebhookEndpoint
from comptoir.webhooks.service import endpoints
from tests.conftest import Account, register
from tests.identity.test_members import accept_new, bearer, invite
from tests.webhooks.endpoint_helpers import PUBLIC_URL, add_delivery, create_endpoint


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _field_errors(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


def test_creating_answers_the_secret_once_per_read_and_lists_hide_it(
    client: TestClient, owner: Account
) -> None:
    created = create_endpoint(
        client,
        owner,
        description="  Shop back office  ",
        event_types=["invoice.paid", "invoice.issued", "invoice.paid"],
    )
    assert created["url"] == PUBLIC_URL
    assert created["description"] == "Shop back office"
    assert created["event_types"] == ["invoice.issued", "invoice.paid"]
    assert created["enabled"] is True
    assert created["disabled_reason"] is None
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) >= 24
    assert created["previous_secret"] is None

    fetched = client.get(f"/api/v1/webhooks/{created['id']}", headers=owner.headers)
    assert fetched.status_code == 200
    assert fetched.json() == created

    listed = client.get("/api/v1/webhooks", headers=owner.headers).json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    assert "secret" not in listed["items"][0]
    assert listed["next_cursor"] is None

    actions = client.get("/api/v1/audit-events", headers=owner.headers).json()["items"]
    logged = [event for event in actions if event["action"] == "webhook_endpoint.created"]
    assert len(logged) == 1
    assert created["secret"] not in json.dumps(logged)


def test_lists_are_paginated_newest_first(client: TestClient, owner: Account) -> None:
    made = [create_endpoint(client, owner, description=f"n{n}")["id"] for n in range(3)]
    first = client.get("/api/v1/webhooks?limit=2", headers=owner.headers).json()
    assert [item["id"] for item in first["items"]] == made[::-1][:2]
    second = client.get(
        "/api/v1/webhooks",
        headers=owner.headers,
        params={"limit": 2, "cursor": first["next_cursor"]},
    ).json()
    assert [item["id"] for item in second["items"]] == [made[0]]
    assert second["next_cursor"] is None
    bad = client.get("/api/v1/webhooks?cursor=%%%", headers=owner.headers)
    assert _field_errors(bad) == ["cursor"]


BAD_BODIES = [
    pytest.param({"url": "ftp://93.184.215.14/"}, "url", id="not-http"),
    pytest.param({"url": "not a url"}, "url", id="no-scheme"),
    pytest.param({"url": "https://"}, "url", id="no-host"),
    pytest.param({"url": "http://93.184.215.14:99999/"}, "url", id="bad-port"),
    pytest.param({"url": "https://user:pw@93.184.215.14/"}, "url", id="credentials"),
    pytest.param({"url": "https://93.184.215.14/#part"}, "url", id="fragment"),
    pytest.param({"url": "http://127.0.0.1:8080/hook"}, "url", id="loopback"),
    pytest.param({"url": "http://localhost:8080/hook"}, "url", id="localhost-name"),
    pytest.param({"url": "http://10.1.2.3/hook"}, "url", id="private-10"),
    pytest.param({"url": "http://192.168.1.20/hook"}, "url", id="private-192"),
    pytest.param({"url": "http://169.254.169.254/latest/meta-data"}, "url", id="link-local"),
    pytest.param({"url": "http://[::1]/hook"}, "url", id="loopback-v6"),
    pytest.param({"url": "http://[::ffff:10.0.0.1]/hook"}, "url", id="mapped-v4"),
    pytest.param({"url": "http://0.0.0.0/hook"}, "url", id="unspecified"),
    pytest.param({"url": "https://93.184.215.14/" + "a" * 2000}, "url", id="url-too-long"),
    pytest.param({"url": 42}, "url", id="url-not-text"),
    pytest.param({}, "url", id="url-missing"),
    pytest.param({"url": PUBLIC_URL, "description": "d" * 501}, "description", id="long-text"),
    pytest.param({"url": PUBLIC_URL, "description": ["x"]}, "description", id="text-list"),
    pytest.param(
        {"url": PUBLIC_URL, "event_types": ["invoice.exploded"]}, "event_types", id="unknown"
    ),
    pytest.param(
        {"url": PUBLIC_URL, "event_types": ["approval_rules.changed"]}, "event_types", id="internal"
    ),
    pytest.param({"url": PUBLIC_URL, "event_types": "invoice.paid"}, "event_types", id="not-list"),
    pytest.param({"url": PUBLIC_URL, "event_types": [7]}, "event_types.0", id="not-text"),
    pytest.param(
        {"url": PUBLIC_URL, "event_types": ["invoice.paid"] * 201}, "event_types", id="too-many"
    ),
    pytest.param(
        {"url": PUBLIC_URL, "event_types": ["x" * 100_000]}, "event_types", id="huge-type"
    ),
    pytest.param({"url": PUBLIC_URL, "enabled": "maybe"}, "enabled", id="enabled-text"),
    pytest.param({"url": PUBLIC_URL, "secret": "whsec_mine"}, "secret", id="own-secret"),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
def test_bad_input_is_422_beside_its_field(
    client: TestClient, owner: Account, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/webhooks", headers=owner.headers, json=body)
    assert field in _field_errors(response)
    assert client.get("/api/v1/webhooks", headers=owner.headers).json()["items"] == []


def test_a_body_that_is_not_an_object_is_422(client: TestClient, owner: Account) -> None:
    for body in ([], "https://93.184.215.14/", None, 12):
        response = client.post("/api/v1/webhooks", headers=owner.headers, json=body)
        assert response.status_code == 422, (body, response.text)


def test_private_targets_are_accepted_when_the_server_allows_them(
    client: TestClient, owner: Account, settings: Settings
) -> None:
    client.app.state.settings = settings.model_copy(update={"webhooks_allow_private": True})  # type: ignore[attr-defined]
    created = create_endpoint(client, owner, url="http://127.0.0.1:8080/hook")
    assert created["url"] == "http://127.0.0.1:8080/hook"
    # The other rules still hold.
    response = client.post(
        "/api/v1/webhooks", headers=owner.headers, json={"url": "ftp://127.0.0.1/"}
    )
    assert _field_errors(response) == ["url"]


def test_an_organization_has_at_most_fifty_endpoints(
    client: TestClient, owner: Account, database: Database
) -> None:
    with (
        database.unit_of_work() as session,
        as_organization(session, uuid.UUID(owner.organization_id)),
    ):
        session.add_all(
            WebhookEndpoint(url=PUBLIC_URL, secret=f"whsec_{n}")
            for n in range(endpoints.MAX_ENDPOINTS)
        )
        session.flush()
    response = client.post("/api/v1/webhooks", headers=owner.headers, json={"url": PUBLIC_URL})
    assert response.status_code == 409
    assert response.json()["code"] == "too_many_endpoints"
    # Another organization is not counted against it.
    other = register(client, organization_name="Other SARL")
    create_endpoint(client, other)


def test_patch_changes_only_what_is_sent(client: TestClient, owner: Account) -> None:
    created = create_endpoint(client, owner, description="Old", event_types=["invoice.paid"])
    path = f"/api/v1/webhooks/{created['id']}"
    changed = client.patch(path, headers=owner.headers, json={"description": "New"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["description"] == "New"
    assert changed.json()["event_types"] == ["invoice.paid"]
    assert changed.json()["url"] == PUBLIC_URL
    assert "secret" not in changed.json()

    everything = client.patch(path, headers=owner.headers, json={"event_types": []})
    assert everything.json()["event_types"] == []

    for body, field in (
        ({"url": "http://10.0.0.1/"}, "url"),
        ({"url": None}, "url"),
        ({"event_types": ["nope.nope"]}, "event_types"),
        ({"event_types": None}, "event_types"),
        ({"description": "x" * 501}, "description"),
        ({"enabled": None}, "enabled"),
        ({"secret": "mine"}, "secret"),
    ):
        refused = client.patch(path, headers=owner.headers, json=body)
        assert field in _field_errors(refused), body
    after = client.get(path, headers=owner.headers).json()
    assert (after["url"], after["description"], after["event_types"]) == (PUBLIC_URL, "New", [])
    assert after["secret"] == created["secret"]


def test_disabling_by_hand_and_enabling_again_clears_the_failures(
    client: TestClient, owner: Account, database: Database
) -> None:
    created = create_endpoint(client, owner)
    path = f"/api/v1/webhooks/{created['id']}"
    disabled = client.patch(path, headers=owner.headers, json={"enabled": False}).json()
    assert disabled["enabled"] is False
    assert disabled["disabled_reason"] == "manual"
    assert disabled["disabled_at"] is not None

    # As the sender leaves an endpoint that failed for days.
    with (
        database.unit_of_work() as session,
        as_organization(session, uuid.UUID(owner.organization_id)),
    ):
        endpoint = session.get(WebhookEndpoint, uuid.UUID(created["id"]))
        assert endpoint is not None
        endpoint.disabled_reason = "failing"
        endpoint.failing_since = clock.now() - timedelta(days=5)
    enabled = client.patch(path, headers=owner.headers, json={"enabled": True}).json()
    assert enabled["enabled"] is True
    assert (enabled["disabled_reason"], enabled["disabled_at"], enabled["failing_since"]) == (
        None,
        None,
        None,
    )
    created_disabled = create_endpoint(client, owner, enabled=False)
    assert created_disabled["disabled_reason"] == "manual"


def test_deleting_removes_the_endpoint_and_its_log(
    client: TestClient, owner: Account, database: Database
) -> None:
    created = create_endpoint(client, owner)
    add_delivery(database, owner, created["id"], attempts=[{"response_status": 500}])
    path = f"/api/v1/webhooks/{created['id']}"
    assert client.delete(path, headers=owner.headers).status_code == 204
    assert client.get(path, headers=owner.headers).status_code == 404
    assert client.delete(path, headers=owner.headers).status_code == 404
    with database.unit_of_work(write=False) as session, all_tenants(session):
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


def test_rotation_keeps_the_previous_secret_for_24_hours(
    client: TestClient, owner: Account, database: Database
) -> None:
    created = create_endpoint(client, owner)
    path = f"/api/v1/webhooks/{created['id']}"
    rotated = client.post(f"{path}/rotate-secret", headers=owner.headers)
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["secret"].startswith("whsec_")
    assert body["secret"] != created["secret"]
    assert body["previous_secret"] == created["secret"]
    expires = _at(body["previous_secret_expires_at"])
    assert timedelta(hours=23, minutes=59) < expires - clock.now() <= timedelta(hours=24)

    # The API checks access tokens against the real time: move the clock for the service.
    with (
        database.unit_of_work() as session,
        as_organization(session, uuid.UUID(owner.organization_id)),
    ):
        endpoint = session.get(WebhookEndpoint, uuid.UUID(created["id"]))
        assert endpoint is not None
        with clock.travel(timedelta(hours=23, minutes=58)):
            assert endpoints.previous_secret(endpoint) == created["secret"]
        with clock.travel(timedelta(hours=24, seconds=1)):
            assert endpoints.previous_secret(endpoint) is None
        # Once expired, the API shows it no more.
        endpoint.previous_secret_expires_at = clock.now() - timedelta(seconds=1)
    later = client.get(path, headers=owner.headers).json()
    assert later["previous_secret"] is None
    assert later["secret"] == body["secret"]

    # A second rotation keeps only the last two secrets.
    again = client.post(f"{path}/rotate-secret", headers=owner.headers).json()
    assert again["previous_secret"] == body["secret"]
    assert again["secret"] not in (body["secret"], created["secret"])


def test_the_test_event_is_a_delivery_due_now(
    client: TestClient, owner: Account, database: Database
) -> None:
    created = create_endpoint(client, owner, event_types=["invoice.paid"])
    before = clock.now()
    response = client.post(f"/api/v1/webhooks/{created['id']}/test", headers=owner.headers)
    assert response.status_code == 202, response.text
    delivery = response.json()
    assert delivery["event_type"] == "webhook.test"
    assert delivery["event_id"] is None
    assert delivery["status"] == "pending"
    assert delivery["attempts"] == 0
    assert delivery["attempt_log"] == []
    assert delivery["webhook_id"] == f"msg_{uuid.UUID(delivery['id']).hex}"
    assert before <= _at(delivery["next_attempt_at"]) <= clock.now()
    sent = json.loads(delivery["body"])
    assert sent["type"] == "webhook.test"
    assert sent["data"] == {
        "message": "This is a test event from Comptoir.",
        "endpoint_id": created["id"],
    }
    assert before <= _at(sent["timestamp"]) <= clock.now()
    with (
        database.unit_of_work(write=False) as session,
        as_organization(session, uuid.UUID(owner.organization_id)),
    ):
        row = session.get(WebhookDelivery, uuid.UUID(delivery["id"]))
        assert row is not None
        assert row.endpoint_id == uuid.UUID(created["id"])
        assert row.next_attempt_at is not None and row.next_attempt_at <= clock.now()
        assert row.body == delivery["body"]

    client.patch(
        f"/api/v1/webhooks/{created['id']}", headers=owner.headers, json={"enabled": False}
    )
    refused = client.post(f"/api/v1/webhooks/{created['id']}/test", headers=owner.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "endpoint_disabled"


ROUTES = [
    ("GET", "/api/v1/webhooks", None),
    ("POST", "/api/v1/webhooks", {"url": PUBLIC_URL}),
    ("GET", "/api/v1/webhooks/events", None),
    ("GET", "/api/v1/webhooks/{endpoint}", None),
    ("PATCH", "/api/v1/webhooks/{endpoint}", {"description": "Mine now"}),
    ("DELETE", "/api/v1/webhooks/{endpoint}", None),
    ("POST", "/api/v1/webhooks/{endpoint}/test", None),
    ("POST", "/api/v1/webhooks/{endpoint}/rotate-secret", None),
    ("GET", "/api/v1/webhooks/{endpoint}/deliveries", None),
    ("GET", "/api/v1/webhooks/{endpoint}/deliveries/{delivery}", None),
    ("POST", "/api/v1/webhooks/{endpoint}/deliveries/{delivery}/retry", None),
    ("GET", "/api/v1/webhooks/{endpoint}/stats", None),
]


@pytest.mark.parametrize("role", ["accountant", "sales", "warehouse", "viewer"])
def test_only_admins_reach_webhooks(
    client: TestClient, owner: Account, database: Database, role: str
) -> None:
    created = create_endpoint(client, owner)
    delivery = add_delivery(database, owner, created["id"])
    member = bearer(accept_new(client, invite(client, owner, f"{role}@example.net", role=role)))
    for method, template, body in ROUTES:
        path = template.format(endpoint=created["id"], delivery=delivery)
        response = client.request(method, path, headers=member, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["code"] == "insufficient_scope"
    # Nothing changed on the way.
    after = client.get(f"/api/v1/webhooks/{created['id']}", headers=owner.headers).json()
    assert after == created
    admin = bearer(accept_new(client, invite(client, owner, "admin@example.net", role="admin")))
    assert client.get("/api/v1/webhooks", headers=admin).status_code == 200


def test_another_endpoints_delivery_is_404_on_every_delivery_route(
    client: TestClient, owner: Account, database: Database
) -> None:
    mine = create_endpoint(client, owner)
    sibling = create_endpoint(client, owner)
    delivery = add_delivery(database, owner, sibling["id"])
    for method in ("GET", "POST"):
        path = f"/api/v1/webhooks/{mine['id']}/deliveries/{delivery}"
        response = client.request(
            method, path + ("/retry" if method == "POST" else ""), headers=owner.headers
        )
        assert response.status_code == 404, response.text
    unknown = uuid.uuid4()
    for method, template, body in ROUTES[3:]:
        path = template.format(endpoint=unknown, delivery=delivery)
        response = client.request(method, path, headers=owner.headers, json=body)
        assert response.status_code == 404, (method, path, response.text)


def test_the_events_catalogue_lists_every_public_event_with_a_sample(
    client: TestClient, owner: Account
) -> None:
    response = client.get("/api/v1/webhooks/events", headers=owner.headers)
    assert response.status_code == 200
    listed = response.json()["items"]
    types = [item["type"] for item in listed]
    assert types == sorted(types)
    # Other test modules of this process may catalogue events of their own: judge ours.
    declared = {kind.name for kind in wiring.EVENT_TYPES if kind.public}
    assert len(declared) >= 30
    assert declared <= set(types)
    items = [item for item in listed if item["type"] in declared]
    for expected in (
        "customer.created",
        "quote.accepted",
        "invoice.issued",
        "invoice.paid",
        "credit_note.issued",
        "payment.received",
        "bill.approved",
        "expense.submitted",
        "journal_entry.posted",
        "member.joined",
    ):
        assert expected in types
    assert "approval_rules.changed" not in types
    assert "webhook_endpoint.disabled" not in types
    assert "webhook.test" not in types
    for item in items:
        assert item["resource"] == item["type"].split(".")[0]
        assert item["description"].endswith(".")
        assert item["sample"], item["type"]
