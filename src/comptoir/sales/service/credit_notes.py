"""Credit notes: full or partial, against an invoice or standalone. Issuing one posts the
mirror of the sales entry and, against an invoice, settles what is still due on it; the
rest is customer credit, applied to later invoices or refunded."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit import clock
from comptoir.kit.errors import Conflict, NotFound, ValidationFailed
from comptoir.kit.money import format_minor, plain_decimal
from comptoir.outbox import service as outbox
from comptoir.sales.models import SalesDocument
from comptoir.sales.service import documents, issuing, posting, settlements


def _copied_lines(session: Session, invoice: SalesDocument) -> list[dict[str, Any]]:
    return [
        {
            "product": str(line.product_id) if line.product_id else None,
            "description": line.description,
            "unit": line.unit,
            "quantity": plain_decimal(line.quantity),
            "unit_price": plain_decimal(line.unit_price),
            "discount_percent": plain_decimal(line.discount_percent),
            "tax_codes": list(line.tax_codes or []),
            "account": str(line.account_id) if line.account_id else None,
        }
        for line in documents.lines_of(session, invoice.id)
    ]


def create_draft(
    session: Session, values: dict[str, Any], *, actor_id: uuid.UUID | None = None
) -> SalesDocument:
    """A credit note draft. With ``invoice`` it credits that invoice: same customer,
    currency and price mode, and the invoice's lines unless ``lines`` says what part."""
    values = dict(values)
    source = None
    if values.get("invoice") not in (None, ""):
        try:
            source = documents.get(session, uuid.UUID(str(values["invoice"])), "invoice")
        except (ValueError, NotFound):
            raise ValidationFailed.single("invoice", "No such invoice.", "not_found") from None
        if source.status in ("draft", "cancelled"):
            raise ValidationFailed.single(
                "invoice", f"This invoice is {source.status}; nothing to credit.", "not_open"
            )
        values["customer"] = str(source.party_id)
        values["currency"] = source.currency
        values["prices_include_tax"] = source.prices_include_tax
        if values.get("lines") is None:
            values["lines"] = _copied_lines(session, source)
    values.pop("invoice", None)
    return documents.create_draft(session, "credit_note", values, actor_id=actor_id, source=source)


def credited_so_far(session: Session, invoice_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(SalesDocument.gross), 0)).where(
                SalesDocument.kind == "credit_note",
                SalesDocument.source_id == invoice_id,
                SalesDocument.number.is_not(None),
            )
        )
        or 0
    )


def issue(
    session: Session, credit_note: SalesDocument, *, actor_id: uuid.UUID | None = None
) -> SalesDocument:
    documents.require_draft(credit_note)
    source = (
        documents.get(session, credit_note.source_id, "invoice")
        if credit_note.source_id is not None
        else None
    )
    if source is not None:
        available = source.gross - credited_so_far(session, source.id)
        if credit_note.gross > available:
            raise ValidationFailed.single(
                "lines",
                f"Invoice {source.number} can be credited for at most "
                f"{format_minor(available, source.currency)} more.",
                "exceeds_invoice",
            )
    issuing.issue(session, credit_note, actor_id=actor_id, announce=False)
    if source is not None and source.status in documents.OPEN_INVOICE:
        amount = min(credit_note.gross, documents.amount_due(source))
        if amount > 0:
            assert credit_note.entry_id is not None
            settlements.record_allocation(
                session,
                source,
                amount,
                credit_note.issue_date,
                credit_note=credit_note,
                settling_line=posting.receivable_line_id(session, credit_note.entry_id),
                actor_id=actor_id,
            )
    outbox.emit(session, "credit_note.issued", documents.payload(credit_note))
    return credit_note


def apply(
    session: Session,
    credit_note: SalesDocument,
    invoice_reference: object,
    amount: int,
    *,
    on: date | None = None,
    actor_id: uuid.UUID | None = None,
) -> None:
    """Use what is left of an issued credit note to settle another invoice of the same
    customer."""
    if credit_note.status != "issued":
        raise Conflict("Only an issued credit note can be applied.", code="not_issued")
    invoice = settlements.open_invoice(session, invoice_reference, credit_note.party_id, "invoice")
    remaining = credit_note.gross - credit_note.settled
    if amount <= 0 or amount > remaining:
        raise ValidationFailed.single(
            "amount",
            f"Between 0 and {format_minor(remaining, credit_note.currency)} (what is left).",
            "out_of_range",
        )
    settlements.check_settles(invoice, amount, credit_note.currency, "invoice")
    assert credit_note.entry_id is not None
    settlements.record_allocation(
        session,
        invoice,
        amount,
        on or clock.now().date(),
        credit_note=credit_note,
        settling_line=posting.receivable_line_id(session, credit_note.entry_id),
        actor_id=actor_id,
    )
    audit.record(
        session,
        "credit_note.applied",
        target_type="credit_note",
        target_id=credit_note.id,
        after={"invoice": invoice.number, "amount": amount},
    )


def cancel_invoice(
    session: Session, invoice: SalesDocument, *, actor_id: uuid.UUID | None = None
) -> SalesDocument:
    """Cancel an issued invoice the only lawful way: a credit note for all of it."""
    if invoice.status == "draft":
        raise Conflict("A draft has no number: delete it instead.", code="is_draft")
    if invoice.status == "cancelled":
        raise Conflict("This invoice is already cancelled.", code="already_cancelled")
    if invoice.settled > 0:
        raise Conflict(
            "Part of this invoice is paid or credited; credit the rest with a credit note "
            "and refund what was paid.",
            code="partly_settled",
        )
    credit_note = create_draft(
        session,
        {"invoice": str(invoice.id), "issue_date": max(invoice.issue_date, clock.now().date())},
        actor_id=actor_id,
    )
    issue(session, credit_note, actor_id=actor_id)
    invoice.status = "cancelled"
    invoice.cancelled_at = clock.now()
    documents.log(
        session, invoice, "cancelled", actor_id=actor_id, detail={"credit_note": credit_note.number}
    )
    audit.record(
        session,
        "invoice.cancelled",
        target_type="invoice",
        target_id=invoice.id,
        after={"credit_note": credit_note.number},
    )
    outbox.emit(session, "invoice.cancelled", documents.payload(invoice))
    session.flush()
    return credit_note
