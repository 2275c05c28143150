"""The organization's approval rules for spending: who approves what, by amount."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.kit import clock
from comptoir.kit.db import Base, IdMixin
from comptoir.kit.tenancy import TenantScoped


class ApprovalRule(IdMixin, TenantScoped, Base):
    """One band of amounts of one kind of document and the approvals it needs.

    The band runs from the previous rule's ``up_to`` (exclusive) to this one's (inclusive),
    in minor units of the base currency, tax included; ``up_to`` null is the top band.
    ``steps`` lists the role that approves at each step, in order; empty approves at once.
    """

    __tablename__ = "approval_rules"
    __tenant_index__ = False
    __table_args__ = (
        CheckConstraint("applies_to IN ('expense', 'bill')", name="applies_to"),
        UniqueConstraint("organization_id", "applies_to", "up_to"),
    )

    applies_to: Mapped[str] = mapped_column(String(10))
    up_to: Mapped[int | None] = mapped_column(BigInteger)
    steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
