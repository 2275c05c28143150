"""Dates as clients send them: ISO text or a date, within the years books are kept for.

A year like 9999 parses, but due dates, periods and ageing add days to it and overflow;
the bounds turn such a date into a field error where it is typed."""

from __future__ import annotations

from datetime import date

from comptoir.kit.errors import FieldError, ValidationFailed

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)


def _out_of_range(field: str) -> FieldError:
    return FieldError(
        field,
        f"Between {EARLIEST.isoformat()} and {LATEST.isoformat()}.",
        "out_of_range",
    )


def day_of(value: object, field: str, errors: list[FieldError]) -> date | None:
    """A client's date (ISO text or a date), None when blank; a field error otherwise."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            errors.append(FieldError(field, "A date such as 2026-02-01.", "invalid"))
            return None
    if not EARLIEST <= day <= LATEST:
        errors.append(_out_of_range(field))
        return None
    return day


def checked_day(value: object, field: str) -> date | None:
    """``day_of`` for a single field: raises the field error instead of collecting it."""
    errors: list[FieldError] = []
    day = day_of(value, field, errors)
    if errors:
        raise ValidationFailed(errors)
    return day
