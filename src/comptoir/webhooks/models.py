"""Webhook endpoints, one delivery per event and endpoint, and every attempt at it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.kit import clock
from comptoir.kit.db import Base, IdMixin, TimestampMixin
from comptoir.kit.tenancy import TenantScoped


class WebhookEndpoint(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    # Subscribed event types; empty means every event.
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Kept in clear: signing needs it. ``whsec_`` + base64 of the key bytes.
    secret: Mapped[str] = mapped_column(String(100))
    # After a rotation the old secret signs too, until it expires (24 hours).
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None]
    # Why the endpoint stopped: "gone" (410), "failing" (5 days of failures) or "manual".
    disabled_reason: Mapped[str | None] = mapped_column(String(20))
    disabled_at: Mapped[datetime | None]
    # Start of the current run of failures; cleared by the first success.
    failing_since: Mapped[datetime | None]


class WebhookDelivery(IdMixin, TenantScoped, Base):
    """One event for one endpoint. Its id is the ``webhook-id`` header, stable across retries,
    and its body is fixed when it is created so every attempt sends the same bytes."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    # None for test events sent from the endpoint's page.
    event_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("outbox_events.id", ondelete="SET NULL"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    # pending -> (delivering) -> succeeded | failed (retries exhausted or endpoint gone)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=clock.now)
    # A sender's lease: past it, a delivery left "delivering" by a killed worker is due again.
    locked_until: Mapped[datetime | None]
    # Set by a manual retry from the log: the next attempt is that retry, and the schedule
    # does not resume after it.
    retry_requested_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    succeeded_at: Mapped[datetime | None]


class WebhookAttempt(IdMixin, TenantScoped, Base):
    """One HTTP request of a delivery, as the delivery log shows it."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_endpoint_started", "endpoint_id", "started_at"),)

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    number: Mapped[int]
    # "schedule" for automatic attempts, "manual" for a retry asked from the log.
    trigger: Mapped[str] = mapped_column(String(10), default="schedule")
    started_at: Mapped[datetime] = mapped_column(default=clock.now)
    duration_ms: Mapped[int] = mapped_column(default=0)
    request_headers: Mapped[dict[str, Any]] = mapped_column(JSON)
    response_status: Mapped[int | None]
    # The first 4 KB of the answer.
    response_body: Mapped[str | None] = mapped_column(Text)
    # Network errors, timeouts and refused targets, in words.
    error: Mapped[str | None] = mapped_column(String(500))
    next_attempt_at: Mapped[datetime | None]
