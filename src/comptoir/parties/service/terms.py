"""Payment terms: when an invoice or a bill dated ``issued`` falls due."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

# code → label, in the order forms offer them.
PAYMENT_TERMS: dict[str, str] = {
    "due_on_receipt": "Due on receipt",
    "net_7": "7 days",
    "net_15": "15 days",
    "net_30": "30 days",
    "net_45": "45 days",
    "net_60": "60 days",
    "end_of_month": "End of month",
    "net_30_end_of_month": "30 days, end of month",
    "net_45_end_of_month": "45 days, end of month",
}


def _end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def due_date(issued: date, terms: str) -> date:
    """``net_N``: N days after; ``end_of_month``: the last day of the month; ``net_N_end_of_month``
    (the French "30 jours fin de mois"): N days after, then the end of that month."""
    if terms == "due_on_receipt":
        return issued
    if terms == "end_of_month":
        return _end_of_month(issued)
    if terms.startswith("net_"):
        days, _, rest = terms[4:].partition("_")
        due = issued + timedelta(days=int(days))
        return _end_of_month(due) if rest == "end_of_month" else due
    raise ValueError(f"Unknown payment terms {terms!r}")
