"""Currencies: ISO 4217 codes and their minor-unit exponent, from Babel's CLDR data."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.core import get_global
from babel.numbers import get_currency_precision

from comptoir.kit.errors import ValidationFailed


@lru_cache(maxsize=1)
def currency_codes() -> frozenset[str]:
    """Active ISO 4217 codes known to CLDR (tender currencies of some territory)."""
    codes: set[str] = set()
    for currencies in get_global("territory_currencies").values():
        for code, _start, end, tender in currencies:
            if tender and end is None:
                codes.add(code)
    return frozenset(codes)


def is_currency(code: str) -> bool:
    return code in currency_codes()


def minor_unit_exponent(code: str) -> int:
    """Digits after the decimal point: 2 for EUR, 0 for JPY, 3 for KWD."""
    return int(get_currency_precision(code))


MAX_MINOR_UNITS = 10**17  # fits a signed 64-bit column with room for sums of many lines


def from_minor(units: int, currency: str) -> Decimal:
    """Minor units to a Decimal in major units: 123456 EUR -> Decimal("1234.56")."""
    return Decimal(units).scaleb(-minor_unit_exponent(currency))


def format_minor(units: int, currency: str) -> str:
    """The JSON form of an amount: a decimal string with exactly the currency's digits."""
    exponent = minor_unit_exponent(currency)
    return f"{from_minor(units, currency):.{exponent}f}"


def to_minor(amount: Decimal, currency: str) -> int:
    """Major units to minor units, exactly: more digits than the currency has is an error."""
    exponent = minor_unit_exponent(currency)
    scaled = amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{currency} amounts have at most {exponent} decimal places")
    units = int(scaled)
    if abs(units) >= MAX_MINOR_UNITS:
        raise ValueError("amount too large")
    return units


def round_to_minor(amount: Decimal, currency: str) -> int:
    """Major units to minor units, rounded half-up (away from zero on .5), for conversions."""
    exponent = minor_unit_exponent(currency)
    return int(amount.scaleb(exponent).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_amount(value: object, currency: str, field: str) -> int:
    """A client's amount (decimal string or integer) in minor units, or a field error."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValidationFailed.single(field, 'Send the amount as a decimal string, e.g. "12.50".')
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed.single(field, "This is not a number.") from None
    if not amount.is_finite():
        raise ValidationFailed.single(field, "This is not a number.")
    try:
        return to_minor(amount, currency)
    except ValueError as exc:
        raise ValidationFailed.single(field, f"{exc}.") from None


def parse_decimal(
    value: object, field: str, *, minimum: Decimal, maximum: Decimal, places: int
) -> Decimal:
    """A client's quantity, price or rate (decimal string or integer) within
    ``[minimum, maximum]`` and with at most ``places`` decimals, or a field error."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValidationFailed.single(field, 'Send a decimal string, e.g. "12.50".')
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed.single(field, "This is not a number.") from None
    # The range first: quantizing a huge number to a few places would overflow.
    if not number.is_finite() or not minimum <= number <= maximum:
        raise ValidationFailed.single(field, f"Between {minimum} and {maximum}.", "out_of_range")
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValidationFailed.single(field, f"At most {places} decimal places.", "too_precise")
    return number


def plain_decimal(value: Decimal) -> str:
    """A rate or quantity as plain digits without trailing zeros: 100, 1.0823 (never 1E+2)."""
    return format(value.normalize(), "f")


def is_blank_amount(value: object) -> bool:
    """An empty side of a line: nothing, blank, or zero in any spelling ("0", "0.00")."""
    if value is None or isinstance(value, bool):
        return value is None
    text = str(value).strip()
    try:
        return not text or Decimal(text) == 0
    except InvalidOperation:
        return False
