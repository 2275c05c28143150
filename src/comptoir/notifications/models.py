"""Notifications addressed to one member of one organization, and each member's choice
of channel (in the app, by e-mail) per kind of event."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.kit import clock
from comptoir.kit.db import Base, IdMixin
from comptoir.kit.tenancy import TenantScoped


class Notification(IdMixin, TenantScoped, Base):
    __tablename__ = "notifications"
    __tenant_index__ = False
    __table_args__ = (
        # One notification per recipient per outbox event: a retried handler adds nothing.
        UniqueConstraint("user_id", "source_event_id"),
        Index("ix_notifications_inbox", "organization_id", "user_id", "created_at"),
        Index("ix_notifications_unread", "organization_id", "user_id", "read_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    # Where the notification leads in the web app (a path such as /purchases/expenses/…).
    link: Mapped[str | None] = mapped_column(String(500))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source_event_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    read_at: Mapped[datetime | None]


class NotificationPreference(IdMixin, TenantScoped, Base):
    """A member's channels for one event type; without a row, the event type's default."""

    __tablename__ = "notification_preferences"
    __tenant_index__ = False
    __table_args__ = (UniqueConstraint("organization_id", "user_id", "event_type"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(60))
    in_app: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=False)
