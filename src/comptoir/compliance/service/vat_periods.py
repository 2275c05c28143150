"""The period a VAT return covers: a month (``2026-03``), a quarter (``2026-Q1``), a year
(``2026``) or two dates at most a year apart."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from comptoir.kit.errors import ValidationFailed

_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2})|-Q(\d))?$")
# Returns are filed for real years: anything outside is a typing mistake.
FIRST_YEAR = 1900
LAST_YEAR = 2999


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    # "2026-03", "2026-Q1", "2026", or "2026-01-01..2026-02-15".
    name: str


def _year(text: str) -> int:
    year = int(text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed.single(
            "period", f"Choose a year from {FIRST_YEAR} to {LAST_YEAR}.", "invalid_period"
        )
    return year


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse(text: str) -> Period:
    """``2026-03``, ``2026-Q1``, ``2026`` or ``2026-01-01..2026-02-15``; anything else
    is a 422 on ``period``."""
    if ".." in text:
        start, _, end = text.strip().partition("..")
        try:
            return between(date.fromisoformat(start), date.fromisoformat(end))
        except ValueError:
            raise ValidationFailed.single(
                "period", "Two dates like 2026-01-01..2026-02-15.", "invalid_period"
            ) from None
    return _named(text)


def _named(text: str) -> Period:
    match = _PERIOD.match(text.strip())
    if not match:
        raise ValidationFailed.single(
            "period", "A month (2026-03), a quarter (2026-Q1) or a year (2026).", "invalid_period"
        )
    year = _year(match.group(1))
    month, quarter = match.group(2), match.group(3)
    if month is not None:
        number = int(month)
        if not 1 <= number <= 12:
            raise ValidationFailed.single("period", "Months run from 01 to 12.", "invalid_period")
        return Period(date(year, number, 1), _month_end(year, number), f"{year}-{number:02d}")
    if quarter is not None:
        number = int(quarter)
        if not 1 <= number <= 4:
            raise ValidationFailed.single("period", "Quarters run from Q1 to Q4.", "invalid_period")
        first = 3 * number - 2
        return Period(date(year, first, 1), _month_end(year, first + 2), f"{year}-Q{number}")
    return Period(date(year, 1, 1), date(year, 12, 31), str(year))


def between(date_from: date, date_to: date) -> Period:
    """Explicit dates: in order, within the years returns are filed for, a year at most."""
    for field, day in (("date_from", date_from), ("date_to", date_to)):
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValidationFailed.single(
                field, f"Choose a date from {FIRST_YEAR} to {LAST_YEAR}.", "invalid_period"
            )
    if date_from > date_to:
        raise ValidationFailed.single(
            "date_from", "The start date comes after the end date.", "invalid_period"
        )
    try:
        limit = date_from.replace(year=date_from.year + 1)
    except ValueError:  # 29 February
        limit = date(date_from.year + 1, 3, 1)
    if date_to >= limit:
        raise ValidationFailed.single(
            "date_to", "A VAT return covers a year at most.", "period_too_long"
        )
    # Dates that make a whole month, quarter or year take its name.
    quarter = (date_from.month + 2) // 3
    for name in (
        f"{date_from.year}-{date_from.month:02d}",
        f"{date_from.year}-Q{quarter}",
        str(date_from.year),
    ):
        whole = _named(name)
        if (whole.start, whole.end) == (date_from, date_to):
            return whole
    return Period(date_from, date_to, f"{date_from.isoformat()}..{date_to.isoformat()}")


def choose(period: str | None, date_from: date | None, date_to: date | None) -> Period:
    """The period a request names: ``period``, or both dates."""
    if period:
        if date_from is not None or date_to is not None:
            raise ValidationFailed.single(
                "period", "Give a period or two dates, not both.", "invalid_period"
            )
        return parse(period)
    if date_from is None or date_to is None:
        raise ValidationFailed.single(
            "period", "Give a period (2026-03, 2026-Q1, 2026) or date_from and date_to.", "required"
        )
    return between(date_from, date_to)


def months_of(year: int) -> list[Period]:
    _year(str(year))
    return [_named(f"{year}-{month:02d}") for month in range(1, 13)]
