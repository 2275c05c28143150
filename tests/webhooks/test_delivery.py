"""Webhook delivery end to end: outbox event -> worker -> a real receiver on loopback that
verifies every request with the ``standardwebhooks`` library."""

from __future__ import annotations

import socket
import time
import uuid
from datetime import timedelta
from email.utils import format_datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.settings import Settings
from comptoir.kit.tenancy import all_tenants
from comptoir.webhooks.models import WebhookDelivery, WebhookEndpoint
from comptoir.webhooks.service import messages
from comptoir.worker import registry
from comptoir.worker.runner import Worker
from tests.conftest import Account, register
from tests.notifications.helpers import member, notifications
from tests.webhooks.conftest import (
    HAPPENED,
    INTERNAL,
    OTHER,
    add_endpoint,
    attempts,
    deliveries,
    emit,
    endpoint_row,
)
from tests.webhooks.endpoint_helpers import add_delivery, delivery_row
from tests.webhooks.receiver import Answer, Receiver


def _listen(receiver: Receiver, database: Database, owner: Account, **kwargs: object) -> uuid.UUID:
    endpoint = add_endpoint(database, owner.organization_id, receiver.url, **kwargs)  # type: ignore[arg-type]
    receiver.secrets.append(endpoint.secret)
    return endpoint.id


def _run(worker: Worker, at: timedelta = timedelta(0)) -> None:
    with clock.travel(at):
        worker.drain()


def test_a_committed_event_reaches_its_subscribers_once_signed(
    client: TestClient, database: Database, hook_worker: Worker, owner: Account
) -> None:
    other = register(client, organization_name="Other SARL")
    hook_worker.drain()  # what registering emitted goes before any endpoint exists
    with (
        Receiver().running() as mine,
        Receiver().running() as every,
        Receiver().running() as theirs,
    ):
        mine_id = _listen(mine, database, owner, event_types=(HAPPENED,))
        _listen(every, database, owner)
        _listen(theirs, database, other, event_types=(HAPPENED,))
        data = {"id": str(uuid.uuid4()), "number": "F-2026-0001", "amount": "120.00"}
        event_id = emit(database, owner.organization_id, HAPPENED, data)
        emit(database, owner.organization_id, OTHER)
        emit(database, owner.organization_id, INTERNAL)
        emit(database, None, HAPPENED)
        hook_worker.drain()
        hook_worker.drain()

        [received] = mine.received
        assert received.verified
        payload = received.payload
        assert set(payload) == {"type", "timestamp", "data"}
        assert payload["type"] == HAPPENED
        assert payload["data"] == data
        assert payload["timestamp"].endswith("Z")
        assert abs(int(received.headers["webhook-timestamp"]) - time.time()) < 60
        assert received.headers["content-type"] == "application/json"
        assert received.headers["user-agent"].startswith("Comptoir-Webhooks/")
        # "All events" gets both public events, never the internal one.
        assert sorted(r.payload["type"] for r in every.received) == [HAPPENED, OTHER]
        assert all(r.verified for r in every.received)
        # The other organization's endpoint hears nothing of ours.
        assert theirs.received == []

    [delivery] = [d for d in deliveries(database) if d.endpoint_id == mine_id]
    assert delivery.event_id == event_id
    assert delivery.status == "succeeded"
    assert delivery.attempts == 1
    assert received.webhook_id == messages.message_id(delivery.id)
    [attempt] = [a for a in attempts(database) if a.delivery_id == delivery.id]
    assert attempt.response_status == 200
    assert attempt.response_body == "ok"
    assert attempt.request_headers["webhook-signature"] == received.headers["webhook-signature"]
    assert attempt.next_attempt_at is None


