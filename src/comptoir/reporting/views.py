"""Web pages of the statements: income statement, balance sheet, cash flow, changes in
equity, the ledger lines behind each figure, and their downloads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Query, Request, Response

from comptoir.kit import clock
from comptoir.kit.errors import FieldError, ValidationFailed
from comptoir.ledger.service.exports import encoded
from comptoir.ledger.service.periods import fiscal_year_bounds
from comptoir.reporting.service import cash_flow, equity, exports, layouts, statements
from comptoir.web.formatting import page_formats
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    Visitor,
    attachment,
    render,
    web_router,
)

router = web_router()

PAGE_SIZE = 200
COMPARE_CHOICES = [
    ("previous_period", "Previous period"),
    ("previous_year", "Last year"),
]
LAYOUT_CHOICES = [("fr_pcg", "French PCG"), ("ifrs", "IFRS-style")]
DatePart = Annotated[str, Query(max_length=10)]
Choice = Annotated[str, Query(max_length=20)]


def _today(visitor: Visitor) -> date:
    """Today where the company is, as the ledger pages count it."""
    try:
        zone = ZoneInfo(visitor.organization.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return clock.now().astimezone(zone).date()


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


@dataclass
class StatementChoices:
    """The choices of a statement page, read from its query, with their errors."""

    date_from: date
    date_to: date
    compare: statements.Compare | None
    layout: layouts.LayoutName | None
    form: FormState


def _choices(
    visitor: Visitor,
    values: dict[str, str],
    compare: str,
    layout: str,
    show_empty: bool = False,
) -> StatementChoices:
    year_start, _ = fiscal_year_bounds(
        _today(visitor), visitor.organization.fiscal_year_start_month
    )
    defaults = {"date_from": year_start, "date_to": _today(visitor), "as_of": _today(visitor)}
    errors: dict[str, str] = {}
    parsed: dict[str, date] = {}
    for name, default in defaults.items():
        text = values.get(name, "")
        day = _day(text)
        if text.strip() and day is None:
            errors[name] = "Use a date like 2026-12-31."
        parsed[name] = day or default
        if name in values and name not in errors:
            values[name] = parsed[name].isoformat()
    chosen_compare: statements.Compare | None = None
    if compare == "previous_period":
        chosen_compare = "previous_period"
    elif compare == "previous_year":
        chosen_compare = "previous_year"
    elif compare:
        errors["compare"] = "Choose a comparison from the list."
    chosen_layout = next((name for name in layouts.LAYOUTS if name == layout), None)
    if layout and chosen_layout is None:
        errors["layout"] = "Choose a layout from the list."
    values |= {"compare": compare, "layout": layout, "show_empty": "true" if show_empty else ""}
    date_to = parsed["as_of"] if "as_of" in values else parsed["date_to"]
    return StatementChoices(
        parsed["date_from"],
        date_to,
        chosen_compare,
        chosen_layout,
        FormState(values, errors, status=422 if errors else 200),
    )


def _query(values: Mapping[str, str], **more: str) -> str:
    return urlencode({key: value for key, value in {**values, **more}.items() if value})


def _failed(choices: StatementChoices, exc: ValidationFailed) -> None:
    for error in exc.errors:
        choices.form.errors.setdefault(error.field, error.message)
    choices.form.status = 422


def _income(session: Db, choices: StatementChoices) -> statements.Statement | None:
    if choices.form.errors:
        return None
    try:
        return statements.income_statement(
            session,
            choices.date_from,
            choices.date_to,
            compare=choices.compare,
            layout=choices.layout,
        )
    except ValidationFailed as exc:
        _failed(choices, exc)
        return None


def _balance(session: Db, choices: StatementChoices) -> statements.Statement | None:
    if choices.form.errors:
        return None
    try:
        return statements.balance_sheet(
            session, choices.date_to, compare=choices.compare, layout=choices.layout
        )
    except ValidationFailed as exc:
        _failed(choices, exc)
        return None


def _page(
    request: Request,
    visitor: Visitor,
    template: str,
    context: Mapping[str, Any],
    *,
    nav: str,
    status_code: int = 200,
) -> Response:
    values = {
        "section": "accounting",
        "subsection": nav,
        "base_currency": visitor.organization.base_currency,
        "compare_choices": COMPARE_CHOICES,
        "layout_choices": LAYOUT_CHOICES,
        **page_formats(visitor.organization),
        **context,
    }
    return render(request, template, values, status_code=status_code)


def _download(
    session: Db,
    statement: statements.Statement | None,
    form: FormState,
    fmt: Literal["csv", "xlsx", "pdf"],
) -> Response:
    if statement is None:
        raise ValidationFailed([FieldError(k, v) for k, v in form.errors.items()])
    table = exports.table(statement)
    if fmt == "pdf":
        body = exports.to_pdf(
            statement,
            statements.organization_name(session),
            show_empty=bool(form.value("show_empty")),
        )
        media_type = "application/pdf"
    else:
        body, media_type = encoded(table, fmt)
    return attachment(body, media_type, f"{table.filename}.{fmt}")


Format = Annotated[Literal["csv", "xlsx", "pdf"], Query(alias="format")]


@router.get("/accounting/statements/income")
def income_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    date_from: DatePart = "",
    date_to: DatePart = "",
    compare: Choice = "",
    layout: Choice = "",
    show_empty: bool = False,
) -> Response:
    visitor.require("reports:read")
    choices = _choices(
        visitor, {"date_from": date_from, "date_to": date_to}, compare, layout, show_empty
    )
    statement = _income(session, choices)
    period = {
        "date_from": choices.date_from.isoformat(),
        "date_to": choices.date_to.isoformat(),
        "layout": layout,
    }
    return _page(
        request,
        visitor,
        "reporting/statement.html",
        {
            "form": choices.form,
            "statement": statement,
            "rows": exports.display_rows(statement, show_empty=show_empty) if statement else [],
            "action": "/accounting/statements/income",
            "heading": "Income statement",
            "download_query": _query(choices.form.values),
            "drill_href": "/accounting/statements/income/lines",
            "drill_query": _query(period),
            "result_query": "",
        },
        nav="income_statement",
        status_code=choices.form.status,
    )


@router.get("/accounting/statements/income/download")
def income_download(
    visitor: CurrentVisitor,
    session: Db,
    fmt: Format = "csv",
    date_from: DatePart = "",
    date_to: DatePart = "",
    compare: Choice = "",
    layout: Choice = "",
    show_empty: bool = False,
) -> Response:
    visitor.require("reports:read")
    choices = _choices(
        visitor, {"date_from": date_from, "date_to": date_to}, compare, layout, show_empty
    )
    return _download(session, _income(session, choices), choices.form, fmt)


@router.get("/accounting/statements/balance-sheet")
def balance_sheet_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    as_of: DatePart = "",
    compare: Choice = "",
    layout: Choice = "",
    show_empty: bool = False,
) -> Response:
    visitor.require("reports:read")
    choices = _choices(visitor, {"as_of": as_of}, compare, layout, show_empty)
    statement = _balance(session, choices)
    year_start, _ = fiscal_year_bounds(
        choices.date_to, visitor.organization.fiscal_year_start_month
    )
    return _page(
        request,
        visitor,
        "reporting/statement.html",
        {
            "form": choices.form,
            "statement": statement,
            "rows": exports.display_rows(statement, show_empty=show_empty) if statement else [],
            "action": "/accounting/statements/balance-sheet",
            "heading": "Balance sheet",
            "download_query": _query(choices.form.values),
            "drill_href": "/accounting/statements/balance-sheet/lines",
            "drill_query": _query({"as_of": choices.date_to.isoformat(), "layout": layout}),
            # The year's result in equity opens onto the income statement behind it.
            "result_query": _query(
                {
                    "date_from": year_start.isoformat(),
                    "date_to": choices.date_to.isoformat(),
                    "layout": layout,
                }
            ),
        },
        nav="balance_sheet",
        status_code=choices.form.status,
    )


@router.get("/accounting/statements/balance-sheet/download")
def balance_sheet_download(
    visitor: CurrentVisitor,
    session: Db,
    fmt: Format = "csv",
    as_of: DatePart = "",
    compare: Choice = "",
    layout: Choice = "",
    show_empty: bool = False,
) -> Response:
    visitor.require("reports:read")
    choices = _choices(visitor, {"as_of": as_of}, compare, layout, show_empty)
    return _download(session, _balance(session, choices), choices.form, fmt)


def _lines_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    kind: layouts.StatementKind,
    choices: StatementChoices,
    line: str,
    cursor: str,
    back: str,
) -> Response:
    found = None
    if not choices.form.errors:
        try:
            found = statements.lines_behind(
                session,
                kind,
                line,
                date_from=choices.date_from if kind == "income_statement" else None,
                date_to=choices.date_to,
                layout=choices.layout,
                limit=PAGE_SIZE,
                cursor=cursor or None,
            )
        except ValidationFailed as exc:
            _failed(choices, exc)
    next_url = None
    if found is not None and found.page.next_cursor:
        next_url = f"?{_query(choices.form.values, line=line, cursor=found.page.next_cursor)}"
    return _page(
        request,
        visitor,
        "reporting/statement_lines.html",
        {
            "form": choices.form,
            "found": found,
            "kind": kind,
            "back": back,
            "next_url": next_url,
            "first_page": not cursor,
            "date_from": choices.date_from if kind == "income_statement" else None,
            "date_to": choices.date_to,
        },
        nav="income_statement" if kind == "income_statement" else "balance_sheet",
        status_code=choices.form.status,
    )


@router.get("/accounting/statements/income/lines")
def income_lines_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    line: Annotated[str, Query(max_length=20)] = "",
    date_from: DatePart = "",
    date_to: DatePart = "",
    layout: Choice = "",
    cursor: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    visitor.require("reports:read")
    choices = _choices(visitor, {"date_from": date_from, "date_to": date_to}, "", layout)
    back = f"/accounting/statements/income?{_query(choices.form.values)}"
    return _lines_page(request, visitor, session, "income_statement", choices, line, cursor, back)


@router.get("/accounting/statements/balance-sheet/lines")
def balance_sheet_lines_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    line: Annotated[str, Query(max_length=20)] = "",
    as_of: DatePart = "",
    layout: Choice = "",
    cursor: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    visitor.require("reports:read")
    choices = _choices(visitor, {"as_of": as_of}, "", layout)
    back = f"/accounting/statements/balance-sheet?{_query(choices.form.values)}"
    return _lines_page(request, visitor, session, "balance_sheet", choices, line, cursor, back)


RangeStatement = Callable[..., statements.Statement]
RangeLines = Callable[..., statements.LinesBehind]


@dataclass(frozen=True)
class RangePage:
    """A statement of a range other than the income statement, with its page's wording."""

    path: str
    nav: str
    heading: str
    lede: str
    compute: RangeStatement
    lines: RangeLines
    lines_lede: str


