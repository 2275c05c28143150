"""The delivery log through the API: deliveries with their attempts, filters and pages, the
manual retry, and the figures of a period, exact on rows written as the sender writes them."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.tenancy import as_organization
from comptoir.webhooks.service import log
from tests.conftest import Account
from tests.webhooks.endpoint_helpers import add_delivery, create_endpoint, delivery_row


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _log(client: TestClient, owner: Account, endpoint_id: str, **params: Any) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/webhooks/{endpoint_id}/deliveries", headers=owner.headers, params=params
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_the_log_shows_each_delivery_with_its_attempts(
    client: TestClient, owner: Account, database: Database
) -> None:
    endpoint = create_endpoint(client, owner)["id"]
    now = clock.now()
    failed_first = now - timedelta(minutes=10)
    delivery = add_delivery(
        database,
        owner,
        endpoint,
        status="pending",
        created_at=failed_first,
        attempts=[
            {
                "started_at": failed_first,
                "duration_ms": 15000,
                "error": "Timed out after 15 s",
                "next_attempt_at": failed_first + timedelta(seconds=5),
            },
            {
                "started_at": failed_first + timedelta(seconds=5),
                "duration_ms": 120,
                "response_status": 503,
                "response_body": "Service Unavailable",
                "next_attempt_at": failed_first + timedelta(minutes=5),
            },
        ],
    )
    [item] = _log(client, owner, endpoint)["items"]
    assert item["id"] == delivery
    assert item["status"] == "pending"
    assert item["event_type"] == "invoice.issued"
    assert json.loads(item["body"])["type"] == "invoice.issued"
    assert item["webhook_id"] == item["attempt_log"][0]["request_headers"]["webhook-id"]
    first, second = item["attempt_log"]
    assert (first["number"], first["trigger"], first["response_status"]) == (1, "schedule", None)
    assert first["error"] == "Timed out after 15 s"
    assert first["duration_ms"] == 15000
    assert _at(first["next_attempt_at"]) == failed_first + timedelta(seconds=5)
    assert (second["number"], second["response_status"]) == (2, 503)
    assert second["response_body"] == "Service Unavailable"
    assert _at(second["started_at"]) == failed_first + timedelta(seconds=5)

    one = client.get(f"/api/v1/webhooks/{endpoint}/deliveries/{delivery}", headers=owner.headers)
    assert one.status_code == 200
    assert one.json() == item


def test_the_log_filters_and_pages_newest_first(
    client: TestClient, owner: Account, database: Database
) -> None:
    endpoint = create_endpoint(client, owner)["id"]
    other_endpoint = create_endpoint(client, owner)["id"]
    made = [
        add_delivery(database, owner, endpoint, status=status, event_type=kind)
        for status, kind in (
            ("succeeded", "invoice.issued"),
            ("failed", "invoice.paid"),
            ("failed", "invoice.issued"),
            ("pending", "invoice.issued"),
        )
    ]
    add_delivery(database, owner, other_endpoint, status="failed")
    assert [d["id"] for d in _log(client, owner, endpoint)["items"]] == made[::-1]
    assert [d["id"] for d in _log(client, owner, endpoint, status="failed")["items"]] == [
        made[2],
        made[1],
    ]
    issued = _log(client, owner, endpoint, event_type="invoice.issued", status="failed")
    assert [d["id"] for d in issued["items"]] == [made[2]]
    assert _log(client, owner, endpoint, event_type="quote.sent")["items"] == []

    page = _log(client, owner, endpoint, limit=3)
    assert [d["id"] for d in page["items"]] == made[::-1][:3]
    rest = _log(client, owner, endpoint, limit=3, cursor=page["next_cursor"])
    assert [d["id"] for d in rest["items"]] == [made[0]]
    assert rest["next_cursor"] is None

    for params in ({"status": "lost"}, {"limit": 0}, {"limit": 201}, {"cursor": "!!"}):
        response = client.get(
            f"/api/v1/webhooks/{endpoint}/deliveries", headers=owner.headers, params=params
        )
        assert response.status_code == 422, (params, response.text)
        assert response.json()["errors"][0]["field"] == next(iter(params))


def test_a_manual_retry_makes_the_delivery_due_now_with_its_marker(
    client: TestClient, owner: Account, database: Database
) -> None:
    endpoint = create_endpoint(client, owner)["id"]
    delivery = add_delivery(
        database,
        owner,
        endpoint,
        status="failed",
        attempts=[{"response_status": 500, "next_attempt_at": None}],
    )
    before = clock.now()
    response = client.post(
        f"/api/v1/webhooks/{endpoint}/deliveries/{delivery}/retry", headers=owner.headers
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "pending"
    assert before <= _at(body["retry_requested_at"]) <= clock.now()
    assert body["next_attempt_at"] == body["retry_requested_at"]
    row = delivery_row(database, owner, delivery)
    assert row.status == "pending"
    assert row.retry_requested_at is not None
    assert row.next_attempt_at is not None and row.next_attempt_at <= clock.now()
    assert row.attempts == 1
    actions = client.get("/api/v1/audit-events", headers=owner.headers).json()["items"]
    assert "webhook_delivery.retry_requested" in [event["action"] for event in actions]

    # A succeeded delivery can be sent again too.
    done = add_delivery(database, owner, endpoint, status="succeeded")
    again = client.post(
        f"/api/v1/webhooks/{endpoint}/deliveries/{done}/retry", headers=owner.headers
    )
    assert again.status_code == 202
    assert again.json()["status"] == "pending"


def test_a_delivery_being_sent_or_a_disabled_endpoint_cannot_be_retried(
    client: TestClient, owner: Account, database: Database
) -> None:
    endpoint = create_endpoint(client, owner)["id"]
    busy = add_delivery(database, owner, endpoint, status="delivering")
    response = client.post(
        f"/api/v1/webhooks/{endpoint}/deliveries/{busy}/retry", headers=owner.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "delivery_in_progress"
    assert delivery_row(database, owner, busy).retry_requested_at is None

    failed = add_delivery(database, owner, endpoint, status="failed")
    client.patch(f"/api/v1/webhooks/{endpoint}", headers=owner.headers, json={"enabled": False})
    response = client.post(
        f"/api/v1/webhooks/{endpoint}/deliveries/{failed}/retry", headers=owner.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "endpoint_disabled"
    assert delivery_row(database, owner, failed).status == "failed"


def test_stats_are_exact_over_each_period(
    client: TestClient, owner: Account, database: Database
) -> None:
    endpoint = create_endpoint(client, owner)["id"]
    now = clock.now()
    hour_ago = now - timedelta(hours=1)
    # Within 24 hours: 3 successes (2xx) and 2 failures (a 500 and no answer at all).
    recent = [(200, 100), (204, 1000), (500, 300), (None, 400), (201, 200)]
    for index, (status, duration) in enumerate(recent):
        add_delivery(
            database,
            owner,
            endpoint,
            status="succeeded" if status and status < 300 else "failed",
            created_at=hour_ago + timedelta(minutes=index),
            attempts=[
                {
                    "started_at": hour_ago + timedelta(minutes=index),
                    "response_status": status,
                    "duration_ms": duration,
                }
            ],
        )
    # Three days ago: a delivery with two failed attempts, in 7 and 30 days only.
    old = now - timedelta(days=3)
    add_delivery(
        database,
        owner,
        endpoint,
        status="failed",
        created_at=old,
        attempts=[
            {"started_at": old, "response_status": 410, "duration_ms": 5000},
            {"started_at": old + timedelta(minutes=1), "response_status": 302, "duration_ms": 50},
        ],
    )
    # Another endpoint's attempts never count.
    other = create_endpoint(client, owner)["id"]
    add_delivery(database, owner, other, attempts=[{"response_status": 200, "duration_ms": 9}])

    def stats(period: str | None = None) -> dict[str, Any]:
        params = {"period": period} if period else {}
        response = client.get(
            f"/api/v1/webhooks/{endpoint}/stats", headers=owner.headers, params=params
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    day = stats()
    assert day["period"] == "24h"
    assert _at(day["until"]) - _at(day["since"]) == timedelta(hours=24)
    assert (day["attempts"], day["successes"], day["failures"]) == (5, 3, 2)
    assert day["success_rate"] == "60.00"
    # Durations 100, 200, 300, 400, 1000: mean 400, nearest-rank median and 95th percentile.
    assert day["latency_avg_ms"] == "400.0"
    assert (day["latency_p50_ms"], day["latency_p95_ms"]) == (300, 1000)
    assert day["deliveries"] == {"pending": 0, "delivering": 0, "succeeded": 3, "failed": 2}
    assert _at(day["last_success_at"]) == hour_ago + timedelta(minutes=4)
    assert _at(day["last_failure_at"]) == hour_ago + timedelta(minutes=3)

    week = stats("7d")
    assert (week["attempts"], week["successes"], week["failures"]) == (7, 3, 4)
    assert week["success_rate"] == "42.86"
    # 100, 200, 300, 400, 1000, 5000, 50: mean 7050 / 7.
    assert week["latency_avg_ms"] == "1007.1"
    assert (week["latency_p50_ms"], week["latency_p95_ms"]) == (300, 5000)
    assert week["deliveries"] == {"pending": 0, "delivering": 0, "succeeded": 3, "failed": 3}
    assert stats("30d")["attempts"] == 7

    # A quiet week later (the service's clock: the API checks tokens against the real time).
    with (
        database.unit_of_work(write=False) as session,
        as_organization(session, uuid.UUID(owner.organization_id)),
        clock.travel(timedelta(days=10)),
    ):
        quiet = log.stats(session, uuid.UUID(endpoint), "7d")
    assert (quiet.attempts, quiet.success_rate, quiet.latency_avg_ms) == (0, None, None)
    assert (quiet.latency_p50_ms, quiet.latency_p95_ms) == (None, None)
    assert quiet.last_success_at == hour_ago + timedelta(minutes=4)

    response = client.get(
        f"/api/v1/webhooks/{endpoint}/stats", headers=owner.headers, params={"period": "1y"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "period"
