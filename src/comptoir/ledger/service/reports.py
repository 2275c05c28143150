"""Ledger reports, computed by the database: trial balance, general ledger, journal report,
account balance. Python sees one row per account (or one page of lines), never the ledger."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, func, literal, or_, select, text
from sqlalchemy.orm import Session

from comptoir.kit.errors import ValidationFailed
from comptoir.kit.pagination import check_limit
from comptoir.ledger.models import (
    UNCOUNTED,
    Account,
    FiscalYear,
    Journal,
    JournalEntry,
    JournalLine,
    Matching,
    MatchingLine,
)
from comptoir.ledger.service import organization


def format_entry_number(
    journal_code: str, year_start: date | None, number: int | None
) -> str | None:
    """``VT-2026-00042``: journal code, fiscal year's first year, number; None for drafts."""
    if year_start is None or number is None:
        return None
    return f"{journal_code}-{year_start.year}-{number:05d}"


def posted_lines() -> ColumnElement[bool]:
    """Lines that count: every line but those of draft entries and of carried-forward
    openings (see ``ledger.models``). Posting changes only the entry, so lines carry no
    status of their own; those entries are few and found by a partial index, and the
    entry id sits in ``ix_journal_lines_balances`` for the sums."""
    return JournalLine.entry_id.not_in(select(JournalEntry.id).where(text(UNCOUNTED)))


# ``source_type`` of the entry that zeroes a fiscal year's income and expense accounts at
# its close, and of the allocation of its result that the close posts
# (``ledger.service.closing``); an allocation posted by hand is an ordinary entry.
CLOSING_ENTRY = "fiscal_year_close"
RESULT_ALLOCATION = "result_allocation"


def closing_entries(
    session: Session, date_from: date | None, date_to: date, *, allocation: bool = False
) -> list[uuid.UUID]:
    """The year-end closing entries dated in the range, with the allocations of results
    a close posted when ``allocation``: a handful at most, found through the entries' date
    index rather than by a condition every line would be tested on."""
    sources = (CLOSING_ENTRY, RESULT_ALLOCATION) if allocation else (CLOSING_ENTRY,)
    query = select(JournalEntry.id).where(
        JournalEntry.source_type.in_(sources),
        JournalEntry.status == "posted",
        JournalEntry.date <= date_to,
    )
    if date_from is not None:
        query = query.where(JournalEntry.date >= date_from)
    return list(session.scalars(query))


def _before_closing(
    session: Session, date_from: date | None, date_to: date, allocation: bool
) -> ColumnElement[bool] | None:
    """Leaves out the closing entries of the range, or None when there are none."""
    closing = closing_entries(session, date_from, date_to, allocation=allocation)
    return JournalLine.entry_id.not_in(closing) if closing else None


def _check_range(date_from: date | None, date_to: date) -> None:
    if date_from is not None and date_from > date_to:
        raise ValidationFailed.single("date_from", "The start date comes after the end date.")


@dataclass(frozen=True)
class TrialBalanceRow:
    account_id: uuid.UUID
    code: str
    name: str
    type: str
    opening: int
    debit: int
    credit: int

    @property
    def closing(self) -> int:
        return self.opening + self.debit - self.credit


@dataclass(frozen=True)
class TrialBalance:
    currency: str
    date_from: date | None
    date_to: date
    rows: list[TrialBalanceRow]
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return (
            self.totals["opening_debit"] == self.totals["opening_credit"]
            and self.totals["debit"] == self.totals["credit"]
            and self.totals["closing_debit"] == self.totals["closing_credit"]
        )


def split(balance: int) -> tuple[int, int]:
    """A signed balance as (debit, credit) columns."""
    return (balance, 0) if balance >= 0 else (0, -balance)