CASH_FLOW = RangePage(
    "/accounting/statements/cash-flow",
    "cash_flow",
    "Cash flow",
    "Where the period's cash came from and went, by the indirect method: the net result, "
    "then what every other balance-sheet account moved, down to the cash at the end, which "
    "is the balance of the bank and cash accounts.",
    cash_flow.cash_flow,
    cash_flow.lines_behind,
    "Posted lines dated in the period on the accounts behind this line: their debits minus "
    "credits are minus its amount. The opening cash lists the cash accounts' lines before "
    "the period instead, which add up to it.",
)
EQUITY = RangePage(
    "/accounting/statements/equity",
    "equity_statement",
    "Changes in equity",
    "Each equity line of the balance sheet from the day before the period to its last day: "
    "the result of the period, the allocation of earlier results, contributions, "
    "distributions and other movements. The totals are the balance sheet's equity.",
    equity.equity_statement,
    equity.lines_behind,
    "Posted lines dated in the period on the accounts of this equity line: their credits "
    "minus debits are its movement. Results not yet closed come from the income statement.",
)


def _range_statement(
    session: Db, page: RangePage, choices: StatementChoices
) -> statements.Statement | None:
    if choices.form.errors:
        return None
    try:
        return page.compute(
            session,
            choices.date_from,
            choices.date_to,
            compare=choices.compare,
            layout=choices.layout,
        )
    except ValidationFailed as exc:
        _failed(choices, exc)
        return None


