"""The sender: claims due deliveries, sends them concurrently and records every attempt.

One pass is three steps. A short transaction claims a batch (``delivering`` with a lease,
``FOR UPDATE SKIP LOCKED`` on PostgreSQL so that several workers share the work; SQLite
serializes writers anyway). The requests then go out concurrently on an event loop that a
background thread keeps for the life of the process, with the HTTP clients of its lanes
(connections stay open from one batch to the next). A last transaction records the
attempts, the deliveries and the endpoints. A worker killed between the first and the last
step leaves its batch ``delivering``: the lease runs out and another pass claims it again,
so every delivery is sent at least once (receivers deduplicate on ``webhook-id``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import uuid
from collections import defaultdict
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

try:
    import uvloop
except ImportError:  # pragma: no cover - uvicorn[standard] brings it on Linux and macOS
    uvloop = None  # type: ignore[assignment]
from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.ids import new_id
from comptoir.kit.settings import Settings
from comptoir.kit.tenancy import all_tenants
from comptoir.outbox import service as outbox
from comptoir.webhooks import events
from comptoir.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from comptoir.webhooks.service import signing
from comptoir.webhooks.service.transport import Outcome, Transport

MAX_BATCH = 500
T = TypeVar("T")
log = logging.getLogger("comptoir.webhooks")


@dataclass(frozen=True)
class Claim:
    delivery_id: uuid.UUID
    organization_id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    body: str
    secrets: tuple[str, ...]
    # Attempts made before this one, manual ones included.
    attempts: int
    # A retry asked from the delivery log: one extra attempt now, outside the schedule.
    manual: bool
    created_at: datetime


@dataclass(frozen=True)
class Sent:
    claim: Claim
    headers: dict[str, str]
    outcome: Outcome


class _EventLoop:
    """An event loop in a daemon thread, with the transport (its HTTP clients) living on it."""

    def __init__(self) -> None:
        # uvloop (installed with uvicorn's standard extras) spends less CPU per request.
        self.loop = uvloop.new_event_loop() if uvloop is not None else asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="comptoir-webhooks", daemon=True
        )
        self.thread.start()
        self.transport = self.run(self._transport())

    @staticmethod
    async def _transport() -> Transport:
        return Transport()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()


_event_loop: _EventLoop | None = None
_event_loop_lock = threading.Lock()


def event_loop() -> _EventLoop:
    global _event_loop
    with _event_loop_lock:
        if _event_loop is None:
            _event_loop = _EventLoop()
        return _event_loop


def batch_size(settings: Settings) -> int:
    """As many deliveries as the lease covers even if every request times out."""
    rounds = int(settings.webhook_lease_seconds // (settings.webhook_timeout_seconds + 1))
    return min(MAX_BATCH, settings.webhook_concurrency * max(1, rounds))


def _due(settings: Settings, now: datetime) -> Any:
    """Pending and due (a manual retry makes a delivery pending and due at once), or left
    ``delivering`` by a worker whose lease has run out."""
    scheduled = (WebhookDelivery.status == "pending") & (WebhookDelivery.next_attempt_at <= now)
    first_delay = timedelta(seconds=settings.webhook_retry_schedule[0])
    if first_delay:
        scheduled &= (
            (WebhookDelivery.attempts > 0)
            | (WebhookDelivery.next_attempt_at <= now - first_delay)
            | WebhookDelivery.retry_requested_at.is_not(None)
        )
    abandoned = (WebhookDelivery.status == "delivering") & (WebhookDelivery.locked_until < now)
    return or_(scheduled, abandoned)


def claim(database: Database, settings: Settings, limit: int) -> list[Claim]:
    """Lease up to ``limit`` due deliveries of enabled endpoints to this worker."""
    now = clock.now()
    query = (
        select(
            WebhookDelivery.id,
            WebhookDelivery.organization_id,
            WebhookDelivery.endpoint_id,
            WebhookDelivery.body,
            WebhookDelivery.attempts,
            WebhookDelivery.retry_requested_at,
            WebhookDelivery.created_at,
            WebhookEndpoint.url,
            WebhookEndpoint.secret,
            WebhookEndpoint.previous_secret,
            WebhookEndpoint.previous_secret_expires_at,
        )
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookEndpoint.enabled.is_(True), _due(settings, now))
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    )
    if not database.is_sqlite:
        query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
    with database.unit_of_work() as session, all_tenants(session):
        rows = session.execute(query).all()
        if not rows:
            return []
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_([row.id for row in rows]))
            .values(
                status="delivering",
                locked_until=now + timedelta(seconds=settings.webhook_lease_seconds),
            )
            .execution_options(synchronize_session=False)
        )
    return [
        Claim(
            delivery_id=row.id,
            organization_id=row.organization_id,
            endpoint_id=row.endpoint_id,
            url=row.url,
            body=row.body,
            secrets=signing.signing_secrets(
                row.secret, row.previous_secret, row.previous_secret_expires_at
            ),
            attempts=row.attempts,
            manual=row.retry_requested_at is not None,
            created_at=row.created_at,
        )
        for row in rows
    ]


async def send_all(transport: Transport, claims: list[Claim], settings: Settings) -> list[Sent]:
    """One request per claim, ``webhook_concurrency`` lanes sending at once."""
    sent: list[Sent | None] = [None] * len(claims)
    queue = iter(enumerate(claims))

    async def lane(number: int) -> None:
        for index, claim in queue:
            headers: dict[str, str] = {}
            try:
                headers = signing.headers(claim.delivery_id, claim.body, claim.secrets)
                outcome = await transport.post(
                    number,
                    claim.url,
                    headers,
                    claim.body,
                    timeout=settings.webhook_timeout_seconds,
                    allow_private=settings.webhooks_allow_private,
                )
            except Exception as exc:
                # One delivery's failure is its own attempt's error: the lane goes on with
                # the others, and the whole batch is still recorded.
                log.exception("Webhook delivery %s could not be sent", claim.delivery_id)
                outcome = Outcome.failed(clock.now(), f"{type(exc).__name__}: {exc}"[:500])
            sent[index] = Sent(claim, headers, outcome)

    await asyncio.gather(*(lane(n) for n in range(min(settings.webhook_concurrency, len(claims)))))
    return [item for item in sent if item is not None]


@dataclass(frozen=True)
class _Schedule:
    """Where a delivery stands in its automatic schedule, from its logged attempts."""

    # Attempts the schedule made (manual retries are not counted).
    made: int
    # When the last of them planned the next one; None once the schedule has ended.
    planned: datetime | None


def _schedules(session: Session, claims: list[Claim]) -> dict[uuid.UUID, _Schedule]:
    """The schedule of each claim that was attempted before, in one query (a few rows per
    delivery: the schedule is short)."""
    tried = [claim.delivery_id for claim in claims if claim.attempts]
    found: dict[uuid.UUID, _Schedule] = {}
    if not tried:
        return found
    rows = session.execute(
        select(WebhookAttempt.delivery_id, WebhookAttempt.next_attempt_at)
        .where(WebhookAttempt.delivery_id.in_(tried), WebhookAttempt.trigger == "schedule")
        .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)
    )
    for delivery_id, planned in rows:
        made = found[delivery_id].made if delivery_id in found else 0
        found[delivery_id] = _Schedule(made + 1, planned)
    return found


def _next_attempt(sent: Sent, schedule: _Schedule, settings: Settings) -> datetime | None:
    """When to try again after a failure, or None when the delivery has failed for good.

    A failed manual retry leaves the schedule where it was: the next automatic attempt is
    the one planned before the retry, and a delivery whose schedule had ended stays failed.
    """
    delays = settings.webhook_retry_schedule
    claim, outcome = sent.claim, sent.outcome
    if outcome.status == 410:
        return None
    if claim.manual:
        if not schedule.made:
            when = claim.created_at + timedelta(seconds=delays[0])
        elif schedule.planned is None:
            return None
        else:
            when = schedule.planned
    else:
        made = schedule.made + 1
        if made >= len(delays):
            return None
        delay = delays[made]
        # Up to 10 % later, so that receivers back from an outage do not get every retry at
        # once.
        when = outcome.finished_at + timedelta(seconds=delay * (1 + random.random() * 0.1))  # noqa: S311
    if outcome.retry_after is not None:
        when = max(when, outcome.retry_after)
    return when


def record(database: Database, settings: Settings, batch: list[Sent]) -> None:
    """Write the attempts, the deliveries' new state and the endpoints' in one transaction."""
    now = clock.now()
    with database.unit_of_work() as session, all_tenants(session):
        # An endpoint deleted meanwhile took its deliveries with it.
        existing = set(
            session.scalars(
                select(WebhookDelivery.id).where(
                    WebhookDelivery.id.in_([sent.claim.delivery_id for sent in batch])
                )
            )
        )
        batch = [sent for sent in batch if sent.claim.delivery_id in existing]
        if not batch:
            return
        schedules = _schedules(
            session, [sent.claim for sent in batch if not sent.outcome.succeeded]
        )
        attempts: list[dict[str, Any]] = []
        deliveries: list[dict[str, Any]] = []
        for sent in batch:
            claim, outcome = sent.claim, sent.outcome
            next_attempt_at = (
                None
                if outcome.succeeded
                else _next_attempt(
                    sent, schedules.get(claim.delivery_id, _Schedule(0, None)), settings
                )
            )
            attempts.append(
                {
                    "id": new_id(),
                    "organization_id": claim.organization_id,
                    "delivery_id": claim.delivery_id,
                    "endpoint_id": claim.endpoint_id,
                    "number": claim.attempts + 1,
                    "trigger": "manual" if claim.manual else "schedule",
                    "started_at": outcome.started_at,
                    "duration_ms": outcome.duration_ms,
                    "request_headers": sent.headers,
                    "response_status": outcome.status,
                    "response_body": outcome.body,
                    "error": outcome.error,
                    "next_attempt_at": next_attempt_at,
                }
            )
            delivery: dict[str, Any] = {
                "id": claim.delivery_id,
                "attempts": claim.attempts + 1,
                "locked_until": None,
                "retry_requested_at": None,
                "last_status_code": outcome.status,
                "last_error": outcome.error,
                "next_attempt_at": next_attempt_at,
            }
            if outcome.succeeded:
                delivery.update(status="succeeded", succeeded_at=outcome.finished_at)
            else:
                delivery["status"] = "pending" if next_attempt_at is not None else "failed"
            deliveries.append(delivery)
        session.execute(insert(WebhookAttempt), attempts)
        session.execute(update(WebhookDelivery), deliveries)
        _update_endpoints(session, settings, batch, now)


def _update_endpoints(
    session: Session, settings: Settings, batch: list[Sent], now: datetime
) -> None:
    by_endpoint: dict[uuid.UUID, list[Outcome]] = defaultdict(list)
    for sent in batch:
        by_endpoint[sent.claim.endpoint_id].append(sent.outcome)
    endpoints = session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.id.in_(list(by_endpoint)))
    )
    disable_after = timedelta(days=settings.webhook_disable_after_days)
    for endpoint in endpoints:
        outcomes = by_endpoint[endpoint.id]
        if any(outcome.succeeded for outcome in outcomes):
            endpoint.failing_since = None
            continue
        if endpoint.failing_since is None:
            endpoint.failing_since = min(outcome.started_at for outcome in outcomes)
        if not endpoint.enabled:
            continue
        if any(outcome.status == 410 for outcome in outcomes):
            disable(session, endpoint, "gone", now)
        elif now - endpoint.failing_since >= disable_after:
            disable(session, endpoint, "failing", now)


def disable(session: Session, endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    """Stop sending to ``endpoint`` and tell its organization's administrators."""
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    endpoint.disabled_at = now
    outbox.emit(
        session,
        events.ENDPOINT_DISABLED,
        {"id": str(endpoint.id), "url": endpoint.url, "reason": reason},
        organization_id=endpoint.organization_id,
    )


def deliver_due(database: Database, settings: Settings) -> int:
    """The worker's pump: one batch of due deliveries; returns how many were attempted."""
    claims = claim(database, settings, batch_size(settings))
    if not claims:
        return 0
    loop = event_loop()
    record(database, settings, loop.run(send_all(loop.transport, claims, settings)))
    return len(claims)
