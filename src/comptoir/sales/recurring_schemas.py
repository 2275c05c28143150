"""Request and response bodies of recurring invoices."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool

from comptoir.parties.schemas import PaymentTerms
from comptoir.sales.schemas import LineIn, PartyRef, Request

Frequency = Literal["weekly", "monthly", "quarterly", "yearly"]
Action = Literal["draft", "issue", "issue_and_send"]


class RecurringFields(Request):
    name: str | None = Field(default=None, max_length=200, description="For you, not printed")
    customer: str | None = Field(default=None, max_length=64, description="Customer id or code")
    currency: str | None = Field(
        default=None, max_length=3, description="Defaults to the customer's, then the base one"
    )
    prices_include_tax: StrictBool | None = None
    payment_terms: PaymentTerms | None = Field(
        default=None, description="Each invoice's due date; defaults to the customer's"
    )
    reference: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=5000, description="Printed on each PDF")
    language: str | None = Field(default=None, max_length=20)
    lines: list[LineIn] | None = Field(
        default=None,
        max_length=500,
        description="As for an invoice; a product line without a price takes the product's "
        "price of the day each invoice is made",
    )
    frequency: Frequency | None = None
    interval: int | None = Field(
        default=None, description="Every N weeks, months, quarters or years (1 to 52)"
    )
    start_date: date | None = Field(
        default=None, description="The first invoice's date; defaults to today"
    )
    end_date: date | None = Field(default=None, description="No invoice after this date")
    action: Action | None = Field(
        default=None,
        description="draft (default): a draft to review; issue: issued; issue_and_send: "
        "issued and e-mailed to the customer",
    )


class RecurringIn(RecurringFields):
    name: str = Field(max_length=200, description="For you, not printed")
    customer: str = Field(max_length=64, description="Customer id or code")
    lines: list[LineIn] = Field(max_length=500)
    frequency: Frequency


class RecurringUpdate(RecurringFields):
    next_date: date | None = Field(
        default=None,
        description="Move the next invoice's date (skip dates missed while paused); the "
        "dates after it follow the start date's day",
    )


class RecurringOut(BaseModel):
    id: uuid.UUID
    name: str
    customer: PartyRef
    currency: str
    prices_include_tax: bool
    payment_terms: str | None
    reference: str | None
    notes: str | None
    language: str | None
    lines: list[dict[str, Any]]
    frequency: str
    interval: int
    start_date: date
    end_date: date | None
    next_date: date | None = Field(description="The next invoice's date; null once ended")
    action: str
    status: Literal["active", "paused", "ended"]
    invoices_created: int
    last_invoice_id: uuid.UUID | None
    last_error: str | None = Field(description="Why the last run failed and paused it")
    created_at: datetime
    updated_at: datetime


class RecurringPage(BaseModel):
    items: list[RecurringOut]
    next_cursor: str | None
