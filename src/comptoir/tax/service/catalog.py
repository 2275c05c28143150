"""Reference data shipped with Comptoir: VAT rates by country, US state sales-tax rates,
Zambian tax codes, and the taxes a new organization starts with, per country.

A country with a file in ``tax/templates`` (``FR.csv``) starts with exactly those taxes.
Any other country starts with its national VAT rates from ``data/vat_rates.csv``, the
EU's reverse-charge taxes if it is a member state (0 % ones for its sales, and ones at its
standard rate that it self-assesses on services and goods bought from another member
state), export and exempt taxes; Zambia adds the ZRA codes and the United States its
state's base sales-tax rate.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache
from importlib import resources

EU_MEMBERS = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)


@dataclass(frozen=True)
class TaxTemplate:
    code: str
    label: str
    rate: Decimal
    category: str
    treatment: str = "domestic"
    supply: str = "any"
    kind: str = "percent"
    exigibility: str = "invoice"
    # Account codes in the organization's chart, or subtypes (``subtype:tax_collected``).
    collected_account: str = "subtype:tax_collected"
    deductible_account: str = "subtype:tax_deductible"
    pending_account: str = ""
    base_box: str = ""
    return_box: str = ""
    deductible_box: str = ""
    mention: str = ""
    active: bool = True
    country: str = ""
    region: str = ""


@dataclass(frozen=True)
class VatRate:
    country: str
    region: str
    category: str
    rate: Decimal
    label: str
    source: str
    as_of: str


def _rows(package: str, name: str) -> list[dict[str, str]]:
    text = (resources.files("comptoir.tax") / package / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def vat_rates() -> tuple[VatRate, ...]:
    return tuple(
        VatRate(
            row["country"],
            row["region"],
            row["category"],
            Decimal(row["rate"]),
            row["label"],
            row["source"],
            row["as_of"],
        )
        for row in _rows("data", "vat_rates.csv")
    )


@cache
def us_state_rates() -> dict[str, tuple[str, Decimal]]:
    return {
        row["state"]: (row["name"], Decimal(row["rate"]))
        for row in _rows("data", "us_sales_tax.csv")
    }


def _yes(value: str) -> bool:
    return value.strip().lower() in {"yes", "true", "1"}


def _from_template_file(country: str) -> list[TaxTemplate] | None:
    try:
        rows = _rows("templates", f"{country}.csv")
    except FileNotFoundError:
        return None
    return [
        TaxTemplate(
            code=row["code"],
            label=row["label"],
            kind=row["kind"],
            rate=Decimal(row["rate"]),
            category=row["category"],
            treatment=row["treatment"],
            supply=row["supply"],
            exigibility=row["exigibility"],
            collected_account=row["collected_account"],
            deductible_account=row["deductible_account"],
            pending_account=row["pending_account"],
            base_box=row["base_box"],
            return_box=row["return_box"],
            deductible_box=row["deductible_box"],
            mention=row["mention"],
            active=_yes(row["active"]),
            country=country,
        )
        for row in rows
    ]


def _zambian_codes() -> list[TaxTemplate]:
    # Turnover tax is paid by the seller on its own turnover: an invoice coded TOT
    # charges the customer nothing, whatever rate the seller pays.
    return [
        TaxTemplate(
            code=row["code"],
            label=row["label"],
            rate=Decimal(0) if row["category"] == "turnover" else Decimal(row["rate"]),
            kind=row["kind"],
            category=row["category"],
            treatment=row["treatment"],
            mention=row["mention"],
            country="ZM",
        )
        for row in _rows("data", "zm_tax_codes.csv")
    ]


def _self_assessed(country: str) -> list[TaxTemplate]:
    """The taxes a buyer of ``country`` owes and deducts on what it buys from another EU
    member state, at its standard rate, on the chart's self-assessed VAT account when it
    has one."""
    standard = [
        vat.rate
        for vat in vat_rates()
        if vat.country == country and not vat.region and vat.category == "standard"
    ]
    if not standard:
        return []
    rate = standard[0]
    shown = f"{rate.normalize():f}"
    owed = "subtype:tax_self_assessed|subtype:tax_collected"
    return [
        TaxTemplate(
            f"{country}-RC-S-{shown}",
            f"Reverse charge on services bought from another EU member state, {shown} %",
            rate,
            "standard",
            "reverse_charge",
            "services",
            collected_account=owed,
            mention="Reverse charge",
            country=country,
        ),
        TaxTemplate(
            f"{country}-RC-G-{shown}",
            f"Intra-EU acquisition of goods, {shown} %",
            rate,
            "standard",
            "reverse_charge",
            "goods",
            collected_account=owed,
            country=country,
        ),
    ]


def templates_for(country: str, region: str | None = None) -> list[TaxTemplate]:
    """The taxes an organization of ``country`` starts with."""
    explicit = _from_template_file(country)
    if explicit is not None:
        return explicit
    taxes: list[TaxTemplate] = []
    if country == "ZM":
        taxes += _zambian_codes()
    elif country == "US":
        for state, (name, rate) in sorted(us_state_rates().items()):
            taxes.append(
                TaxTemplate(
                    code=f"US-{state}",
                    label=f"{name} sales tax",
                    rate=rate,
                    category="standard",
                    region=state,
                    country="US",
                    active=state == region,
                )
            )
    else:
        for vat in vat_rates():
            if vat.country != country or vat.region:
                continue
            taxes.append(
                TaxTemplate(
                    code=f"{country}-{vat.rate.normalize():f}",
                    label=vat.label,
                    rate=vat.rate,
                    category=vat.category,
                    country=country,
                )
            )
        if taxes:
            # Zero rates are not in the rate data (they are supplies, not rates), but most
            # countries have some: UK food and books, Irish children's clothes.
            taxes.append(
                TaxTemplate(
                    f"{country}-0",
                    "Zero-rated",
                    Decimal(0),
                    "zero",
                    "zero_rated",
                    country=country,
                )
            )
    if country in EU_MEMBERS:
        taxes += [
            TaxTemplate(
                "EU-RC-G",
                "Intra-EU supply of goods (reverse charge)",
                Decimal(0),
                "zero",
                "reverse_charge",
                "goods",
                mention="Reverse charge — Article 138 Directive 2006/112/EC",
            ),
            TaxTemplate(
                "EU-RC-S",
                "Intra-EU supply of services (reverse charge)",
                Decimal(0),
                "zero",
                "reverse_charge",
                "services",
                mention="Reverse charge — Article 196 Directive 2006/112/EC",
            ),
        ]
        taxes += _self_assessed(country)
    if country == "ZM":
        return taxes  # the ZRA codes name exports (C1) and exempt supplies (D) already
    codes = {tax.code for tax in taxes}
    for extra in (
        TaxTemplate("EXPORT", "Export (zero-rated)", Decimal(0), "zero", "export"),
        TaxTemplate("EXEMPT", "Exempt", Decimal(0), "exempt", "exempt"),
    ):
        if extra.code not in codes:
            taxes.append(replace(extra, country=country))
    return taxes
