"""Year-end close of a fiscal year: its closing entry, the next year's opening entry and
the default allocation of its result, then the year is closed and locked.

The ledger is continuous: balance-sheet accounts run on from one year to the next by
themselves. What a close changes is the income and expense accounts, zeroed into the
current-year earnings account (the closing entry, counted), and that result, moved to
retained earnings on the next year's first day (the allocation, counted). The opening
entry repeats every balance-sheet balance for the next year's legal extract (the FEC
starts with it) and is never counted (``ledger.models``). A closed year is final: there
is no reopening.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit import clock
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.kit.money import from_minor
from comptoir.ledger.models import (
    CARRIED_FORWARD,
    Account,
    FiscalYear,
    Journal,
    JournalEntry,
    JournalLine,
)
from comptoir.ledger.service import (
    accounts,
    entries,
    extraction,
    journals,
    organization,
    periods,
    reports,
)
from comptoir.ledger.service.entries import Prepared, PreparedLine
from comptoir.ledger.service.rates import RATE_PLACES
from comptoir.outbox import service as outbox

ALLOCATION = reports.RESULT_ALLOCATION
PROFIT_AND_LOSS = ("income", "expense")
BALANCE_SHEET = ("asset", "liability", "equity")
_DRAFTS_LISTED = 5
_MAX_RATE = Decimal("1e11")
_REFERENCES = {
    reports.CLOSING_ENTRY: "Closing",
    CARRIED_FORWARD: "Opening after",
    ALLOCATION: "Allocation",
}


def find_year(session: Session, reference: str) -> FiscalYear:
    """A fiscal year by its id or its first day (``2025-01-01``); 404 otherwise."""
    found = session.get(FiscalYear, extraction.fiscal_year(session, reference.strip()).id)
    if found is None:
        raise NotFound("No such fiscal year.")
    return found


def year_containing(session: Session, on: date) -> FiscalYear:
    """The fiscal year containing ``on``: its row, or when nothing was posted in it yet an
    unsaved one with its dates (and no id), which nothing adds to the session."""
    start, end = periods.fiscal_year_bounds(
        on, organization.current(session).fiscal_year_start_month
    )
    found = session.scalar(select(FiscalYear).where(FiscalYear.start_date == start))
    return found if found is not None else FiscalYear(start_date=start, end_date=end)


@dataclass(frozen=True)
class Check:
    """One precondition of a close: ``code`` is also the problem code when it fails."""

    code: str
    ok: bool
    message: str


def _earlier_open_years(session: Session, year: FiscalYear) -> list[FiscalYear]:
    return list(
        session.scalars(
            select(FiscalYear)
            .where(
                FiscalYear.start_date < year.start_date,
                FiscalYear.closed_at.is_(None),
                exists().where(
                    JournalEntry.fiscal_year_id == FiscalYear.id, JournalEntry.status == "posted"
                ),
            )
            .order_by(FiscalYear.start_date)
        )
    )


def _drafts(session: Session, year: FiscalYear) -> tuple[int, list[JournalEntry]]:
    in_year = (
        JournalEntry.status == "draft",
        JournalEntry.date >= year.start_date,
        JournalEntry.date <= year.end_date,
    )
    count = session.scalar(select(func.count()).select_from(JournalEntry).where(*in_year)) or 0
    listed = session.scalars(
        select(JournalEntry).where(*in_year).order_by(JournalEntry.date).limit(_DRAFTS_LISTED)
    )
    return int(count), list(listed)


def checks(session: Session, year: FiscalYear) -> list[Check]:
    """Whether ``year`` can be closed now, each condition with what blocks it."""
    today = clock.now().date()
    found: list[Check] = []
    found.append(
        Check(
            "year_not_ended",
            year.end_date < today,
            f"The year ended on {year.end_date.isoformat()}."
            if year.end_date < today
            else f"The year ends on {year.end_date.isoformat()}; close it after that day.",
        )
    )
    open_years = _earlier_open_years(session, year)
    found.append(
        Check(
            "earlier_year_open",
            not open_years,
            "Every earlier fiscal year with entries is closed."
            if not open_years
            else "Close the earlier fiscal year(s) first: "
            + ", ".join(
                f"{y.start_date.isoformat()} to {y.end_date.isoformat()}" for y in open_years
            )
            + ".",
        )
    )
    count, drafts = _drafts(session, year)
    listed = ", ".join(
        f"{d.date.isoformat()} {d.reference or d.description or 'untitled'}" for d in drafts
    )
    found.append(
        Check(
            "draft_entries",
            count == 0,
            "No draft entry is dated in the year."
            if count == 0
            else f"Post or delete the {count} draft entr{'y' if count == 1 else 'ies'} dated "
            f"in the year ({listed}{', ...' if count > len(drafts) else ''}).",
        )
    )
    missing = [
        subtype
        for subtype in ("current_year_earnings", "retained_earnings")
        if accounts.first_of_subtype(session, subtype) is None
    ]
    found.append(
        Check(
            "earnings_account_missing",
            not missing,
            "The chart has a current-year earnings and a retained earnings account."
            if not missing
            else "Add an account of subtype "
            + " and one of subtype ".join(missing)
            + " to the chart.",
        )
    )
    missing_journals = [
        kind for kind in ("general", "opening") if journals.by_type(session, kind) is None
    ]
    found.append(
        Check(
            "journal_missing",
            not missing_journals,
            "A general and an opening journal are open."
            if not missing_journals
            else f"Add a journal of type {' and one of type '.join(missing_journals)}.",
        )
    )
    return found


@dataclass(frozen=True)
class ClosingEntries:
    """The entries a close posted (none where there was nothing to carry)."""

    closing: JournalEntry | None
    opening: JournalEntry | None
    allocation: JournalEntry | None


@dataclass(frozen=True)
class Closed:
    year: FiscalYear
    entries: ClosingEntries
    # The year's result, debit positive like the ledger (a profit is negative).
    result: int
    carried_lines: int


def closing_entries(session: Session, year: FiscalYear) -> ClosingEntries:
    """The entries the close of ``year`` posted."""

    def find(source_type: str) -> JournalEntry | None:
        return session.scalar(
            select(JournalEntry).where(
                JournalEntry.source_type == source_type,
                JournalEntry.source_id == str(year.id),
                JournalEntry.status == "posted",
            )
        )

    return ClosingEntries(find(reports.CLOSING_ENTRY), find(CARRIED_FORWARD), find(ALLOCATION))


def _line(account: Account, balance: int, base: str, label: str) -> PreparedLine:
    """A base-currency line that brings ``balance`` (debit positive) to the other side."""
    return PreparedLine(
        account=account,
        debit=-balance if balance < 0 else 0,
        credit=balance if balance > 0 else 0,
        currency=base,
        amount_currency=-balance,
        exchange_rate=Decimal(1),
        label=label,
        party_id=None,
        analytic_tag=None,
    )


def _closing(
    session: Session, year: FiscalYear, journal: Journal, earnings: Account, base: str
) -> tuple[Prepared, int]:
    """Every income and expense balance at the year's end against current-year earnings."""
    balances = reports.balances_by_account(session, date_from=None, date_to=year.end_date)
    rows = session.scalars(
        select(Account)
        .where(Account.id.in_(balances), Account.type.in_(PROFIT_AND_LOSS))
        .order_by(Account.code)
    )
    label = f"Closing of the year {year.start_date.isoformat()} to {year.end_date.isoformat()}"
    prepared = _prepared(journal, year.end_date, reports.CLOSING_ENTRY, year, label)
    result = 0
    for account in rows:
        balance = balances[account.id]
        if balance:
            prepared.lines.append(_line(account, balance, base, label))
            result += balance
    if result:
        prepared.lines.append(_line(earnings, -result, base, label))
    return prepared, result


