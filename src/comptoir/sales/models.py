"""Sales documents (quotes, invoices, credit notes) with their lines, timeline and stored
PDF; payments and how they settle invoices; the organization's sales settings.

Quotes, invoices and credit notes share one table: they have the same lines, parties,
totals, PDF and e-mail, and each points at the document it came from (the quote an
invoice was converted from, the invoice a credit note corrects).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.kit import clock
from comptoir.kit.db import Base, IdMixin, TimestampMixin
from comptoir.kit.tenancy import TenantScoped
from comptoir.kit.types import ExactDecimal

DOCUMENT_KINDS = ("quote", "invoice", "credit_note")


class SalesSettings(IdMixin, TenantScoped, Base):
    """One row per organization: number series, quote rules, what invoices print."""

    __tablename__ = "sales_settings"
    __table_args__ = (UniqueConstraint("organization_id"),)
    __tenant_index__ = False

    invoice_number_format: Mapped[str] = mapped_column(String(60), default="F-{YYYY}-{SEQ:05}")
    credit_note_number_format: Mapped[str] = mapped_column(String(60), default="AV-{YYYY}-{SEQ:05}")
    quote_number_format: Mapped[str] = mapped_column(String(60), default="D-{YYYY}-{SEQ:05}")
    quote_validity_days: Mapped[int] = mapped_column(default=30)
    # Quotes whose total (in the base currency) exceeds this need an approval; none: never.
    quote_approval_threshold: Mapped[int | None] = mapped_column(BigInteger)
    footer: Mapped[str | None] = mapped_column(Text)
    bank_name: Mapped[str | None] = mapped_column(String(100))
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    # Late-payment terms printed on invoices (a legal mention in France).
    late_payment_terms: Mapped[str | None] = mapped_column(Text)


class SalesDocument(IdMixin, TenantScoped, TimestampMixin, Base):
    __tablename__ = "sales_documents"
    __tenant_index__ = False
    __table_args__ = (
        CheckConstraint("kind IN ('quote', 'invoice', 'credit_note')", name="kind"),
        UniqueConstraint("organization_id", "kind", "number"),
        UniqueConstraint("public_token"),
        Index("ix_sales_documents_listing", "organization_id", "kind", "issue_date", "id"),
        Index("ix_sales_documents_party", "organization_id", "party_id", "kind"),
    )

    kind: Mapped[str] = mapped_column(String(12))
    # None until issued for invoices and credit notes (a draft has no number).
    number: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties.id", ondelete="RESTRICT"))
    currency: Mapped[str] = mapped_column(String(3))
    # Units of the base currency for one unit of ``currency`` on the issue date.
    exchange_rate: Mapped[Decimal] = mapped_column(ExactDecimal(24, 12), default=Decimal(1))
    prices_include_tax: Mapped[bool] = mapped_column(default=False)
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    payment_terms: Mapped[str | None] = mapped_column(String(30))
    reference: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(20))
    # Seller and buyer as they were when the document was issued: what it says forever.
    seller: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    buyer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Totals in minor units of ``currency``, from the tax engine.
    net: Mapped[int] = mapped_column(BigInteger, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    gross: Mapped[int] = mapped_column(BigInteger, default=0)
    # Invoices: paid or credited so far; credit notes: applied or refunded so far.
    settled: Mapped[int] = mapped_column(BigInteger, default=0)
    source_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sales_documents.id", ondelete="RESTRICT"), index=True
    )
    entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="RESTRICT")
    )
    public_token: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    viewed_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[uuid.UUID | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    accepted_at: Mapped[datetime | None]
    accepted_name: Mapped[str | None] = mapped_column(String(200))
    accepted_ip: Mapped[str | None] = mapped_column(String(45))
    accepted_user_agent: Mapped[str | None] = mapped_column(String(500))
    declined_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None]


class SalesDocumentLine(IdMixin, TenantScoped, Base):
    __tablename__ = "sales_document_lines"
    __tenant_index__ = False

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sales_documents.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("products.id", ondelete="RESTRICT"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(18, 6))
    unit: Mapped[str | None] = mapped_column(String(20))
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal(18, 6))
    discount_percent: Mapped[Decimal] = mapped_column(ExactDecimal(7, 4), default=Decimal(0))
    tax_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The revenue account the line's net is posted to.
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="RESTRICT")
    )
    net: Mapped[int] = mapped_column(BigInteger, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    gross: Mapped[int] = mapped_column(BigInteger, default=0)


class SalesDocumentEvent(IdMixin, TenantScoped, Base):
    """The document's timeline: created, issued, sent, viewed, paid, reminded..."""

    __tablename__ = "sales_document_events"
    __tenant_index__ = False
    __table_args__ = (Index("ix_sales_document_events_document", "document_id", "at"),)

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sales_documents.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_id: Mapped[uuid.UUID | None]
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SalesDocumentPdf(TenantScoped, Base):
    """The PDF of an issued document, stored once: what is sent and downloaded forever."""

    __tablename__ = "sales_document_pdfs"
    __tenant_index__ = False

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sales_documents.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Payment(IdMixin, TenantScoped, Base):
    """Money received from (direction in) or refunded to (out) a customer."""

    __tablename__ = "payments"
    __tenant_index__ = False
    __table_args__ = (
        CheckConstraint("direction IN ('in', 'out')", name="direction"),
        CheckConstraint("amount > 0", name="positive"),
        UniqueConstraint("organization_id", "provider", "provider_event_id"),
        Index("ix_payments_listing", "organization_id", "date", "id"),
        Index("ix_payments_party", "organization_id", "party_id"),
    )

    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties.id", ondelete="RESTRICT"))
    direction: Mapped[str] = mapped_column(String(3), default="in")
    date: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal] = mapped_column(ExactDecimal(24, 12), default=Decimal(1))
    method: Mapped[str] = mapped_column(String(20))
    # The bank or cash account the money went into (or out of).
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="RESTRICT"))
    reference: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    # Allocated to invoices (in) or to credit notes (out) so far; the rest is credit.
    allocated: Mapped[int] = mapped_column(BigInteger, default=0)
    entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="RESTRICT")
    )
    provider: Mapped[str | None] = mapped_column(String(30))
    provider_event_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[uuid.UUID | None]


class Allocation(IdMixin, TenantScoped, Base):
    """Part of a payment or of a credit note settling an invoice, or part of a refund
    paying out a credit note."""

    __tablename__ = "sales_allocations"
    __tenant_index__ = False
    __table_args__ = (
        CheckConstraint("amount > 0", name="positive"),
        CheckConstraint("(payment_id IS NULL) <> (credit_note_id IS NULL)", name="one_source"),
    )

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sales_documents.id", ondelete="RESTRICT"), index=True
    )
    payment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payments.id", ondelete="RESTRICT"), index=True
    )
    credit_note_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sales_documents.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
