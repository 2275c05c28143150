"""Request and response bodies of the VAT return API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LayoutName = Literal["fr_ca3", "zm", "generic"]
VatFormat = Literal["json", "csv", "pdf"]


class VatBoxOut(BaseModel):
    code: str = Field(description="The box as the form numbers it", examples=["08"])
    label: str = Field(examples=["Taux normal 20 %"])
    label_en: str = Field(examples=["Standard rate 20 %"])
    base: str | None = Field(
        description="The taxable base beside the VAT, where the form has one", examples=["1000.00"]
    )
    amount: str = Field(description="What the box declares", examples=["200.00"])
    drillable: bool = Field(
        description="The lines behind it are listed by GET /api/v1/accounting/vat/lines; "
        "false for boxes computed from other boxes"
    )


class VatSectionOut(BaseModel):
    code: str = Field(examples=["B"])
    label: str = Field(examples=["TVA brute"])
    label_en: str = Field(examples=["Gross VAT"])
    boxes: list[VatBoxOut]


class VatUnmappedOut(BaseModel):
    tax_code: str = Field(examples=["OLD-19.6"])
    account: str = Field(description="Code of the account the lines are on", examples=["44571"])
    debit: str = Field(examples=["0.00"])
    credit: str = Field(examples=["19.60"])
    reason: Literal["unknown_tax", "account_not_of_tax", "no_box"] = Field(
        description="`unknown_tax`: no tax of the organization has this code; "
        "`account_not_of_tax`: a tax line on an account that is none of its tax's; "
        "`no_box`: no box of the return declares it (a tax without the box codes the "
        "layout picks it by, e.g. no `return_box` or `deductible_box` on a French return); "
        "the totals do count it, so fix the tax's boxes before filing"
    )


class VatDifferenceOut(BaseModel):
    box: str = Field(description="Box code (`<code>.base` for its base)", examples=["08"])
    filed: str = Field(examples=["200.00"])
    now: str = Field(examples=["210.00"])


class VatFiledOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01939d2f-6a77-7188-d299-f3aae4bbf5cc",
                    "layout": "fr_ca3",
                    "period_start": "2026-01-01",
                    "period_end": "2026-03-31",
                    "currency": "EUR",
                    "boxes": {"08": "200.00", "08.base": "1000.00", "16": "200.00"},
                    "net_due": "200.00",
                    "reference": "CA3 2026-Q1",
                    "filed_at": "2026-04-15T09:30:00Z",
                    "filed_by_id": "01939d2f-7b88-7299-e3aa-04bbf5cc06dd",
                }
            ]
        }
    )

    id: uuid.UUID
    layout: LayoutName
    period_start: date
    period_end: date
    currency: str
    boxes: dict[str, str] = Field(
        description="Box code -> amount as filed; `<code>.base` holds a box's base"
    )
    net_due: str = Field(description="VAT to pay; negative for a credit carried forward")
    reference: str | None
    filed_at: datetime
    filed_by_id: uuid.UUID | None


class VatFiledPage(BaseModel):
    items: list[VatFiledOut]
    next_cursor: str | None


class VatReturnOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "period": "2026-Q1",
                    "date_from": "2026-01-01",
                    "date_to": "2026-03-31",
                    "layout": "fr_ca3",
                    "title": "Déclaration de TVA CA3 (3310-CA3-SD)",
                    "currency": "EUR",
                    "sections": [
                        {
                            "code": "B",
                            "label": "TVA brute",
                            "label_en": "Gross VAT",
                            "boxes": [
                                {
                                    "code": "08",
                                    "label": "Taux normal 20 %",
                                    "label_en": "Standard rate 20 %",
                                    "base": "1000.00",
                                    "amount": "200.00",
                                    "drillable": True,
                                }
                            ],
                        }
                    ],
                    "net_due": "200.00",
                    "credit": "0.00",
                    "filed": None,
                    "differences": [],
                    "unmapped": [],
                }
            ]
        }
    )

    period: str = Field(description="`2026-03`, `2026-Q1`, `2026` or `from..to`")
    date_from: date
    date_to: date
    layout: LayoutName
    title: str
    currency: str
    sections: list[VatSectionOut]
    net_due: str = Field(description="VAT to pay; negative when the period ends in a credit")
    credit: str = Field(description="The credit to carry forward (0 when VAT is due)")
    filed: VatFiledOut | None = Field(description="The return as filed, if this period is filed")
    differences: list[VatDifferenceOut] = Field(
        description="Boxes whose filed amount differs from the ledger now (late entries)"
    )
    unmapped: list[VatUnmappedOut] = Field(
        description="Ledger lines whose tax code no box takes: check them before filing"
    )


class VatLineOut(BaseModel):
    line_id: uuid.UUID
    entry_id: uuid.UUID
    entry_number: str | None = Field(examples=["VT-2026-00042"])
    journal: str = Field(examples=["VT"])
    date: date
    account: str = Field(examples=["44571"])
    label: str | None = Field(examples=["Invoice F-2026-0007"])
    party_id: uuid.UUID | None
    party_name: str | None = Field(examples=["Dupont SARL"])
    tax_code: str = Field(examples=["FR-20"])
    base: str = Field(examples=["1000.00"])
    amount: str = Field(description="VAT the line collects or deducts", examples=["200.00"])
    value: str = Field(
        description="What the line adds to the box (its base or its VAT, as the box "
        "declares); the values of all the box's lines add up to the box",
        examples=["200.00"],
    )


class VatLinePage(BaseModel):
    items: list[VatLineOut]
    next_cursor: str | None


class VatMonthOut(BaseModel):
    month: str = Field(examples=["2026-03"])
    collected: str = Field(examples=["1200.00"])
    deductible: str = Field(examples=["450.00"])


class VatMonthlyOut(BaseModel):
    year: int = Field(examples=[2026])
    currency: str = Field(examples=["EUR"])
    months: list[VatMonthOut]


class VatFileIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"period": "2026-Q1", "reference": "CA3 2026-Q1"}]},
    )

    period: str | None = Field(
        default=None, max_length=30, description="`2026-03`, `2026-Q1` or `2026`"
    )
    date_from: date | None = Field(default=None, description="With date_to, instead of period")
    date_to: date | None = None
    layout: LayoutName | None = Field(
        default=None, description="By default the one of the organization's country"
    )
    reference: str | None = Field(
        default=None, max_length=100, description="The tax office's reference, for you"
    )