def _prepared(
    journal: Journal, on: date, source_type: str, year: FiscalYear, description: str
) -> Prepared:
    return Prepared(
        journal=journal,
        date=on,
        reference=f"{_REFERENCES[source_type]} {year.start_date.isoformat()}",
        description=description,
        source_type=source_type,
        source_id=str(year.id),
    )


Balance = tuple[uuid.UUID, uuid.UUID | None, str, int, int]


def balances(session: Session, date_from: date | None, date_to: date) -> list[Balance]:
    """Counted balances (debit positive) per account, party and currency over the range,
    with the sum of the amounts in currency: what an opening restates."""
    query = select(
        JournalLine.account_id,
        JournalLine.party_id,
        JournalLine.currency,
        func.sum(JournalLine.debit - JournalLine.credit),
        func.sum(JournalLine.amount_currency),
    ).where(reports.posted_lines(), JournalLine.date <= date_to)
    if date_from is not None:
        query = query.where(JournalLine.date >= date_from)
    rows = session.execute(
        query.group_by(JournalLine.account_id, JournalLine.party_id, JournalLine.currency)
    )
    return [
        (account_id, party_id, currency, int(total or 0), int(in_currency or 0))
        for account_id, party_id, currency, total, in_currency in rows
    ]


def carried_rate(balance: int, in_currency: int, base: str, currency: str) -> Decimal | None:
    """The rate that restates ``in_currency`` as ``balance`` (between major units, like
    every rate of the ledger), or None when the balance is carried in the base currency:
    it is in it already, or its currency amount is too small for its base balance
    (rounding a revaluation left) to make a rate any column holds."""
    if currency == base or in_currency == 0:
        return None
    rate = (from_minor(abs(balance), base) / from_minor(abs(in_currency), currency)).quantize(
        RATE_PLACES
    )
    return rate if Decimal(0) < rate < _MAX_RATE else None


