"""A few months of a bakery's books, so that the demo company has something to show."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.ledger.models import JournalEntry
from comptoir.ledger.service import entries, rates
from comptoir.ledger.service.entries import EntryInput, LineInput

CENT = Decimal("0.01")


def seed_books(session: Session, today: date) -> int:
    """Post the demo entries once (three months up to ``today``); returns how many."""
    if session.scalar(select(JournalEntry.id).limit(1)) is not None:
        return 0
    start = date(today.year, today.month, 1) - timedelta(days=62)
    start = date(start.year, start.month, 1)
    rates.set_rate(session, "EUR", "USD", start, "1.08", source="demo")
    batch = [
        EntryInput(
            "AN",
            start,
            [
                LineInput("512", debit="18500.00"),
                LineInput("530", debit="650.00"),
                LineInput("2184", debit="12000.00"),
                LineInput("101", credit="20000.00"),
                LineInput("106", credit="11150.00"),
            ],
            reference="Ouverture",
        ),
    ]
    for month in range(3):
        first = date(
            start.year + (start.month + month - 1) // 12, (start.month + month - 1) % 12 + 1, 1
        )
        for week in range(4):
            day = first + timedelta(days=7 * week + 2)
            if day > today:
                break
            takings = Decimal(2400 + 150 * week + 90 * month)
            # Bread carries the 5.5 % rate; the till records prices with VAT included.
            vat = (takings * Decimal("0.055") / Decimal("1.055")).quantize(CENT, ROUND_HALF_UP)
            batch.append(
                EntryInput(
                    "CA",
                    day,
                    [
                        LineInput("530", debit=f"{takings:.2f}"),
                        LineInput("701", credit=f"{takings - vat:.2f}"),
                        LineInput("44571", credit=f"{vat:.2f}"),
                    ],
                    reference=f"Z-{day.isoformat()}",
                    description="Ventes de la semaine",
                )
            )
            batch.append(
                EntryInput(
                    "BQ",
                    day + timedelta(days=1),
                    [
                        LineInput("512", debit=f"{takings - 200:.2f}"),
                        LineInput("530", credit=f"{takings - 200:.2f}"),
                    ],
                    reference=f"DEP-{day.isoformat()}",
                    description="Remise d'espèces",
                )
            )
        if first + timedelta(days=4) <= today:
            batch.append(
                EntryInput(
                    "AC",
                    first + timedelta(days=4),
                    [
                        LineInput("601", debit="1850.00"),
                        LineInput("44566", debit="101.75"),
                        LineInput("401", credit="1951.75"),
                    ],
                    reference=f"MOUL-{first:%Y%m}",
                    description="Farine et levure — Moulins Durand",
                )
            )
            batch.append(
                EntryInput(
                    "VT",
                    first + timedelta(days=10),
                    [
                        LineInput("411", debit="1266.00"),
                        LineInput("701", credit="1200.00"),
                        LineInput("44571", credit="66.00"),
                    ],
                    reference=f"F-{first:%Y%m}-01",
                    description="Restaurant Le Comptoir — pains et viennoiseries",
                )
            )
        if first + timedelta(days=27) <= today:
            batch.append(
                EntryInput(
                    "BQ",
                    first + timedelta(days=27),
                    [
                        LineInput("641", debit="4200.00"),
                        LineInput("645", debit="1680.00"),
                        LineInput("512", credit="5880.00"),
                    ],
                    reference=f"PAIE-{first:%Y%m}",
                    description="Salaires",
                )
            )
            batch.append(
                EntryInput(
                    "BQ",
                    first + timedelta(days=27),
                    [LineInput("613", debit="1500.00"), LineInput("512", credit="1500.00")],
                    reference=f"LOYER-{first:%Y%m}",
                    description="Loyer du fournil",
                )
            )
    batch = [b for b in batch if b.date <= today]
    entries.record_many(session, batch)
    return len(batch)
