"""Tax tables: the organization's taxes, each with its rate, accounts and return boxes."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.kit.db import Base, IdMixin, TimestampMixin
from comptoir.kit.tenancy import TenantScoped
from comptoir.kit.types import ExactDecimal


class Tax(IdMixin, TenantScoped, TimestampMixin, Base):
    __tablename__ = "taxes"
    __tenant_index__ = False
    __table_args__ = (
        UniqueConstraint("organization_id", "code"),
        CheckConstraint("kind IN ('percent', 'fixed')", name="kind"),
        CheckConstraint("exigibility IN ('invoice', 'payment')", name="exigibility"),
    )

    code: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default="percent")
    # Percent for "percent" taxes; an amount per unit, in the organization's currency, for
    # "fixed" ones.
    rate: Mapped[Decimal] = mapped_column(ExactDecimal(9, 6), default=Decimal(0))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(18, 6), default=Decimal(0))
    price_included: Mapped[bool] = mapped_column(default=False)
    compound: Mapped[bool] = mapped_column(default=False)
    # Where a line lists several taxes, they apply in this order (compound ones last).
    sequence: Mapped[int] = mapped_column(default=10)
    # The product tax category the tax serves (standard, reduced, ..., zero, exempt) and
    # its treatment (domestic, reverse_charge, export, ...), which the rules pick by.
    category: Mapped[str] = mapped_column(String(20), default="standard")
    treatment: Mapped[str] = mapped_column(String(30), default="domestic")
    supply: Mapped[str] = mapped_column(String(10), default="any")
    country: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(30))
    # On invoice, or on payment (French VAT on services, "TVA sur les encaissements"):
    # until paid, the tax waits on the pending account.
    exigibility: Mapped[str] = mapped_column(String(10), default="invoice")
    collected_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="RESTRICT")
    )
    deductible_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="RESTRICT")
    )
    pending_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="RESTRICT")
    )
    # VAT-return boxes: where the base goes, where the tax goes, where its deduction goes.
    base_box: Mapped[str | None] = mapped_column(String(10))
    return_box: Mapped[str | None] = mapped_column(String(10))
    deductible_box: Mapped[str | None] = mapped_column(String(10))
    # Printed on documents that use the tax ("Autoliquidation", "Exempt supply", ...).
    mention: Mapped[str | None] = mapped_column(String(300))
    origin: Mapped[str] = mapped_column(String(10), default="custom")
    active: Mapped[bool] = mapped_column(default=True)


class TaxSettings(IdMixin, TenantScoped, Base):
    """One row per organization: how its documents round their taxes."""

    __tablename__ = "tax_settings"
    __table_args__ = (
        UniqueConstraint("organization_id"),
        CheckConstraint("rounding IN ('line', 'document')", name="rounding"),
    )
    __tenant_index__ = False

    rounding: Mapped[str] = mapped_column(String(10), default="line")
