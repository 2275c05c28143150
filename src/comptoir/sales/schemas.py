"""Request and response bodies of the sales API. Amounts are decimal strings in the
document's currency ("1234.50"), quantities and rates too; never floats."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool
from pydantic.json_schema import SkipJsonSchema

from comptoir.parties.schemas import PaymentTerms

Decimalish = str | int
DocumentStatus = Literal["draft", "issued", "sent", "partially_paid", "paid", "cancelled"]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=5000)


class LineIn(Request):
    product: str | None = Field(
        default=None,
        max_length=64,
        description="A product's id or SKU: description, unit, price, tax and account "
        "default from it",
    )
    description: str | None = Field(default=None, max_length=2000)
    quantity: Decimalish = Field(default="1", description='Decimal string, e.g. "2" or "1.5"')
    unit: str | None = Field(default=None, max_length=20)
    unit_price: Decimalish | None = Field(
        default=None, description="Decimal string; tax included when the document says so"
    )
    discount_percent: Decimalish = Field(default="0", description="0 to 100")
    tax_codes: list[str] | None = Field(
        default=None,
        max_length=5,
        description="Tax codes (GET /api/v1/taxes). Leave out to let the tax engine choose "
        "from the customer and the product; [] for no tax",
    )
    account: str | None = Field(
        default=None,
        max_length=64,
        description="Revenue account code or id; defaults to the product's, then the chart's",
    )


class DocumentFields(Request):
    customer: str | None = Field(default=None, max_length=64, description="Customer id or code")
    issue_date: date | None = Field(default=None, description="Defaults to today")
    due_date: date | None = Field(
        default=None, description="Invoices: defaults to the issue date plus payment terms"
    )
    currency: str | None = Field(
        default=None, max_length=3, description="Defaults to the customer's, then the base one"
    )
    prices_include_tax: StrictBool | None = None
    payment_terms: PaymentTerms | None = Field(
        default=None, description="Defaults to the customer's"
    )
    reference: str | None = Field(default=None, max_length=100, description="Customer's PO")
    notes: str | None = Field(default=None, max_length=5000, description="Printed on the PDF")
    language: str | None = Field(
        default=None, max_length=20, description="en, fr...: defaults to the customer's"
    )
    lines: list[LineIn] | None = Field(default=None, max_length=500)


class InvoiceIn(DocumentFields):
    customer: str = Field(max_length=64, description="Customer id or code")
    lines: list[LineIn] = Field(default_factory=list, max_length=500)


class InvoiceUpdate(DocumentFields):
    pass


class CreditNoteIn(DocumentFields):
    invoice: str | None = Field(
        default=None,
        max_length=64,
        description="The invoice credited: customer and currency come from it, and its "
        "lines unless `lines` says which part is credited",
    )


class AllocationIn(Request):
    invoice: str = Field(max_length=64, description="Invoice id or number")
    amount: Decimalish


class RefundAllocationIn(Request):
    credit_note: str = Field(max_length=64, description="Credit note id")
    amount: Decimalish


class PaymentIn(Request):
    customer: str = Field(max_length=64, description="Customer id or code")
    date: dt.date | None = Field(default=None, description="Defaults to today")
    amount: Decimalish = Field(description='Decimal string, e.g. "600.00"')
    currency: str | None = Field(default=None, max_length=3)
    method: str = Field(
        default="bank_transfer",
        max_length=20,
        description="bank_transfer, card, cash, cheque, direct_debit, mobile_money, online, other",
    )
    account: str | None = Field(
        default=None,
        max_length=64,
        description="Bank or cash account code or id; defaults to the first bank account",
    )
    reference: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=5000)
    direction: Literal["in", "out"] = Field(
        default="in", description="in: received; out: a refund to the customer"
    )
    allocations: list[AllocationIn | RefundAllocationIn] = Field(
        default_factory=list,
        max_length=200,
        description="Received: [{invoice, amount}]; refunds: [{credit_note, amount}]. "
        "What is not allocated is credit on the customer's account",
    )


class AllocateIn(Request):
    allocations: list[AllocationIn] = Field(min_length=1, max_length=200)
    date: dt.date | None = None


class ApplyCreditIn(Request):
    invoice: str = Field(max_length=64, description="Invoice id or number")
    amount: Decimalish


class Totals(BaseModel):
    net: str
    tax: str
    gross: str


class PartyRef(BaseModel):
    id: uuid.UUID
    code: str
    name: str


class LineOut(BaseModel):
    id: uuid.UUID
    product_id: uuid.UUID | None
    description: str
    quantity: str
    unit: str | None
    unit_price: str
    discount_percent: str
    tax_codes: list[str]
    account: str | None
    net: str
    tax: str
    gross: str


class TaxOut(BaseModel):
    code: str
    rate: str
    base: str
    amount: str


class EventOut(BaseModel):
    kind: str
    at: datetime
    detail: dict[str, Any] | None


class SettlementOut(BaseModel):
    id: uuid.UUID
    date: dt.date
    amount: str
    invoice_id: uuid.UUID
    payment_id: uuid.UUID | None
    credit_note_id: uuid.UUID | None


class DocumentSummary(BaseModel):
    id: uuid.UUID
    kind: str
    number: str | None
    status: str
    overdue: bool
    customer: PartyRef
    currency: str
    issue_date: date
    due_date: date | None
    totals: Totals
    amount_due: str
    created_at: datetime


class DocumentOut(DocumentSummary):
    exchange_rate: str
    prices_include_tax: bool
    payment_terms: str | None
    reference: str | None
    notes: str | None
    language: str | None
    valid_until: date | None
    source_id: uuid.UUID | None
    entry_id: uuid.UUID | None
    lines: list[LineOut]
    taxes: list[TaxOut]
    settlements: list[SettlementOut]
    timeline: list[EventOut]
    issued_at: datetime | None
    sent_at: datetime | None
    paid_at: datetime | None
    cancelled_at: datetime | None
    updated_at: datetime


class DocumentPage(BaseModel):
    items: list[DocumentSummary]
    next_cursor: str | None


class PaymentOut(BaseModel):
    id: uuid.UUID
    customer: PartyRef
    direction: str
    date: dt.date
    amount: str
    currency: str
    exchange_rate: str
    method: str
    account: str
    reference: str | None
    notes: str | None
    allocated: str
    unallocated: str
    entry_id: uuid.UUID | None
    allocations: list[SettlementOut]
    created_at: datetime


class PaymentPage(BaseModel):
    items: list[PaymentOut]
    next_cursor: str | None


class AgedTotals(BaseModel):
    currency: str
    not_due: str
    days_1_30: str
    days_31_60: str
    days_61_90: str
    over_90: str
    unapplied_credit: str = Field(description="Payments on account and unused credit notes")
    total: str = Field(description="The buckets less the unapplied credit")


class AgedRow(AgedTotals):
    customer: PartyRef


class AgedReceivables(BaseModel):
    as_of: date
    currency: str
    rows: list[AgedRow]
    totals: AgedTotals


QuoteStatus = Literal[
    "draft",
    "submitted",
    "approved",
    "rejected",
    "sent",
    "accepted",
    "declined",
    "expired",
    "converted",
]


class QuoteFields(DocumentFields):
    valid_until: date | None = Field(
        default=None,
        description="The last day the customer can accept it; defaults to the issue date "
        "plus the organization's quote validity (30 days unless changed)",
    )
    # A quote has no due date: the invoice it becomes gets one from its payment terms.
    due_date: SkipJsonSchema[None] = None


class QuoteIn(QuoteFields):
    customer: str = Field(max_length=64, description="Customer id or code")
    lines: list[LineIn] = Field(default_factory=list, max_length=500)


class QuoteUpdate(QuoteFields):
    pass


class QuoteRejectIn(Request):
    reason: str = Field(min_length=1, max_length=2000, description="What to change")


class QuoteSendIn(Request):
    to: list[str] | None = Field(
        default=None,
        max_length=10,
        description="E-mail addresses; defaults to the customer's (or its billing contact's)",
    )
    subject: str | None = Field(
        default=None, max_length=300, description="Replaces the template's subject"
    )
    message: str | None = Field(
        default=None,
        max_length=20_000,
        description="Replaces the template's text; merge fields such as {portal_link} work",
    )


class QuoteAcceptIn(Request):
    name: str | None = Field(
        default=None,
        max_length=200,
        description="Who accepted on the customer's side, when they told you (by phone, in "
        "a meeting); you are recorded as the one who entered it",
    )


class QuoteDeclineIn(Request):
    reason: str | None = Field(default=None, max_length=2000)


class QuoteApprovalOut(BaseModel):
    submitted_at: datetime | None
    approved_at: datetime | None
    approved_by_id: uuid.UUID | None = Field(description="None when approved automatically")
    automatic: bool = Field(description="Approved at submission: at or under the threshold")
    rejection_reason: str | None


class QuoteAcceptanceOut(BaseModel):
    accepted_at: datetime
    name: str | None = Field(description="The name the customer typed as signature")
    ip: str | None
    user_agent: str | None


class QuoteDeclineOut(BaseModel):
    declined_at: datetime
    reason: str | None


class QuoteSummary(DocumentSummary):
    valid_until: date | None


class QuoteOut(DocumentOut):
    approval: QuoteApprovalOut | None = Field(description="None until submitted")
    acceptance: QuoteAcceptanceOut | None
    decline: QuoteDeclineOut | None
    viewed_at: datetime | None = Field(description="When the customer first opened the link")
    public_url: str | None = Field(
        description="The page where the customer views, accepts or declines it; made when "
        "it is first sent"
    )
    invoice_id: uuid.UUID | None = Field(description="The invoice converted from it")


class QuotePage(BaseModel):
    items: list[QuoteSummary]
    next_cursor: str | None


class SalesSettingsIn(Request):
    invoice_number_format: str | None = Field(
        default=None, max_length=60, description="e.g. F-{YYYY}-{SEQ:05}"
    )
    credit_note_number_format: str | None = Field(default=None, max_length=60)
    quote_number_format: str | None = Field(default=None, max_length=60)
    quote_validity_days: int | None = Field(default=None, description="1 to 365")
    quote_approval_threshold: Decimalish | None = Field(
        default=None,
        description="Quotes over this total (base currency) need an approval; null: never",
    )
    footer: str | None = Field(default=None, max_length=2000)
    bank_name: str | None = Field(default=None, max_length=100)
    iban: str | None = Field(default=None, max_length=50)
    bic: str | None = Field(default=None, max_length=20)
    late_payment_terms: str | None = Field(default=None, max_length=2000)
    reminders_enabled: StrictBool | None = None
    reminder_offsets: list[int] | None = Field(
        default=None,
        max_length=10,
        description="Days relative to the due date (-3: three days before, 7: a week after), "
        "-60 to 365, distinct; stored sorted",
    )


class SalesSettingsOut(BaseModel):
    invoice_number_format: str
    credit_note_number_format: str
    quote_number_format: str
    quote_validity_days: int
    quote_approval_threshold: str | None = Field(description="In the base currency")
    footer: str | None
    bank_name: str | None
    iban: str | None
    bic: str | None
    late_payment_terms: str | None
    reminders_enabled: bool
    reminder_offsets: list[int]
    has_logo: bool = Field(
        default=False, description="Whether a logo prints on documents (see /sales/settings/logo)"
    )


ProviderName = Literal["generic", "stripe"]


class ProviderIn(Request):
    secret: str | None = Field(
        default=None,
        max_length=200,
        description="The signing secret; leave out on creation to have one made (generic). "
        "For Stripe, the endpoint's secret from Stripe's dashboard (whsec_...)",
    )
    account: str | None = Field(
        default=None,
        max_length=64,
        description="Bank or cash account (code or id) the money is booked to; required to connect",
    )
    method: str | None = Field(
        default=None, max_length=20, description="Payment method recorded; defaults to card"
    )
    active: StrictBool | None = Field(
        default=None, description="An inactive connection answers its callbacks 404"
    )


class ProviderOut(BaseModel):
    provider: ProviderName
    name: str
    callback_url: str = Field(description="Where the provider sends its events")
    signature_header: str
    account: str = Field(description="The bank or cash account's code")
    method: str
    active: bool
    secret: str | None = Field(
        description="Only in the answer that made it (creation without a secret, rotation): "
        "copy it then"
    )
    secret_hint: str = Field(description="The secret's first and last characters")
    created_at: datetime


class ProviderEventOut(BaseModel):
    id: uuid.UUID
    event_id: str
    event_type: str
    outcome: Literal["payment_recorded", "ignored", "rejected"]
    detail: str | None
    payment_id: uuid.UUID | None
    received_at: datetime


class ProviderEventPage(BaseModel):
    items: list[ProviderEventOut]
    next_cursor: str | None


class CallbackOut(BaseModel):
    status: Literal["processed", "duplicate"] = Field(
        description="duplicate: this event id was processed before; nothing was done again"
    )
    event_id: str
    outcome: Literal["payment_recorded", "ignored", "rejected"] | None = Field(
        description="What this delivery did; none for a duplicate"
    )
    detail: str | None = Field(description="Why an event was ignored or rejected")
    payment_id: uuid.UUID | None


class StatementLineOut(BaseModel):
    date: dt.date
    kind: Literal["invoice", "credit_note", "payment", "refund"]
    id: uuid.UUID
    number: str | None = Field(description="The document's number, or the payment's reference")
    due_date: dt.date | None
    debit: str
    credit: str
    balance: str = Field(description="The running balance after this line")


class OpenItemOut(BaseModel):
    invoice_id: uuid.UUID
    number: str
    issue_date: dt.date
    due_date: dt.date | None
    amount: str
    settled: str
    due: str
    bucket: Literal["not_due", "days_1_30", "days_31_60", "days_61_90", "over_90"]
    days_late: int


class StatementOut(BaseModel):
    customer: PartyRef
    currency: str
    date_from: dt.date
    date_to: dt.date
    opening_balance: str = Field(description="Owed at the start of date_from")
    total_debit: str = Field(description="Invoices and refunds of the period")
    total_credit: str = Field(description="Credit notes and payments received of the period")
    closing_balance: str = Field(description="Owed at the end of date_to, less credit held")
    lines: list[StatementLineOut]
    open_items: list[OpenItemOut] = Field(description="Invoices still open at date_to")
    ageing: AgedTotals = Field(description="The open items by days past due, as of date_to")
