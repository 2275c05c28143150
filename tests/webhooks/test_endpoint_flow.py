"""The endpoints API with the real sender: a test event reaches a verifying receiver on
loopback and shows in the log and the figures; a manual retry of a failed delivery is one
attempt, triggered ``manual``; after a rotation both secrets verify."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from comptoir.kit.settings import Settings
from comptoir.worker.runner import Worker
from tests.conftest import Account
from tests.webhooks.endpoint_helpers import create_endpoint
from tests.webhooks.receiver import Answer, Receiver


def _log(client: TestClient, owner: Account, endpoint_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/webhooks/{endpoint_id}/deliveries", headers=owner.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _listening(
    client: TestClient, owner: Account, receiver: Receiver, hook_settings: Settings
) -> dict[str, Any]:
    client.app.state.settings = hook_settings  # type: ignore[attr-defined]
    endpoint = create_endpoint(client, owner, url=receiver.url, event_types=["invoice.paid"])
    receiver.secrets.append(endpoint["secret"])
    return endpoint


def test_a_test_event_is_delivered_logged_and_counted(
    client: TestClient,
    owner: Account,
    receiver: Receiver,
    hook_settings: Settings,
    hook_worker: Worker,
) -> None:
    hook_worker.drain()
    endpoint = _listening(client, owner, receiver, hook_settings)
    queued = client.post(f"/api/v1/webhooks/{endpoint['id']}/test", headers=owner.headers)
    assert queued.status_code == 202
    hook_worker.drain()

    [received] = receiver.wait_for(1)
    assert received.verified
    assert received.webhook_id == queued.json()["webhook_id"]
    assert received.payload["type"] == "webhook.test"
    assert received.payload["data"]["endpoint_id"] == endpoint["id"]

    [delivery] = _log(client, owner, endpoint["id"])
    assert delivery["status"] == "succeeded"
    [attempt] = delivery["attempt_log"]
    assert (attempt["number"], attempt["trigger"], attempt["response_status"]) == (
        1,
        "schedule",
        200,
    )
    assert attempt["request_headers"]["webhook-id"] == received.webhook_id
    assert attempt["request_headers"]["webhook-signature"] == received.headers["webhook-signature"]
    assert attempt["response_body"] == "ok"

    stats = client.get(f"/api/v1/webhooks/{endpoint['id']}/stats", headers=owner.headers).json()
    assert (stats["attempts"], stats["successes"], stats["success_rate"]) == (1, 1, "100.00")
    assert stats["latency_p50_ms"] == attempt["duration_ms"]
    assert stats["deliveries"]["succeeded"] == 1


def test_a_manual_retry_is_one_manual_attempt_with_the_same_webhook_id(
    client: TestClient,
    owner: Account,
    receiver: Receiver,
    hook_settings: Settings,
    hook_worker: Worker,
) -> None:
    hook_worker.drain()
    endpoint = _listening(client, owner, receiver, hook_settings)
    receiver.answer(Answer(status=500, body="boom"))
    client.post(f"/api/v1/webhooks/{endpoint['id']}/test", headers=owner.headers)
    hook_worker.drain()
    [waiting] = _log(client, owner, endpoint["id"])
    assert waiting["status"] == "pending"
    assert waiting["attempt_log"][0]["response_status"] == 500
    assert waiting["attempt_log"][0]["response_body"] == "boom"

    retried = client.post(
        f"/api/v1/webhooks/{endpoint['id']}/deliveries/{waiting['id']}/retry",
        headers=owner.headers,
    )
    assert retried.status_code == 202, retried.text
    hook_worker.drain()

    first, second = receiver.wait_for(2)
    assert first.webhook_id == second.webhook_id == waiting["webhook_id"]
    assert first.body == second.body
    assert second.verified
    [done] = _log(client, owner, endpoint["id"])
    assert done["status"] == "succeeded"
    assert done["retry_requested_at"] is None
    assert [(a["number"], a["trigger"]) for a in done["attempt_log"]] == [
        (1, "schedule"),
        (2, "manual"),
    ]


def test_after_a_rotation_both_secrets_verify(
    client: TestClient,
    owner: Account,
    receiver: Receiver,
    hook_settings: Settings,
    hook_worker: Worker,
) -> None:
    hook_worker.drain()
    endpoint = _listening(client, owner, receiver, hook_settings)
    rotated = client.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret", headers=owner.headers)
    receiver.secrets.append(rotated.json()["secret"])
    client.post(f"/api/v1/webhooks/{endpoint['id']}/test", headers=owner.headers)
    hook_worker.drain()

    [received] = receiver.wait_for(1)
    # Index 0: the secret before the rotation; 1: the new one.
    assert received.verified_by == (0, 1)
    assert len(received.headers["webhook-signature"].split(" ")) == 2
