"""Reads for legal extracts of the books (the French FEC): a fiscal year's posted lines in
validation order, streamed in batches, and what an import of such an extract needs to know.

Lines come out of one ordered query read ``batch`` rows at a time (a server-side cursor on
PostgreSQL), so that a year of millions of lines never sits in memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from comptoir.kit.errors import NotFound
from comptoir.ledger.models import (
    Account,
    FiscalYear,
    Journal,
    JournalEntry,
    JournalLine,
    Matching,
    MatchingLine,
)

BATCH = 2000


@dataclass(frozen=True)
class Year:
    id: uuid.UUID
    start_date: date
    end_date: date


@dataclass(frozen=True, slots=True)
class ExtractLine:
    """One posted line with what a legal extract prints of its entry, account and lettering."""

    line_id: uuid.UUID
    entry_id: uuid.UUID
    journal_code: str
    journal_name: str
    journal_type: str
    number: int
    entry_date: date
    reference: str | None
    description: str | None
    posted_at: datetime | None
    account_code: str
    account_name: str
    account_subtype: str | None
    label: str | None
    debit: int
    credit: int
    currency: str
    amount_currency: int
    party_id: uuid.UUID | None
    matching_code: str | None
    matching_date: date | None


def fiscal_year(session: Session, reference: str) -> Year:
    """A fiscal year of the organization by its id or by its start date (``2026-01-01``)."""
    condition = None
    try:
        condition = FiscalYear.id == uuid.UUID(reference)
    except ValueError:
        try:
            condition = FiscalYear.start_date == date.fromisoformat(reference)
        except ValueError:
            condition = None
    found = session.scalar(select(FiscalYear).where(condition)) if condition is not None else None
    if found is None:
        raise NotFound("No such fiscal year.")
    return Year(found.id, found.start_date, found.end_date)


def year_lines(
    session: Session, year_id: uuid.UUID, *, batch: int = BATCH
) -> Iterator[ExtractLine]:
    """The posted lines of a fiscal year: entries of the opening journal first, then every
    entry in the order it was posted (ties by journal and number), lines in their order.

    A line lettered more than once (partial matchings) comes with its first lettering."""
    query = (
        select(
            JournalLine.id,
            JournalLine.entry_id,
            Journal.code,
            Journal.name,
            Journal.type,
            JournalEntry.number,
            JournalEntry.date,
            JournalEntry.reference,
            JournalEntry.description,
            JournalEntry.posted_at,
            Account.code,
            Account.name,
            Account.subtype,
            JournalLine.label,
            JournalLine.debit,
            JournalLine.credit,
            JournalLine.currency,
            JournalLine.amount_currency,
            JournalLine.party_id,
            Matching.code,
            Matching.date,
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(Journal, Journal.id == JournalEntry.journal_id)
        .join(Account, Account.id == JournalLine.account_id)
        .outerjoin(MatchingLine, MatchingLine.line_id == JournalLine.id)
        .outerjoin(Matching, Matching.id == MatchingLine.matching_id)
        .where(JournalEntry.fiscal_year_id == year_id, JournalEntry.status == "posted")
        .order_by(
            case((Journal.type == "opening", 0), else_=1),
            JournalEntry.posted_at,
            Journal.code,
            JournalEntry.number,
            JournalLine.line_no,
            Matching.date,
            Matching.code,
        )
        .execution_options(yield_per=batch)
    )
    previous: uuid.UUID | None = None
    for row in session.execute(query):
        if row[0] == previous:
            continue
        previous = row[0]
        yield ExtractLine(*tuple(row))


def has_posted_entries(session: Session, date_from: date, date_to: date) -> bool:
    """Whether any posted entry falls between the two dates (inclusive)."""
    return (
        session.scalar(
            select(JournalEntry.id)
            .where(
                JournalEntry.status == "posted",
                JournalEntry.date >= date_from,
                JournalEntry.date <= date_to,
            )
            .limit(1)
        )
        is not None
    )


def line_ids_by_source(
    session: Session, source_type: str, source_ids: Iterable[str]
) -> dict[tuple[str, int], uuid.UUID]:
    """The ids of the lines of entries recorded with these sources, by (source id, line
    number): how an import finds again the lines it just posted in bulk."""
    wanted = list(dict.fromkeys(source_ids))
    result: dict[tuple[str, int], uuid.UUID] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(JournalEntry.source_id, JournalLine.line_no, JournalLine.id)
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .where(
                JournalEntry.source_type == source_type,
                JournalEntry.source_id.in_(wanted[start : start + 500]),
            )
        )
        for source_id, line_no, line_id in rows:
            result[(str(source_id), int(line_no))] = line_id
    return result
