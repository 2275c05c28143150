"""Request and response bodies of the expenses, reimbursements and receipts API. Amounts are
decimal strings in the expense's currency ("12.50"), never floats."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from comptoir.purchases.schemas import ActorOut, Request

# Shared with the bills API, and named here for the expenses routes.
from comptoir.purchases.schemas import ApprovalOut as ApprovalOut
from comptoir.purchases.schemas import HistoryOut as HistoryOut
from comptoir.purchases.schemas import RejectIn as RejectIn

Decimalish = str | int


class ExpenseFields(Request):
    date: dt.date | None = Field(default=None, description="The receipt's date; default today")
    supplier: str | None = Field(
        default=None, max_length=64, description="A supplier's id or code, if it is one"
    )
    supplier_name: str | None = Field(
        default=None, max_length=200, description="The name on the receipt, when no supplier"
    )
    description: str | None = Field(default=None, max_length=200, description="What was bought")
    amount: Decimalish | None = Field(
        default=None, description='Tax included, a decimal string such as "12.00"'
    )
    currency: str | None = Field(
        default=None, max_length=3, description="Defaults to the organization's base currency"
    )
    tax_code: str | None = Field(
        default=None,
        max_length=30,
        description="One tax of the organization (GET /api/v1/taxes), e.g. FR-20; none: no tax",
    )
    category: str | None = Field(
        default=None,
        max_length=64,
        description="A category key (GET /api/v1/expenses/categories) or an expense "
        "account's code or id",
    )
    paid_by: Literal["company", "employee"] | None = Field(
        default=None, description="company (default) or employee (to be reimbursed)"
    )
    account: str | None = Field(
        default=None,
        max_length=64,
        description="Paid by the company: the bank or cash account's code or id; default "
        "the first bank account",
    )
    employee: str | None = Field(
        default=None,
        max_length=254,
        description="Paid by an employee: the member's user id or e-mail; default you (an "
        "administrator may name another member)",
    )
    project: str | None = Field(default=None, max_length=60, description="A project tag")
    note: str | None = Field(default=None, max_length=5000)


class ExpenseIn(ExpenseFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "date": "2026-03-02",
                    "supplier_name": "Taxi Parisien",
                    "description": "Taxi to the client",
                    "amount": "24.00",
                    "tax_code": "FR-10",
                    "category": "travel",
                    "paid_by": "employee",
                }
            ]
        },
    )

    description: str = Field(max_length=200, description="What was bought")
    amount: Decimalish = Field(description='Tax included, a decimal string such as "12.00"')
    category: str = Field(
        max_length=64,
        description="A category key (GET /api/v1/expenses/categories) or an expense "
        "account's code or id",
    )


class ExpenseUpdate(ExpenseFields):
    pass


class ReimbursementIn(Request):
    employee: str = Field(max_length=254, description="The member's user id or e-mail")
    expenses: list[str] = Field(
        min_length=1,
        max_length=200,
        description="Ids of posted expenses the employee paid, in one currency",
    )
    date: dt.date | None = Field(default=None, description="Default today")
    account: str | None = Field(
        default=None,
        max_length=64,
        description="Bank or cash account code or id; default the first bank account",
    )
    method: str = Field(
        default="bank_transfer",
        max_length=20,
        description="bank_transfer, card, cash, cheque, direct_debit, mobile_money, online, other",
    )
    reference: str | None = Field(default=None, max_length=100)


# A member named in a history is a Ref too.
class Ref(ActorOut):
    name: str


class CategoryRef(BaseModel):
    code: str
    name: str


class ExpenseOut(BaseModel):
    id: uuid.UUID
    status: str
    date: dt.date
    supplier: Ref | None
    supplier_name: str | None
    description: str | None
    amount: str = Field(description="Tax included")
    net: str
    tax: str
    currency: str
    tax_code: str | None
    category: CategoryRef
    paid_by: str
    account: str | None = Field(description="Paid by the company: the bank or cash account")
    employee: Ref | None = Field(description="Paid by an employee: who is reimbursed")
    project: str | None
    note: str | None
    approval: ApprovalOut
    rejection_reason: str | None
    entry_id: uuid.UUID | None
    reimbursement_id: uuid.UUID | None
    receipts: int = Field(description="How many receipts are attached")
    history: list[HistoryOut]
    created_at: dt.datetime


class ExpensePage(BaseModel):
    items: list[ExpenseOut]
    next_cursor: str | None


class CategoryOut(BaseModel):
    key: str | None = Field(description="The friendly category's key; null: a plain account")
    label: str
    account: CategoryRef


class SuggestionOut(BaseModel):
    category: CategoryRef | None
    tax_code: str | None


class ReimbursementOut(BaseModel):
    id: uuid.UUID
    employee: Ref
    date: dt.date
    amount: str
    currency: str
    method: str
    account: str
    reference: str | None
    entry_id: uuid.UUID | None
    expenses: list[uuid.UUID]
    created_at: dt.datetime


class ReimbursementPage(BaseModel):
    items: list[ReimbursementOut]
    next_cursor: str | None


class ReceiptOut(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    uploaded_at: dt.datetime
    uploaded_by: uuid.UUID | None
    url: str = Field(description="Opens the file until expires_at, without logging in")
    thumbnail_url: str | None = Field(description="Images only")
    expires_at: dt.datetime
