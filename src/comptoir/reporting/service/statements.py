"""Income statement and balance sheet: the ledger's balances by account, grouped by a
layout into lines, with a comparative column and the variance.

Figures are integers in minor units of the base currency; a line's amount is shown the
way the statement reads it (revenue and equity positive when credit), and every leaf
keeps the accounts behind it, so that each figure opens onto its ledger lines.
"""

from __future__ import annotations

import calendar
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from sqlalchemy.orm import Session

from comptoir.kit.errors import ValidationFailed
from comptoir.ledger.service import charts, organization, periods, reports
from comptoir.reporting.service import layouts
from comptoir.reporting.service.layouts import (
    LayoutLine,
    LayoutName,
    StatementKind,
    StatementLayout,
)

Compare = Literal["previous_period", "previous_year"]


@dataclass
class StatementLine:
    code: str
    label: str
    level: int
    kind: Literal["section", "line", "result"]
    amount: int
    comparative: int | None
    variance: int | None
    variance_percent: str | None
    account_ids: list[uuid.UUID]
    children: list[StatementLine] = field(default_factory=list)
    # "current_result" or "prior_result" on the equity lines that carry unclosed results.
    role: str | None = None
    # A statement drawn as a matrix (changes in equity): the figure of each column.
    cells: dict[str, int] = field(default_factory=dict)

    def walk(self) -> list[StatementLine]:
        return [self, *(line for child in self.children for line in child.walk())]


@dataclass(frozen=True)
class Statement:
    kind: StatementKind
    layout: LayoutName
    title: str
    currency: str
    date_from: date | None
    date_to: date
    compare: Compare | None
    compare_from: date | None
    compare_to: date | None
    lines: list[StatementLine]
    # The net result (balance sheet: the year's result, shown in equity).
    result: int | None
    # Balance sheet: its two sides, which must agree.
    totals: dict[str, int]
    # A matrix's columns (code, label), in the order shown; the last one is ``amount``.
    columns: tuple[tuple[str, str], ...] = ()

    @property
    def balanced(self) -> bool:
        values = list(self.totals.values())
        return len(set(values)) <= 1

    def all_lines(self) -> list[StatementLine]:
        return [line for top in self.lines for line in top.walk()]

    def line(self, code: str) -> StatementLine | None:
        return next((line for line in self.all_lines() if line.code == code), None)


def layout_name(session: Session, layout: str | None) -> LayoutName:
    """The layout asked for, or the one of the organization's chart."""
    if layout is None:
        return layouts.for_chart(charts.template_for(organization.current(session).country).name)
    for name in layouts.LAYOUTS:
        if name == layout:
            return name
    raise ValidationFailed.single("layout", f"Choose one of: {', '.join(layouts.LAYOUTS)}.")


def _shift_months(day: date, months: int, field_name: str) -> date:
    """The same day ``months`` earlier (negative: later); a month's last day stays last."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    if year < 1:
        raise ValidationFailed.single(field_name, "The comparative period starts before year 1.")
    month += 1
    last = calendar.monthrange(year, month)[1]
    at_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return date(year, month, last if at_end else min(day.day, last))


def comparative_range(date_from: date, date_to: date, compare: Compare) -> tuple[date, date]:
    """The period a range is compared with: the same dates a year before, or the period
    of the same length just before (whole months when the range is whole months)."""
    if compare == "previous_year":
        return _shift_months(date_from, 12, "compare"), _shift_months(date_to, 12, "compare")
    whole_months = (
        date_from.day == 1 and date_to.day == calendar.monthrange(date_to.year, date_to.month)[1]
    )
    if whole_months:
        months = (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1
        return _shift_months(date_from, months, "compare"), date_from - timedelta(days=1)
    if date_from.toordinal() - (date_to - date_from).days <= 1:
        raise ValidationFailed.single("compare", "The comparative period starts before year 1.")
    end = date_from - timedelta(days=1)
    return end - (date_to - date_from), end


def comparative_date(as_of: date, compare: Compare) -> date:
    """The date a balance sheet is compared with: a year or a month before."""
    return _shift_months(as_of, 12 if compare == "previous_year" else 1, "compare")


def variance_percent(amount: int, base: int) -> str | None:
    """The change against ``base`` in percent with one decimal; none against zero."""
    if base == 0:
        return None
    ratio = Decimal(amount - base) * 100 / abs(Decimal(base))
    return str(ratio.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class _Figures:
    """One column: the debit-positive balance of each leaf and the accounts behind it."""

    leaves: dict[str, int]
    accounts: dict[str, list[uuid.UUID]]
    # Balance sheet: the current fiscal year's result, debit positive: what its income and
    # expense accounts add up to until the close, the current-year earnings account after.
    year_result: int = 0


def _place(
    statement: StatementLayout,
    facts: dict[uuid.UUID, reports.AccountFacts],
    balances: dict[uuid.UUID, int],
) -> _Figures:
    types = layouts.STATEMENT_TYPES[statement.kind]
    leaves: dict[str, int] = defaultdict(int)
    accounts: dict[str, list[uuid.UUID]] = defaultdict(list)
    for account_id, balance in balances.items():
        account = facts.get(account_id)
        if account is None or account.type not in types:
            continue
        side: layouts.Side = "debit" if balance >= 0 else "credit"
        code = statement.place(account.code, account.type, account.subtype, side)
        leaves[code] += balance
        accounts[code].append(account_id)
    return _Figures(leaves, accounts)


def _amounts(statement: StatementLayout, leaves: dict[str, int]) -> dict[str, int]:
    """Each line's amount as the statement shows it."""
    amounts: dict[str, int] = {}

    def visit(line: LayoutLine) -> int:
        if line.formula:
            value = sum(sign * amounts[code] for sign, code in line.formula)
        elif line.children:
            value = sum(visit(child) for child in line.children)
        else:
            value = line.sign * leaves.get(line.code, 0)
        amounts[line.code] = value
        return value

    for top in statement.lines:
        visit(top)
    return amounts


