"""Events about journal entries: posted ones are final, corrections are reversals."""

from __future__ import annotations

from comptoir.outbox.catalog import EventType

EVENTS: tuple[EventType, ...] = (
    EventType(
        "journal_entry.posted",
        "A journal entry was posted to the ledger, by hand or by a document.",
        {"id": "01939d2f-6a77-7188-d299-f3aae4bbf5cc", "number": "VT-2026-00042"},
    ),
    EventType(
        "journal_entry.reversed",
        "A posted journal entry was reversed by a new entry.",
        {
            "id": "01939d2f-6a77-7188-d299-f3aae4bbf5cc",
            "reversal_id": "01939d2f-7b88-7299-e3aa-04bbf5cc06dd",
        },
    ),
    EventType(
        "journal_entries.imported",
        "A batch of journal entries was imported and posted at once.",
        {"count": 37},
    ),
    EventType(
        "fiscal_year.closed",
        "A fiscal year was closed: its closing, the next year's opening and the allocation of "
        "its result were posted, and the books locked up to its last day.",
        {
            "id": "01939d2f-6a77-7188-d299-f3aae4bbf5cc",
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
            "result_minor": 1254000,
            "currency": "EUR",
        },
    ),
)