def test_failures_follow_the_retry_schedule_with_the_same_webhook_id(
    database: Database, hook_worker: Worker, owner: Account, receiver: Receiver
) -> None:
    hook_worker.drain()
    _listen(receiver, database, owner)
    receiver.default = Answer(500, body="boom")
    emit(database, owner.organization_id)
    elapsed = timedelta(0)
    for number, delay in enumerate((5, 300, 1800), start=1):
        before = clock.now() + elapsed
        _run(hook_worker, elapsed)
        after = clock.now() + elapsed
        [delivery] = deliveries(database)
        assert (delivery.status, delivery.attempts) == ("pending", number)
        assert delivery.next_attempt_at is not None
        assert before + timedelta(seconds=delay) <= delivery.next_attempt_at
        assert delivery.next_attempt_at <= after + timedelta(seconds=delay * 1.1)
        # Not due a moment before its time.
        _run(hook_worker, delivery.next_attempt_at - clock.now() - timedelta(seconds=1))
        assert deliveries(database)[0].attempts == number
        elapsed = delivery.next_attempt_at - clock.now() + timedelta(seconds=1)
    _run(hook_worker, elapsed)
    [delivery] = deliveries(database)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 4, None)
    assert delivery.last_status_code == 500
    assert len(receiver.received) == 4
    assert all(r.verified for r in receiver.received)
    assert {r.webhook_id for r in receiver.received} == {messages.message_id(delivery.id)}
    logged = attempts(database)
    assert [a.number for a in logged] == [1, 2, 3, 4]
    assert [a.response_body for a in logged] == ["boom"] * 4
    assert logged[-1].next_attempt_at is None
    _run(hook_worker, elapsed + timedelta(days=2))
    assert len(receiver.received) == 4


@pytest.mark.parametrize(
    ("status", "retry_after", "wait"),
    [
        (429, "3600", timedelta(hours=1)),
        (503, "HTTP-DATE", timedelta(hours=2)),
        (429, str(10 * 86400), timedelta(hours=24)),
    ],
    ids=["429-seconds", "503-http-date", "capped-at-24h"],
)
def test_retry_after_is_honoured(
    database: Database,
    hook_worker: Worker,
    owner: Account,
    receiver: Receiver,
    status: int,
    retry_after: str,
    wait: timedelta,
) -> None:
    hook_worker.drain()
    _listen(receiver, database, owner)
    started = clock.now()
    if retry_after == "HTTP-DATE":
        retry_after = format_datetime(started + wait, usegmt=True)
    receiver.answer(Answer(status, {"Retry-After": retry_after}))
    emit(database, owner.organization_id)
    hook_worker.drain()
    [delivery] = deliveries(database)
    assert delivery.status == "pending"
    assert delivery.next_attempt_at is not None
    # Not before the receiver asked (an HTTP date has whole seconds), far later than the
    # schedule's 5 s, never past 24 h.
    assert started + wait - timedelta(seconds=1) <= delivery.next_attempt_at
    assert delivery.next_attempt_at <= clock.now() + wait
    _run(hook_worker, wait - timedelta(minutes=1))
    assert len(receiver.received) == 1
    _run(hook_worker, wait + timedelta(seconds=2))
    assert len(receiver.received) == 2
    assert deliveries(database)[0].status == "succeeded"


def test_410_gone_disables_the_endpoint_and_tells_the_admins(
    client: TestClient, database: Database, hook_worker: Worker, owner: Account, receiver: Receiver
) -> None:
    hook_worker.drain()
    endpoint_id = _listen(receiver, database, owner)
    receiver.answer(Answer(410, body="gone"))
    emit(database, owner.organization_id)
    hook_worker.drain()
    [delivery] = deliveries(database)
    assert (delivery.status, delivery.last_status_code) == ("failed", 410)
    endpoint = endpoint_row(database, endpoint_id)
    assert (endpoint.enabled, endpoint.disabled_reason) == (False, "gone")
    assert endpoint.disabled_at is not None
    emit(database, owner.organization_id)
    hook_worker.drain()
    assert len(receiver.received) == 1
    [notice] = notifications(client, owner.headers)
    assert notice["event_type"] == "webhook_endpoint.disabled"
    assert receiver.url in notice["title"]
    assert "410" in notice["body"]


