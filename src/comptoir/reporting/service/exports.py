"""CSV, XLSX and PDF of a statement, all three from the one computed ``Statement``.

CSV columns: ``Code``, ``Line``, ``Level`` (0 for the statement's main sections),
``Amount``, ``Comparative``, ``Variance``, ``Variance %``; amounts with a decimal point
and no thousands separator, empty comparative columns when nothing is compared. A
statement drawn as a matrix (changes in equity) has its own columns in place of
``Amount``, the last of them the amount.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from comptoir.kit import clock
from comptoir.kit.money import format_minor, from_minor
from comptoir.ledger.service.exports import Cell, Table
from comptoir.printing.document import Column, PrintedDocument, PrintedParty, PrintedTable
from comptoir.printing.render import render
from comptoir.reporting.service.statements import Statement, StatementLine

COLUMNS = ["Code", "Line", "Level", "Amount", "Comparative", "Variance", "Variance %"]


def period_text(statement: Statement) -> str:
    if statement.kind == "balance_sheet":
        text = f"As of {statement.date_to.isoformat()}"
        if statement.compare_to:
            text += f", compared with {statement.compare_to.isoformat()}"
        return text
    start = statement.date_from.isoformat() if statement.date_from else "start"
    text = f"{start} to {statement.date_to.isoformat()}"
    if statement.compare_from and statement.compare_to:
        text += (
            f", compared with {statement.compare_from.isoformat()}"
            f" to {statement.compare_to.isoformat()}"
        )
    return text


def filename(statement: Statement) -> str:
    name = statement.kind.replace("_", "-")
    if statement.kind == "balance_sheet":
        return f"{name}-{statement.date_to.isoformat()}"
    start = statement.date_from.isoformat() if statement.date_from else "start"
    return f"{name}-{start}-{statement.date_to.isoformat()}"


def table(statement: Statement) -> Table:
    money = statement.currency

    def optional(value: int | None) -> Cell:
        return None if value is None else from_minor(value, money)

    def rows() -> Iterator[list[Cell]]:
        for line in statement.all_lines():
            figures: list[Cell] = [from_minor(line.amount, money)]
            if statement.columns:
                figures = [from_minor(line.cells[code], money) for code, _ in statement.columns]
            yield [
                line.code,
                line.label,
                line.level,
                *figures,
                optional(line.comparative),
                optional(line.variance),
                line.variance_percent,
            ]

    return Table(
        title=f"{statement.title} ({money})",
        filename=filename(statement),
        columns=[*COLUMNS[:3], *figure_labels(statement), *COLUMNS[4:]],
        rows=rows(),
    )


def figure_labels(statement: Statement) -> list[str]:
    """The headings of the figures a statement shows before any comparison."""
    return [label for _, label in statement.columns] or [COLUMNS[3]]


@dataclass(frozen=True)
class DisplayRow:
    """A row of a statement as a page or a PDF shows it: a section's heading above its
    lines and its total below them, as on a printed *bilan*."""

    kind: Literal["heading", "line", "total", "result"]
    label: str
    level: int
    line: StatementLine | None


def _is_empty(line: StatementLine) -> bool:
    """Nothing behind the line in either column (a section: in any of its lines)."""
    if line.children:
        return all(_is_empty(child) for child in line.children)
    return (
        line.amount == 0
        and not line.comparative
        and not line.account_ids
        and not any(line.cells.values())
    )


def display_rows(statement: Statement, *, show_empty: bool = False) -> list[DisplayRow]:
    """The rows to show; lines and sections with nothing behind them in either column
    are left out unless ``show_empty``. A balance sheet's two sides and the results
    always show."""
    rows: list[DisplayRow] = []

    def visit(line: StatementLine) -> None:
        hidden = line.kind == "section" and line.code not in statement.totals
        if hidden and not show_empty and _is_empty(line):
            return
        if line.kind == "section":
            rows.append(DisplayRow("heading", line.label, line.level, None))
            for child in line.children:
                visit(child)
            total = f"Total {line.label[:1].lower()}{line.label[1:]}"
            rows.append(DisplayRow("total", total, line.level, line))
        elif show_empty or line.kind == "result" or not _is_empty(line):
            rows.append(DisplayRow(line.kind, line.label, line.level, line))

    for line in statement.lines:
        visit(line)
    return rows


def to_pdf(statement: Statement, organization_name: str, *, show_empty: bool = False) -> bytes:
    """A printable statement: sections indented under their heading, amounts right."""
    money = statement.currency
    compared = statement.compare is not None

    def amount(value: int | None) -> str:
        return "" if value is None else format_minor(value, money)

    columns = [Column("Line", width=4.0), Column(f"Amount ({money})", "right", 1.4)]
    if statement.columns:
        columns = [
            Column("Line", width=2.6),
            *(Column(label, "right", 1.1) for _, label in statement.columns),
        ]
    if compared:
        columns += [
            Column("Comparative", "right", 1.4),
            Column("Variance", "right", 1.4),
            Column("%", "right", 0.8),
        ]
    rows = []
    for row in display_rows(statement, show_empty=show_empty):
        # Indented with no-break spaces, which the layout keeps where it trims others.
        cells = ["\u00a0" * 4 * row.level + row.label]
        line = row.line
        if line is None:
            cells += [""] * (len(columns) - 1)
        else:
            if statement.columns:
                cells += [amount(line.cells[code]) for code, _ in statement.columns]
            else:
                cells.append(amount(line.amount))
            if compared:
                cells += [
                    amount(line.comparative),
                    amount(line.variance),
                    line.variance_percent or "",
                ]
        rows.append(tuple(cells))
    document = PrintedDocument(
        title=statement.title,
        number=None,
        seller=PrintedParty(organization_name),
        buyer=None,
        table=PrintedTable(tuple(columns), tuple(rows)),
        created_at=clock.now(),
        facts=(("Period", period_text(statement)), ("Currency", money)),
    )
    return render(document)
