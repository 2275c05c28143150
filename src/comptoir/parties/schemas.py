"""Request and response bodies of the customer and supplier API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

PaymentTerms = Literal[
    "due_on_receipt",
    "net_7",
    "net_15",
    "net_30",
    "net_45",
    "net_60",
    "end_of_month",
    "net_30_end_of_month",
    "net_45_end_of_month",
]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=5000)


class AddressIn(Request):
    line1: str | None = Field(default=None, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)


class ShippingAddressIn(AddressIn):
    country: str | None = Field(
        default=None, max_length=2, description="Defaults to the billing country"
    )


class ContactIn(Request):
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    role: str | None = Field(default=None, max_length=100, examples=["Accounts payable"])


class PartyFields(Request):
    code: str | None = Field(
        default=None, max_length=30, description="Auxiliary account code; generated if left out"
    )
    kind: Literal["company", "individual"] | None = None
    email: str | None = Field(default=None, max_length=320, examples=["ap@acme.test"])
    phone: str | None = Field(default=None, max_length=40, description="Stored in E.164")
    website: str | None = Field(default=None, max_length=200)
    vat_number: str | None = Field(
        default=None, max_length=30, description="Checked with its country's rule"
    )
    company_number: str | None = Field(
        default=None, max_length=40, description="SIREN/SIRET in France, TPIN in Zambia"
    )
    currency: str | None = Field(default=None, max_length=3, description="Of its documents")
    language: str | None = Field(default=None, max_length=20, description="Of its documents")
    payment_terms: PaymentTerms | None = None
    billing_address: AddressIn | None = None
    shipping_address: ShippingAddressIn | None = Field(
        default=None, description="null: goods go to the billing address"
    )
    notes: str | None = Field(default=None, max_length=5000)
    contacts: list[ContactIn] | None = Field(
        default=None, max_length=50, description="Replaces the list; the first is the main one"
    )
    is_customer: StrictBool | None = None
    is_supplier: StrictBool | None = None


class PartyIn(PartyFields):
    name: str = Field(max_length=200, examples=["Acme"])
    country: str | None = Field(
        default=None, max_length=2, description="Defaults to the organization's", examples=["FR"]
    )


class PartyUpdate(PartyFields):
    name: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, max_length=2)
    archived: StrictBool | None = Field(default=None, description="true archives, false restores")


class AddressOut(BaseModel):
    line1: str | None
    line2: str | None
    postal_code: str | None
    city: str | None
    region: str | None
    country: str | None


class ContactOut(BaseModel):
    id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    role: str | None


class PartyOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    kind: str
    is_customer: bool
    is_supplier: bool
    email: str | None
    phone: str | None
    website: str | None
    vat_number: str | None
    company_number: str | None
    country: str
    currency: str | None
    language: str | None
    payment_terms: str
    billing_address: AddressOut
    shipping_address: AddressOut | None
    notes: str | None
    contacts: list[ContactOut]
    archived: bool
    created_at: datetime
    updated_at: datetime


class PartyPage(BaseModel):
    items: list[PartyOut]
    next_cursor: str | None


class ImportRowError(BaseModel):
    row: int | None
    column: str
    message: str


class ImportOut(BaseModel):
    dry_run: bool
    rows: int
    created: int
    errors: list[ImportRowError]
    preview: list[PartyOut] = Field(description="What would be created, on a dry run")
