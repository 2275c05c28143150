"""Ledger tables.

Amounts are integers in minor units (``BigInteger``) next to a currency code. A posted
entry and its lines are immutable and balanced: database triggers (see the migration)
refuse any change to them and refuse to post an unbalanced entry, on SQLite and
PostgreSQL alike. Lines repeat their entry's date and journal so that reports aggregate
one indexed table; a line counts once its entry is posted (reports leave out drafts).

The opening entry a year-end close writes into the next year repeats balances the
continuous ledger already holds: it is posted and printed (the FEC starts with it) but
never counted, or every balance-sheet account would double at each close.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.kit import clock
from comptoir.kit.db import Base, IdMixin, TimestampMixin
from comptoir.kit.tenancy import TenantScoped
from comptoir.kit.types import ExactDecimal

# ``source_type`` of the opening entry written by a year-end close: see the module text.
CARRIED_FORWARD = "fiscal_year_opening"
UNCOUNTED = f"status = 'draft' OR source_type = '{CARRIED_FORWARD}'"


class Account(IdMixin, TenantScoped, TimestampMixin, Base):
    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(10))
    subtype: Mapped[str | None] = mapped_column(String(30))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )
    # A heading of the chart (a class, a group): lines post to the accounts below it.
    is_group: Mapped[bool] = mapped_column(default=False)
    reconcilable: Mapped[bool] = mapped_column(default=False)
    currency: Mapped[str | None] = mapped_column(String(3))
    archived_at: Mapped[datetime | None]


class Journal(IdMixin, TenantScoped, TimestampMixin, Base):
    __tablename__ = "journals"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(10))
    default_debit_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    default_credit_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    archived_at: Mapped[datetime | None]


class FiscalYear(IdMixin, TenantScoped, Base):
    """A fiscal year of the organization; created when first posted into."""

    __tablename__ = "fiscal_years"
    __table_args__ = (UniqueConstraint("organization_id", "start_date"),)

    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None]


class EntrySequence(TenantScoped, Base):
    """The next entry number of a journal in a fiscal year, locked while an entry posts."""

    __tablename__ = "entry_sequences"

    journal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("journals.id", ondelete="CASCADE"), primary_key=True
    )
    fiscal_year_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("fiscal_years.id", ondelete="CASCADE"), primary_key=True
    )
    next_number: Mapped[int] = mapped_column(default=1)


class JournalEntry(IdMixin, TenantScoped, Base):
    __tablename__ = "journal_entries"
    __tenant_index__ = False
    __table_args__ = (
        UniqueConstraint("organization_id", "journal_id", "fiscal_year_id", "number"),
        Index("ix_journal_entries_org_date", "organization_id", "date"),
        # The entries a document or a close recorded: VAT-on-payment transfers of an
        # invoice, a year's closing entries, the lines an import just posted.
        Index("ix_journal_entries_source", "organization_id", "source_type", "source_id"),
        # Reports leave out the lines of drafts and carried-forward openings, which are
        # few among many posted entries.
        Index(
            "ix_journal_entries_uncounted",
            "organization_id",
            postgresql_where=text(UNCOUNTED),
            sqlite_where=text(UNCOUNTED),
        ),
        CheckConstraint("status IN ('draft', 'posted')", name="status"),
        CheckConstraint(
            "(status = 'draft' AND number IS NULL) OR (status = 'posted' AND number IS NOT NULL)",
            name="number_when_posted",
        ),
    )

    journal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journals.id", ondelete="RESTRICT"))
    date: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    number: Mapped[int | None]
    fiscal_year_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("fiscal_years.id", ondelete="RESTRICT")
    )
    source_type: Mapped[str | None] = mapped_column(String(40))
    source_id: Mapped[str | None] = mapped_column(String(64))
    # One reversal per entry; "reversed by" is found through this link, so that the
    # posted original never has to change.
    reversal_of_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="RESTRICT"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[uuid.UUID | None]
    posted_at: Mapped[datetime | None]
    posted_by_id: Mapped[uuid.UUID | None]


class JournalLine(IdMixin, TenantScoped, Base):
    __tablename__ = "journal_lines"
    __tenant_index__ = False
    __table_args__ = (
        CheckConstraint(
            "(debit > 0 AND credit = 0) OR (credit > 0 AND debit = 0)", name="one_side"
        ),
        # The foreign keys below order the ORM's writes and hold on SQLite. On PostgreSQL,
        # where checking them line by line cost as much as writing the line, triggers check
        # each statement's lines at once instead (migration 0005), and account ownership too.
        # Trial balance, account balances and the general ledger's totals add up lines by
        # account and date, leaving out drafts' by entry: covering, so they never read the
        # table itself.
        Index(
            "ix_journal_lines_balances",
            "organization_id",
            "account_id",
            "date",
            "debit",
            "credit",
            "entry_id",
        ),
        Index("ix_journal_lines_entry", "entry_id", "line_no"),
        Index("ix_journal_lines_org_date", "organization_id", "date"),
    )

    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="CASCADE")
    )
    line_no: Mapped[int]
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="RESTRICT"))
    debit: Mapped[int] = mapped_column(default=0)
    credit: Mapped[int] = mapped_column(default=0)
    # The transaction's own currency and signed amount there (+ debit, - credit), and
    # the rate that turned it into the base-currency debit or credit.
    currency: Mapped[str] = mapped_column(String(3))
    amount_currency: Mapped[int]
    exchange_rate: Mapped[Decimal] = mapped_column(ExactDecimal(24, 12), default=Decimal(1))
    label: Mapped[str | None] = mapped_column(String(300))
    party_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    analytic_tag: Mapped[str | None] = mapped_column(String(60))
    # The tax a line belongs to, for VAT returns: on a tax line, the tax it collects or
    # deducts and the base it was computed on (base currency); on a revenue or expense
    # line, the tax the amount is subject to (the only trace a 0 % tax leaves).
    tax_code: Mapped[str | None] = mapped_column(String(30))
    tax_base: Mapped[int | None]
    # Copied from the entry (kept in step by triggers) for one-table report queries.
    date: Mapped[date] = mapped_column(Date)
    journal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journals.id", ondelete="RESTRICT"))


class Matching(IdMixin, TenantScoped, Base):
    """Lettering: lines of one reconcilable account matched together under a code."""

    __tablename__ = "matchings"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    code: Mapped[str] = mapped_column(String(10))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="RESTRICT"))
    date: Mapped[date] = mapped_column(Date)
    # Full when the matched amounts cancel out; partial matchings leave a remainder.
    is_full: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[uuid.UUID | None]


class MatchingLine(TenantScoped, Base):
    __tablename__ = "matching_lines"

    matching_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("matchings.id", ondelete="CASCADE"), primary_key=True
    )
    line_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("journal_lines.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    # The part of the line's base amount (signed like the line) this matching covers.
    amount: Mapped[int]


class ExchangeRate(IdMixin, TenantScoped, Base):
    """How many units of ``quote`` one unit of ``base`` buys on ``date``."""

    __tablename__ = "exchange_rates"
    __table_args__ = (
        UniqueConstraint("organization_id", "base", "quote", "date"),
        CheckConstraint("base <> quote", name="distinct_pair"),
    )

    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    date: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(ExactDecimal(24, 12))
    source: Mapped[str] = mapped_column(String(20), default="manual")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class LedgerSettings(IdMixin, TenantScoped, Base):
    """Per-organization ledger settings: the lock date and the chart the books started from."""

    __tablename__ = "ledger_settings"
    __table_args__ = (UniqueConstraint("organization_id"),)

    lock_date: Mapped[date | None] = mapped_column(Date)
    chart_template: Mapped[str] = mapped_column(String(20))
