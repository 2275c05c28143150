"""Which tax a sale takes: the rules in ``tax/rules/sales.csv`` and the resolver over them.

A sale is described by a :class:`Sale` (seller's and buyer's countries, whether the buyer
is a business with a valid VAT number, the product's tax category and whether it is goods
or services). The first rule of the file that matches names a *treatment* (domestic,
reverse charge, export, ...) and, for domestic sales, the product's category; the
organization's active tax with that treatment then applies. Rules are data so that a new
case is a row, not a branch; the resolver only knows how to match a row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.identity.service import organizations
from comptoir.kit import identifiers
from comptoir.kit.errors import FieldError, ValidationFailed
from comptoir.tax.models import Tax
from comptoir.tax.service.catalog import EU_MEMBERS
from comptoir.tax.service.taxes import PRODUCT_CATEGORIES, is_self_assessed

Place = Literal["domestic", "intra_eu", "abroad"]
BuyerStatus = Literal["business_vat", "business", "consumer"]
Supply = Literal["goods", "services"]

# Domestic zero rates: some countries file them as their own treatment (Zambia's C2/C3).
_DOMESTIC_TREATMENTS = frozenset({"domestic", "zero_rated"})


@dataclass(frozen=True)
class SalesRule:
    name: str
    seller: str
    place: str
    buyer: str
    supply: str
    category: str
    domestic_reverse_charge: str
    treatment: str
    # "product": the tax of the product's category; empty: any tax of the treatment.
    tax_category: str
    mention: str

    def matches(self, sale: Sale, place: Place) -> bool:
        return (
            _seller_matches(self.seller, sale.seller_country)
            and self.place in ("*", place)
            and _buyer_matches(self.buyer, sale.buyer_status)
            and self.supply in ("*", sale.supply)
            and self.category in ("*", sale.category)
            and self.domestic_reverse_charge
            in ("*", "yes" if sale.domestic_reverse_charge else "no")
        )


@dataclass(frozen=True)
class Sale:
    seller_country: str
    buyer_country: str
    buyer_status: BuyerStatus
    category: str = "standard"
    supply: Supply = "goods"
    domestic_reverse_charge: bool = False
    seller_region: str | None = None
    buyer_region: str | None = None


@dataclass(frozen=True)
class Resolution:
    rule: str
    place: Place
    buyer_status: BuyerStatus
    treatment: str
    tax: Tax
    mention: str | None


def _seller_matches(pattern: str, country: str) -> bool:
    return pattern == "*" or pattern == country or (pattern == "EU" and country in EU_MEMBERS)


def _buyer_matches(pattern: str, status: BuyerStatus) -> bool:
    if pattern == "business":
        return status in ("business", "business_vat")
    return pattern in ("*", status)


@cache
def sales_rules() -> tuple[SalesRule, ...]:
    text = (resources.files("comptoir.tax") / "rules" / "sales.csv").read_text(encoding="utf-8")
    return tuple(
        SalesRule(
            name=row["rule"],
            seller=row["seller"],
            place=row["place"],
            buyer=row["buyer"],
            supply=row["supply"],
            category=row["category"],
            domestic_reverse_charge=row["domestic_reverse_charge"],
            treatment=row["treatment"],
            tax_category=row["tax_category"],
            mention=row["mention"],
        )
        for row in csv.DictReader(io.StringIO(text))
    )


def place_of(seller_country: str, buyer_country: str) -> Place:
    """Where the sale goes: the seller's own country, another EU member state (only for
    an EU seller) or abroad. Overseas departments (GP, MQ, RE, ...) have their own ISO
    codes and lie outside the EU's VAT territory, so a sale there is an export."""
    if seller_country == buyer_country:
        return "domestic"
    if seller_country in EU_MEMBERS and buyer_country in EU_MEMBERS:
        return "intra_eu"
    return "abroad"


def rule_for(sale: Sale) -> tuple[SalesRule, Place]:
    place = place_of(sale.seller_country, sale.buyer_country)
    for rule in sales_rules():
        if rule.matches(sale, place):
            return rule, place
    # The file ends with catch-alls for every place; reaching here means it was edited.
    raise LookupError(f"No tax rule matches {sale}")


