"""Products and services: what document lines are usually made of."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.kit.db import Base, IdMixin, TimestampMixin
from comptoir.kit.tenancy import TenantScoped
from comptoir.kit.types import ExactDecimal


class Product(IdMixin, TenantScoped, TimestampMixin, Base):
    __tablename__ = "products"
    __tenant_index__ = False
    __table_args__ = (
        UniqueConstraint("organization_id", "sku"),
        CheckConstraint("kind IN ('goods', 'service')", name="kind"),
        Index("ix_products_organization_name", "organization_id", "name"),
    )

    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # Goods or services: the tax rules (place of supply, reverse charge) differ.
    kind: Mapped[str] = mapped_column(String(10), default="service")
    unit: Mapped[str | None] = mapped_column(String(20))
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal(18, 6), default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3))
    # One of the tax engine's product categories (standard, reduced, zero, exempt, ...).
    tax_category: Mapped[str] = mapped_column(String(20), default="standard")
    income_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="RESTRICT")
    )
    expense_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="RESTRICT")
    )
    # Inactive products stay on the documents that use them but are no longer offered.
    active: Mapped[bool] = mapped_column(default=True)
