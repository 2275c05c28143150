"""Money going out: supplier bills and credit notes with their lines, payments to
suppliers and how they settle bills, day-to-day expenses and their reimbursements, the
approval rules they follow and the history of every decision taken on them.

Bills and supplier credit notes share one table, as sales documents do: the same lines,
totals and posting, a credit note pointing at the bill it corrects.
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
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.kit import clock
from comptoir.kit.db import Base, IdMixin, TimestampMixin
from comptoir.kit.tenancy import TenantScoped
from comptoir.kit.types import ExactDecimal

# draft → submitted → approved → posted → partially_paid → paid (bills), or rejected;
# expenses end paid (paid by the company) or reimbursed (paid by an employee).
STATUSES = (
    "draft",
    "submitted",
    "rejected",
    "approved",
    "posted",
    "partially_paid",
    "paid",
    "reimbursed",
    "cancelled",
)


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


class Approvable:
    """Where a bill or an expense stands in its approval: the plan it was submitted
    under (kept, so that changing the rules never moves a document already in flight)
    and how many of its steps are done."""

    status: Mapped[str] = mapped_column(String(20), default="draft")
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[uuid.UUID | None]
    # The role approving each step, as the rules said when the document was submitted.
    approval_steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    approvals_done: Mapped[int] = mapped_column(default=0)
    approved_at: Mapped[datetime | None]
    # The submitter approved a step because nobody else could (a one-person business).
    self_approved: Mapped[bool] = mapped_column(default=False)
    rejected_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    posted_at: Mapped[datetime | None]
    entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="RESTRICT")
    )
    created_by_id: Mapped[uuid.UUID | None]


class ApprovalAction(IdMixin, TenantScoped, Base):
    """One line of a bill's or an expense's history: created, submitted, each approval
    (with the step and the role it was approved as), rejection with its reason, posted,
    paid, reimbursed."""

    __tablename__ = "approval_actions"
    __tenant_index__ = False
    __table_args__ = (
        CheckConstraint("subject_type IN ('expense', 'bill')", name="subject_type"),
        Index("ix_approval_actions_subject", "subject_id", "at"),
    )

    subject_type: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[uuid.UUID]
    action: Mapped[str] = mapped_column(String(20))
    # The approval step (1-based) and the role it called for.
    step: Mapped[int | None]
    role: Mapped[str | None] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID | None]
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PurchaseDocument(Approvable, IdMixin, TenantScoped, TimestampMixin, Base):
    """A supplier's bill, or a supplier's credit note (``kind`` credit_note)."""

    __tablename__ = "purchase_documents"
    __tenant_index__ = False
    __table_args__ = (
        CheckConstraint("kind IN ('bill', 'credit_note')", name="kind"),
        Index("ix_purchase_documents_listing", "organization_id", "kind", "issue_date", "id"),
        Index(
            "ix_purchase_documents_supplier_number",
            "organization_id",
            "party_id",
            "supplier_number",
        ),
        Index("ix_purchase_documents_status", "organization_id", "status"),
    )

    kind: Mapped[str] = mapped_column(String(12), default="bill")
    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties.id", ondelete="RESTRICT"))
    # The supplier's own number and date for the document.
    supplier_number: Mapped[str | None] = mapped_column(String(60))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    payment_terms: Mapped[str | None] = mapped_column(String(30))
    currency: Mapped[str] = mapped_column(String(3))
    # Units of the base currency for one unit of ``currency`` on the issue date.
    exchange_rate: Mapped[Decimal] = mapped_column(ExactDecimal(24, 12), default=Decimal(1))
    prices_include_tax: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    project: Mapped[str | None] = mapped_column(String(60))
    # Totals in minor units of ``currency``, from the tax engine.
    net: Mapped[int] = mapped_column(BigInteger, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    gross: Mapped[int] = mapped_column(BigInteger, default=0)
    # Bills: paid or credited so far; credit notes: applied or refunded so far.
    settled: Mapped[int] = mapped_column(BigInteger, default=0)
    # The bill a credit note corrects.
    source_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("purchase_documents.id", ondelete="RESTRICT"), index=True
    )
    # Another document of the same supplier with the same supplier number: flagged, not
    # refused (suppliers do reuse numbers across years), for a human to look at.
    duplicate_of_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("purchase_documents.id", ondelete="SET NULL")
    )
    paid_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class PurchaseDocumentLine(IdMixin, TenantScoped, Base):
    __tablename__ = "purchase_document_lines"
    __tenant_index__ = False

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("purchase_documents.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("products.id", ondelete="RESTRICT"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(18, 6))
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal(18, 6))
    discount_percent: Mapped[Decimal] = mapped_column(ExactDecimal(7, 4), default=Decimal(0))
    tax_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The expense or fixed-asset account the line's net is posted to.
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="RESTRICT"))
    net: Mapped[int] = mapped_column(BigInteger, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    gross: Mapped[int] = mapped_column(BigInteger, default=0)


class SupplierPayment(IdMixin, TenantScoped, Base):
    """Money paid to (direction out) or refunded by (in) a supplier."""

    __tablename__ = "supplier_payments"
    __tenant_index__ = False
    __table_args__ = (
        CheckConstraint("direction IN ('in', 'out')", name="direction"),
        CheckConstraint("amount > 0", name="positive"),
        Index("ix_supplier_payments_listing", "organization_id", "date", "id"),
        Index("ix_supplier_payments_party", "organization_id", "party_id"),
    )

    party_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties.id", ondelete="RESTRICT"))
    direction: Mapped[str] = mapped_column(String(3), default="out")
    date: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal] = mapped_column(ExactDecimal(24, 12), default=Decimal(1))
    method: Mapped[str] = mapped_column(String(20))
    # The bank or cash account the money left from (or came back to).
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="RESTRICT"))
    reference: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    # Allocated to bills (out) or to credit notes (in) so far; the rest is an advance.
    allocated: Mapped[int] = mapped_column(BigInteger, default=0)
    entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[uuid.UUID | None]


class PurchaseAllocation(IdMixin, TenantScoped, Base):
    """Part of a supplier payment or of a supplier credit note settling a bill, or part of
    a supplier's refund settling a credit note."""

    __tablename__ = "purchase_allocations"
    __tenant_index__ = False
    __table_args__ = (
        CheckConstraint("amount > 0", name="positive"),
        CheckConstraint("(payment_id IS NULL) <> (credit_note_id IS NULL)", name="one_source"),
    )

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("purchase_documents.id", ondelete="RESTRICT"), index=True
    )
    payment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("supplier_payments.id", ondelete="RESTRICT"), index=True
    )
    credit_note_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("purchase_documents.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Expense(Approvable, IdMixin, TenantScoped, TimestampMixin, Base):
    """Day-to-day spending entered from a receipt: one amount, tax included."""

    __tablename__ = "expenses"
    __tenant_index__ = False
    __table_args__ = (
        CheckConstraint("paid_by IN ('company', 'employee')", name="paid_by"),
        CheckConstraint("gross > 0", name="positive"),
        Index("ix_expenses_listing", "organization_id", "date", "id"),
        Index("ix_expenses_status", "organization_id", "status"),
        Index("ix_expenses_employee", "organization_id", "employee_id", "status"),
    )

    date: Mapped[date] = mapped_column(Date)
    # A known supplier, or just the name on the receipt.
    party_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("parties.id", ondelete="RESTRICT"), index=True
    )
    supplier_name: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal] = mapped_column(ExactDecimal(24, 12), default=Decimal(1))
    # What the receipt says, tax included, and its split by the tax engine.
    gross: Mapped[int] = mapped_column(BigInteger)
    net: Mapped[int] = mapped_column(BigInteger, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The category: an expense account of the chart.
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="RESTRICT"))
    paid_by: Mapped[str] = mapped_column(String(10), default="company")
    # Paid by the company: the bank or cash account the money left from.
    payment_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="RESTRICT")
    )
    # Paid by an employee: the member to reimburse.
    employee_id: Mapped[uuid.UUID | None]
    project: Mapped[str | None] = mapped_column(String(60))
    note: Mapped[str | None] = mapped_column(Text)
    reimbursement_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("expense_reimbursements.id", ondelete="RESTRICT"), index=True
    )
    paid_at: Mapped[datetime | None]


class ExpenseReimbursement(IdMixin, TenantScoped, Base):
    """Money paid back to an employee for the expenses they paid personally."""

    __tablename__ = "expense_reimbursements"
    __tenant_index__ = False
    __table_args__ = (
        CheckConstraint("amount > 0", name="positive"),
        Index("ix_expense_reimbursements_listing", "organization_id", "date", "id"),
    )

    employee_id: Mapped[uuid.UUID]
    date: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(20), default="bank_transfer")
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="RESTRICT"))
    reference: Mapped[str | None] = mapped_column(String(100))
    entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[uuid.UUID | None]
