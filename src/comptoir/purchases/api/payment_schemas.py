"""Request and response bodies of the supplier payments API and the aged payables report.
Amounts are decimal strings in the payment's currency ("1234.50"), never floats."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from comptoir.purchases.api.bill_schemas import Decimalish, PartyRef
from comptoir.purchases.schemas import Request


class BillAllocationIn(Request):
    bill: str = Field(max_length=64, description="Bill id or the supplier's number")
    amount: Decimalish = Field(description='Decimal string in the payment\'s currency, "600.00"')


class CreditNoteAllocationIn(Request):
    credit_note: str = Field(max_length=64, description="Supplier credit note id")
    amount: Decimalish = Field(description='Decimal string in the payment\'s currency, "50.00"')


class SupplierPaymentIn(Request):
    supplier: str = Field(max_length=64, description="Supplier id or code")
    direction: Literal["out", "in"] = Field(
        default="out", description="out: paid to the supplier; in: a refund from the supplier"
    )
    date: dt.date | None = Field(default=None, description="Defaults to today")
    amount: Decimalish = Field(description='Decimal string, e.g. "600.00"')
    currency: str | None = Field(
        default=None, max_length=3, description="Defaults to the supplier's, then the base one"
    )
    method: str = Field(
        default="bank_transfer",
        max_length=20,
        description="bank_transfer, card, cash, cheque, direct_debit, mobile_money, online, other",
    )
    account: str | None = Field(
        default=None,
        max_length=64,
        description="Bank or cash account code or id; defaults to the first cash account "
        "for cash, else the first bank account",
    )
    reference: str | None = Field(
        default=None, max_length=100, description="The transfer's or cheque's reference"
    )
    notes: str | None = Field(default=None, max_length=5000)
    allocations: list[BillAllocationIn | CreditNoteAllocationIn] = Field(
        default_factory=list,
        max_length=200,
        description="Payments made: [{bill, amount}]; refunds: [{credit_note, amount}]. "
        "Together at most the amount; what is not allocated is an advance to the supplier",
    )


class AllocateIn(Request):
    allocations: list[BillAllocationIn] = Field(min_length=1, max_length=200)
    date: dt.date | None = Field(
        default=None,
        description="Defaults to today; not before the payment (nor, in effect, the bill)",
    )


class PaymentAllocationOut(BaseModel):
    id: uuid.UUID
    date: dt.date
    amount: str
    bill_id: uuid.UUID | None = Field(description="Payments made: the bill settled")
    credit_note_id: uuid.UUID | None = Field(
        description="Refunds received: the supplier credit note refunded"
    )
    supplier_number: str | None = Field(description="The supplier's number of that document")


class SupplierPaymentOut(BaseModel):
    id: uuid.UUID
    supplier: PartyRef
    direction: str = Field(description="out: paid to the supplier; in: refunded by the supplier")
    date: dt.date
    amount: str
    currency: str
    exchange_rate: str = Field(description="Units of the base currency for one unit")
    method: str
    account: str = Field(description="The bank or cash account's code")
    reference: str | None
    notes: str | None
    allocated: str
    unallocated: str = Field(description="Payments made: the advance still to allocate")
    entry_id: uuid.UUID | None
    allocations: list[PaymentAllocationOut]
    created_at: datetime


class SupplierPaymentPage(BaseModel):
    items: list[SupplierPaymentOut]
    next_cursor: str | None


class AgedPayablesTotals(BaseModel):
    currency: str
    not_due: str
    days_1_30: str
    days_31_60: str
    days_61_90: str
    over_90: str
    unapplied_credit: str = Field(
        description="Advances paid and supplier credit notes not yet used, less refunds "
        "received beyond them"
    )
    total: str = Field(description="The buckets less the unapplied credit")


class AgedPayablesRow(AgedPayablesTotals):
    supplier: PartyRef


class AgedPayables(BaseModel):
    as_of: dt.date
    currency: str
    rows: list[AgedPayablesRow]
    totals: AgedPayablesTotals
