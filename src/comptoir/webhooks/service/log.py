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
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit import clock
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.kit.pagination import Page, keyset_page
from comptoir.webhooks.models import WebhookAttempt, WebhookDelivery
from comptoir.webhooks.service import endpoints

STATUSES = ("pending", "delivering", "succeeded", "failed")
PERIODS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
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
    """Make any delivery due now, marked as a manual retry: the sender makes one attempt
    (trigger ``manual``) and the schedule does not resume after it."""
    endpoint = endpoints.get(session, endpoint_id)
    delivery = get_delivery(session, endpoint_id, delivery_id, for_update=True)
    if delivery.status == "delivering":
        raise Conflict(
            "This delivery is being sent right now; retry once the attempt is logged.",
            code="delivery_in_progress",
        )
    if not endpoint.enabled:
        raise Conflict(
            "This endpoint is disabled: enable it to retry its deliveries.",
            code="endpoint_disabled",
        )
    now = clock.now()
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


def _percentile(ordered: Sequence[int], fraction: float) -> int:
    """Nearest rank: the smallest value with at least ``fraction`` of them at or below it."""
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _succeeded(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def stats(session: Session, endpoint_id: uuid.UUID, period: str) -> Stats:
    """Attempts started and deliveries created in the period. Figures are computed here from
    the period's rows (one small tuple each), which a month of one endpoint's log keeps cheap;
    the last success and failure look at the whole log."""
    endpoints.get(session, endpoint_id)
    if period not in PERIODS:
        raise ValidationFailed.single("period", f"One of {', '.join(PERIODS)}.", "invalid_choice")
    until = clock.now()
    since = until - PERIODS[period]
    rows = session.execute(
        select(WebhookAttempt.response_status, WebhookAttempt.duration_ms).where(
            WebhookAttempt.endpoint_id == endpoint_id, WebhookAttempt.started_at >= since
        )
    ).all()
    successes = sum(1 for status, _ in rows if _succeeded(status))
    durations = sorted(duration for _, duration in rows)
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
        attempts=len(rows),
        successes=successes,
        failures=len(rows) - successes,
        success_rate=(Decimal(100 * successes) / len(rows)).quantize(Decimal("0.01"))
        if rows
        else None,
        latency_avg_ms=(Decimal(sum(durations)) / len(durations)).quantize(Decimal("0.1"))
        if durations
        else None,
        latency_p50_ms=_percentile(durations, 0.5) if durations else None,
        latency_p95_ms=_percentile(durations, 0.95) if durations else None,
        deliveries={status: by_status.get(status, 0) for status in STATUSES},
        last_success_at=_last(session, endpoint_id, success=True),
        last_failure_at=_last(session, endpoint_id, success=False),
    )


def _last(session: Session, endpoint_id: uuid.UUID, *, success: bool) -> datetime | None:
    answered_2xx = WebhookAttempt.response_status.between(200, 299)
    condition = (
        answered_2xx if success else (WebhookAttempt.response_status.is_(None) | ~answered_2xx)
    )
    found: datetime | None = session.scalar(
        select(func.max(WebhookAttempt.started_at)).where(
            WebhookAttempt.endpoint_id == endpoint_id, condition
        )
    )
    return found