def _tree(
    statement: StatementLayout,
    current: dict[str, int],
    accounts: dict[str, list[uuid.UUID]],
    comparative: dict[str, int] | None,
) -> list[StatementLine]:
    def build(line: LayoutLine, level: int) -> StatementLine:
        amount = current[line.code]
        base = comparative[line.code] if comparative is not None else None
        kind: Literal["section", "line", "result"] = (
            "result" if line.formula else "section" if line.children else "line"
        )
        return StatementLine(
            code=line.code,
            label=line.label,
            level=level,
            kind=kind,
            amount=amount,
            comparative=base,
            variance=None if base is None else amount - base,
            variance_percent=None if base is None else variance_percent(amount, base),
            account_ids=sorted(accounts.get(line.code, []), key=str),
            children=[build(child, level + 1) for child in line.children],
            role=line.role,
        )

    return [build(line, 0) for line in statement.lines]


def _facts(session: Session) -> dict[uuid.UUID, reports.AccountFacts]:
    return {a.account_id: a for a in reports.postable_accounts(session)}


def _income_figures(
    session: Session,
    statement: StatementLayout,
    facts: dict[uuid.UUID, reports.AccountFacts],
    date_from: date,
    date_to: date,
) -> _Figures:
    return _place(statement, facts, period_balances(session, date_from, date_to))


def period_balances(session: Session, date_from: date, date_to: date) -> dict[uuid.UUID, int]:
    """Balances of the posted lines dated in the range as the period earned them: the
    year-end closing entries, which zero income and expense accounts into the year's
    result, are left out, or a closed year would read as having earned nothing. Every
    figure of a period's result (income statement, summaries, cash flow) reads this."""
    return reports.balances_by_account(
        session, date_from=date_from, date_to=date_to, before_closing=True
    )


@dataclass(frozen=True)
class ProfitAndLoss:
    """A period's revenue and expenses (both positive when usual) and their difference."""

    revenue: int
    expenses: int

    @property
    def profit(self) -> int:
        return self.revenue - self.expenses


def profit_and_loss(session: Session, date_from: date, date_to: date) -> ProfitAndLoss:
    """Revenue (income accounts, credit positive) and expenses (expense accounts, debit
    positive) of the range, from :func:`period_balances`."""
    types = {a.account_id: a.type for a in reports.postable_accounts(session)}
    revenue = expenses = 0
    for account_id, balance in period_balances(session, date_from, date_to).items():
        if types.get(account_id) == "income":
            revenue -= balance
        elif types.get(account_id) == "expense":
            expenses += balance
    return ProfitAndLoss(revenue, expenses)


def income_statement(
    session: Session,
    date_from: date,
    date_to: date,
    compare: Compare | None = None,
    layout: str | None = None,
) -> Statement:
    """Revenue and expenses of the posted lines dated within the range, by the layout's
    lines, down to the period's net result."""
    if date_from > date_to:
        raise ValidationFailed.single("date_from", "The start date comes after the end date.")
    name = layout_name(session, layout)
    statement = layouts.load(name).income_statement
    facts = _facts(session)
    figures = _income_figures(session, statement, facts, date_from, date_to)
    current = _amounts(statement, figures.leaves)
    comparative = None
    compare_from = compare_to = None
    if compare:
        compare_from, compare_to = comparative_range(date_from, date_to, compare)
        comparative = _amounts(
            statement,
            _income_figures(session, statement, facts, compare_from, compare_to).leaves,
        )
    result = current[statement.result] if statement.result else None
    return Statement(
        kind="income_statement",
        layout=name,
        title=statement.title,
        currency=organization.current(session).base_currency,
        date_from=date_from,
        date_to=date_to,
        compare=compare,
        compare_from=compare_from,
        compare_to=compare_to,
        lines=_tree(statement, current, figures.accounts, comparative),
        result=result,
        totals={},
    )