@pytest.mark.parametrize("failure", ["timeout", "closed-port"])
def test_timeouts_and_network_errors_are_retried(
    database: Database, hook_worker: Worker, owner: Account, receiver: Receiver, failure: str
) -> None:
    hook_worker.drain()
    if failure == "timeout":
        _listen(receiver, database, owner)
        receiver.answer(Answer(hang=True))
    else:
        with socket.socket() as placeholder:
            placeholder.bind(("127.0.0.1", 0))
            port = placeholder.getsockname()[1]
        add_endpoint(database, owner.organization_id, f"http://127.0.0.1:{port}/hooks")
    emit(database, owner.organization_id)
    hook_worker.drain()
    [delivery] = deliveries(database)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    [attempt] = attempts(database)
    assert attempt.response_status is None
    if failure == "timeout":
        assert attempt.error == "Timed out after 0.5 s."
        _run(hook_worker, timedelta(seconds=6))
        assert deliveries(database)[0].status == "succeeded"
        assert len(receiver.received) == 2
    else:
        assert attempt.error is not None and attempt.error.startswith("ConnectError")
        _run(hook_worker, timedelta(seconds=6))
        assert deliveries(database)[0].attempts == 2


def test_redirects_are_not_followed(
    database: Database, hook_worker: Worker, owner: Account, receiver: Receiver
) -> None:
    hook_worker.drain()
    _listen(receiver, database, owner)
    target = f"http://127.0.0.1:{receiver.port}/elsewhere"
    receiver.answer(Answer(302, {"Location": target}))
    emit(database, owner.organization_id)
    hook_worker.drain()
    [delivery] = deliveries(database)
    assert (delivery.status, delivery.last_status_code) == ("pending", 302)
    assert delivery.last_error == f"Redirects are not followed (to {target})."
    assert [r.path for r in receiver.received] == ["/hooks"]


def test_five_days_of_failures_disable_the_endpoint_and_notify_admins(
    client: TestClient,
    database: Database,
    hook_settings: Settings,
    hook_worker: Worker,
    owner: Account,
    receiver: Receiver,
) -> None:
    admin = member(client, owner, "admin@example.net", "admin")
    viewer = member(client, owner, "viewer@example.net", "viewer")
    hook_worker.drain()
    endpoint_id = _listen(receiver, database, owner)
    receiver.default = Answer(500)
    emit(database, owner.organization_id)
    hook_worker.drain()
    first_failure = endpoint_row(database, endpoint_id).failing_since
    assert first_failure is not None
    with clock.travel(timedelta(days=4, hours=23)):
        emit(database, owner.organization_id)
        hook_worker.drain()
        endpoint = endpoint_row(database, endpoint_id)
        assert endpoint.enabled
        assert endpoint.failing_since == first_failure
    assert notifications(client, owner.headers) == []
    with clock.travel(timedelta(days=5)):
        emit(database, owner.organization_id)
        hook_worker.drain()
        endpoint = endpoint_row(database, endpoint_id)
        assert (endpoint.enabled, endpoint.disabled_reason) == (False, "failing")
    [notice] = notifications(client, owner.headers)
    assert [n["title"] for n in notifications(client, admin)] == [notice["title"]]
    assert notifications(client, viewer) == []
    assert notice["title"] == f"Webhook endpoint disabled: {receiver.url}"
    assert "failed for days" in notice["body"]
    assert notice["link"] == f"/settings/webhooks/{endpoint_id}"


def test_a_success_ends_a_run_of_failures(
    database: Database, hook_worker: Worker, owner: Account, receiver: Receiver
) -> None:
    hook_worker.drain()
    endpoint_id = _listen(receiver, database, owner)
    receiver.answer(Answer(500))
    emit(database, owner.organization_id)
    hook_worker.drain()
    assert endpoint_row(database, endpoint_id).failing_since is not None
    _run(hook_worker, timedelta(seconds=6))
    assert endpoint_row(database, endpoint_id).failing_since is None
    assert deliveries(database)[0].status == "succeeded"


