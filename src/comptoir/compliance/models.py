"""Filed VAT returns: what was declared for a period, kept as filed."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.kit import clock
from comptoir.kit.db import Base, IdMixin
from comptoir.kit.tenancy import TenantScoped


class VatReturn(IdMixin, TenantScoped, Base):
    """A VAT return once filed. Drafts are computed from the ledger on demand and never
    stored; filing freezes the boxes as they were declared and locks the period, so a
    later correction goes into a later return, as the tax office expects."""

    __tablename__ = "vat_returns"
    __table_args__ = (UniqueConstraint("organization_id", "period_start", "period_end"),)
    __tenant_index__ = False

    # "fr_ca3", "zm" or "generic": the layout the boxes belong to.
    layout: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    # Box code -> amount in minor units of ``currency``, as declared.
    boxes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Positive: VAT to pay; negative: a credit (carried forward to the next return).
    net_due: Mapped[int] = mapped_column(default=0)
    reference: Mapped[str | None] = mapped_column(String(100))
    filed_at: Mapped[datetime] = mapped_column(default=clock.now)
    filed_by_id: Mapped[uuid.UUID | None]