def _range_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    page: RangePage,
    values: dict[str, str],
    compare: str,
    layout: str,
    show_empty: bool,
) -> Response:
    visitor.require("reports:read")
    choices = _choices(visitor, values, compare, layout, show_empty)
    statement = _range_statement(session, page, choices)
    period = {
        "date_from": choices.date_from.isoformat(),
        "date_to": choices.date_to.isoformat(),
        "layout": layout,
    }
    return _page(
        request,
        visitor,
        "reporting/statement.html",
        {
            "form": choices.form,
            "statement": statement,
            "rows": exports.display_rows(statement, show_empty=show_empty) if statement else [],
            "action": page.path,
            "heading": page.heading,
            "lede": page.lede,
            "download_query": _query(choices.form.values),
            "drill_href": f"{page.path}/lines",
            "drill_query": _query(period),
            # The net result (or the result of the period) opens onto the income statement.
            "result_query": _query(period),
        },
        nav=page.nav,
        status_code=choices.form.status,
    )


def _range_lines_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    page: RangePage,
    values: dict[str, str],
    layout: str,
    line: str,
    cursor: str,
) -> Response:
    visitor.require("reports:read")
    choices = _choices(visitor, values, "", layout)
    found = None
    if not choices.form.errors:
        try:
            found = page.lines(
                session,
                line,
                date_from=choices.date_from,
                date_to=choices.date_to,
                layout=choices.layout,
                limit=PAGE_SIZE,
                cursor=cursor or None,
            )
        except ValidationFailed as exc:
            _failed(choices, exc)
    next_url = None
    if found is not None and found.page.next_cursor:
        next_url = f"?{_query(choices.form.values, line=line, cursor=found.page.next_cursor)}"
    return _page(
        request,
        visitor,
        "reporting/statement_lines.html",
        {
            "form": choices.form,
            "found": found,
            "kind": "income_statement",
            "back": f"{page.path}?{_query(choices.form.values)}",
            "back_label": page.heading,
            "lede": page.lines_lede,
            "next_url": next_url,
            "first_page": not cursor,
            "date_from": choices.date_from,
            "date_to": choices.date_to,
        },
        nav=page.nav,
        status_code=choices.form.status,
    )