def test_rotation_sends_both_signatures_for_24_hours(
    database: Database, hook_worker: Worker, owner: Account, receiver: Receiver
) -> None:
    hook_worker.drain()
    old = messages.new_secret()
    endpoint_id = _listen(receiver, database, owner, secret=old)
    new = messages.new_secret()
    receiver.secrets.append(new)
    with database.unit_of_work() as session, all_tenants(session):
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id)
            .values(
                secret=new,
                previous_secret=old,
                previous_secret_expires_at=clock.now() + timedelta(hours=24),
            )
        )
    emit(database, owner.organization_id)
    hook_worker.drain()
    [during] = receiver.received
    signatures = during.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    assert during.verified_by == (0, 1)
    # Each signature is the one of its own secret.
    for secret_index, signature in ((1, signatures[0]), (0, signatures[1])):
        alone = Receiver(receiver.secrets[secret_index])
        assert alone._verify(during.body, {**during.headers, "webhook-signature": signature})
        alone.server.server_close()
    with clock.travel(timedelta(hours=24, minutes=1)):
        emit(database, owner.organization_id)
        hook_worker.drain()
    after = receiver.received[1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert after.verified_by == (1,)


def test_private_targets_are_refused_unless_allowed(
    database: Database,
    hook_settings: Settings,
    owner: Account,
    receiver: Receiver,
) -> None:
    strict = Worker(
        database,
        hook_settings.model_copy(update={"webhooks_allow_private": False}),
        periodic_tasks={},
    )
    strict.drain()
    _listen(receiver, database, owner)
    emit(database, owner.organization_id)
    strict.drain()
    [attempt] = attempts(database)
    assert attempt.error is not None
    assert "127.0.0.1" in attempt.error and "private, loopback or link-local" in attempt.error
    assert attempt.response_status is None
    assert receiver.received == []
    assert deliveries(database)[0].status == "pending"


def test_the_checked_address_is_pinned_with_the_original_host(
    database: Database, hook_worker: Worker, owner: Account, receiver: Receiver
) -> None:
    hook_worker.drain()
    url = f"http://localhost:{receiver.port}/hooks"
    endpoint = add_endpoint(database, owner.organization_id, url)
    receiver.secrets.append(endpoint.secret)
    emit(database, owner.organization_id)
    hook_worker.drain()
    [received] = receiver.received
    assert received.verified
    assert received.local_address == "127.0.0.1"
    assert received.headers["host"] == f"localhost:{receiver.port}"


def test_bodies_over_256_kb_carry_ids_only(
    database: Database, hook_worker: Worker, owner: Account, receiver: Receiver
) -> None:
    hook_worker.drain()
    _listen(receiver, database, owner)
    ids = {"id": str(uuid.uuid4()), "customer_id": str(uuid.uuid4())}
    emit(database, owner.organization_id, HAPPENED, {**ids, "notes": "x" * 300_000})
    hook_worker.drain()
    [received] = receiver.received
    assert received.verified
    assert received.payload["data"] == {**ids, "truncated": True}


@pytest.mark.parametrize(
    ("before", "answer", "status"),
    [("failed", 200, "succeeded"), ("failed", 500, "failed"), ("pending", 200, "succeeded")],
    ids=["failed-then-success", "failed-then-failure", "pending-then-success"],
)
def test_a_manual_retry_is_one_attempt(
    client: TestClient,
    database: Database,
    hook_worker: Worker,
    owner: Account,
    receiver: Receiver,
    before: str,
    answer: int,
    status: str,
) -> None:
    hook_worker.drain()
    endpoint_id = _listen(receiver, database, owner)
    failures = 4 if before == "failed" else 1
    receiver.answer(*[Answer(500)] * failures, Answer(answer))
    emit(database, owner.organization_id)
    for hours in range(failures):
        _run(hook_worker, timedelta(hours=hours))
    [delivery] = deliveries(database)
    assert (delivery.status, delivery.attempts) == (before, failures)
    retried = client.post(
        f"/api/v1/webhooks/{endpoint_id}/deliveries/{delivery.id}/retry", headers=owner.headers
    )
    assert retried.status_code == 202, retried.text
    hook_worker.drain()
    [delivery] = deliveries(database)
    assert (delivery.status, delivery.attempts) == (status, failures + 1)
    assert delivery.retry_requested_at is None
    assert attempts(database)[-1].trigger == "manual"
    assert len({r.webhook_id for r in receiver.received}) == 1
    assert all(r.verified for r in receiver.received)
    # One attempt: an ended schedule does not resume after it.
    _run(hook_worker, timedelta(days=3))
    assert len(receiver.received) == failures + 1


def test_a_failed_manual_retry_gives_the_delivery_back_to_its_schedule(
    client: TestClient, database: Database, hook_worker: Worker, owner: Account, receiver: Receiver
) -> None:
    hook_worker.drain()
    endpoint_id = _listen(receiver, database, owner)
    receiver.default = Answer(500)
    emit(database, owner.organization_id)
    _run(hook_worker)
    _run(hook_worker, timedelta(seconds=6))
    [delivery] = deliveries(database)
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    planned = delivery.next_attempt_at
    assert planned is not None and planned > clock.now() + timedelta(seconds=250)
    retried = client.post(
        f"/api/v1/webhooks/{endpoint_id}/deliveries/{delivery.id}/retry", headers=owner.headers
    )
    assert retried.status_code == 202, retried.text
    hook_worker.drain()
    [delivery] = deliveries(database)
    assert (delivery.status, delivery.attempts) == ("pending", 3)
    assert delivery.next_attempt_at == planned
    assert [a.trigger for a in attempts(database)] == ["schedule", "schedule", "manual"]
    # Not before the planned time, then the schedule goes on where it was: its third
    # attempt waits the third delay (1800 s), its fourth and last ends it.
    _run(hook_worker, planned - clock.now() - timedelta(seconds=1))
    assert len(receiver.received) == 3
    _run(hook_worker, planned - clock.now() + timedelta(seconds=1))
    [delivery] = deliveries(database)
    assert (delivery.status, delivery.attempts) == ("pending", 4)
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at >= planned + timedelta(seconds=1800)
    _run(hook_worker, delivery.next_attempt_at - clock.now() + timedelta(seconds=1))
    [delivery] = deliveries(database)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 5, None)
    assert len(receiver.received) == 5


