"""Cash-flow statement by the indirect method: the period's net result, then the movement
of every balance-sheet account other than cash, by the layout's lines, down to the change
in cash.

It ties by construction. Every posted entry balances, so the change in the cash accounts
over a range is minus the movements of all the other accounts: the income and expense
accounts (minus the net result) and the balance-sheet accounts, each on one line (an
account no rule names lands on the layout's "other" line). Each line shows minus the
movement of its accounts: an asset that grows used cash, a debt that grows brought some.

The net result comes from the income statement itself, so it leaves out the year-end
closing entries like every period result. The closing and allocation entries of a close
only move amounts inside equity: they are left out of the movements too, so closing a year
changes nothing here. Whatever the two would disagree on (they cannot, unless one of those
entries touched a cash account) is added to "other", and the statement still ends at the
cash balance.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from comptoir.kit.errors import ValidationFailed
from comptoir.ledger.service import movements, organization, reports
from comptoir.reporting.service import layouts, statements
from comptoir.reporting.service.layouts import StatementLayout
from comptoir.reporting.service.statements import (
    Compare,
    LinesBehind,
    Statement,
    comparative_range,
)

BALANCE_SHEET_TYPES = frozenset({"asset", "liability", "equity"})


def day_before(day: date, field_name: str = "date_from") -> date:
    """The last day before a period, which its opening balances are read at."""
    if day == date.min:
        raise ValidationFailed.single(field_name, "The period starts on the first day of year 1.")
    return day - timedelta(days=1)


def _role(statement: StatementLayout, role: str) -> str:
    return next(line.code for line in statement.leaves() if line.role == role)


def place_account(statement: StatementLayout, account: reports.AccountFacts) -> str:
    """The cash-flow line of a balance-sheet account: by its code, type and subtype alone,
    never by the side of its balance, so that an account stays on one line over time."""
    return statement.place(account.code, account.type, account.subtype, "debit")


def is_cash(statement: StatementLayout, account: reports.AccountFacts) -> bool:
    """Whether the statement counts an account as cash: a balance-sheet account the
    layout's cash rule takes (subtypes, and code ranges such as 51-54 and 58 in France)."""
    return account.type in BALANCE_SHEET_TYPES and place_account(statement, account) == _role(
        statement, "cash"
    )


def cash_accounts(session: Session, layout: str | None = None) -> set[uuid.UUID]:
    """The accounts whose balances are the cash of the organization's cash-flow statement,
    for whoever shows cash elsewhere and must agree with it."""
    statement = layouts.load(statements.layout_name(session, layout)).cash_flow
    return {a.account_id for a in reports.postable_accounts(session) if is_cash(statement, a)}


@dataclass(frozen=True)
class Figures:
    """One column of the statement, debit positive per leaf, and the accounts behind."""

    leaves: dict[str, int]
    accounts: dict[str, list[uuid.UUID]]
    net_income: int
    opening_cash: int
    closing_cash: int


def figures(
    session: Session,
    statement: StatementLayout,
    layout: layouts.LayoutName,
    facts: dict[uuid.UUID, reports.AccountFacts],
    date_from: date,
    date_to: date,
) -> Figures:
    cash_line = _role(statement, "cash")
    other_line = _role(statement, "other")
    net_income = statements.income_statement(session, date_from, date_to, layout=layout).result
    assert net_income is not None
    moved = reports.balances_by_account(session, date_from=date_from, date_to=date_to)
    closing = movements.closing_movements(session, date_from=date_from, date_to=date_to)
    before = reports.balances_by_account(session, date_from=None, date_to=day_before(date_from))
    leaves: dict[str, int] = defaultdict(int)
    accounts: dict[str, list[uuid.UUID]] = defaultdict(list)
    # Debit positive: minus the net result is what income and expenses moved, outside the
    # close; what they really moved differs from it only by a disagreement put in "other".
    leaves[_role(statement, "net_income")] = -net_income
    profit_and_loss = 0
    opening_cash = closing_cash = 0
    for account_id in sorted(moved.keys() | before.keys(), key=str):
        account = facts.get(account_id)
        if account is None:
            continue
        movement = moved.get(account_id, 0) - closing.get(account_id, 0)
        if account.type not in BALANCE_SHEET_TYPES:
            profit_and_loss += movement
            continue
        line = place_account(statement, account)
        if is_cash(statement, account):
            opening_cash += before.get(account_id, 0)
            closing_cash += before.get(account_id, 0) + moved.get(account_id, 0)
            accounts[line].append(account_id)
            continue
        leaves[line] += movement
        if account_id in moved:
            accounts[line].append(account_id)
    # Closing entries touching no cash add up to zero outside it; the result as the
    # income statement reads it equals minus the other income and expense movements.
    internal = sum(
        amount
        for account_id, amount in closing.items()
        if (account := facts.get(account_id)) is not None and not is_cash(statement, account)
    )
    leaves[other_line] += internal + profit_and_loss + net_income
    leaves[cash_line] = opening_cash
    return Figures(leaves, accounts, net_income, opening_cash, closing_cash)


