"""Statement API: income statement, balance sheet, cash flow and changes in equity, their
drill-down and downloads."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from comptoir.identity.service.sessions import Principal
from comptoir.kit.money import format_minor
from comptoir.ledger.service.exports import encoded
from comptoir.reporting import schemas
from comptoir.reporting.service import cash_flow, equity, exports, statements
from comptoir.server.deps import DbSession, require_scope
from comptoir.server.openapi import XLSX, file_responses

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

ReportsReader = Annotated[Principal, require_scope("reports:read")]
LayoutQuery = Annotated[
    schemas.LayoutName | None,
    Query(description="Statement layout; by default the one of the organization's chart"),
]
CompareQuery = Annotated[
    schemas.Compare | None, Query(description="Add a comparative column and the variance")
]


def line_out(line: statements.StatementLine, money: str) -> schemas.StatementLineOut:
    def optional(value: int | None) -> str | None:
        return None if value is None else format_minor(value, money)

    return schemas.StatementLineOut(
        code=line.code,
        label=line.label,
        level=line.level,
        kind=line.kind,
        amount=format_minor(line.amount, money),
        comparative=optional(line.comparative),
        variance=optional(line.variance),
        variance_percent=line.variance_percent,
        account_ids=line.account_ids,
        children=[line_out(child, money) for child in line.children],
        cells={code: format_minor(value, money) for code, value in line.cells.items()},
    )


def statement_out(statement: statements.Statement) -> schemas.StatementOut:
    money = statement.currency
    return schemas.StatementOut(
        statement=statement.kind,
        layout=statement.layout,
        title=statement.title,
        currency=money,
        date_from=statement.date_from,
        date_to=statement.date_to,
        compare=statement.compare,
        compare_from=statement.compare_from,
        compare_to=statement.compare_to,
        result=None if statement.result is None else format_minor(statement.result, money),
        totals={code: format_minor(v, money) for code, v in statement.totals.items()},
        balanced=statement.balanced,
        lines=[line_out(line, money) for line in statement.lines],
        columns=[
            schemas.StatementColumnOut(code=code, label=label) for code, label in statement.columns
        ],
    )


def _answer(
    session: DbSession, statement: statements.Statement, fmt: schemas.StatementFormat
) -> Response:
    if fmt == "json":
        return Response(statement_out(statement).model_dump_json(), media_type="application/json")
    table = exports.table(statement)
    if fmt == "pdf":
        body = exports.to_pdf(statement, statements.organization_name(session))
        media_type = "application/pdf"
    else:
        body, media_type = encoded(table, fmt)
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{table.filename}.{fmt}"'},
    )


@router.get(
    "/income-statement",
    response_model=schemas.StatementOut,
    summary="Income statement",
    responses=file_responses("text/csv", XLSX, "application/pdf"),
)
def income_statement(
    principal: ReportsReader,
    session: DbSession,
    date_from: Annotated[date, Query(description="First day of the period")],
    date_to: Annotated[date, Query(description="Last day of the period")],
    compare: CompareQuery = None,
    layout: LayoutQuery = None,
    format: schemas.StatementFormat = "json",
) -> Response:
    """Revenue and expenses of the posted entries dated in the period, grouped by the
    layout's lines (the French *compte de résultat* for the PCG chart, an IFRS-style
    statement otherwise), down to the net result. `compare=previous_period` adds the
    period of the same length just before, `compare=previous_year` the same dates a year
    earlier, with the variance in amount and percent. `format=csv|xlsx|pdf` downloads
    the same figures.

    Example: `GET /api/v1/reports/income-statement?date_from=2026-01-01&date_to=2026-12-31`
    `&compare=previous_year`
    """
    statement = statements.income_statement(
        session, date_from, date_to, compare=compare, layout=layout
    )
    return _answer(session, statement, format)


@router.get(
    "/balance-sheet",
    response_model=schemas.StatementOut,
    summary="Balance sheet",
    responses=file_responses("text/csv", XLSX, "application/pdf"),
)
def balance_sheet(
    principal: ReportsReader,
    session: DbSession,
    as_of: Annotated[date, Query(description="The balance sheet's date (end of that day)")],
    compare: CompareQuery = None,
    layout: LayoutQuery = None,
    format: schemas.StatementFormat = "json",
) -> Response:
    """Assets, equity and liabilities at the end of `as_of`; the income and expenses not
    yet closed appear in equity as the year's result (earlier years' as retained
    earnings), so `totals` agree and `balanced` is true. Accounts are placed by the side
    of their balance where the layout says so (a bank overdraft among the debts).
    `compare=previous_year` compares with the same date a year before,
    `compare=previous_period` with the same date a month before.

    Example: `GET /api/v1/reports/balance-sheet?as_of=2026-12-31&compare=previous_year`
    """
    statement = statements.balance_sheet(session, as_of, compare=compare, layout=layout)
    return _answer(session, statement, format)


def _lines_out(
    found: statements.LinesBehind, money: str, date_from: date | None, date_to: date
) -> schemas.LinesBehindOut:
    return schemas.LinesBehindOut(
        line=found.line_code,
        label=found.label,
        currency=money,
        date_from=date_from,
        date_to=date_to,
        amount=format_minor(found.amount, money),
        debit=format_minor(found.page.debit, money),
        credit=format_minor(found.page.credit, money),
        account_ids=found.account_ids,
        next_cursor=found.page.next_cursor,
        lines=[
            schemas.DrillLineOut(
                line_id=line.line_id,
                entry_id=line.entry_id,
                date=line.date,
                journal=line.journal_code,
                entry_number=line.display_number,
                reference=line.reference,
                label=line.label,
                debit=format_minor(line.debit, money),
                credit=format_minor(line.credit, money),
                balance=format_minor(line.balance, money),
                currency=line.currency,
                amount_currency=format_minor(line.amount_currency, line.currency),
            )
            for line in found.page.lines
        ],
    )


LineQuery = Annotated[str, Query(min_length=1, max_length=20, description="A line's code")]
LimitQuery = Annotated[int, Query(ge=1, le=200)]
CursorQuery = Annotated[str | None, Query(max_length=100)]


@router.get(
    "/income-statement/lines",
    response_model=schemas.LinesBehindOut,
    summary="Ledger lines behind an income statement line",
)
def income_statement_lines(
    principal: ReportsReader,
    session: DbSession,
    line: LineQuery,
    date_from: Annotated[date, Query(description="First day of the period")],
    date_to: Annotated[date, Query(description="Last day of the period")],
    layout: LayoutQuery = None,
    limit: LimitQuery = 200,
    cursor: CursorQuery = None,
) -> schemas.LinesBehindOut:
    """The posted lines dated in the period on the accounts behind a line (or behind a
    section's lines), a page at a time (`next_cursor`); over every page, debits minus
    credits make the line's amount. Computed lines (results) have no lines of their own.

    Example: `GET /api/v1/reports/income-statement/lines?line=CE5&date_from=2026-01-01`
    `&date_to=2026-12-31`
    """
    found = statements.lines_behind(
        session,
        "income_statement",
        line,
        date_from=date_from,
        date_to=date_to,
        layout=layout,
        limit=limit,
        cursor=cursor,
    )
    return _lines_out(found, statements.currency(session), date_from, date_to)


@router.get(
    "/balance-sheet/lines",
    response_model=schemas.LinesBehindOut,
    summary="Ledger lines behind a balance sheet line",
)
def balance_sheet_lines(
    principal: ReportsReader,
    session: DbSession,
    line: LineQuery,
    as_of: Annotated[date, Query(description="The balance sheet's date")],
    layout: LayoutQuery = None,
    limit: LimitQuery = 200,
    cursor: CursorQuery = None,
) -> schemas.LinesBehindOut:
    """The posted lines up to `as_of` on the accounts behind a balance sheet line, a page
    at a time. The year's unclosed result shown in equity comes from the income and
    expense accounts: open the income statement for it.

    Example: `GET /api/v1/reports/balance-sheet/lines?line=AC6&as_of=2026-12-31`
    """
    found = statements.lines_behind(
        session,
        "balance_sheet",
        line,
        date_from=None,
        date_to=as_of,
        layout=layout,
        limit=limit,
        cursor=cursor,
    )
    return _lines_out(found, statements.currency(session), None, as_of)


@router.get(
    "/cash-flow",
    response_model=schemas.StatementOut,
    summary="Cash-flow statement",
    responses=file_responses("text/csv", XLSX, "application/pdf"),
)
def cash_flow_statement(
    principal: ReportsReader,
    session: DbSession,
    date_from: Annotated[date, Query(description="First day of the period")],
    date_to: Annotated[date, Query(description="Last day of the period")],
    compare: CompareQuery = None,
    layout: LayoutQuery = None,
    format: schemas.StatementFormat = "json",
) -> Response:
    """Where the period's cash came from and went, by the indirect method: the net result
    (the income statement's), then minus the movement of every other balance-sheet
    account, in operating (non-cash items, working capital), investing and financing
    activities, down to the change in cash. Cash is the bank, cash and internal-transfer
    accounts (for the PCG, the treasury accounts of class 5). The last line, cash at the
    end, equals the balance of those accounts at `date_to`: `totals` holds both and
    `balanced` is true. The entries of a year-end close are left out, so closing a year
    changes nothing. `compare` and `format` work as for the income statement.

    Example: `GET /api/v1/reports/cash-flow?date_from=2026-01-01&date_to=2026-12-31`
    `&compare=previous_year`
    """
    statement = cash_flow.cash_flow(session, date_from, date_to, compare=compare, layout=layout)
    return _answer(session, statement, format)


@router.get(
    "/equity",
    response_model=schemas.StatementOut,
    summary="Statement of changes in equity",
    responses=file_responses("text/csv", XLSX, "application/pdf"),
)
def equity_statement(
    principal: ReportsReader,
    session: DbSession,
    date_from: Annotated[date, Query(description="First day of the period")],
    date_to: Annotated[date, Query(description="Last day of the period")],
    compare: CompareQuery = None,
    layout: LayoutQuery = None,
    format: schemas.StatementFormat = "json",
) -> Response:
    """The balance sheet's equity lines from the day before `date_from` to `date_to`, as a
    matrix: `columns` lists opening balance, result of the period, allocation of prior
    results, capital contributions, distributions, other movements and closing balance,
    and each line's `cells` holds its figure in each (`amount` is the closing balance).
    The opening and closing totals are the balance sheet's equity on those two days.
    `compare` compares each closing balance with the one at the end of the comparative
    period; `format=csv|xlsx|pdf` downloads the matrix.

    Example: `GET /api/v1/reports/equity?date_from=2026-01-01&date_to=2026-12-31`
    """
    statement = equity.equity_statement(session, date_from, date_to, compare=compare, layout=layout)
    return _answer(session, statement, format)


@router.get(
    "/cash-flow/lines",
    response_model=schemas.LinesBehindOut,
    summary="Ledger lines behind a cash-flow line",
)
def cash_flow_lines(
    principal: ReportsReader,
    session: DbSession,
    line: LineQuery,
    date_from: Annotated[date, Query(description="First day of the period")],
    date_to: Annotated[date, Query(description="Last day of the period")],
    layout: LayoutQuery = None,
    limit: LimitQuery = 200,
    cursor: CursorQuery = None,
) -> schemas.LinesBehindOut:
    """The posted lines dated in the period on the accounts behind a cash-flow line (or a
    section's lines), a page at a time: `amount` is minus their debits less credits. The
    opening cash line lists the cash accounts' lines up to the day before `date_from`.
    The net result comes from the income statement: open that instead.

    Example: `GET /api/v1/reports/cash-flow/lines?line=FF4&date_from=2026-01-01`
    `&date_to=2026-12-31`
    """
    found = cash_flow.lines_behind(
        session,
        line,
        date_from=date_from,
        date_to=date_to,
        layout=layout,
        limit=limit,
        cursor=cursor,
    )
    return _lines_out(found, statements.currency(session), date_from, date_to)


@router.get(
    "/equity/lines",
    response_model=schemas.LinesBehindOut,
    summary="Ledger lines behind a line of the changes in equity",
)
def equity_lines(
    principal: ReportsReader,
    session: DbSession,
    line: LineQuery,
    date_from: Annotated[date, Query(description="First day of the period")],
    date_to: Annotated[date, Query(description="Last day of the period")],
    layout: LayoutQuery = None,
    limit: LimitQuery = 200,
    cursor: CursorQuery = None,
) -> schemas.LinesBehindOut:
    """The posted lines dated in the period on the accounts of an equity line, a page at
    a time; `amount` is their credits less debits. The results not yet closed come from
    the income statement.

    Example: `GET /api/v1/reports/equity/lines?line=CP1&date_from=2026-01-01`
    `&date_to=2026-12-31`
    """
    found = equity.lines_behind(
        session,
        line,
        date_from=date_from,
        date_to=date_to,
        layout=layout,
        limit=limit,
        cursor=cursor,
    )
    return _lines_out(found, statements.currency(session), date_from, date_to)
