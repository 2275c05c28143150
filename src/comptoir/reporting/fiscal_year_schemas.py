"""Fiscal-year summary, year-end close and accounting settings: API models. Amounts are
decimal strings in the base currency."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

_YEAR_ID = "01939d2f-6a77-7188-d299-f3aae4bbf5cc"


class CloseCheckOut(BaseModel):
    code: str = Field(description="The problem code a close answers when this check fails")
    ok: bool
    message: str


class ClosingEntryOut(BaseModel):
    id: uuid.UUID
    number: str | None = Field(description="Journal code, fiscal year, number")
    date: dt.date


class ClosingEntriesOut(BaseModel):
    closing: ClosingEntryOut | None = Field(
        description="Zeroes income and expense accounts into current-year earnings"
    )
    opening: ClosingEntryOut | None = Field(
        description="The next year's opening entry (printed, never counted)"
    )
    allocation: ClosingEntryOut | None = Field(
        description="Moves the result to retained earnings on the next year's first day"
    )


class FiscalYearSummaryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": _YEAR_ID,
                    "start_date": "2025-01-01",
                    "end_date": "2025-12-31",
                    "status": "open",
                    "closed_at": None,
                    "currency": "EUR",
                    "revenue": "42000.00",
                    "expenses": "29460.00",
                    "profit": "12540.00",
                    "vat_position": "1830.00",
                    "cash": "18250.40",
                    "receivables": "6480.00",
                    "payables": "2210.00",
                    "can_close": False,
                    "close_checks": [
                        {
                            "code": "year_not_ended",
                            "ok": True,
                            "message": "The year ended on 2025-12-31.",
                        },
                        {
                            "code": "draft_entries",
                            "ok": False,
                            "message": "Post or delete the 1 draft entry dated in the year "
                            "(2025-12-20 Rent).",
                        },
                    ],
                    "entries": None,
                }
            ]
        }
    )

    id: uuid.UUID | None = Field(description="Null for the current year while nothing is posted")
    start_date: dt.date
    end_date: dt.date
    status: Literal["open", "closed"]
    closed_at: dt.datetime | None
    currency: str
    revenue: str = Field(description="Income accounts of the year, before the closing entry")
    expenses: str = Field(description="Expense accounts of the year, before the closing entry")
    profit: str = Field(description="Revenue minus expenses: the income statement's result")
    vat_position: str = Field(
        description="Balance of the VAT accounts at the year's end; positive: owed to the state"
    )
    cash: str = Field(description="Bank and cash accounts at the year's end")
    receivables: str = Field(description="Customer accounts at the year's end")
    payables: str = Field(description="Supplier accounts at the year's end; positive: owed")
    can_close: bool = Field(description="Open, and every close check passes")
    close_checks: list[CloseCheckOut] = Field(
        description="The conditions of a close (empty once closed)"
    )
    entries: ClosingEntriesOut | None = Field(description="The entries the close posted")


class CloseIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"fiscal_year": "2025-01-01"}]}
    )

    fiscal_year: str = Field(
        min_length=1, max_length=64, description="The fiscal year's id or its first day"
    )


JournalCodes = dict[str, str]


class AccountingSettingsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "fiscal_year_start_month": 1,
                    "lock_date": "2025-12-31",
                    "journals": {
                        "sales": "VT",
                        "purchases": "AC",
                        "bank": "BQ",
                        "cash": "CA",
                        "general": "OD",
                        "opening": "AN",
                    },
                }
            ]
        }
    )

    fiscal_year_start_month: int
    lock_date: dt.date | None = Field(description="Nothing posts on or before this day")
    journals: dict[str, str | None] = Field(
        description="Code of the default journal of each type (null: none of that type)"
    )


class AccountingSettingsIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"lock_date": "2026-03-31", "journals": {"sales": "VE"}}]},
    )

    fiscal_year_start_month: StrictInt | None = Field(
        default=None, description="1 to 12; only while nothing is posted"
    )
    lock_date: dt.date | None = Field(default=None, description="Null lifts the lock")
    journals: JournalCodes | None = Field(
        default=None,
        description="New codes by journal type: 1 to 10 upper-case letters or digits",
    )
