"""What customers owe as of any date: open invoices aged by days past due, and the credit
they hold (payments on account, credit notes not yet used), per customer and currency.
Everything is read as it stood on that date: later payments do not count."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comptoir.kit.ageing import AgedLine, bucket_of
from comptoir.sales.models import Allocation, Payment, SalesDocument


def _settled_by(session: Session, as_of: date, column: object) -> dict[uuid.UUID, int]:
    rows = session.execute(
        select(column, func.sum(Allocation.amount))  # type: ignore[call-overload]
        .where(Allocation.date <= as_of, column.is_not(None))  # type: ignore[attr-defined]
        .group_by(column)
    )
    return {key: int(total) for key, total in rows}


def aged_receivables(
    session: Session, as_of: date, party_id: uuid.UUID | None = None
) -> list[AgedLine]:
    """One line per customer and currency with something owed or held on that date."""
    settled = _settled_by(session, as_of, Allocation.document_id)
    used_credit = _settled_by(session, as_of, Allocation.credit_note_id)
    used_payment = _settled_by(session, as_of, Allocation.payment_id)
    lines: dict[tuple[uuid.UUID, str], AgedLine] = {}

    def line_for(party: uuid.UUID, currency: str) -> AgedLine:
        key = (party, currency)
        if key not in lines:
            lines[key] = AgedLine(party, currency)
        return lines[key]

    documents = select(SalesDocument).where(
        SalesDocument.kind.in_(("invoice", "credit_note")),
        SalesDocument.number.is_not(None),
        SalesDocument.issue_date <= as_of,
    )
    if party_id is not None:
        documents = documents.where(SalesDocument.party_id == party_id)
    for document in session.scalars(documents):
        if document.kind == "invoice":
            due = document.gross - settled.get(document.id, 0)
            if due:
                aged = line_for(document.party_id, document.currency)
                aged.buckets[bucket_of(document.due_date, as_of)] += due
        else:
            left = document.gross - used_credit.get(document.id, 0) - settled.get(document.id, 0)
            if left:
                line_for(document.party_id, document.currency).unapplied_credit += left
    payments = select(Payment).where(Payment.date <= as_of)
    if party_id is not None:
        payments = payments.where(Payment.party_id == party_id)
    for payment in session.scalars(payments):
        left = payment.amount - used_payment.get(payment.id, 0)
        if left:
            sign = 1 if payment.direction == "in" else -1
            line_for(payment.party_id, payment.currency).unapplied_credit += sign * left
    return sorted(
        (line for line in lines.values() if line.total or line.unapplied_credit),
        key=lambda line: (line.currency, str(line.party_id)),
    )
