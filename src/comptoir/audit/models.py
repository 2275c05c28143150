"""The audit table. Rows are never updated or deleted: the database refuses it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.kit import clock
from comptoir.kit.db import Base, IdMixin
from comptoir.kit.tenancy import TenantScoped


class AuditEvent(IdMixin, TenantScoped, Base):
    __tablename__ = "audit_events"
    __tenant_optional__ = True  # failed log-ins happen before any organization is known
    __table_args__ = (Index("ix_audit_events_org_action", "organization_id", "action"),)

    occurred_at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    actor_email: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(80))
    target_type: Mapped[str | None] = mapped_column(String(60))
    target_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    request_id: Mapped[str | None] = mapped_column(String(64))
