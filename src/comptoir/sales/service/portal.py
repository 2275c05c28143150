"""What a portal member linked to a customer sees: that customer's documents once they
have left the office (issued invoices and credit notes, quotes sent to them) and the
payments received from or refunded to them.

Every function takes the customer's id and reads nothing of another party's: a draft, a
quote never sent, or another party's document reads as not found, exactly like another
organization's.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from comptoir.kit.errors import NotFound
from comptoir.kit.pagination import Page, keyset_page, sorted_keyset_page
from comptoir.sales.models import Payment, SalesDocument, SalesDocumentLine
from comptoir.sales.service import documents, payments, pdf, quotes, settlements
from comptoir.tax.service.calculation import TaxTotal

# Open invoices listed on the portal's home page; the invoices page lists them all.
HOME_INVOICES = 50


def _shown(party_id: uuid.UUID) -> Any:
    """The party's documents its customer may see: invoices and credit notes once issued
    (numbered and final), quotes once sent."""
    return and_(
        SalesDocument.party_id == party_id,
        or_(
            and_(
                SalesDocument.kind.in_(("invoice", "credit_note")),
                SalesDocument.status != "draft",
            ),
            and_(SalesDocument.kind == "quote", SalesDocument.sent_at.is_not(None)),
        ),
    )


def list_documents(
    session: Session,
    party_id: uuid.UUID,
    kind: documents.Kind,
    *,
    limit: int | None,
    cursor: str | None,
) -> Page[SalesDocument]:
    """The customer's documents of one kind, latest issue date first."""
    query = select(SalesDocument).where(SalesDocument.kind == kind, _shown(party_id))
    return sorted_keyset_page(
        session,
        query,
        SalesDocument.issue_date,
        SalesDocument.id,
        descending=True,
        limit=limit,
        cursor=cursor,
    )


def get_document(session: Session, party_id: uuid.UUID, document_id: uuid.UUID) -> SalesDocument:
    document = session.scalar(
        select(SalesDocument).where(SalesDocument.id == document_id, _shown(party_id))
    )
    if document is None:
        raise NotFound("No such document.")
    return document


def document_pdf(
    session: Session, party_id: uuid.UUID, document_id: uuid.UUID
) -> tuple[str, bytes]:
    """The file name and the PDF the customer was sent: the stored copy of an issued
    document."""
    document = get_document(session, party_id, document_id)
    return pdf.file_name(document), pdf.render_document(session, document)


def _quote(session: Session, party_id: uuid.UUID, quote_id: uuid.UUID) -> SalesDocument:
    document = get_document(session, party_id, quote_id)
    if document.kind != "quote":
        raise NotFound("No such quote.")
    return document


def accept_quote(
    session: Session,
    party_id: uuid.UUID,
    quote_id: uuid.UUID,
    *,
    name: str,
    agreed: bool,
    ip: str | None,
    user_agent: str | None,
) -> SalesDocument:
    """The customer's yes from the portal, signed as on the quote's public page: full
    name typed, box ticked, time, IP address and browser recorded."""
    return quotes.accept_online(
        session,
        _quote(session, party_id, quote_id),
        name=name,
        agreed=agreed,
        ip=ip,
        user_agent=user_agent,
    )


def decline_quote(
    session: Session, party_id: uuid.UUID, quote_id: uuid.UUID, *, reason: str
) -> SalesDocument:
    return quotes.decline(session, _quote(session, party_id, quote_id), reason=reason)


@dataclass(frozen=True)
class Balance:
    """What the customer owes in one currency, and how much of it is past due."""

    currency: str
    due: int
    overdue: int
    open_invoices: int


@dataclass(frozen=True)
class Overview:
    balances: list[Balance]
    # Oldest due date first: what to pay next.
    open_invoices: list[SalesDocument]
    # Sent quotes still waiting for the customer's answer.
    quotes_awaiting: list[SalesDocument]