@pytest.mark.parametrize(
    ("lease", "status_code"),
    [(timedelta(minutes=-1), 202), (timedelta(minutes=1), 409)],
    ids=["lease-over", "lease-running"],
)
def test_a_delivery_left_delivering_can_be_retried_once_its_lease_is_over(
    client: TestClient,
    database: Database,
    hook_worker: Worker,
    owner: Account,
    receiver: Receiver,
    lease: timedelta,
    status_code: int,
) -> None:
    hook_worker.drain()
    endpoint_id = _listen(receiver, database, owner)
    delivery_id = add_delivery(database, owner, str(endpoint_id), status="delivering")
    with database.unit_of_work() as session, all_tenants(session):
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == uuid.UUID(delivery_id))
            .values(locked_until=clock.now() + lease)
        )
    retried = client.post(
        f"/api/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry", headers=owner.headers
    )
    assert retried.status_code == status_code, retried.text
    if status_code == 409:
        assert retried.json()["code"] == "delivery_in_progress"
        assert delivery_row(database, owner, delivery_id).status == "delivering"
        return
    row = delivery_row(database, owner, delivery_id)
    assert row.status == "pending" and row.retry_requested_at is not None
    hook_worker.drain()
    assert delivery_row(database, owner, delivery_id).status == "succeeded"
    assert [a.trigger for a in attempts(database)] == ["manual"]
    assert len(receiver.received) == 1


def test_the_log_keeps_30_days(
    database: Database, hook_worker: Worker, owner: Account, receiver: Receiver
) -> None:
    hook_worker.drain()
    _listen(receiver, database, owner)
    receiver.answer(Answer(500))
    emit(database, owner.organization_id)
    hook_worker.drain()
    _run(hook_worker, timedelta(seconds=6))
    with clock.travel(timedelta(days=29)):
        emit(database, owner.organization_id)
        hook_worker.drain()
    assert (len(deliveries(database)), len(attempts(database))) == (2, 3)
    every, purge = registry.periodic_tasks()["webhooks.purge_log"]
    assert every == timedelta(hours=6)
    purger = Worker(database, hook_worker.settings, periodic_tasks={"purge": (every, purge)})
    with clock.travel(timedelta(days=30, minutes=1)):
        assert purger.run_periodic() == 1
    [kept] = deliveries(database)
    assert kept.status == "succeeded"
    assert [a.delivery_id for a in attempts(database)] == [kept.id]
