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
    # Payment reminders: days relative to the due date (-3: three days before; 7: a week
    # after), sent by the worker while the invoice is unpaid.
    reminders_enabled: Mapped[bool] = mapped_column(default=False)
    reminder_offsets: Mapped[list[int]] = mapped_column(JSON, default=lambda: [-3, 7, 30])
    # Printed at the top of quotes, invoices, credit notes and statements.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_content_type: Mapped[str | None] = mapped_column(String(20))


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
    # When ``invoice.overdue`` was emitted: once per invoice.
    overdue_at: Mapped[datetime | None]
    # The recurring invoice that produced this invoice.
    recurring_invoice_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("recurring_invoices.id", ondelete="SET NULL"), index=True
    )
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


class EmailTemplate(IdMixin, TenantScoped, Base):
    """An organization's own wording of one kind of e-mail; the built-in one otherwise."""

    __tablename__ = "sales_email_templates"
    __tenant_index__ = False
    __table_args__ = (UniqueConstraint("organization_id", "kind", "language"),)

    # quote, invoice, credit_note, reminder, statement
    kind: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class Reminder(IdMixin, TenantScoped, Base):
    """A payment reminder sent for an invoice: at most one per step of the schedule."""

    __tablename__ = "sales_reminders"
    __tenant_index__ = False
    __table_args__ = (UniqueConstraint("document_id", "offset_days"),)

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sales_documents.id", ondelete="CASCADE")
    )
    offset_days: Mapped[int]
    to_address: Mapped[str] = mapped_column(String(254))
    mail_message_id: Mapped[uuid.UUID | None]
    sent_at: Mapped[datetime] = mapped_column(default=clock.now)


class RecurringInvoice(IdMixin, TenantScoped, TimestampMixin, Base):
    """A template that produces an invoice on a schedule."""

    __tablename__ = "recurring_invoices"
    __tenant_index__ = False
    __table_args__ = (
        CheckConstraint(
            "frequency IN ('weekly', 'monthly', 'quarterly', 'yearly')", name="frequency"
        ),
        CheckConstraint("action IN ('draft', 'issue', 'issue_and_send')", name="action"),
        Index("ix_recurring_invoices_due", "active", "next_date"),
        Index("ix_recurring_invoices_listing", "organization_id", "id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties.id", ondelete="RESTRICT"))
    currency: Mapped[str] = mapped_column(String(3))
    prices_include_tax: Mapped[bool] = mapped_column(default=False)
    # The invoice lines as the API takes them: description, quantity, unit_price, ...
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    payment_terms: Mapped[str | None] = mapped_column(String(30))
    reference: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(20))
    frequency: Mapped[str] = mapped_column(String(10))
    interval: Mapped[int] = mapped_column(default=1)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    # The issue date of the next invoice; none once the schedule has ended.
    next_date: Mapped[date | None] = mapped_column(Date)
    action: Mapped[str] = mapped_column(String(20), default="draft")
    active: Mapped[bool] = mapped_column(default=True)
    invoices_created: Mapped[int] = mapped_column(default=0)
    last_invoice_id: Mapped[uuid.UUID | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None]


class PaymentProvider(IdMixin, TenantScoped, Base):
    """A payment provider connected to the organization: how its callbacks are checked
    and where the money it collects is booked."""

    __tablename__ = "payment_providers"
    __tenant_index__ = False
    __table_args__ = (UniqueConstraint("organization_id", "provider"), UniqueConstraint("key"))

    provider: Mapped[str] = mapped_column(String(30))
    # The HMAC secret the provider signs its callbacks with; needed in clear to verify.
    secret: Mapped[str] = mapped_column(String(200))
    # Unguessable, in the callback URL: tells which organization a callback is for.
    key: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="RESTRICT"))
    method: Mapped[str] = mapped_column(String(20), default="card")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class ProviderEvent(IdMixin, TenantScoped, Base):
    """Each provider event processed once: replays and retries find it here."""

    __tablename__ = "payment_provider_events"
    __tenant_index__ = False
    __table_args__ = (UniqueConstraint("organization_id", "provider", "event_id"),)

    provider: Mapped[str] = mapped_column(String(30))
    event_id: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(100))
    # payment_recorded, ignored, or rejected (with the reason in ``detail``)
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payments.id", ondelete="SET NULL")
    )
    received_at: Mapped[datetime] = mapped_column(default=clock.now)
