"""Accounting API: the fiscal year's summary, its close, and the accounting settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from comptoir.identity.service.sessions import Principal
from comptoir.kit.money import format_minor
from comptoir.ledger.service import books_settings, closing, entries
from comptoir.reporting import fiscal_year_schemas as schemas
from comptoir.reporting.service import fiscal_year
from comptoir.server.deps import DbSession, require_scope
from comptoir.server.idempotency import IdempotencyGuard
from comptoir.server.openapi import problem_responses

router = APIRouter(prefix="/api/v1/accounting", tags=["accounting"])

ReportsReader = Annotated[Principal, require_scope("reports:read")]
EntriesReader = Annotated[Principal, require_scope("entries:read")]
EntriesWriter = Annotated[Principal, require_scope("entries:write")]


def _entries_out(session: DbSession, posted: closing.ClosingEntries) -> schemas.ClosingEntriesOut:
    listed = {}
    for role in ("closing", "opening", "allocation"):
        entry = getattr(posted, role)
        listed[role] = (
            None
            if entry is None
            else schemas.ClosingEntryOut(
                id=entry.id, number=entries.display_number_of(session, entry), date=entry.date
            )
        )
    return schemas.ClosingEntriesOut(**listed)


def summary_out(session: DbSession, found: fiscal_year.YearSummary) -> schemas.FiscalYearSummaryOut:
    money = found.currency
    return schemas.FiscalYearSummaryOut(
        id=found.id,
        start_date=found.start_date,
        end_date=found.end_date,
        status="closed" if found.closed_at is not None else "open",
        closed_at=found.closed_at,
        currency=money,
        revenue=format_minor(found.pnl.revenue, money),
        expenses=format_minor(found.pnl.expenses, money),
        profit=format_minor(found.pnl.profit, money),
        vat_position=format_minor(found.vat_position, money),
        cash=format_minor(found.cash, money),
        receivables=format_minor(found.receivables, money),
        payables=format_minor(found.payables, money),
        can_close=found.can_close,
        close_checks=[
            schemas.CloseCheckOut(code=c.code, ok=c.ok, message=c.message) for c in found.checks
        ],
        entries=None if found.entries is None else _entries_out(session, found.entries),
    )


@router.get(
    "/fiscal-year",
    summary="Fiscal year summary",
    responses=problem_responses(404),
)
def get_fiscal_year(
    principal: ReportsReader,
    session: DbSession,
    fiscal_year_ref: Annotated[
        str | None,
        Query(
            alias="fiscal_year",
            max_length=64,
            description="The fiscal year's id or first day; by default the one containing today",
        ),
    ] = None,
) -> schemas.FiscalYearSummaryOut:
    """Revenue, expenses and profit of the fiscal year (the income statement's figures,
    before the closing entry), and at its end the VAT position (positive: owed to the
    state), cash, receivables and payables; its status and, while open, whether it can
    be closed (`close_checks`, each with its message). Other years: `GET /api/v1/fiscal-years`.

    Example: `GET /api/v1/accounting/fiscal-year?fiscal_year=2025-01-01`
    """
    return summary_out(session, fiscal_year.summary(session, fiscal_year_ref))


@router.post(
    "/fiscal-year/close",
    summary="Close a fiscal year",
    status_code=status.HTTP_200_OK,
    response_model=schemas.FiscalYearSummaryOut,
    responses=problem_responses(404, 409),
)
def close_fiscal_year(
    body: schemas.CloseIn,
    principal: EntriesWriter,
    session: DbSession,
    guard: IdempotencyGuard,
) -> Response:
    """Posts the closing entry (income and expense accounts zeroed into current-year
    earnings, on the year's last day), the next year's opening entry (every balance-sheet
    balance per account and party, printed first in the next year's FEC but never counted
    in balances) and the allocation of the result to retained earnings (on the next year's
    first day); then closes the year for good and moves the lock date to its last day.

    Refused with 422 while the year has not ended, an earlier year is open, drafts are
    dated in it, or the chart lacks an earnings account (each problem listed); 409
    `already_closed` the second time. `Idempotency-Key` replays the first answer.
    Answers the closed year's summary, with the entries posted.
    """

    def produce() -> schemas.FiscalYearSummaryOut:
        closed = closing.close(session, body.fiscal_year, actor_id=principal.user_id)
        return summary_out(session, fiscal_year.summary(session, str(closed.year.id)))

    return guard.run(principal, body, produce)


def settings_out(found: books_settings.BooksSettings) -> schemas.AccountingSettingsOut:
    return schemas.AccountingSettingsOut(
        fiscal_year_start_month=found.fiscal_year_start_month,
        lock_date=found.lock_date,
        journals=found.journals,
    )


@router.get("/settings", summary="Accounting settings")
def get_settings(principal: EntriesReader, session: DbSession) -> schemas.AccountingSettingsOut:
    """The month fiscal years start, the lock date (nothing posts on or before it) and
    the code of the default journal of each type."""
    return settings_out(books_settings.current(session))


@router.put(
    "/settings",
    summary="Change accounting settings",
    responses=problem_responses(409),
)
def put_settings(
    body: schemas.AccountingSettingsIn, principal: EntriesWriter, session: DbSession
) -> schemas.AccountingSettingsOut:
    """Changes only the fields sent; the others stay as they are (`"lock_date": null`
    lifts the lock). The start month changes only while nothing is posted (409
    `entries_posted`); the lock date cannot come before the end of a closed year (422);
    journal codes are 1 to 10 upper-case letters or digits, unique (422 beside
    `journals.<type>`), and a journal with posted entries keeps its code (409
    `journal_in_use`). Audited.

    Example: `PUT /api/v1/accounting/settings` `{"lock_date": "2026-03-31"}`
    """
    return settings_out(books_settings.update(session, body.model_dump(exclude_unset=True)))