def overview(session: Session, party_id: uuid.UUID, on: date | None = None) -> Overview:
    today = on or documents.today()
    is_open = and_(
        SalesDocument.party_id == party_id,
        SalesDocument.kind == "invoice",
        SalesDocument.status.in_(documents.OPEN_INVOICE),
    )
    remaining = SalesDocument.gross - SalesDocument.settled
    late = case((SalesDocument.due_date < today, remaining), else_=0)
    rows = session.execute(
        select(SalesDocument.currency, func.sum(remaining), func.sum(late), func.count())
        .where(is_open)
        .group_by(SalesDocument.currency)
        .order_by(SalesDocument.currency)
    ).all()
    invoices = session.scalars(
        select(SalesDocument)
        .where(is_open)
        .order_by(SalesDocument.due_date, SalesDocument.issue_date, SalesDocument.id)
        .limit(HOME_INVOICES)
    )
    quotes = session.scalars(
        select(SalesDocument)
        .where(
            _shown(party_id),
            SalesDocument.kind == "quote",
            SalesDocument.status == "sent",
            or_(SalesDocument.valid_until.is_(None), SalesDocument.valid_until >= today),
        )
        .order_by(SalesDocument.valid_until, SalesDocument.id)
    )
    return Overview(
        balances=[
            Balance(currency, int(due), int(overdue), int(count))
            for currency, due, overdue, count in rows
        ],
        open_invoices=list(invoices),
        quotes_awaiting=list(quotes),
    )


@dataclass(frozen=True)
class Settlement:
    """One line of what settled a document: a payment or credit note against an invoice,
    or, on a credit note, the invoice it was applied to or the refund paid out."""

    date: date
    amount: int
    kind: str  # payment, credit_note, invoice or refund
    method: str | None = None
    number: str | None = None
    document_id: uuid.UUID | None = None


@dataclass(frozen=True)
class DocumentView:
    document: SalesDocument
    lines: list[SalesDocumentLine]
    taxes: list[TaxTotal]
    settlements: list[Settlement]
    # The quote an invoice came from, or the invoice a credit note corrects.
    source: SalesDocument | None


def document_view(session: Session, party_id: uuid.UUID, document_id: uuid.UUID) -> DocumentView:
    document = get_document(session, party_id, document_id)
    lines = documents.lines_of(session, document.id)
    source = None
    if document.source_id is not None:
        source = session.scalar(
            select(SalesDocument).where(SalesDocument.id == document.source_id, _shown(party_id))
        )
    return DocumentView(
        document=document,
        lines=lines,
        taxes=documents.recalculate_stored(session, document, lines)[1].taxes,
        settlements=_settlements(session, document),
        source=source,
    )


def _settlements(session: Session, document: SalesDocument) -> list[Settlement]:
    allocations = settlements.allocations_of(session, document.id)
    methods = _payment_methods(session, [a.payment_id for a in allocations if a.payment_id])
    others = [
        a.document_id if a.credit_note_id == document.id else a.credit_note_id
        for a in allocations
        if a.credit_note_id is not None
    ]
    numbers = _numbers(session, [other for other in others if other is not None])
    found = []
    for allocation in allocations:
        if allocation.payment_id is not None:
            kind = "refund" if document.kind == "credit_note" else "payment"
            found.append(
                Settlement(
                    allocation.date,
                    allocation.amount,
                    kind,
                    method=methods.get(allocation.payment_id),
                )
            )
            continue
        other = (
            allocation.document_id
            if allocation.credit_note_id == document.id
            else allocation.credit_note_id
        )
        found.append(
            Settlement(
                allocation.date,
                allocation.amount,
                "invoice" if document.kind == "credit_note" else "credit_note",
                number=numbers.get(other) if other else None,
                document_id=other,
            )
        )
    return found


def _payment_methods(session: Session, payment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not payment_ids:
        return {}
    rows = session.execute(select(Payment.id, Payment.method).where(Payment.id.in_(payment_ids)))
    return dict(rows.all())


def _numbers(session: Session, document_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    if not document_ids:
        return {}
    rows = session.execute(
        select(SalesDocument.id, SalesDocument.number).where(SalesDocument.id.in_(document_ids))
    )
    return dict(rows.all())


@dataclass(frozen=True)
class PaymentView:
    payment: Payment
    # What the payment settled: (document id, number, amount), oldest first.
    applied_to: list[tuple[uuid.UUID, str | None, int]]


def list_payments(
    session: Session, party_id: uuid.UUID, *, limit: int | None, cursor: str | None
) -> Page[PaymentView]:
    """Money received from the customer, and refunds paid to them, newest first."""
    page = keyset_page(
        session,
        select(Payment).where(Payment.party_id == party_id),
        Payment.id,
        limit=limit,
        cursor=cursor,
    )
    allocations = payments.allocations_by_payment(session, [p.id for p in page.items])
    numbers = _numbers(session, [a.document_id for found in allocations.values() for a in found])
    return Page(
        [
            PaymentView(
                payment,
                [
                    (a.document_id, numbers.get(a.document_id), a.amount)
                    for a in allocations.get(payment.id, [])
                ],
            )
            for payment in page.items
        ],
        page.next_cursor,
    )
