"""Events about quotes, invoices, credit notes, payments received and recurring invoices.

Documents travel as one shape (amounts in minor units of their currency: 95820 is
958.20 EUR); events about sending add the recipients."""

from __future__ import annotations

from typing import Any

from comptoir.outbox.catalog import EventType


def _document(kind: str, status: str, **changes: Any) -> dict[str, Any]:
    numbers = {"quote": "D-2026-00012", "invoice": "F-2026-00042", "credit_note": "AV-2026-00003"}
    return {
        "id": "01939d2e-9c31-7f64-a033-6e4c1b2a5f99",
        "kind": kind,
        "number": numbers[kind],
        "status": status,
        "customer_id": "01939d2e-6f1a-7c3b-9a4e-2b8f0c1d5e6a",
        "currency": "EUR",
        "issue_date": "2026-10-12",
        "due_date": "2026-11-11" if kind == "invoice" else None,
        "net": 90000,
        "tax": 5820,
        "gross": 95820,
        "amount_due": 95820 if kind == "invoice" else 0,
        **changes,
    }


_TO = ["compta@hotel-du-parc.example"]
_PAYMENT = {
    "id": "01939d2e-ad42-7075-b144-7f5d2c3b6a00",
    "customer_id": "01939d2e-6f1a-7c3b-9a4e-2b8f0c1d5e6a",
    "direction": "in",
    "date": "2026-10-24",
    "amount": 95820,
    "currency": "EUR",
    "method": "bank_transfer",
    "reference": "VIR F-2026-00042",
    "allocated": 95820,
}

EVENTS: tuple[EventType, ...] = (
    EventType(
        "quote.created",
        "A quote was created (quotes are numbered at once).",
        _document("quote", "draft"),
    ),
    EventType(
        "quote.submitted",
        "A quote was submitted for internal approval.",
        _document("quote", "submitted"),
    ),
    EventType(
        "quote.approved",
        "A quote was approved internally and can be sent.",
        _document("quote", "approved"),
    ),
    EventType(
        "quote.rejected",
        "A quote was sent back by its internal approver.",
        _document("quote", "rejected"),
    ),
    EventType(
        "quote.sent",
        "A quote was e-mailed to the customer.",
        {**_document("quote", "sent"), "to": _TO},
    ),
    EventType("quote.accepted", "The customer accepted a quote.", _document("quote", "accepted")),
    EventType("quote.declined", "The customer declined a quote.", _document("quote", "declined")),
    EventType(
        "quote.expired",
        "A quote passed its validity date without an answer.",
        _document("quote", "expired"),
    ),
    EventType(
        "quote.converted",
        "An accepted quote was turned into an invoice draft (see invoice.created).",
        _document("quote", "converted"),
    ),
    EventType(
        "invoice.created",
        "A draft invoice was created.",
        _document("invoice", "draft", number=None),
    ),
    EventType(
        "invoice.issued",
        "An invoice was issued: numbered, posted to the ledger, final.",
        _document("invoice", "issued"),
    ),
    EventType(
        "invoice.sent",
        "An issued invoice was e-mailed to the customer.",
        {**_document("invoice", "sent"), "to": _TO},
    ),
    EventType(
        "invoice.overdue", "An invoice passed its due date unpaid.", _document("invoice", "sent")
    ),
    EventType(
        "invoice.reminded",
        "A payment reminder for an overdue invoice was e-mailed.",
        {**_document("invoice", "sent"), "offset_days": 7, "to": _TO[0]},
    ),
    EventType(
        "invoice.paid",
        "An invoice was settled in full by payments or credit notes.",
        _document("invoice", "paid", amount_due=0),
    ),
    EventType(
        "invoice.cancelled",
        "An invoice was cancelled by a credit note for its full amount.",
        _document("invoice", "cancelled", amount_due=0),
    ),
    EventType(
        "credit_note.created",
        "A draft credit note was created.",
        _document("credit_note", "draft", number=None),
    ),
    EventType(
        "credit_note.issued",
        "A credit note was issued and posted to the ledger.",
        _document("credit_note", "issued"),
    ),
    EventType(
        "credit_note.sent",
        "An issued credit note was e-mailed to the customer.",
        {**_document("credit_note", "issued"), "to": _TO},
    ),
    EventType(
        "payment.received", "A customer payment was recorded (amount in minor units).", _PAYMENT
    ),
    EventType(
        "payment.refunded",
        "A refund to a customer was recorded.",
        {**_PAYMENT, "direction": "out", "reference": "REMB AV-2026-00003"},
    ),
    EventType(
        "recurring_invoice.failed",
        "A recurring invoice could not be generated; the template was paused.",
        {
            "id": "01939d2e-be53-7186-8255-805e3d4c7b11",
            "name": "Monthly bread delivery",
            "date": "2026-11-01",
            "error": "2026-11-01: Hôtel du Parc is archived; restore it first.",
        },
    ),
)