def _opening(session: Session, year: FiscalYear, journal: Journal, on: date, base: str) -> Prepared:
    """Every balance-sheet balance at the year's end, per account, party and currency,
    restated as it stands (the amounts in currency kept) on the next year's first day."""
    rows = balances(session, None, year.end_date)
    by_id = {
        account.id: account
        for account in session.scalars(
            select(Account).where(
                Account.id.in_({row[0] for row in rows}), Account.type.in_(BALANCE_SHEET)
            )
        )
    }
    label = "Balances brought forward"
    prepared = _prepared(journal, on, CARRIED_FORWARD, year, label)
    grouped: dict[Account, list[tuple[uuid.UUID | None, str, int, int]]] = defaultdict(list)
    for account_id, party_id, currency, balance, in_currency in rows:
        account = by_id.get(account_id)
        # A balance of nothing in the base currency cannot be written as a line; a
        # revaluation left it, and the next one will correct it.
        if account is not None and balance:
            grouped[account].append((party_id, currency, balance, in_currency))
    for account in sorted(grouped, key=lambda a: a.code):
        for party_id, currency, balance, in_currency in sorted(
            grouped[account], key=lambda g: (str(g[0] or ""), g[1])
        ):
            rate = carried_rate(balance, in_currency, base, currency)
            prepared.lines.append(
                PreparedLine(
                    account=account,
                    debit=max(balance, 0),
                    credit=max(-balance, 0),
                    currency=base if rate is None else currency,
                    amount_currency=balance if rate is None else in_currency,
                    exchange_rate=Decimal(1) if rate is None else rate,
                    label=label,
                    party_id=party_id,
                    analytic_tag=None,
                )
            )
    return prepared


def _allocation(
    session: Session,
    year: FiscalYear,
    journal: Journal,
    on: date,
    earnings: Account,
    retained: Account,
    base: str,
) -> Prepared:
    """The current-year earnings balance moved to retained earnings ("report à nouveau")."""
    balance = reports.account_balance(session, earnings.id, year.end_date)
    label = f"Result of the year {year.start_date.isoformat()} to retained earnings"
    prepared = _prepared(journal, on, ALLOCATION, year, label)
    if balance:
        prepared.lines += [
            _line(earnings, balance, base, label),
            _line(retained, -balance, base, label),
        ]
    return prepared


def _blocking(found: list[Check]) -> None:
    errors = [FieldError("fiscal_year", c.message, c.code) for c in found if not c.ok]
    if errors:
        raise ValidationFailed(errors, "This fiscal year cannot be closed yet.")


def close(session: Session, reference: str, *, actor_id: uuid.UUID | None = None) -> Closed:
    """Close a fiscal year: see the module text. All or nothing, in the caller's
    transaction; the ledger settings are locked first (:func:`periods.settings_for_change`)
    so that no posting slips into the year while it closes, and two closes run one after
    the other."""
    found = find_year(session, reference)
    periods.settings_for_change(session)
    year = session.scalars(
        select(FiscalYear)
        .where(FiscalYear.id == found.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if year.closed_at is not None:
        raise Conflict(
            f"The fiscal year starting {year.start_date.isoformat()} is already closed.",
            code="already_closed",
        )
    _blocking(checks(session, year))
    base = organization.current(session).base_currency
    general = journals.by_type(session, "general")
    opening_journal = journals.by_type(session, "opening")
    earnings = accounts.first_of_subtype(session, "current_year_earnings")
    retained = accounts.first_of_subtype(session, "retained_earnings")
    # The checks saw them.
    assert general is not None
    assert opening_journal is not None
    assert earnings is not None
    assert retained is not None
    next_start = year.end_date + timedelta(days=1)
    # The opening and the allocation go in whatever the lock date: VAT returns filed for
    # the next year's first months must not hold up the close of the year before.
    next_year = periods.fiscal_year_for(session, next_start)

    closing_prepared, result = _closing(session, year, general, earnings, base)
    closing = _post(session, closing_prepared, year, actor_id)
    opening_prepared = _opening(session, year, opening_journal, next_start, base)
    opening = _post(session, opening_prepared, next_year, actor_id)
    allocation = _post(
        session,
        _allocation(session, year, general, next_start, earnings, retained, base),
        next_year,
        actor_id,
    )

    year.closed_at = clock.now()
    session.flush()
    locked = periods.lock_date(session)
    if locked is None or locked < year.end_date:
        periods.set_lock_date(session, year.end_date)
    closed = Closed(
        year, ClosingEntries(closing, opening, allocation), result, len(opening_prepared.lines)
    )
    audit.record(
        session,
        "ledger.fiscal_year_closed",
        target_type="fiscal_year",
        target_id=year.id,
        after={
            "start_date": year.start_date,
            "end_date": year.end_date,
            "result": -result,
            "closing_entry_id": closing.id if closing else None,
            "opening_entry_id": opening.id if opening else None,
            "allocation_entry_id": allocation.id if allocation else None,
            "carried_lines": closed.carried_lines,
        },
    )
    outbox.emit(
        session,
        "fiscal_year.closed",
        {
            "id": str(year.id),
            "start_date": year.start_date.isoformat(),
            "end_date": year.end_date.isoformat(),
            "result_minor": -result,
            "currency": base,
        },
    )
    return closed


def _post(
    session: Session, prepared: Prepared, year: FiscalYear, actor_id: uuid.UUID | None
) -> JournalEntry | None:
    """Posts ``prepared``, unless there is nothing to carry (fewer than two lines)."""
    if len(prepared.lines) < 2:
        return None
    return entries.record_composed(session, prepared, year, actor_id=actor_id)
