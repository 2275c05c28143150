"""The delivery log of an endpoint: its deliveries with every attempt, a manual retry, and
figures over a period (success rate, latency)."""

from __future__ import annotations

import math
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, get_args

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit import clock
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.kit.pagination import Page, keyset_page
from comptoir.webhooks.models import WebhookAttempt, WebhookDelivery
from comptoir.webhooks.service import endpoints

DeliveryStatus = Literal["pending", "delivering", "succeeded", "failed"]
Period = Literal["24h", "7d", "30d"]
STATUSES: tuple[str, ...] = get_args(DeliveryStatus)
PERIODS: dict[str, timedelta] = dict(
    zip(get_args(Period), (timedelta(hours=24), timedelta(days=7), timedelta(days=30)), strict=True)
)
MAX_EVENT_TYPE = 80


def list_deliveries(
    session: Session,
    endpoint_id: uuid.UUID,
    *,
    status: str | None = None,
    event_type: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[Any]:
    """Newest first (delivery ids are time-ordered)."""
    endpoints.get(session, endpoint_id)
    errors: list[FieldError] = []
    if status is not None and status not in STATUSES:
        errors.append(FieldError("status", f"One of {', '.join(STATUSES)}.", "invalid_choice"))
    if event_type is not None and len(event_type) > MAX_EVENT_TYPE:
        errors.append(FieldError("event_type", f"At most {MAX_EVENT_TYPE} characters.", "too_long"))
    if errors:
        raise ValidationFailed(errors)
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if event_type is not None:
        query = query.where(WebhookDelivery.event_type == event_type)
    return keyset_page(session, query, WebhookDelivery.id, limit=limit, cursor=cursor)


def attempts_of(
    session: Session, delivery_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[WebhookAttempt]]:
    """The attempts of each delivery in the order they were made, read in one query."""
    found: dict[uuid.UUID, list[WebhookAttempt]] = defaultdict(list)
    if not delivery_ids:
        return found
    for attempt in session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number, WebhookAttempt.id)
    ):
        found[attempt.delivery_id].append(attempt)
    return found


def get_delivery(
    session: Session, endpoint_id: uuid.UUID, delivery_id: uuid.UUID, *, for_update: bool = False
) -> WebhookDelivery:
    """One delivery of this endpoint; another endpoint's or organization's answers 404."""
    endpoints.get(session, endpoint_id)
    query = select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    delivery = session.scalar(query)
    if delivery is None:
        raise NotFound("No such delivery of this endpoint.")
    return delivery


