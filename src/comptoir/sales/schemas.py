"""Request and response bodies of the sales API. Amounts are decimal strings in the
document's currency ("1234.50"), quantities and rates too; never floats."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

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