@router.get("/accounting/statements/cash-flow")
def cash_flow_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    date_from: DatePart = "",
    date_to: DatePart = "",
    compare: Choice = "",
    layout: Choice = "",
    show_empty: bool = False,
) -> Response:
    values = {"date_from": date_from, "date_to": date_to}
    return _range_page(request, visitor, session, CASH_FLOW, values, compare, layout, show_empty)


@router.get("/accounting/statements/equity")
def equity_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    date_from: DatePart = "",
    date_to: DatePart = "",
    compare: Choice = "",
    layout: Choice = "",
    show_empty: bool = False,
) -> Response:
    values = {"date_from": date_from, "date_to": date_to}
    return _range_page(request, visitor, session, EQUITY, values, compare, layout, show_empty)


def _range_download(
    visitor: Visitor,
    session: Db,
    page: RangePage,
    fmt: Literal["csv", "xlsx", "pdf"],
    values: dict[str, str],
    compare: str,
    layout: str,
    show_empty: bool,
) -> Response:
    visitor.require("reports:read")
    choices = _choices(visitor, values, compare, layout, show_empty)
    return _download(session, _range_statement(session, page, choices), choices.form, fmt)


@router.get("/accounting/statements/cash-flow/download")
def cash_flow_download(
    visitor: CurrentVisitor,
    session: Db,
    fmt: Format = "csv",
    date_from: DatePart = "",
    date_to: DatePart = "",
    compare: Choice = "",
    layout: Choice = "",
    show_empty: bool = False,
) -> Response:
    values = {"date_from": date_from, "date_to": date_to}
    return _range_download(visitor, session, CASH_FLOW, fmt, values, compare, layout, show_empty)


@router.get("/accounting/statements/equity/download")
def equity_download(
    visitor: CurrentVisitor,
    session: Db,
    fmt: Format = "csv",
    date_from: DatePart = "",
    date_to: DatePart = "",
    compare: Choice = "",
    layout: Choice = "",
    show_empty: bool = False,
) -> Response:
    values = {"date_from": date_from, "date_to": date_to}
    return _range_download(visitor, session, EQUITY, fmt, values, compare, layout, show_empty)


@router.get("/accounting/statements/cash-flow/lines")
def cash_flow_lines_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    line: Annotated[str, Query(max_length=20)] = "",
    date_from: DatePart = "",
    date_to: DatePart = "",
    layout: Choice = "",
    cursor: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    values = {"date_from": date_from, "date_to": date_to}
    return _range_lines_page(request, visitor, session, CASH_FLOW, values, layout, line, cursor)


@router.get("/accounting/statements/equity/lines")
def equity_lines_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    line: Annotated[str, Query(max_length=20)] = "",
    date_from: DatePart = "",
    date_to: DatePart = "",
    layout: Choice = "",
    cursor: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    values = {"date_from": date_from, "date_to": date_to}
    return _range_lines_page(request, visitor, session, EQUITY, values, layout, line, cursor)