def retry(session: Session, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> WebhookDelivery:
    """Make any delivery due now, marked as a manual retry: the sender makes one extra
    attempt (trigger ``manual``). If it fails, a delivery whose automatic schedule had not
    ended goes back to it (its next automatic attempt when it would have been); one whose
    schedule had ended is failed again.

    A delivery ``delivering`` past its lease was left by a worker that stopped: it may be
    retried like any other."""
    endpoint = endpoints.get(session, endpoint_id)
    delivery = get_delivery(session, endpoint_id, delivery_id, for_update=True)
    now = clock.now()
    if delivery.status == "delivering" and (
        delivery.locked_until is None or delivery.locked_until >= now
    ):
        raise Conflict(
            "This delivery is being sent right now; retry once the attempt is logged.",
            code="delivery_in_progress",
        )
    if not endpoint.enabled:
        raise Conflict(
            "This endpoint is disabled: enable it to retry its deliveries.",
            code="endpoint_disabled",
        )
    before = delivery.status
    delivery.retry_requested_at = now
    delivery.next_attempt_at = now
    delivery.status = "pending"
    session.flush()
    audit.record(
        session,
        "webhook_delivery.retry_requested",
        target_type="webhook_delivery",
        target_id=delivery.id,
        before={"status": before},
        after={"status": delivery.status, "endpoint_id": endpoint_id},
    )
    return delivery


@dataclass(frozen=True)
class Stats:
    period: str
    since: datetime
    until: datetime
    attempts: int
    successes: int
    failures: int
    # Percent of attempts answered 2xx, two decimals; None without attempts.
    success_rate: Decimal | None
    latency_avg_ms: Decimal | None
    latency_p50_ms: int | None
    latency_p95_ms: int | None
    deliveries: dict[str, int]
    last_success_at: datetime | None
    last_failure_at: datetime | None


def _since(period: str) -> tuple[datetime, datetime]:
    if period not in PERIODS:
        raise ValidationFailed.single("period", f"One of {', '.join(PERIODS)}.", "invalid_choice")
    until = clock.now()
    return until - PERIODS[period], until


def _rate(attempts: int, successes: int) -> Decimal | None:
    if not attempts:
        return None
    return (Decimal(100 * successes) / attempts).quantize(Decimal("0.01"))


def _answered_2xx() -> Any:
    return WebhookAttempt.response_status.between(200, 299)


def _percentile(session: Session, period_attempts: Any, count: int, fraction: float) -> int:
    """Nearest rank: the smallest duration with at least ``fraction`` of them at or below it.

    PostgreSQL computes it in the aggregate; elsewhere one ordered row is read at its rank,
    never the whole period.
    """
    if session.get_bind().dialect.name == "postgresql":
        found = session.scalar(
            select(func.percentile_disc(fraction).within_group(WebhookAttempt.duration_ms)).where(
                period_attempts
            )
        )
    else:
        rank = max(1, math.ceil(fraction * count))
        found = session.scalar(
            select(WebhookAttempt.duration_ms)
            .where(period_attempts)
            .order_by(WebhookAttempt.duration_ms)
            .offset(rank - 1)
            .limit(1)
        )
    assert found is not None, "a period with attempts has durations"
    return int(found)


def stats(session: Session, endpoint_id: uuid.UUID, period: str) -> Stats:
    """Attempts started and deliveries created in the period, computed by the database (at
    hundreds of attempts a second a month is millions of rows); the last success and
    failure look at the whole log."""
    endpoints.get(session, endpoint_id)
    since, until = _since(period)
    period_attempts = (WebhookAttempt.endpoint_id == endpoint_id) & (
        WebhookAttempt.started_at >= since
    )
    count, successes, average = session.execute(
        select(
            func.count(),
            func.count().filter(_answered_2xx()),
            func.avg(WebhookAttempt.duration_ms),
        ).where(period_attempts)
    ).one()
    by_status = Counter(
        dict(
            session.execute(
                select(WebhookDelivery.status, func.count())
                .where(
                    WebhookDelivery.endpoint_id == endpoint_id,
                    WebhookDelivery.created_at >= since,
                )
                .group_by(WebhookDelivery.status)
            ).all()
        )
    )
    return Stats(
        period=period,
        since=since,
        until=until,
        attempts=count,
        successes=successes,
        failures=count - successes,
        success_rate=_rate(count, successes),
        latency_avg_ms=Decimal(str(average)).quantize(Decimal("0.1")) if count else None,
        latency_p50_ms=_percentile(session, period_attempts, count, 0.5) if count else None,
        latency_p95_ms=_percentile(session, period_attempts, count, 0.95) if count else None,
        deliveries={status: by_status.get(status, 0) for status in STATUSES},
        last_success_at=_last(session, endpoint_id, success=True),
        last_failure_at=_last(session, endpoint_id, success=False),
    )


@dataclass(frozen=True)
class Rate:
    attempts: int
    # Percent of attempts answered 2xx, two decimals; None without attempts.
    success_rate: Decimal | None


def success_rates(
    session: Session, endpoint_ids: Sequence[uuid.UUID], period: str
) -> dict[uuid.UUID, Rate]:
    """The success rate of each endpoint over the period, for a list of them in one query."""
    since, _ = _since(period)
    found = {endpoint_id: Rate(0, None) for endpoint_id in endpoint_ids}
    if not endpoint_ids:
        return found
    rows = session.execute(
        select(WebhookAttempt.endpoint_id, func.count(), func.count().filter(_answered_2xx()))
        .where(WebhookAttempt.endpoint_id.in_(endpoint_ids), WebhookAttempt.started_at >= since)
        .group_by(WebhookAttempt.endpoint_id)
    )
    for endpoint_id, count, successes in rows:
        found[endpoint_id] = Rate(count, _rate(count, successes))
    return found


def _last(session: Session, endpoint_id: uuid.UUID, *, success: bool) -> datetime | None:
    answered_2xx = _answered_2xx()
    condition = (
        answered_2xx if success else (WebhookAttempt.response_status.is_(None) | ~answered_2xx)
    )
    found: datetime | None = session.scalar(
        select(func.max(WebhookAttempt.started_at)).where(
            WebhookAttempt.endpoint_id == endpoint_id, condition
        )
    )
    return found
