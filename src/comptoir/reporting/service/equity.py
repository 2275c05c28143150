"""Statement of changes in equity: the balance sheet's equity lines as rows, from their
balance the day before the range to their balance at its end, the movement split in
columns.

- Opening and closing balances are the balance sheet's own figures on those two dates
  (the results not yet closed included, as the balance sheet shows them), so the totals
  are the balance sheet's equity by construction.
- Result of the period: the income statement's net result, on the line of the year's
  result.
- Capital contributions, distributions and other movements: what the entries of the range
  moved on each line's accounts, outside the year-end close, each account sitting in one
  of these columns by the layout's ``movements`` rules (capital accounts, then result and
  reserve accounts, then the rest).
- Allocation of prior results: the remainder, which moves results between the lines and
  adds up to zero over them: the closing and allocation entries of a close, and a year's
  unclosed result passing from "result of the year" to "retained earnings" when the next
  year begins.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy.orm import Session

from comptoir.kit.errors import ValidationFailed
from comptoir.ledger.service import movements, organization, reports
from comptoir.reporting.service import layouts, statements
from comptoir.reporting.service.cash_flow import day_before
from comptoir.reporting.service.statements import (
    Compare,
    LinesBehind,
    Statement,
    StatementLine,
    comparative_range,
    variance_percent,
)

COLUMNS: tuple[tuple[str, str], ...] = (
    ("opening", "Opening"),
    ("result", "Result"),
    ("allocation", "Allocation"),
    ("contributions", "Contributions"),
    ("distributions", "Distributions"),
    ("other", "Other"),
    ("closing", "Closing"),
)


def _section(layout: layouts.Layout) -> layouts.LayoutLine:
    section = layout.balance_sheet.find(layout.equity.rows)
    if section is None:
        raise ValueError(f"{layout.name}: the equity rows {layout.equity.rows} are not a line")
    return section


def _matrix(
    session: Session,
    layout: layouts.Layout,
    date_from: date,
    date_to: date,
) -> tuple[dict[str, dict[str, int]], dict[str, list[uuid.UUID]], int]:
    """Per row (a leaf of the equity section): its cells; the accounts behind each row;
    the period's net result."""
    section = _section(layout)
    opening = statements.balance_sheet(session, day_before(date_from), layout=layout.name)
    closing = statements.balance_sheet(session, date_to, layout=layout.name)
    net_income = statements.income_statement(session, date_from, date_to, layout=layout.name)
    assert net_income.result is not None
    moved = reports.balances_by_account(session, date_from=date_from, date_to=date_to)
    internal = movements.closing_movements(session, date_from=date_from, date_to=date_to)
    facts = {a.account_id: a for a in reports.postable_accounts(session)}
    cells: dict[str, dict[str, int]] = {}
    accounts: dict[str, list[uuid.UUID]] = {}
    for leaf in section.walk():
        if not leaf.is_leaf:
            continue
        before, after = opening.line(leaf.code), closing.line(leaf.code)
        assert before is not None
        assert after is not None
        row = defaultdict(int, {"opening": before.amount, "closing": after.amount})
        ids = sorted(set(before.account_ids) | set(after.account_ids), key=str)
        for account_id in ids:
            account = facts[account_id]
            column = layout.equity.movements.place(
                account.code, account.type, account.subtype, "credit"
            )
            # Shown as the row reads it: credit positive, like the balance sheet's equity.
            row[column] += leaf.sign * (moved.get(account_id, 0) - internal.get(account_id, 0))
        if leaf.role == "current_result":
            row["result"] = net_income.result
        row["allocation"] = (
            row["closing"]
            - row["opening"]
            - sum(row[code] for code in ("result", "contributions", "distributions", "other"))
        )
        cells[leaf.code] = {code: row[code] for code, _ in COLUMNS}
        accounts[leaf.code] = [a for a in ids if a in moved]
    return cells, accounts, net_income.result


def equity_statement(
    session: Session,
    date_from: date,
    date_to: date,
    compare: Compare | None = None,
    layout: str | None = None,
) -> Statement:
    """Changes in equity over a range, one row per equity line of the balance sheet; the
    amount of each row is its closing balance, compared (when asked) with its closing
    balance at the end of the comparative period."""
    if date_from > date_to:
        raise ValidationFailed.single("date_from", "The start date comes after the end date.")
    name = statements.layout_name(session, layout)
    loaded = layouts.load(name)
    cells, accounts, net_income = _matrix(session, loaded, date_from, date_to)
    compare_from = compare_to = None
    compared: dict[str, dict[str, int]] | None = None
    if compare:
        compare_from, compare_to = comparative_range(date_from, date_to, compare)
        compared, _, _ = _matrix(session, loaded, compare_from, compare_to)

    def build(line: layouts.LayoutLine, level: int) -> StatementLine:
        children = [build(child, level + 1) for child in line.children]
        if children:
            row = {code: sum(child.cells[code] for child in children) for code, _ in COLUMNS}
        else:
            row = cells[line.code]
        base = None
        if compared is not None:
            leaves = [leaf.code for leaf in line.walk() if leaf.is_leaf]
            base = sum(compared[code]["closing"] for code in leaves)
        amount = row["closing"]
        return StatementLine(
            code=line.code,
            label=line.label,
            level=level,
            kind="section" if children else "line",
            amount=amount,
            comparative=base,
            variance=None if base is None else amount - base,
            variance_percent=None if base is None else variance_percent(amount, base),
            account_ids=[] if children else accounts[line.code],
            children=children,
            role=line.role,
            cells=row,
        )

    top = build(_section(loaded), 0)
    return Statement(
        kind="equity",
        layout=name,
        title=loaded.equity.title,
        currency=organization.current(session).base_currency,
        date_from=date_from,
        date_to=date_to,
        compare=compare,
        compare_from=compare_from,
        compare_to=compare_to,
        lines=[top],
        result=net_income,
        totals={"opening": top.cells["opening"], "closing": top.cells["closing"]},
        columns=COLUMNS,
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
    """The ledger lines dated in the range on the accounts of an equity row (or of the
    whole section), a page at a time; their credits minus debits are the row's movement
    on its accounts, the results not yet closed aside (the income statement holds those)."""
    if date_from > date_to:
        raise ValidationFailed.single("date_from", "The start date comes after the end date.")
    loaded = layouts.load(statements.layout_name(session, layout))
    section = _section(loaded)
    line = next((found for found in section.walk() if found.code == line_code), None)
    if line is None:
        raise ValidationFailed.single("line", "This statement has no such line.")
    closing = statements.balance_sheet(session, date_to, layout=loaded.name)
    leaves = [leaf.code for leaf in line.walk() if leaf.is_leaf]
    account_ids = sorted(
        {
            account_id
            for code in leaves
            if (row := closing.line(code)) is not None
            for account_id in row.account_ids
        },
        key=str,
    )
    page = reports.lines_of_accounts(
        session, account_ids, date_from=date_from, date_to=date_to, limit=limit, cursor=cursor
    )
    amount = line.sign * (page.debit - page.credit)
    return LinesBehind(line.code, line.label, amount, line.sign, account_ids, page)
