"""Currencies: ISO 4217 codes and their minor-unit exponent, from Babel's CLDR data."""

from __future__ import annotations

from functools import lru_cache

from babel.core import get_global
from babel.numbers import get_currency_precision


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
