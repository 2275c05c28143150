"""CSV and XLSX downloads of the ledger reports, built from the same report objects the
API and the pages show, so every figure is the one the report computed."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

import xlsxwriter
from sqlalchemy.orm import Session

from comptoir.kit.money import from_minor
from comptoir.ledger.service import accounts, reports
from comptoir.ledger.service.reports import split

Cell = str | int | Decimal | date | None
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A spreadsheet opening a CSV runs a cell starting with one of these as a formula
# (``=HYPERLINK(...)`` in a label typed by a customer): OWASP's "CSV injection".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
# xlsxwriter would otherwise turn ``=...`` strings into formulas and ``http://...`` into links.
XLSX_OPTIONS = {
    "in_memory": True,
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


@dataclass(frozen=True)
class Table:
    title: str
    filename: str
    columns: list[str]
    rows: Iterable[list[Cell]]


def trial_balance_table(balance: reports.TrialBalance) -> Table:
    money = balance.currency

    def rows() -> Iterator[list[Cell]]:
        for row in balance.rows:
            opening = split(row.opening)
            closing = split(row.closing)
            yield [
                row.code,
                row.name,
                *(from_minor(v, money) for v in (*opening, row.debit, row.credit, *closing)),
            ]
        totals = balance.totals
        yield [
            "",
            "Total",
            *(
                from_minor(totals[k], money)
                for k in (
                    "opening_debit",
                    "opening_credit",
                    "debit",
                    "credit",
                    "closing_debit",
                    "closing_credit",
                )
            ),
        ]

    start = balance.date_from.isoformat() if balance.date_from else "start"
    return Table(
        title=f"Trial balance {start} to {balance.date_to.isoformat()} ({money})",
        filename=f"trial-balance-{start}-{balance.date_to.isoformat()}",
        columns=[
            "Account",
            "Name",
            "Opening debit",
            "Opening credit",
            "Debit",
            "Credit",
            "Closing debit",
            "Closing credit",
        ],
        rows=rows(),
    )


def general_ledger_table(
    session: Session,
    account_id: uuid.UUID,
    *,
    date_from: date | None,
    date_to: date,
    filters: reports.LedgerFilter,
) -> Table:
    """Every line of the account, fetched a page at a time so memory stays flat."""
    account = accounts.get(session, account_id)
    first = reports.general_ledger(
        session, account_id, date_from=date_from, date_to=date_to, filters=filters, limit=200
    )
    money = first.currency

    def rows() -> Iterator[list[Cell]]:
        yield [
            date_from,
            "",
            "",
            "",
            "Opening balance",
            None,
            None,
            from_minor(first.opening, money),
            "",
            "",
        ]
        page: reports.GeneralLedger | None = first
        while page is not None:
            for line in page.lines:
                yield [
                    line.date,
                    line.journal_code,
                    line.display_number,
                    line.reference,
                    line.label,
                    from_minor(line.debit, money),
                    from_minor(line.credit, money),
                    from_minor(line.balance, money),
                    line.matching_code or "",
                    ""
                    if line.currency == money
                    else f"{from_minor(line.amount_currency, line.currency)} {line.currency}",
                ]
            page = (
                reports.general_ledger(
                    session,
                    account_id,
                    date_from=date_from,
                    date_to=date_to,
                    filters=filters,
                    limit=200,
                    cursor=page.next_cursor,
                )
                if page.next_cursor
                else None
            )
        yield [
            date_to,
            "",
            "",
            "",
            "Totals and closing balance",
            from_minor(first.debit, money),
            from_minor(first.credit, money),
            from_minor(first.closing, money),
            "",
            "",
        ]

    return Table(
        title=f"General ledger {account.code} {account.name} ({money})",
        filename=f"general-ledger-{account.code}-{date_to.isoformat()}",
        columns=[
            "Date",
            "Journal",
            "Number",
            "Reference",
            "Label",
            "Debit",
            "Credit",
            "Balance",
            "Matching",
            "Foreign amount",
        ],
        rows=rows(),
    )


def inert(text: str) -> str:
    """Text a spreadsheet shows as typed: one starting like a formula gets a leading ``'``.
    A plain signed number (``-8.6``, a percentage kept as text) is read as a number, never
    run, and stays as it is."""
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return f"'{text}"
    return text


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return inert(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(table: Table) -> Iterator[str]:
    """CSV text, a row at a time: decimal point, no thousands separator, UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.columns)
    yield buffer.getvalue()
    for row in table.rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_text(v) for v in row])
        yield buffer.getvalue()


def to_xlsx(table: Table) -> bytes:
    """An XLSX workbook; rows are streamed to it (constant memory) and numbers stay numbers.
    Text goes in as string cells, which a spreadsheet never evaluates, so it keeps its
    characters as typed (no leading ``'`` as in the CSV)."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, XLSX_OPTIONS)
    sheet = workbook.add_worksheet(table.title[:31].replace("/", "-").replace(":", "-"))
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": "#,##0.00"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, table.columns, bold)
    for index, row in enumerate(table.rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, Decimal):
                # XLSX stores numbers as doubles; amounts under 2**53 minor units round-trip
                # to the cent, and keeping them numeric lets the accountant sum them.
                sheet.write_number(index, column, float(value), money)
            elif isinstance(value, date):
                sheet.write_datetime(index, column, value, day)
            elif isinstance(value, str):
                sheet.write_string(index, column, value)
            elif value is not None:
                sheet.write_number(index, column, value)
    sheet.set_column(0, len(table.columns) - 1, 16)
    workbook.close()
    return output.getvalue()


def encoded(table: Table, fmt: Literal["csv", "xlsx"]) -> tuple[bytes, str]:
    """The whole file of ``table`` in ``fmt``, and its media type."""
    if fmt == "csv":
        return "".join(to_csv(table)).encode(), CSV_MEDIA_TYPE
    return to_xlsx(table), XLSX_MEDIA_TYPE
