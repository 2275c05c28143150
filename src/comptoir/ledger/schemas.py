"""Request and response bodies of the ledger API. Amounts travel as decimal strings in
major units (``"1234.56"``) next to their currency code."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

Amount = StrictStr | StrictInt


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=5000)


AccountType = Literal["asset", "liability", "equity", "income", "expense"]
JournalType = Literal["sales", "purchases", "bank", "cash", "general", "opening"]


class AccountOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    type: AccountType
    subtype: str | None
    parent_id: uuid.UUID | None
    is_group: bool
    reconcilable: bool
    currency: str | None
    archived: bool
    created_at: dt.datetime


class AccountCreate(Request):
    code: str = Field(max_length=20, examples=["4111"])
    name: str = Field(max_length=200, examples=["Clients - grands comptes"])
    type: AccountType
    subtype: str | None = Field(default=None, max_length=30)
    parent: str | None = Field(default=None, max_length=40, description="Parent account code or id")
    is_group: bool = False
    reconcilable: bool = False
    currency: str | None = Field(
        default=None, max_length=3, description="Only this currency may post here"
    )


class AccountUpdate(Request):
    code: str | None = Field(default=None, max_length=20)
    name: str | None = Field(default=None, max_length=200)
    type: AccountType | None = None
    subtype: str | None = Field(default=None, max_length=30)
    parent: str | None = Field(default=None, max_length=40)
    is_group: bool | None = None
    reconcilable: bool | None = None
    currency: str | None = Field(default=None, max_length=3)


class AccountPage(BaseModel):
    items: list[AccountOut]
    next_cursor: str | None


class BalanceOut(BaseModel):
    account_id: uuid.UUID
    as_of: dt.date
    currency: str
    balance: str = Field(description="Signed: positive is a debit balance")


class JournalOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    type: JournalType
    default_debit_account_id: uuid.UUID | None
    default_credit_account_id: uuid.UUID | None
    archived: bool


class JournalCreate(Request):
    code: str = Field(max_length=10, examples=["VT2"])
    name: str = Field(max_length=100)
    type: JournalType
    default_debit_account: str | None = Field(default=None, max_length=40)
    default_credit_account: str | None = Field(default=None, max_length=40)


class JournalUpdate(Request):
    code: str | None = Field(default=None, max_length=10)
    name: str | None = Field(default=None, max_length=100)
    type: JournalType | None = None
    default_debit_account: str | None = Field(default=None, max_length=40)
    default_credit_account: str | None = Field(default=None, max_length=40)
    archived: bool | None = None


class LineIn(Request):
    account: str = Field(max_length=40, description='Account code (e.g. "512") or id')
    debit: Amount | None = Field(
        default=None, description="In the line's currency; give debit or credit"
    )
    credit: Amount | None = None
    currency: str | None = Field(
        default=None, max_length=3, description="Defaults to the base currency"
    )
    exchange_rate: Amount | None = Field(
        default=None,
        description="Base currency per unit of `currency`; looked up by date when omitted",
    )
    label: str | None = Field(default=None, max_length=300)
    party_id: uuid.UUID | None = None
    analytic_tag: str | None = Field(default=None, max_length=60)


class EntryIn(Request):
    journal: str = Field(max_length=40, description='Journal code (e.g. "OD") or id')
    date: dt.date
    reference: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    lines: list[LineIn] = Field(min_length=1, max_length=1000)
    post: bool = Field(default=False, description="Post at once instead of saving a draft")


class LineOut(BaseModel):
    id: uuid.UUID
    line_no: int
    account_id: uuid.UUID
    account_code: str
    debit: str = Field(description="Base currency")
    credit: str = Field(description="Base currency")
    currency: str
    amount_currency: str = Field(description="Signed amount in `currency`: positive debit")
    exchange_rate: str
    label: str | None
    party_id: uuid.UUID | None
    analytic_tag: str | None
    matching_code: str | None
    tax_code: str | None = Field(
        default=None, description="The tax of a tax line, or the tax a base line is subject to"
    )
    tax_base: str | None = Field(
        default=None,
        description="On a tax line: the base it was computed on, base currency, signed like "
        "`amount_currency`",
    )


class EntryOut(BaseModel):
    id: uuid.UUID
    journal_id: uuid.UUID
    journal_code: str
    date: dt.date
    reference: str | None
    description: str | None
    status: Literal["draft", "posted"]
    number: str | None = Field(description="Journal code, fiscal year and number: VT-2026-00042")
    base_currency: str
    total_debit: str
    total_credit: str
    balanced: bool
    reversal_of_id: uuid.UUID | None
    reversed_by_id: uuid.UUID | None
    source_type: str | None
    source_id: str | None
    created_at: dt.datetime
    posted_at: dt.datetime | None
    lines: list[LineOut]


class EntrySummary(BaseModel):
    id: uuid.UUID
    journal_code: str
    date: dt.date
    reference: str | None
    description: str | None
    status: Literal["draft", "posted"]
    number: str | None


class EntryPage(BaseModel):
    items: list[EntrySummary]
    next_cursor: str | None


class ReverseIn(Request):
    date: dt.date
    reference: str | None = Field(default=None, max_length=100)


class MatchingIn(Request):
    line_ids: list[uuid.UUID] = Field(min_length=2, max_length=500)
    date: dt.date | None = None


class MatchingLineOut(BaseModel):
    line_id: uuid.UUID
    amount: str


class MatchingOut(BaseModel):
    id: uuid.UUID
    code: str
    account_id: uuid.UUID
    date: dt.date
    is_full: bool
    currency: str
    lines: list[MatchingLineOut]


class MatchingPage(BaseModel):
    items: list[MatchingOut]
    next_cursor: str | None


class RateIn(Request):
    base: str = Field(max_length=3, examples=["EUR"])
    quote: str = Field(max_length=3, examples=["USD"])
    date: dt.date
    rate: Amount = Field(description="Units of `quote` for one `base`", examples=["1.0823"])


class RateOut(BaseModel):
    id: uuid.UUID
    base: str
    quote: str
    date: dt.date
    rate: str
    source: str


class RatePage(BaseModel):
    items: list[RateOut]
    next_cursor: str | None


class ImportOut(BaseModel):
    imported: int


class ConversionOut(BaseModel):
    source: str
    target: str
    date: dt.date
    rate: str
    amount: str
    converted: str


class CurrencyOut(BaseModel):
    code: str
    name: str
    digits: int


class SettingsOut(BaseModel):
    lock_date: dt.date | None
    chart_template: str
    base_currency: str
    fiscal_year_start_month: int


class SettingsUpdate(Request):
    lock_date: dt.date | None = Field(description="No posting on or before this day; null unlocks")


class FiscalYearOut(BaseModel):
    id: uuid.UUID
    start_date: dt.date
    end_date: dt.date
    closed: bool


class TrialBalanceRowOut(BaseModel):
    account_id: uuid.UUID
    code: str
    name: str
    type: str
    opening_debit: str
    opening_credit: str
    debit: str
    credit: str
    closing_debit: str
    closing_credit: str


class TrialBalanceOut(BaseModel):
    currency: str
    date_from: dt.date | None
    date_to: dt.date
    rows: list[TrialBalanceRowOut]
    totals: dict[str, str]
    balanced: bool


class LedgerLineOut(BaseModel):
    line_id: uuid.UUID
    entry_id: uuid.UUID
    date: dt.date
    journal: str
    number: int | None
    entry_number: str | None = Field(description="The entry's number, e.g. VT-2026-00042")
    reference: str | None
    label: str | None
    debit: str
    credit: str
    balance: str
    currency: str
    amount_currency: str
    matching_code: str | None
    party_id: uuid.UUID | None


class GeneralLedgerOut(BaseModel):
    account_id: uuid.UUID
    account_code: str
    account_name: str
    currency: str
    date_from: dt.date | None
    date_to: dt.date
    opening: str
    debit: str
    credit: str
    closing: str
    lines: list[LedgerLineOut]
    next_cursor: str | None


class RevaluationIn(Request):
    date: dt.date = Field(description="Period end; the reversal is posted the next day")


class RevaluationOut(BaseModel):
    entry: EntryOut | None
    reversal: EntryOut | None


class JournalReportOut(BaseModel):
    journal: str
    currency: str
    date_from: dt.date | None
    date_to: dt.date
    debit: str
    credit: str
    entries: list[EntryOut]


class ImportSummaryOut(BaseModel):
    entries: int
    lines: int
    entry_ids: list[uuid.UUID]
    dry_run: bool


class FileFingerprint(BaseModel):
    """What identifies an uploaded file for idempotency: its text and the options."""

    text: str
    options: str
