"""Ageing of what a party owes or is owed: amounts by days past their due date, less the
credit the party holds. Receivables and payables share the buckets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

BUCKETS = ("not_due", "days_1_30", "days_31_60", "days_61_90", "over_90")


@dataclass
class AgedLine:
    """One party's open amounts in one currency (minor units), by bucket, and the credit
    it holds (payments on account, unused credit notes)."""

    party_id: uuid.UUID
    currency: str
    buckets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    unapplied_credit: int = 0

    @property
    def total(self) -> int:
        return sum(self.buckets.values()) - self.unapplied_credit


def bucket_of(due: date | None, as_of: date) -> str:
    late = (as_of - due).days if due is not None else 0
    if late <= 0:
        return "not_due"
    if late <= 30:
        return "days_1_30"
    if late <= 60:
        return "days_31_60"
    if late <= 90:
        return "days_61_90"
    return "over_90"


def total_of(lines: Sequence[AgedLine]) -> AgedLine:
    """The sum of lines of one currency (the party of the first stands for all)."""
    total = AgedLine(lines[0].party_id, lines[0].currency)
    for line in lines:
        for key, value in line.buckets.items():
            total.buckets[key] += value
        total.unapplied_credit += line.unapplied_credit
    return total
