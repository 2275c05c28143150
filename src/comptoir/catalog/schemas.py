"""Request and response bodies of the product API. Prices travel as decimal strings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

# A price as a decimal string ("12.50") or a whole number; never a float, which would
# not say which digits were meant.
Number = StrictStr | StrictInt
Kind = Literal["goods", "service"]
CATEGORIES = "standard, reduced, reduced_2, reduced_3, super_reduced, parking, zero, exempt"


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=5000)


class ProductFields(Request):
    sku: str | None = Field(
        default=None,
        max_length=64,
        description="Unique in the organization; generated (P-00001, ...) if left out",
        examples=["CONSULT-H"],
    )
    description: str | None = Field(default=None, max_length=5000)
    kind: Kind | None = Field(
        default=None, description="Goods or service: their tax rules differ (default service)"
    )
    unit: str | None = Field(default=None, max_length=20, examples=["hour"])
    unit_price: Number | None = Field(
        default=None,
        description="Price of one unit, excluding tax; up to 6 decimals (default 0)",
        examples=["120.00"],
    )
    currency: str | None = Field(
        default=None, max_length=3, description="Defaults to the organization's base currency"
    )
    tax_category: str | None = Field(
        default=None,
        max_length=20,
        description=f"What the product is taxed as: {CATEGORIES} (default standard)",
    )
    income_account: str | None = Field(
        default=None,
        max_length=40,
        description="Code or id of an income account its sales post to; defaults to the "
        "chart's first sales account, null for none",
        examples=["706"],
    )
    expense_account: str | None = Field(
        default=None,
        max_length=40,
        description="Code or id of an expense or asset account its purchases post to",
        examples=["604"],
    )


class ProductIn(ProductFields):
    name: str = Field(max_length=200, examples=["Consulting, per hour"])


class ProductUpdate(ProductFields):
    name: str | None = Field(default=None, max_length=200)
    active: StrictBool | None = Field(
        default=None, description="false deactivates (offered on no new document), true restores"
    )


class ProductOut(BaseModel):
    id: uuid.UUID
    sku: str
    name: str
    description: str | None
    kind: Kind
    unit: str | None
    unit_price: str = Field(description="Decimal string", examples=["120"])
    currency: str
    tax_category: str
    income_account: str | None = Field(description="Account code")
    expense_account: str | None = Field(description="Account code")
    active: bool
    created_at: datetime
    updated_at: datetime


class ProductPage(BaseModel):
    items: list[ProductOut]
    next_cursor: str | None


class ImportRowError(BaseModel):
    row: int | None
    column: str
    message: str
    code: str


class ImportOut(BaseModel):
    dry_run: bool
    rows: int
    created: int
    errors: list[ImportRowError]
    preview: list[ProductOut] = Field(description="What would be created, on a dry run")