def _role_leaf(statement: StatementLayout, role: str) -> str:
    return next(line.code for line in statement.leaves() if line.role == role)


def _balance_figures(
    session: Session,
    statement: StatementLayout,
    facts: dict[uuid.UUID, reports.AccountFacts],
    as_of: date,
) -> _Figures:
    """Balances at ``as_of``, the result of income and expense accounts not yet closed
    added to equity: the current fiscal year's as its result, earlier years' as
    retained earnings, so that the two sides agree."""
    year_start, _ = periods.fiscal_year_bounds(
        as_of, organization.current(session).fiscal_year_start_month
    )
    balances = reports.balances_by_account(session, date_from=None, date_to=as_of)
    this_year = reports.balances_by_account(session, date_from=year_start, date_to=as_of)
    figures = _place(statement, facts, balances)
    profit_and_loss = layouts.STATEMENT_TYPES["income_statement"]
    current_result = prior_result = 0
    for account_id, balance in balances.items():
        account = facts.get(account_id)
        if account is not None and account.type in profit_and_loss:
            current = this_year.get(account_id, 0)
            current_result += current
            prior_result += balance - current
    figures.leaves[_role_leaf(statement, "current_result")] += current_result
    figures.leaves[_role_leaf(statement, "prior_result")] += prior_result
    closed_result = sum(
        balance
        for account_id, balance in balances.items()
        if (account := facts.get(account_id)) is not None
        and account.subtype == "current_year_earnings"
    )
    return _Figures(figures.leaves, figures.accounts, current_result + closed_result)


def balance_sheet(
    session: Session,
    as_of: date,
    compare: Compare | None = None,
    layout: str | None = None,
) -> Statement:
    """Assets, equity and liabilities at the end of ``as_of``, the year's result so far
    included in equity."""
    name = layout_name(session, layout)
    statement = layouts.load(name).balance_sheet
    facts = _facts(session)
    figures = _balance_figures(session, statement, facts, as_of)
    current = _amounts(statement, figures.leaves)
    comparative = None
    compare_to = None
    if compare:
        compare_to = comparative_date(as_of, compare)
        comparative = _amounts(
            statement, _balance_figures(session, statement, facts, compare_to).leaves
        )
    sides = statement.balance or ()
    return Statement(
        kind="balance_sheet",
        layout=name,
        title=statement.title,
        currency=organization.current(session).base_currency,
        date_from=None,
        date_to=as_of,
        compare=compare,
        compare_from=None,
        compare_to=compare_to,
        lines=_tree(statement, current, figures.accounts, comparative),
        # Shown as equity reads it: a profit is a credit.
        result=-figures.year_result,
        totals={code: current[code] for code in sides},
    )


@dataclass(frozen=True)
class LinesBehind:
    line_code: str
    label: str
    # The line's amount from its accounts alone, which the ledger lines add up to.
    amount: int
    sign: int
    account_ids: list[uuid.UUID]
    page: reports.AccountLines


def lines_behind(
    session: Session,
    statement: StatementKind,
    line_code: str,
    *,
    date_from: date | None,
    date_to: date,
    layout: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> LinesBehind:
    """The ledger lines behind a line of a statement (a leaf, or a section's leaves),
    a page at a time. A balance sheet's lines run from the first entry to ``date_to``;
    the unclosed result in its equity opens from the income statement instead."""
    if date_from is not None and date_from > date_to:
        raise ValidationFailed.single("date_from", "The start date comes after the end date.")
    name = layout_name(session, layout)
    statement_layout = layouts.load(name).statement(statement)
    line = statement_layout.find(line_code)
    if line is None:
        raise ValidationFailed.single("line", "This statement has no such line.")
    if line.formula:
        raise ValidationFailed.single(
            "line", "This line is computed from other lines: open those instead."
        )
    start = date_from if statement == "income_statement" else None
    before_closing = statement == "income_statement"
    balances = reports.balances_by_account(
        session, date_from=start, date_to=date_to, before_closing=before_closing
    )
    figures = _place(statement_layout, _facts(session), balances)
    leaf_codes = [leaf.code for leaf in line.walk() if leaf.is_leaf]
    account_ids = sorted(
        (account_id for code in leaf_codes for account_id in figures.accounts.get(code, [])),
        key=str,
    )
    amount = line.sign * sum(figures.leaves.get(code, 0) for code in leaf_codes)
    page = reports.lines_of_accounts(
        session,
        account_ids,
        date_from=start,
        date_to=date_to,
        limit=limit,
        cursor=cursor,
        before_closing=before_closing,
    )
    return LinesBehind(line.code, line.label, amount, line.sign, account_ids, page)


def organization_name(session: Session) -> str:
    """The name printed at the head of a statement."""
    return organization.current(session).legal_name


def currency(session: Session) -> str:
    """The base currency statements are drawn in."""
    return organization.current(session).base_currency
