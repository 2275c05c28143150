"""Parties (customers and suppliers, one row whatever the roles) and their contacts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.kit.db import Base, IdMixin, TimestampMixin
from comptoir.kit.tenancy import TenantScoped


class Party(IdMixin, TenantScoped, TimestampMixin, Base):
    __tablename__ = "parties"
    __tenant_index__ = False
    __table_args__ = (
        UniqueConstraint("organization_id", "code"),
        CheckConstraint("kind IN ('company', 'individual')", name="kind"),
        CheckConstraint("is_customer OR is_supplier", name="has_role"),
        Index("ix_parties_organization_name", "organization_id", "name"),
    )

    # The party's own code in the books: the auxiliary account of the FEC (CompAuxNum).
    code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default="company")
    is_customer: Mapped[bool] = mapped_column(default=False)
    is_supplier: Mapped[bool] = mapped_column(default=False)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    website: Mapped[str | None] = mapped_column(String(200))
    vat_number: Mapped[str | None] = mapped_column(String(20))
    # SIREN or SIRET in France, TPIN in Zambia, the company register number elsewhere.
    company_number: Mapped[str | None] = mapped_column(String(40))
    currency: Mapped[str | None] = mapped_column(String(3))
    language: Mapped[str | None] = mapped_column(String(20))
    payment_terms: Mapped[str] = mapped_column(String(30), default="net_30")
    billing_line1: Mapped[str | None] = mapped_column(String(200))
    billing_line2: Mapped[str | None] = mapped_column(String(200))
    billing_postal_code: Mapped[str | None] = mapped_column(String(20))
    billing_city: Mapped[str | None] = mapped_column(String(100))
    billing_region: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    # No shipping address: goods go to the billing address.
    shipping_line1: Mapped[str | None] = mapped_column(String(200))
    shipping_line2: Mapped[str | None] = mapped_column(String(200))
    shipping_postal_code: Mapped[str | None] = mapped_column(String(20))
    shipping_city: Mapped[str | None] = mapped_column(String(100))
    shipping_region: Mapped[str | None] = mapped_column(String(100))
    shipping_country: Mapped[str | None] = mapped_column(String(2))
    notes: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime | None]


class Contact(IdMixin, TenantScoped, Base):
    __tablename__ = "party_contacts"
    __tenant_index__ = False

    party_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