def buyer_status(
    vat_number: str | None, buyer_country: str, *, is_business: bool | None = None
) -> BuyerStatus:
    """A buyer with a valid VAT number is a VAT-registered business; one that says it is a
    business without one is a business; anyone else is a consumer. An invalid number is
    an error, not a consumer: charging VAT because of a typo would be wrong either way."""
    if vat_number is not None and vat_number.strip():
        identifiers.require_valid("vat", vat_number, buyer_country, field="buyer_vat_number")
        return "business_vat"
    return "business" if is_business else "consumer"


def _supply_rank(tax: Tax, supply: str) -> int:
    if tax.supply == supply:
        return 0
    return 1 if tax.supply == "any" else 2


def _region_rank(tax: Tax, sale: Sale) -> int:
    if not tax.region:
        return 1
    if tax.region == sale.buyer_region:
        return 0
    return 2 if tax.region == sale.seller_region else 3


def pick_tax(candidates: Sequence[Tax], rule: SalesRule, sale: Sale) -> Tax | None:
    """The best of the organization's active taxes for the rule: of its treatment (and, for
    domestic sales, the product's category), preferring one made for this kind of supply
    (FR-20-S, VAT on payment, for services), then the buyer's region (US states). A tax
    the buyer self-assesses is for purchases: a sale never takes it."""
    treatments = _DOMESTIC_TREATMENTS if rule.treatment == "domestic" else {rule.treatment}
    fitting = [
        tax for tax in candidates if tax.treatment in treatments and not is_self_assessed(tax)
    ]
    if rule.tax_category == "product":
        fitting = [tax for tax in fitting if tax.category == sale.category]
    if not fitting:
        return None
    return min(
        fitting,
        key=lambda tax: (
            _supply_rank(tax, sale.supply),
            _region_rank(tax, sale),
            tax.sequence,
            tax.code,
        ),
    )


_TREATMENT_NAMES = {
    "domestic": "a domestic sale",
    "domestic_reverse_charge": "a domestic reverse charge",
    "reverse_charge": "an intra-EU reverse charge",
    "export": "an export",
    "exempt": "an exempt supply",
}


def resolve(session: Session, sale: Sale) -> Resolution:
    """The tax, treatment and legal mention of ``sale`` among the organization's taxes."""
    errors: list[FieldError] = []
    if sale.category not in PRODUCT_CATEGORIES:
        errors.append(FieldError("category", f"One of {', '.join(PRODUCT_CATEGORIES)}.", "invalid"))
    if sale.supply not in ("goods", "services"):
        errors.append(FieldError("supply", "Either goods or services.", "invalid"))
    if errors:
        raise ValidationFailed(errors)
    rule, place = rule_for(sale)
    candidates = list(session.scalars(select(Tax).where(Tax.active.is_(True))))
    tax = pick_tax(candidates, rule, sale)
    if tax is None:
        what = _TREATMENT_NAMES.get(rule.treatment, rule.treatment)
        by_category = rule.tax_category == "product"
        detail = f" in category {sale.category}" if by_category else ""
        raise ValidationFailed.single(
            "category" if by_category else "buyer_country",
            f"No active tax for {what}{detail}: add or enable one under Settings → Taxes.",
            "no_tax",
        )
    return Resolution(
        rule=rule.name,
        place=place,
        buyer_status=sale.buyer_status,
        treatment=rule.treatment,
        tax=tax,
        mention=rule.mention or tax.mention or None,
    )


def resolve_sale(
    session: Session,
    *,
    buyer_country: str,
    buyer_region: str | None = None,
    buyer_vat_number: str | None = None,
    buyer_is_business: bool | None = None,
    category: str = "standard",
    supply: str = "goods",
    domestic_reverse_charge: bool = False,
) -> Resolution:
    """:func:`resolve` for a sale by the current organization, from what a client sends."""
    seller = organizations.get_current(session)
    country = organizations.normalize_country(buyer_country, "buyer_country")
    status = buyer_status(buyer_vat_number, country, is_business=buyer_is_business)
    sale = Sale(
        seller_country=seller.country,
        seller_region=seller.region,
        buyer_country=country,
        buyer_region=(buyer_region or "").strip().upper() or None,
        buyer_status=status,
        category=category,
        supply=supply,  # type: ignore[arg-type]  # checked by resolve
        domestic_reverse_charge=domestic_reverse_charge,
    )
    return resolve(session, sale)
