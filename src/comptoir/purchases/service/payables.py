"""What the organization owes its suppliers as of any date: posted bills aged by days past
due, less what it holds with them (advances not yet allocated, supplier credit notes not
yet used), per supplier and currency. Everything is read as it stood on that date: later
payments do not count."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from comptoir.kit.ageing import AgedLine, bucket_of
from comptoir.purchases.models import PurchaseAllocation, PurchaseDocument, SupplierPayment


def _settled_by(
    session: Session, as_of: date, column: InstrumentedAttribute[uuid.UUID | None]
) -> dict[uuid.UUID, int]:
    rows = session.execute(
        select(column, func.sum(PurchaseAllocation.amount))
        .where(PurchaseAllocation.date <= as_of, column.is_not(None))
        .group_by(column)
    )
    return {key: int(total) for key, total in rows if key is not None}


def aged_payables(
    session: Session, as_of: date, party_id: uuid.UUID | None = None
) -> list[AgedLine]:
    """One line per supplier and currency with something owed or held on that date."""
    settled = _settled_by(session, as_of, PurchaseAllocation.document_id)
    used_credit = _settled_by(session, as_of, PurchaseAllocation.credit_note_id)
    used_payment = _settled_by(session, as_of, PurchaseAllocation.payment_id)
    lines: dict[tuple[uuid.UUID, str], AgedLine] = {}

    def line_for(party: uuid.UUID, currency: str) -> AgedLine:
        key = (party, currency)
        if key not in lines:
            lines[key] = AgedLine(party, currency)
        return lines[key]

    documents = select(PurchaseDocument).where(
        PurchaseDocument.entry_id.is_not(None), PurchaseDocument.issue_date <= as_of
    )
    if party_id is not None:
        documents = documents.where(PurchaseDocument.party_id == party_id)
    for document in session.scalars(documents):
        if document.kind == "bill":
            due = document.gross - settled.get(document.id, 0)
            if due:
                aged = line_for(document.party_id, document.currency)
                aged.buckets[bucket_of(document.due_date, as_of)] += due
        else:
            # Used on bills (credit_note_id) or refunded by the supplier (document_id).
            left = document.gross - used_credit.get(document.id, 0) - settled.get(document.id, 0)
            if left:
                line_for(document.party_id, document.currency).unapplied_credit += left
    payments = select(SupplierPayment).where(SupplierPayment.date <= as_of)
    if party_id is not None:
        payments = payments.where(SupplierPayment.party_id == party_id)
    for payment in session.scalars(payments):
        left = payment.amount - used_payment.get(payment.id, 0)
        if left:
            # An advance paid out is held with the supplier; a refund received beyond
            # the credit notes it settles is owed back to them.
            sign = 1 if payment.direction == "out" else -1
            line_for(payment.party_id, payment.currency).unapplied_credit += sign * left
    return sorted(
        (line for line in lines.values() if line.total or line.unapplied_credit),
        key=lambda line: (line.currency, str(line.party_id)),
    )
