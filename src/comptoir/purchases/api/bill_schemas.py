"""Request and response bodies of the bills and supplier credit notes API. Amounts are
decimal strings in the document's currency ("1234.50"), quantities and rates too; never
floats."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field, StrictBool

from comptoir.parties.schemas import PaymentTerms
from comptoir.purchases.schemas import ApprovalOut, HistoryOut, Request

Decimalish = str | int


class BillLineIn(Request):
    product: str | None = Field(
        default=None,
        max_length=64,
        description="A product's id or SKU: the description and the account default from it",
    )
    description: str | None = Field(default=None, max_length=2000)
    quantity: Decimalish = Field(default="1", description='Decimal string, e.g. "2" or "1.5"')
    unit_price: Decimalish | None = Field(
        default=None, description="Decimal string; tax included when the bill says so"
    )
    discount_percent: Decimalish = Field(default="0", description="0 to 100")
    tax_codes: list[str] = Field(
        default_factory=list,
        max_length=5,
        description="Tax codes (GET /api/v1/taxes); the deductible part is posted to each "
        "tax's deductible account. [] for no tax",
    )
    account: str | None = Field(
        default=None,
        max_length=64,
        description="Expense or fixed-asset account, code or id (not a heading); defaults "
        "to the product's expense account",
    )


class BillFields(Request):
    supplier: str | None = Field(default=None, max_length=64, description="Supplier id or code")
    supplier_number: str | None = Field(
        default=None,
        max_length=60,
        description="The supplier's own number of the document; needed to submit or post",
    )
    issue_date: date | None = Field(
        default=None, description="The supplier's date (the entry's date); defaults to today"
    )
    due_date: date | None = Field(
        default=None, description="Defaults to the date plus the payment terms"
    )
    payment_terms: PaymentTerms | None = Field(
        default=None, description="Defaults to the supplier's, then net_30"
    )
    currency: str | None = Field(
        default=None, max_length=3, description="Defaults to the supplier's, then the base one"
    )
    prices_include_tax: StrictBool | None = None
    notes: str | None = Field(default=None, max_length=5000)
    project: str | None = Field(default=None, max_length=60, description="For cost reports")
    lines: list[BillLineIn] | None = Field(
        default=None, max_length=200, description="At most 200; replace all the lines"
    )


class BillIn(BillFields):
    supplier: str = Field(max_length=64, description="Supplier id or code")
    lines: list[BillLineIn] = Field(default_factory=list, max_length=200)


class BillUpdate(BillFields):
    pass


class CreditNoteIn(BillFields):
    bill: str | None = Field(
        default=None,
        max_length=64,
        description="The posted bill corrected (id): supplier and currency come from it, "
        "and its lines unless `lines` says which part is credited",
    )


class CancelIn(Request):
    supplier_number: str = Field(
        min_length=1, max_length=60, description="The number of the supplier's credit note"
    )
    issue_date: date | None = Field(
        default=None, description="The credit note's date; defaults to today (or the bill's)"
    )


class ApplicationIn(Request):
    bill: str = Field(max_length=64, description="Bill id or the supplier's number")
    amount: Decimalish = Field(description="Decimal string in the credit note's currency")


class ApplyIn(Request):
    allocations: list[ApplicationIn] = Field(min_length=1, max_length=100)
    date: dt.date | None = Field(default=None, description="Defaults to today")


class PartyRef(BaseModel):
    id: uuid.UUID
    code: str
    name: str


class BillLineOut(BaseModel):
    id: uuid.UUID
    product_id: uuid.UUID | None
    description: str
    quantity: str
    unit_price: str
    discount_percent: str
    tax_codes: list[str]
    account: str = Field(description="The account's code")
    account_id: uuid.UUID
    net: str
    tax: str
    gross: str


class TaxOut(BaseModel):
    code: str
    rate: str
    base: str
    amount: str


class DuplicateOut(BaseModel):
    id: uuid.UUID
    supplier_number: str | None
    issue_date: date


class AllocationOut(BaseModel):
    id: uuid.UUID
    date: dt.date
    amount: str
    bill_id: uuid.UUID
    payment_id: uuid.UUID | None
    credit_note_id: uuid.UUID | None


class BillSummary(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="bill or credit_note")
    status: str
    overdue: bool
    supplier: PartyRef
    supplier_number: str | None
    issue_date: date
    due_date: date | None
    currency: str
    net: str
    tax: str
    gross: str
    settled: str = Field(description="Bills: paid or credited; credit notes: applied")
    amount_due: str = Field(description="Bills: still to pay; credit notes: still to use")
    duplicate_of: DuplicateOut | None = Field(
        description="Another document of this supplier with the same number: check it"
    )
    project: str | None
    created_at: datetime


class BillOut(BillSummary):
    payment_terms: str | None
    exchange_rate: str
    prices_include_tax: bool
    notes: str | None
    bill_id: uuid.UUID | None = Field(description="Credit notes: the bill corrected")
    lines: list[BillLineOut]
    taxes: list[TaxOut] = Field(description="The taxes charged, which add up to `tax`")
    self_assessed_taxes: list[TaxOut] = Field(
        description="VAT you owe and deduct under a reverse charge (e.g. FR-AI-S-20): posted "
        "both due and deductible, outside `tax` and `gross`, not paid to the supplier"
    )
    submitted_at: datetime | None
    approval: ApprovalOut
    rejection_reason: str | None
    posted_at: datetime | None
    paid_at: datetime | None
    entry_id: uuid.UUID | None
    allocations: list[AllocationOut]
    history: list[HistoryOut]
    updated_at: datetime


class BillPage(BaseModel):
    items: list[BillSummary]
    next_cursor: str | None
