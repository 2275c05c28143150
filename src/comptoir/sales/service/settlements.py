"""How invoices get settled: by payments and by credit notes. Each settlement is an
allocation row, moves the documents' ``settled`` amounts and statuses, and letters the
receivable lines in the ledger, so that the books and the documents always agree."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comptoir.identity.service import organizations
from comptoir.kit import clock
from comptoir.kit.errors import ValidationFailed
from comptoir.kit.money import format_minor
from comptoir.ledger.service import matching, rates
from comptoir.outbox import service as outbox
from comptoir.sales.models import Allocation, SalesDocument
from comptoir.sales.service import documents, posting
from comptoir.tax.service import exigibility


def refresh_status(session: Session, invoice: SalesDocument) -> None:
    """An invoice's status follows what settles it: paid when nothing is due, partially
    paid in between, issued or sent before any settlement. Cancelled stays cancelled."""
    if invoice.kind != "invoice" or invoice.status in ("draft", "cancelled"):
        return
    before = invoice.status
    if invoice.settled >= invoice.gross:
        invoice.status = "paid"
        invoice.paid_at = invoice.paid_at or clock.now()
    elif invoice.settled > 0:
        invoice.status = "partially_paid"
        invoice.paid_at = None
    else:
        invoice.status = "sent" if invoice.sent_at is not None else "issued"
        invoice.paid_at = None
    if invoice.status == "paid" and before != "paid":
        documents.log(session, invoice, "paid")
        outbox.emit(session, "invoice.paid", documents.payload(invoice))


def check_settles(invoice: SalesDocument, amount: int, currency: str, field: str) -> None:
    """``amount`` of ``currency`` may settle ``invoice``: an issued, open invoice in that
    currency with at least that much due."""
    if invoice.status not in documents.OPEN_INVOICE:
        raise ValidationFailed.single(
            field, f"Invoice {invoice.number or '(draft)'} is {invoice.status}.", "not_open"
        )
    if invoice.currency != currency:
        raise ValidationFailed.single(
            field,
            f"Invoice {invoice.number} is in {invoice.currency}, not {currency}.",
            "currency_mismatch",
        )
    due = documents.amount_due(invoice)
    if amount > due:
        raise ValidationFailed.single(
            field,
            f"Only {format_minor(due, currency)} is due on invoice {invoice.number}.",
            "exceeds_amount_due",
        )


def open_invoice(
    session: Session, reference: object, party_id: uuid.UUID, field: str
) -> SalesDocument:
    """An invoice of this customer by id or number (locked: see ``documents.locked``), or a
    field error."""
    invoice = documents.locked(session, str(reference or "").strip(), "invoice")
    if invoice is None or invoice.party_id != party_id:
        raise ValidationFailed.single(field, "No such invoice of this customer.", "not_found")
    return invoice


def record_allocation(
    session: Session,
    invoice: SalesDocument,
    amount: int,
    on: date,
    *,
    payment_id: uuid.UUID | None = None,
    credit_note: SalesDocument | None = None,
    settling_line: uuid.UUID,
    actor_id: uuid.UUID | None,
) -> Allocation:
    """Write the allocation, move the invoice on, letter the two receivable lines."""
    allocation = Allocation(
        document_id=invoice.id,
        payment_id=payment_id,
        credit_note_id=credit_note.id if credit_note is not None else None,
        amount=amount,
        date=on,
    )
    session.add(allocation)
    invoice.settled += amount
    if credit_note is not None:
        credit_note.settled += amount
    assert invoice.entry_id is not None
    # A credit note's one receivable line settles several invoices and refunds: letter
    # only this part of it. A payment has a line per settlement already.
    limit = None
    if credit_note is not None:
        limit = rates.convert(
            amount,
            credit_note.currency,
            organizations.get_current(session).base_currency,
            credit_note.exchange_rate,
        )
    matching.match(
        session,
        [posting.receivable_line_id(session, invoice.entry_id), settling_line],
        on=on,
        actor_id=actor_id,
        limit=limit,
    )
    if payment_id is not None:
        _transfer_vat_on_payment(session, invoice, on, actor_id)
    documents.log(
        session,
        invoice,
        "credited" if credit_note is not None else "payment",
        actor_id=actor_id,
        detail={
            "amount": amount,
            "credit_note": credit_note.number if credit_note is not None else None,
            "payment_id": str(payment_id) if payment_id else None,
        },
    )
    refresh_status(session, invoice)
    session.flush()
    return allocation


def _transfer_vat_on_payment(
    session: Session, document: SalesDocument, on: date, actor_id: uuid.UUID | None
) -> None:
    """Move the paid share of the document's VAT due on payment to the collected account:
    an invoice's for a payment, a credit note's back for a refund. Only cash counts, as a
    credit note settling an invoice reverses its share of the pending VAT itself."""
    assert document.entry_id is not None
    assert document.number is not None
    cash = session.scalar(
        select(func.coalesce(func.sum(Allocation.amount), 0)).where(
            Allocation.document_id == document.id, Allocation.payment_id.is_not(None)
        )
    )
    exigibility.transfer(
        session,
        exigibility.Settled(
            document_id=document.id,
            number=document.number,
            entry_id=document.entry_id,
            party_id=document.party_id,
            gross=document.gross,
            cash=int(cash or 0),
            on=on,
        ),
        actor_id=actor_id,
    )


def allocations_of(session: Session, document_id: uuid.UUID) -> list[Allocation]:
    """What settled an invoice, or what a credit note settled, oldest first."""
    return list(
        session.scalars(
            select(Allocation)
            .where(
                (Allocation.document_id == document_id) | (Allocation.credit_note_id == document_id)
            )
            .order_by(Allocation.created_at, Allocation.id)
        )
    )