def trial_balance(
    session: Session,
    *,
    date_from: date | None,
    date_to: date,
    code_from: str | None = None,
    code_to: str | None = None,
    hide_zero: bool = False,
) -> TrialBalance:
    """Per account: balance before ``date_from``, debits and credits within the range,
    closing balance. One aggregate over the posted lines, grouped by account, which the
    covering index ``ix_journal_lines_balances`` can answer without reading the table.

    The sums come first and the accounts after: joined in one statement, a planner that
    had no statistics on a new chart yet ran the whole aggregate again for every account.
    """
    _check_range(date_from, date_to)
    start = date_from or date.min
    in_range = JournalLine.date >= start
    sums = {
        account_id: (int(opening or 0), int(debit or 0), int(credit or 0))
        for account_id, opening, debit, credit in session.execute(
            select(
                JournalLine.account_id,
                func.sum(
                    case((in_range, literal(0)), else_=JournalLine.debit - JournalLine.credit)
                ),
                func.sum(case((in_range, JournalLine.debit), else_=literal(0))),
                func.sum(case((in_range, JournalLine.credit), else_=literal(0))),
            )
            .where(posted_lines(), JournalLine.date <= date_to)
            .group_by(JournalLine.account_id)
        )
    }
    query = (
        select(Account.id, Account.code, Account.name, Account.type)
        .where(Account.id.in_(sums))
        .order_by(Account.code)
    )
    if code_from:
        query = query.where(Account.code >= code_from)
    if code_to:
        # "to 4" includes 401 and 4456: compare against the prefix padded to its end.
        query = query.where(Account.code <= code_to + "\uffff")
    rows = [
        TrialBalanceRow(r.id, r.code, r.name, r.type, *sums[r.id]) for r in session.execute(query)
    ]
    if hide_zero:
        rows = [r for r in rows if r.opening or r.debit or r.credit]
    totals = {
        "opening_debit": 0,
        "opening_credit": 0,
        "debit": 0,
        "credit": 0,
        "closing_debit": 0,
        "closing_credit": 0,
    }
    for row in rows:
        opening_debit, opening_credit = split(row.opening)
        closing_debit, closing_credit = split(row.closing)
        totals["opening_debit"] += opening_debit
        totals["opening_credit"] += opening_credit
        totals["debit"] += row.debit
        totals["credit"] += row.credit
        totals["closing_debit"] += closing_debit
        totals["closing_credit"] += closing_credit
    return TrialBalance(
        organization.current(session).base_currency, date_from, date_to, rows, totals
    )


def account_balance(session: Session, account_id: uuid.UUID, as_of: date) -> int:
    """Signed balance (debit positive) of posted lines on or before ``as_of``."""
    total = session.scalar(
        select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0)).where(
            JournalLine.account_id == account_id,
            posted_lines(),
            JournalLine.date <= as_of,
        )
    )
    return int(total or 0)


@dataclass(frozen=True)
class LedgerLine:
    line_id: uuid.UUID
    entry_id: uuid.UUID
    date: date
    journal_code: str
    number: int | None
    reference: str | None
    label: str | None
    debit: int
    credit: int
    currency: str
    amount_currency: int
    balance: int
    matching_code: str | None
    party_id: uuid.UUID | None
    display_number: str | None = None
    account_id: uuid.UUID | None = None
    tax_code: str | None = None
    tax_base: int | None = None


@dataclass(frozen=True)
class GeneralLedger:
    account_id: uuid.UUID
    currency: str
    date_from: date | None
    date_to: date
    opening: int
    lines: list[LedgerLine]
    debit: int
    credit: int
    closing: int
    next_cursor: str | None


@dataclass(frozen=True)
class LedgerFilter:
    journal_id: uuid.UUID | None = None
    party_id: uuid.UUID | None = None
    matched: bool | None = None


AnySelect = Select[*tuple[Any, ...]]


def _filtered(query: AnySelect, filters: LedgerFilter) -> AnySelect:
    if filters.journal_id:
        query = query.where(JournalLine.journal_id == filters.journal_id)
    if filters.party_id:
        query = query.where(JournalLine.party_id == filters.party_id)
    if filters.matched is not None:
        settled = (
            select(func.coalesce(func.sum(MatchingLine.amount), 0))
            .where(MatchingLine.line_id == JournalLine.id)
            .scalar_subquery()
        )
        fully = JournalLine.debit - JournalLine.credit == settled
        query = query.where(fully if filters.matched else ~fully)
    return query


