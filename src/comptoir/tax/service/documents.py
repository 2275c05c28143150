"""A document's lines as clients send them (decimal strings, tax codes), checked and run
through the one calculation with the organization's taxes and rounding setting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.kit.errors import FieldError, ValidationFailed
from comptoir.kit.money import currency_codes, parse_decimal
from comptoir.tax.models import TaxSettings
from comptoir.tax.service import taxes
from comptoir.tax.service.calculation import Calculation, LineInput, Rounding, calculate

MAX_LINES = 1000
MAX_TAXES_PER_LINE = 5
_LIMITS = {
    "quantity": (Decimal(10) ** 9, 6),
    "unit_price": (Decimal(10) ** 12, 6),
    "discount_percent": (Decimal(100), 4),
}


@dataclass(frozen=True)
class DocumentLine:
    quantity: object
    unit_price: object
    discount_percent: object = "0"
    tax_codes: Sequence[str] = ()


def rounding_of(session: Session) -> Rounding:
    settings = session.scalar(select(TaxSettings))
    return "document" if settings is not None and settings.rounding == "document" else "line"


def set_rounding(session: Session, rounding: str) -> None:
    if rounding not in ("line", "document"):
        raise ValidationFailed.single("rounding", "Either line or document.")
    settings = session.scalar(select(TaxSettings))
    if settings is None:
        session.add(TaxSettings(rounding=rounding))
    else:
        settings.rounding = rounding
    session.flush()


def _number(value: object, field: str, errors: list[FieldError]) -> Decimal:
    maximum, places = _LIMITS[field.rsplit(".", 1)[-1]]
    minimum = Decimal(0) if field.endswith("discount_percent") else -maximum
    try:
        return parse_decimal(value, field, minimum=minimum, maximum=maximum, places=places)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        return Decimal(0)


def calculate_document(
    session: Session,
    *,
    currency: str,
    lines: Sequence[DocumentLine],
    prices_include_tax: bool = False,
    rounding: Rounding | None = None,
    side: Literal["sale", "purchase"] | None = None,
) -> Calculation:
    """What every document calls: its lines' net, tax and gross, per tax and in total.
    A ``side`` of "sale" refuses the taxes a buyer self-assesses, which no seller charges."""
    errors: list[FieldError] = []
    code = (currency or "").strip().upper()
    if code not in currency_codes():
        errors.append(FieldError("currency", f"Unknown currency {currency!r}.", "invalid"))
    if len(lines) > MAX_LINES:
        errors.append(FieldError("lines", f"At most {MAX_LINES} lines.", "too_many"))
    if errors:
        raise ValidationFailed(errors)
    known = taxes.by_codes(session, (code for line in lines for code in line.tax_codes))
    inputs: list[LineInput] = []
    for row, line in enumerate(lines):
        prefix = f"lines[{row}]"
        quantity = _number(line.quantity, f"{prefix}.quantity", errors)
        price = _number(line.unit_price, f"{prefix}.unit_price", errors)
        discount = _number(line.discount_percent, f"{prefix}.discount_percent", errors)
        if len(line.tax_codes) > MAX_TAXES_PER_LINE:
            errors.append(
                FieldError(
                    f"{prefix}.tax_codes", f"At most {MAX_TAXES_PER_LINE} taxes.", "too_many"
                )
            )
            continue
        try:
            rules = taxes.rules_for(known, line.tax_codes, f"{prefix}.tax_codes")
        except ValidationFailed as exc:
            errors.extend(exc.errors)
            continue
        if side == "sale":
            errors.extend(
                FieldError(
                    f"{prefix}.tax_codes",
                    f"{rule.code} is self-assessed by the buyer: use it on purchases.",
                    "self_assessed_on_sale",
                )
                for rule in rules
                if rule.self_assessed
            )
        inputs.append(LineInput(quantity, price, rules, discount))
    if errors:
        raise ValidationFailed(errors)
    return calculate(
        inputs,
        currency=code,
        prices_include_tax=prices_include_tax,
        rounding=rounding or rounding_of(session),
    )
