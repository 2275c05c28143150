"""Statement API models. Amounts are decimal strings in the base currency."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Compare = Literal["previous_period", "previous_year"]
LayoutName = Literal["fr_pcg", "ifrs"]
StatementFormat = Literal["json", "csv", "xlsx", "pdf"]


class StatementLineOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "PE1",
                    "label": "Ventes de marchandises",
                    "level": 1,
                    "kind": "line",
                    "amount": "12500.00",
                    "comparative": "10000.00",
                    "variance": "2500.00",
                    "variance_percent": "25.0",
                    "account_ids": ["0b9c7f7e-2d1a-4c55-9a57-1f1f0f0f0f01"],
                    "children": [],
                }
            ]
        }
    )

    code: str = Field(description="The line's code in the layout; drill down with it")
    label: str
    level: int = Field(description="Depth in the statement, 0 for main sections")
    kind: Literal["section", "line", "result"] = Field(
        description="A section adds up its children, a result is computed from other lines"
    )
    amount: str = Field(description="As the statement reads it: income and equity positive")
    comparative: str | None = Field(description="The comparative column, when asked for")
    variance: str | None = Field(description="Amount minus comparative")
    variance_percent: str | None = Field(
        description="Variance against the comparative, one decimal; null when it is zero"
    )
    account_ids: list[uuid.UUID] = Field(description="Accounts behind a line (leaves only)")
    children: list[StatementLineOut]
    cells: dict[str, str] = Field(
        default_factory=dict,
        description="A matrix statement (changes in equity): the figure of each column by "
        "its code; `amount` is the last column's",
    )


class StatementColumnOut(BaseModel):
    code: str = Field(description="Key of the column in each line's `cells`")
    label: str


class StatementOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "statement": "income_statement",
                    "layout": "fr_pcg",
                    "title": "Compte de résultat",
                    "currency": "EUR",
                    "date_from": "2026-01-01",
                    "date_to": "2026-12-31",
                    "compare": "previous_year",
                    "compare_from": "2025-01-01",
                    "compare_to": "2025-12-31",
                    "result": "4200.00",
                    "totals": {},
                    "balanced": True,
                    "lines": [],
                }
            ]
        }
    )

    statement: Literal["income_statement", "balance_sheet", "cash_flow", "equity"]
    layout: LayoutName
    title: str
    currency: str
    date_from: dt.date | None
    date_to: dt.date = Field(description="Last day of the period; the balance sheet's date")
    compare: Compare | None
    compare_from: dt.date | None
    compare_to: dt.date | None
    result: str | None = Field(
        description="Net result of the period (balance sheet: the year's result so far)"
    )
    totals: dict[str, str] = Field(description="Balance sheet: both sides, which agree")
    balanced: bool
    lines: list[StatementLineOut]
    columns: list[StatementColumnOut] = Field(
        default_factory=list,
        description="A matrix statement (changes in equity): its columns, in order; empty "
        "for the others",
    )


class DrillLineOut(BaseModel):
    line_id: uuid.UUID
    entry_id: uuid.UUID
    date: dt.date
    journal: str
    entry_number: str | None = Field(description="The entry's number, e.g. VT-2026-00042")
    reference: str | None
    label: str | None
    debit: str
    credit: str
    balance: str = Field(description="Running balance (debit positive) from the first line")
    currency: str
    amount_currency: str


class LinesBehindOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "line": "CE5",
                    "label": "Autres achats et charges externes",
                    "currency": "EUR",
                    "date_from": "2026-01-01",
                    "date_to": "2026-12-31",
                    "amount": "830.00",
                    "debit": "830.00",
                    "credit": "0.00",
                    "account_ids": ["0b9c7f7e-2d1a-4c55-9a57-1f1f0f0f0f01"],
                    "lines": [],
                    "next_cursor": None,
                }
            ]
        }
    )

    line: str
    label: str
    currency: str
    date_from: dt.date | None
    date_to: dt.date
    amount: str = Field(description="The line's amount from its accounts: the lines add up to it")
    debit: str = Field(description="Total debits of every page")
    credit: str = Field(description="Total credits of every page")
    account_ids: list[uuid.UUID]
    lines: list[DrillLineOut]
    next_cursor: str | None
