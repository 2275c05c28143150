"""Request and response bodies of the tax API. Amounts, rates and quantities travel as
decimal strings."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

Number = StrictStr | StrictInt
Kind = Literal["percent", "fixed"]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=5000)


class TaxOut(BaseModel):
    id: uuid.UUID
    code: str
    label: str
    kind: Kind
    rate: str = Field(description="Percent, for percent taxes", examples=["20"])
    amount: str = Field(description="Per unit, for fixed taxes", examples=["0"])
    price_included: bool
    compound: bool
    sequence: int
    category: str
    treatment: str
    supply: Literal["any", "goods", "services"]
    country: str | None
    region: str | None
    exigibility: Literal["invoice", "payment"]
    collected_account: str | None = Field(description="Account code")
    deductible_account: str | None
    pending_account: str | None
    base_box: str | None
    return_box: str | None
    deductible_box: str | None
    mention: str | None
    origin: Literal["template", "custom"]
    active: bool


class TaxCreate(Request):
    code: str = Field(max_length=30, examples=["US-CA-LA"])
    label: str = Field(max_length=200, examples=["Los Angeles County district tax"])
    kind: Kind = "percent"
    rate: Number | None = Field(default=None, examples=["2.25"])
    amount: Number | None = Field(default=None, description="Per unit, for fixed taxes")
    price_included: StrictBool = False
    compound: StrictBool = False
    sequence: StrictInt = 100
    category: str = Field(default="standard", max_length=20)
    treatment: str = Field(default="domestic", max_length=30)
    supply: Literal["any", "goods", "services"] = "any"
    exigibility: Literal["invoice", "payment"] = "invoice"
    collected_account: str | None = Field(default=None, max_length=40)
    deductible_account: str | None = Field(default=None, max_length=40)
    pending_account: str | None = Field(default=None, max_length=40)
    base_box: str | None = Field(default=None, max_length=10)
    return_box: str | None = Field(default=None, max_length=10)
    deductible_box: str | None = Field(default=None, max_length=10)
    mention: str | None = Field(default=None, max_length=300)


class TaxUpdate(Request):
    label: str | None = Field(default=None, max_length=200)
    rate: Number | None = None
    amount: Number | None = None
    price_included: StrictBool | None = None
    compound: StrictBool | None = None
    sequence: StrictInt | None = None
    category: str | None = Field(default=None, max_length=20)
    treatment: str | None = Field(default=None, max_length=30)
    supply: Literal["any", "goods", "services"] | None = None
    exigibility: Literal["invoice", "payment"] | None = None
    collected_account: str | None = Field(default=None, max_length=40)
    deductible_account: str | None = Field(default=None, max_length=40)
    pending_account: str | None = Field(default=None, max_length=40)
    base_box: str | None = Field(default=None, max_length=10)
    return_box: str | None = Field(default=None, max_length=10)
    deductible_box: str | None = Field(default=None, max_length=10)
    mention: str | None = Field(default=None, max_length=300)
    active: StrictBool | None = None


class CalculationLineIn(Request):
    quantity: Number = Field(examples=["3"])
    unit_price: Number = Field(examples=["19.99"])
    discount_percent: Number = Field(default="0", examples=["10"])
    tax_codes: list[StrictStr] = Field(default_factory=list, max_length=5, examples=[["FR-20"]])


class CalculationIn(Request):
    currency: str = Field(max_length=3, examples=["EUR"])
    prices_include_tax: StrictBool = False
    rounding: Literal["line", "document"] | None = Field(
        default=None, description="Defaults to the organization's setting"
    )
    lines: list[CalculationLineIn] = Field(max_length=1000)


class LineTaxOut(BaseModel):
    code: str
    base: str
    amount: str
    self_assessed: bool | None = Field(
        default=None,
        description="Present (true) only on a tax the buyer self-assesses: not in the "
        "line's `tax` nor `gross`",
    )


class CalculationLineOut(BaseModel):
    net: str
    tax: str
    gross: str
    taxes: list[LineTaxOut]
    self_assessed: str | None = Field(
        default=None,
        description="Present only on a line with taxes the buyer self-assesses: their "
        "amount, outside `tax` and `gross`",
    )


class TaxTotalOut(BaseModel):
    code: str
    rate: str
    kind: Kind
    base: str
    amount: str
    self_assessed: bool | None = Field(
        default=None,
        description="Present (true) only on a tax the buyer owes and deducts (a reverse "
        "charge with a rate): not in `totals.tax` nor `totals.gross`, not paid to the supplier",
    )


class TotalsOut(BaseModel):
    net: str
    tax: str = Field(description="Taxes charged: net + tax = gross, what the seller is paid")
    gross: str


class CalculationOut(BaseModel):
    currency: str
    prices_include_tax: bool
    rounding: Literal["line", "document"]
    lines: list[CalculationLineOut]
    taxes: list[TaxTotalOut]
    totals: TotalsOut
    self_assessed: str = Field(
        default="0",
        description="Taxes the buyer self-assesses (due and deductible), outside the "
        "totals: the supplier is paid `totals.gross`",
        examples=["200.00"],
    )


class TaxSettingsOut(BaseModel):
    rounding: Literal["line", "document"]


class TaxSettingsIn(Request):
    rounding: Literal["line", "document"]


class ResolveIn(Request):
    buyer_country: str = Field(max_length=2, examples=["DE"], description="ISO 3166 alpha-2")
    buyer_region: str | None = Field(
        default=None, max_length=30, description="US state for sales tax", examples=["CA"]
    )
    buyer_vat_number: str | None = Field(
        default=None,
        max_length=64,
        description="Makes the buyer a VAT-registered business; checked, 422 when invalid",
        examples=["DE136695976"],
    )
    buyer_is_business: StrictBool | None = Field(
        default=None, description="A business without a VAT number (matters for services)"
    )
    category: str = Field(
        default="standard",
        max_length=20,
        description="standard, reduced, reduced_2, reduced_3, super_reduced, parking, zero, exempt",
    )
    supply: Literal["goods", "services"] = "goods"
    domestic_reverse_charge: StrictBool = Field(
        default=False, description="The product falls under a domestic reverse charge"
    )


class ResolveOut(BaseModel):
    code: str = Field(description="The tax to put on the line", examples=["EU-RC-S"])
    label: str
    rate: str
    kind: Kind
    treatment: str = Field(examples=["reverse_charge"])
    rule: str = Field(description="The rule that decided", examples=["intra_eu_b2b_services"])
    place: Literal["domestic", "intra_eu", "abroad"]
    buyer_status: Literal["business_vat", "business", "consumer"]
    mention: str | None = Field(description="Legal mention to print on the document")


class ValidateIdIn(Request):
    kind: Literal["vat", "siren", "siret", "iban", "bic", "tpin", "phone"]
    value: StrictStr = Field(max_length=200, examples=["FR40303265045"])
    country: str | None = Field(
        default=None, max_length=2, description="Where a number without prefix comes from"
    )
    online: StrictBool | None = Field(
        default=None,
        description="Also ask VIES (VAT only); defaults to on when the server enables VIES",
    )


class OnlineCheckOut(BaseModel):
    checked: bool = Field(description="Whether VIES answered")
    registered: bool | None
    name: str | None
    address: str | None
    message: str


class ValidateIdOut(BaseModel):
    kind: str
    valid: bool
    normalized: str | None
    reason: str | None
    rule: str | None = Field(
        description="The rule that failed: format, length, checksum, country, empty"
    )
    online: OnlineCheckOut | None = None
