"""How pages write amounts and days, the same on every page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from comptoir.identity.models import Organization
from comptoir.kit.money import format_minor

NARROW_SPACE = "\u202f"


def group_digits(text: str) -> str:
    """Thousands set apart by a narrow space: neither a decimal point nor a comma, so no
    reader mistakes them."""
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, point, fraction = digits.partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + NARROW_SPACE.join(groups) + point + fraction


def page_formats(organization: Organization) -> dict[str, Callable[..., str]]:
    """``money`` writes the services' integers through ``format_minor`` (in the base
    currency unless told otherwise); ``day`` writes dates in the company's locale."""
    base = organization.base_currency
    try:
        locale = Locale.parse(organization.locale)
    except (UnknownLocaleError, ValueError, TypeError):
        locale = Locale("en")

    def money(units: int, currency: str | None = None) -> str:
        return group_digits(format_minor(units, currency or base))

    def day(value: date | None) -> str:
        return "" if value is None else str(format_date(value, format="medium", locale=locale))

    return {"money": money, "day": day}
