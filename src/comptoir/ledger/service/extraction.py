"""Reads for extracts of the books (the French FEC, exports to other accounting tools): the
posted lines of a fiscal year or of a date range in validation order, streamed in batches,
and what an import of such an extract needs to know.

Lines come out of one ordered query read ``batch`` rows at a time (a server-side cursor on
PostgreSQL), so that a year of millions of lines never sits in memory.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from comptoir.kit.errors import NotFound
from comptoir.ledger.models import (
    CARRIED_FORWARD,
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
    line_no: int
    account_type: str
    exchange_rate: Decimal
    tax_code: str | None
    tax_base: int | None
    analytic_tag: str | None
    source_type: str | None
    source_id: str | None
    year_start: date | None


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

    Lettering comes by group: see :func:`lettering_groups`."""
    return _lines(session, [JournalEntry.fiscal_year_id == year_id], batch)


def range_lines(
    session: Session, date_from: date, date_to: date, *, batch: int = BATCH
) -> Iterator[ExtractLine]:
    """The posted lines dated between the two days (inclusive) that count in balances, year
    by year in the order of ``year_lines``. Carried-forward openings are left out: they
    repeat balances the continuous ledger already holds (see ``ledger.models``), so an
    extract of a range sums to the trial balance of that range."""
    return _lines(
        session,
        [
            JournalEntry.date >= date_from,
            JournalEntry.date <= date_to,
            JournalEntry.source_type.is_distinct_from(CARRIED_FORWARD),
        ],
        batch,
    )


def carried_forward_lines(
    session: Session, on: date, *, batch: int = BATCH
) -> Iterator[ExtractLine]:
    """The lines of the opening entry a year-end close wrote on ``on`` (the next year's first
    day), as ``year_lines`` gives them; none when no close wrote one that day."""
    return _lines(
        session,
        [JournalEntry.source_type == CARRIED_FORWARD, JournalEntry.date == on],
        batch,
    )


def _lines(
    session: Session, conditions: list[ColumnElement[bool]], batch: int
) -> Iterator[ExtractLine]:
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
            JournalLine.line_no,
            Account.type,
            JournalLine.exchange_rate,
            JournalLine.tax_code,
            JournalLine.tax_base,
            JournalLine.analytic_tag,
            JournalEntry.source_type,
            JournalEntry.source_id,
            FiscalYear.start_date,
            Matching.id,
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(Journal, Journal.id == JournalEntry.journal_id)
        .join(Account, Account.id == JournalLine.account_id)
        .outerjoin(FiscalYear, FiscalYear.id == JournalEntry.fiscal_year_id)
        .outerjoin(MatchingLine, MatchingLine.line_id == JournalLine.id)
        .outerjoin(Matching, Matching.id == MatchingLine.matching_id)
        .where(JournalEntry.status == "posted", *conditions)
        .order_by(
            FiscalYear.start_date,
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
    groups = lettering_groups(session)
    previous: uuid.UUID | None = None
    for row in session.execute(query):
        if row[0] == previous:
            continue
        previous = row[0]
        *values, matching_id = tuple(row)
        line = ExtractLine(*values)
        group = groups.get(matching_id)
        if group is not None:
            line = replace(line, matching_code=group[0], matching_date=group[1])
        yield line


def lettering_groups(session: Session) -> dict[uuid.UUID, tuple[str, date]]:
    """The lettering group of each matching that shares a line with another, as (code,
    date): an invoice settled by a credit note and then by a payment is in two matchings,
    but an extract prints one lettering per line, so the three lines must carry one code.
    A group takes the code of its first matching and the date of its last.

    Only lines matched more than once link matchings, and those are few: the groups are
    built from them alone, whatever the size of the books."""
    shared = select(MatchingLine.line_id).group_by(MatchingLine.line_id).having(func.count() > 1)
    rows = session.execute(
        select(MatchingLine.line_id, Matching.id, Matching.code, Matching.date)
        .join(Matching, Matching.id == MatchingLine.matching_id)
        .where(MatchingLine.line_id.in_(shared))
    ).all()
    parent: dict[uuid.UUID, uuid.UUID] = {}

    def root(matching_id: uuid.UUID) -> uuid.UUID:
        while parent.setdefault(matching_id, matching_id) != matching_id:
            matching_id = parent[matching_id]
        return matching_id

    seen: dict[uuid.UUID, tuple[str, date]] = {}
    first_of_line: dict[uuid.UUID, uuid.UUID] = {}
    for line_id, matching_id, code, on in rows:
        seen[matching_id] = (code, on)
        parent[root(matching_id)] = root(first_of_line.setdefault(line_id, matching_id))
    members: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for matching_id in seen:
        members[root(matching_id)].append(matching_id)
    groups: dict[uuid.UUID, tuple[str, date]] = {}
    for group in members.values():
        code = min((seen[m][1], seen[m][0]) for m in group)[1]
        last = max(seen[m][1] for m in group)
        groups.update(dict.fromkeys(group, (code, last)))
    return groups


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


def journal_codes(session: Session, date_from: date, date_to: date) -> set[str]:
    """The codes of the journals with posted entries between the two dates (inclusive)."""
    return set(
        session.scalars(
            select(Journal.code)
            .join(JournalEntry, JournalEntry.journal_id == Journal.id)
            .where(
                JournalEntry.status == "posted",
                JournalEntry.date >= date_from,
                JournalEntry.date <= date_to,
            )
            .distinct()
        )
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