def _facts(session: Session) -> dict[uuid.UUID, reports.AccountFacts]:
    return {a.account_id: a for a in reports.postable_accounts(session)}


def cash_flow(
    session: Session,
    date_from: date,
    date_to: date,
    compare: Compare | None = None,
    layout: str | None = None,
) -> Statement:
    """The cash-flow statement of a range by the indirect method, with a comparative
    column when asked; ``totals`` holds the cash at the end as the statement computes it
    and as the cash accounts hold it, which agree."""
    if date_from > date_to:
        raise ValidationFailed.single("date_from", "The start date comes after the end date.")
    name = statements.layout_name(session, layout)
    statement = layouts.load(name).cash_flow
    facts = _facts(session)
    current = figures(session, statement, name, facts, date_from, date_to)
    amounts = statements._amounts(statement, current.leaves)
    comparative = None
    compare_from = compare_to = None
    if compare:
        compare_from, compare_to = comparative_range(date_from, date_to, compare)
        day_before(compare_from, "compare")
        comparative = statements._amounts(
            statement,
            figures(session, statement, name, facts, compare_from, compare_to).leaves,
        )
    # The layout ends on the cash at the end: the opening cash plus the change.
    closing_line = statement.lines[-1].code
    return Statement(
        kind="cash_flow",
        layout=name,
        title=statement.title,
        currency=organization.current(session).base_currency,
        date_from=date_from,
        date_to=date_to,
        compare=compare,
        compare_from=compare_from,
        compare_to=compare_to,
        lines=statements._tree(statement, amounts, current.accounts, comparative),
        result=current.net_income,
        totals={closing_line: amounts[closing_line], "cash_balance": current.closing_cash},
    )


def lines_behind(
    session: Session,
    line_code: str,
    *,
    date_from: date,
    date_to: date,
    layout: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> LinesBehind:
    """The ledger lines behind a line of the cash-flow statement, a page at a time: the
    lines of the range on its accounts (their debits minus credits are minus the line's
    amount), or for the opening cash those up to the day before. The entries of a
    year-end close are left out, as the statement leaves them out. The net result opens
    onto the income statement instead."""
    if date_from > date_to:
        raise ValidationFailed.single("date_from", "The start date comes after the end date.")
    name = statements.layout_name(session, layout)
    statement = layouts.load(name).cash_flow
    line = statement.find(line_code)
    if line is None:
        raise ValidationFailed.single("line", "This statement has no such line.")
    if line.formula:
        raise ValidationFailed.single(
            "line", "This line is computed from other lines: open those instead."
        )
    if line.role == "net_income":
        raise ValidationFailed.single(
            "line", "The net result comes from the income statement: open it instead."
        )
    is_cash = line.role == "cash"
    start, end = (None, day_before(date_from)) if is_cash else (date_from, date_to)
    facts = _facts(session)
    leaf_codes = {leaf.code for leaf in line.walk() if leaf.is_leaf}
    balances = reports.balances_by_account(
        session, date_from=start, date_to=end, before_closing=True, allocation=True
    )
    account_ids: list[uuid.UUID] = []
    total = 0
    for account_id, balance in balances.items():
        account = facts.get(account_id)
        if account is None or account.type not in BALANCE_SHEET_TYPES:
            continue
        if place_account(statement, account) in leaf_codes:
            account_ids.append(account_id)
            total += balance
    account_ids.sort(key=str)
    page = reports.lines_of_accounts(
        session,
        account_ids,
        date_from=start,
        date_to=end,
        limit=limit,
        cursor=cursor,
        before_closing=True,
        allocation=True,
    )
    return LinesBehind(line.code, line.label, line.sign * total, line.sign, account_ids, page)
