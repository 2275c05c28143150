"""Events about VAT returns: a filed return is final and locks its period."""

from __future__ import annotations

from comptoir.outbox.catalog import EventType

EVENTS: tuple[EventType, ...] = (
    EventType(
        "vat_return.filed",
        "A VAT return was filed: its boxes are frozen and the books locked to its last day.",
        {
            "id": "01939d2f-6a77-7188-d299-f3aae4bbf5cc",
            "layout": "fr_ca3",
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
            "currency": "EUR",
            "net_due": 123456,
            "reference": "CA3 2026-Q1",
        },
    ),
)