def _balance(session: Session, conditions: list[Any], filters: LedgerFilter) -> int:
    """Signed sum (debit positive) of the lines meeting ``conditions`` and ``filters``."""
    query = select(func.sum(JournalLine.debit - JournalLine.credit)).where(*conditions)
    return int(session.scalar(_filtered(query, filters)) or 0)


def _encode(day: date, line_id: uuid.UUID) -> str:
    return f"{day.isoformat()}_{line_id.hex}"


def _decode(cursor: str) -> tuple[date, uuid.UUID]:
    try:
        day, _, hexid = cursor.partition("_")
        return date.fromisoformat(day), uuid.UUID(hex=hexid)
    except ValueError:
        raise ValidationFailed.single("cursor", "This cursor is not valid.") from None


@dataclass(frozen=True)
class AccountLines:
    lines: list[LedgerLine]
    debit: int
    credit: int
    next_cursor: str | None


def _lines_page(
    session: Session,
    accounts: ColumnElement[bool],
    *,
    start: date,
    date_to: date,
    filters: LedgerFilter,
    limit: int | None,
    cursor: str | None,
    opening: int,
) -> AccountLines:
    """The posted lines of ``accounts`` from ``start`` to ``date_to`` in date order, a page
    at a time, with the range's totals; ``balance`` runs on from ``opening``.

    The range's totals and the balance carried into the page are sums over ranges of
    dates, which the covering index ``ix_journal_lines_balances`` answers without reading
    the table (unless filters ask for other columns), so every page costs the same
    however deep into the range it is.
    """
    size = check_limit(limit) if limit is not None else 200
    page_scope = [accounts, posted_lines(), JournalLine.date <= date_to, JournalLine.date >= start]
    debit, credit = (
        int(total or 0)
        for total in session.execute(
            _filtered(
                select(func.sum(JournalLine.debit), func.sum(JournalLine.credit)).where(
                    *page_scope
                ),
                filters,
            )
        ).one()
    )
    carried = opening
    if cursor:
        after_day, after_id = _decode(cursor)
        # The days before the cursor's, then that day's lines up to it: a condition on
        # ids over the whole range would need the table, the index holds no ids.
        carried += _balance(session, [*page_scope, JournalLine.date < after_day], filters)
        carried += _balance(
            session,
            [*page_scope, JournalLine.date == after_day, JournalLine.id <= after_id],
            filters,
        )
        # Spelled with a plain lower bound on the date, so that the index seeks to it.
        page_scope += [
            JournalLine.date >= after_day,
            or_(JournalLine.date > after_day, JournalLine.id > after_id),
        ]
    # The latest matching a line takes part in gives its lettering code.
    matching_code = (
        select(Matching.code)
        .join(MatchingLine, MatchingLine.matching_id == Matching.id)
        .where(MatchingLine.line_id == JournalLine.id)
        .order_by(Matching.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        _filtered(
            select(
                JournalLine.id,
                JournalLine.entry_id,
                JournalLine.date,
                Journal.code,
                JournalEntry.number,
                JournalEntry.reference,
                JournalLine.label,
                JournalLine.debit,
                JournalLine.credit,
                JournalLine.currency,
                JournalLine.amount_currency,
                matching_code.label("matching_code"),
                JournalLine.party_id,
                FiscalYear.start_date.label("year_start"),
                JournalLine.account_id,
                JournalLine.tax_code,
                JournalLine.tax_base,
            )
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .join(Journal, Journal.id == JournalLine.journal_id)
            .outerjoin(FiscalYear, FiscalYear.id == JournalEntry.fiscal_year_id)
            .where(*page_scope)
            .order_by(JournalLine.date, JournalLine.id)
            .limit(size + 1),
            filters,
        )
    ).all()
    more = len(rows) > size
    rows = rows[:size]
    # The running balance is added up here rather than by a window function, which SQLite
    # computed over every remaining line of the account before keeping the page.
    lines = []
    running = carried
    for r in rows:
        running += int(r.debit) - int(r.credit)
        lines.append(
            LedgerLine(
                r.id,
                r.entry_id,
                r.date,
                r.code,
                r.number,
                r.reference,
                r.label,
                int(r.debit),
                int(r.credit),
                r.currency,
                int(r.amount_currency),
                running,
                r.matching_code,
                r.party_id,
                format_entry_number(r.code, r.year_start, r.number),
                r.account_id,
                r.tax_code,
                None if r.tax_base is None else int(r.tax_base),
            )
        )
    return AccountLines(
        lines, debit, credit, _encode(rows[-1].date, rows[-1].id) if more and rows else None
    )


def general_ledger(
    session: Session,
    account_id: uuid.UUID,
    *,
    date_from: date | None,
    date_to: date,
    filters: LedgerFilter = LedgerFilter(),
    limit: int | None = None,
    cursor: str | None = None,
) -> GeneralLedger:
    """One account's posted lines in date order with a running balance from its opening
    balance, a page at a time (see ``_lines_page``)."""
    _check_range(date_from, date_to)
    start = date_from or date.min
    account = JournalLine.account_id == account_id
    opening = _balance(session, [account, posted_lines(), JournalLine.date < start], filters)
    page = _lines_page(
        session,
        account,
        start=start,
        date_to=date_to,
        filters=filters,
        limit=limit,
        cursor=cursor,
        opening=opening,
    )
    return GeneralLedger(
        account_id,
        organization.current(session).base_currency,
        date_from,
        date_to,
        opening,
        page.lines,
        page.debit,
        page.credit,
        opening + page.debit - page.credit,
        page.next_cursor,
    )


@dataclass(frozen=True)
class JournalReport:
    journal_id: uuid.UUID
    entries: list[JournalEntry]
    lines: dict[uuid.UUID, list[JournalLine]]
    debit: int
    credit: int


def journal_report(
    session: Session,
    journal_id: uuid.UUID,
    *,
    date_from: date | None,
    date_to: date,
    limit: int | None = None,
) -> JournalReport:
    """A journal's posted entries in number order, with their lines and the journal's totals."""
    _check_range(date_from, date_to)
    size = check_limit(limit) if limit is not None else 200
    start = date_from or date.min
    entries = list(
        session.scalars(
            select(JournalEntry)
            .where(
                JournalEntry.journal_id == journal_id,
                JournalEntry.status == "posted",
                JournalEntry.date >= start,
                JournalEntry.date <= date_to,
            )
            .order_by(JournalEntry.date, JournalEntry.number)
            .limit(size)
        )
    )
    lines: dict[uuid.UUID, list[JournalLine]] = {entry.id: [] for entry in entries}
    for line in session.scalars(
        select(JournalLine)
        .where(JournalLine.entry_id.in_(lines))
        .order_by(JournalLine.entry_id, JournalLine.line_no)
    ):
        lines[line.entry_id].append(line)
    debit, credit = session.execute(
        select(
            func.coalesce(func.sum(JournalLine.debit), 0),
            func.coalesce(func.sum(JournalLine.credit), 0),
        ).where(
            JournalLine.journal_id == journal_id,
            posted_lines(),
            JournalLine.date >= start,
            JournalLine.date <= date_to,
        )
    ).one()
    return JournalReport(journal_id, entries, lines, int(debit), int(credit))


@dataclass(frozen=True)
class AccountFacts:
    account_id: uuid.UUID
    code: str
    name: str
    type: str
    subtype: str | None


def postable_accounts(session: Session) -> list[AccountFacts]:
    """Every account lines can post to (archived ones too: they may hold history)."""
    return [
        AccountFacts(r.id, r.code, r.name, r.type, r.subtype)
        for r in session.execute(
            select(Account.id, Account.code, Account.name, Account.type, Account.subtype)
            .where(Account.is_group.is_(False))
            .order_by(Account.code)
        )
    ]


def balances_by_account(
    session: Session,
    *,
    date_from: date | None,
    date_to: date,
    before_closing: bool = False,
    allocation: bool = False,
) -> dict[uuid.UUID, int]:
    """Signed balance (debit positive) per account of the posted lines in the range, in
    one aggregate the covering index answers; accounts without lines are left out.

    ``before_closing`` leaves out the year-end closing entries: what a period earned is
    read from income and expense accounts as they stood before a close zeroed them, the
    one way every figure of a period's result is computed. ``allocation`` leaves out the
    allocations of results the close posted too: the statements that set the whole close
    apart, since it moves nothing in or out of the company."""
    _check_range(date_from, date_to)
    query = select(JournalLine.account_id, func.sum(JournalLine.debit - JournalLine.credit)).where(
        posted_lines(), JournalLine.date <= date_to
    )
    if date_from is not None:
        query = query.where(JournalLine.date >= date_from)
    if (
        before_closing
        and (exclusion := _before_closing(session, date_from, date_to, allocation)) is not None
    ):
        query = query.where(exclusion)
    return {
        account_id: int(total or 0)
        for account_id, total in session.execute(query.group_by(JournalLine.account_id))
    }


def lines_of_accounts(
    session: Session,
    account_ids: list[uuid.UUID],
    *,
    date_from: date | None,
    date_to: date,
    limit: int | None = None,
    cursor: str | None = None,
    before_closing: bool = False,
    allocation: bool = False,
) -> AccountLines:
    """The posted lines of several accounts in date order, a page at a time, with the
    totals of the whole range; ``balance`` runs from zero over the range.
    ``before_closing``, ``allocation``: see :func:`balances_by_account`."""
    _check_range(date_from, date_to)
    accounts: ColumnElement[bool] = JournalLine.account_id.in_(account_ids)
    if (
        before_closing
        and (exclusion := _before_closing(session, date_from, date_to, allocation)) is not None
    ):
        accounts = and_(accounts, exclusion)
    return _lines_page(
        session,
        accounts,
        start=date_from or date.min,
        date_to=date_to,
        filters=LedgerFilter(),
        limit=limit,
        cursor=cursor,
        opening=0,
    )


@dataclass(frozen=True)
class TaxCodeSums:
    """The posted lines of one account carrying one tax code over a range, summed."""

    account_id: uuid.UUID
    tax_code: str
    debit: int
    credit: int
    # Signed like the lines' ``tax_base``: debit side positive.
    tax_base: int


def tax_code_sums(session: Session, *, date_from: date, date_to: date) -> list[TaxCodeSums]:
    """Per account and tax code, the debits, credits and tax bases of the posted lines
    dated in the range that carry a tax code: everything a VAT return reads."""
    _check_range(date_from, date_to)
    rows = session.execute(
        select(
            JournalLine.account_id,
            JournalLine.tax_code,
            func.sum(JournalLine.debit),
            func.sum(JournalLine.credit),
            func.sum(func.coalesce(JournalLine.tax_base, 0)),
        )
        .where(
            posted_lines(),
            JournalLine.tax_code.is_not(None),
            JournalLine.date >= date_from,
            JournalLine.date <= date_to,
        )
        .group_by(JournalLine.account_id, JournalLine.tax_code)
    )
    return [
        TaxCodeSums(account_id, code or "", int(debit or 0), int(credit or 0), int(base or 0))
        for account_id, code, debit, credit, base in rows
    ]


def lines_of_tax_codes(
    session: Session,
    selection: dict[str, list[uuid.UUID]],
    *,
    date_from: date,
    date_to: date,
    limit: int | None = None,
    cursor: str | None = None,
) -> AccountLines:
    """The posted lines carrying a tax code of ``selection`` on one of the accounts listed
    for that code, in date order, a page at a time (see ``_lines_page``): the lines
    behind a box of a VAT return, which ``tax_code_sums`` added up by the same rule."""
    _check_range(date_from, date_to)
    chosen = [
        and_(JournalLine.tax_code == code, JournalLine.account_id.in_(account_ids))
        for code, account_ids in sorted(selection.items())
        if account_ids
    ]
    return _lines_page(
        session,
        or_(*chosen) if chosen else false(),
        start=date_from,
        date_to=date_to,
        filters=LedgerFilter(),
        limit=limit,
        cursor=cursor,
        opening=0,
    )
