"""How bills get settled: by supplier payments and by supplier credit notes. Each
settlement is an allocation row, moves the documents' ``settled`` amounts and statuses,
and letters the payable lines in the ledger, so that the books and the bills agree."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.identity.service import organizations
from comptoir.kit import clock
from comptoir.kit.errors import ValidationFailed
from comptoir.kit.money import format_minor
from comptoir.ledger.service import matching, rates
from comptoir.outbox import service as outbox
from comptoir.purchases.models import PurchaseAllocation, PurchaseDocument
from comptoir.purchases.service import approvals, bills, posting


def refresh_status(
    session: Session, bill: PurchaseDocument, *, actor_id: uuid.UUID | None = None
) -> None:
    """A posted bill's status follows what settles it: paid when nothing is due,
    partially paid in between, posted before any settlement."""
    if bill.kind != "bill" or bill.status not in (*bills.OPEN_BILL, "paid"):
        return
    before = bill.status
    if bill.settled >= bill.gross:
        bill.status = "paid"
        bill.paid_at = bill.paid_at or clock.now()
    elif bill.settled > 0:
        bill.status = "partially_paid"
        bill.paid_at = None
    else:
        bill.status = "posted"
        bill.paid_at = None
    if bill.status == "paid" and before != "paid":
        approvals.record(session, "bill", bill.id, "paid", actor_id=actor_id)
        outbox.emit(session, "bill.paid", bills.payload(bill))


def check_settles(bill: PurchaseDocument, amount: int, currency: str, field: str) -> None:
    """``amount`` of ``currency`` may settle ``bill``: a posted, open bill in that currency
    with at least that much due."""
    name = bills.display_name(bill)
    if bill.status not in bills.OPEN_BILL:
        raise ValidationFailed.single(
            field, f"Bill {name} is {bill.status.replace('_', ' ')}.", "not_open"
        )
    if bill.currency != currency:
        raise ValidationFailed.single(
            field, f"Bill {name} is in {bill.currency}, not {currency}.", "currency_mismatch"
        )
    due = bills.amount_due(bill)
    if amount > due:
        raise ValidationFailed.single(
            field,
            f"Only {format_minor(due, currency)} is due on bill {name}.",
            "exceeds_amount_due",
        )


def open_bill(
    session: Session, reference: object, party_id: uuid.UUID, field: str
) -> PurchaseDocument:
    """A bill of this supplier by id or by the supplier's number, its row locked until the
    transaction ends and read afresh (what is settled on it changes one settlement at a
    time), or a field error. Suppliers reuse numbers: among several bills with the
    number, the one still open is meant, and the id is asked for when that is not
    enough."""
    text = str(reference or "").strip()
    if not text:
        raise ValidationFailed.single(field, "Choose a bill.", "required")
    try:
        condition = PurchaseDocument.id == uuid.UUID(text)
    except ValueError:
        condition = bills.number_matches(text)
    found = list(
        session.scalars(
            select(PurchaseDocument)
            .where(
                PurchaseDocument.kind == "bill",
                PurchaseDocument.party_id == party_id,
                condition,
            )
            .order_by(PurchaseDocument.issue_date, PurchaseDocument.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if len(found) > 1:
        found = [bill for bill in found if bill.status in bills.OPEN_BILL] or found[-1:]
    if not found:
        raise ValidationFailed.single(field, "No such bill of this supplier.", "not_found")
    if len(found) > 1:
        raise ValidationFailed.single(
            field,
            f"Several open bills of this supplier are numbered {text}; give the bill's id.",
            "ambiguous",
        )
    return found[0]


def record_allocation(
    session: Session,
    bill: PurchaseDocument,
    amount: int,
    on: date,
    *,
    payment_id: uuid.UUID | None = None,
    credit_note: PurchaseDocument | None = None,
    settling_line: uuid.UUID,
    shared_rate: Decimal | None = None,
    cancels: bool = False,
    actor_id: uuid.UUID | None,
) -> PurchaseAllocation:
    """Write the allocation, move the bill on, letter the two payable lines. The caller
    checked the amount (``check_settles``). ``shared_rate`` is the rate of a settling line
    that serves several settlements (a payment's advance); a credit note's line always
    does. ``cancels``: the bill is being cancelled, so it is not recorded as paid."""
    allocation = PurchaseAllocation(
        document_id=bill.id,
        payment_id=payment_id,
        credit_note_id=credit_note.id if credit_note is not None else None,
        amount=amount,
        date=on,
    )
    session.add(allocation)
    bill.settled += amount
    if credit_note is not None:
        credit_note.settled += amount
    assert bill.entry_id is not None
    # A line serving several settlements (a credit note's payable line, a payment's
    # advance) is lettered only for this part of it, at its own rate; a payment's line
    # made for this very settlement is lettered whole.
    rate = credit_note.exchange_rate if credit_note is not None else shared_rate
    limit = None
    if rate is not None:
        base = organizations.get_current(session).base_currency
        limit = rates.convert(amount, bill.currency, base, rate)
    matching.match(
        session,
        [posting.payable_line_id(session, bill.entry_id), settling_line],
        on=on,
        actor_id=actor_id,
        limit=limit,
    )
    approvals.record(
        session,
        "bill",
        bill.id,
        "credited" if credit_note is not None else "payment",
        actor_id=actor_id,
        detail={
            "amount": amount,
            "credit_note_id": str(credit_note.id) if credit_note is not None else None,
            "payment_id": str(payment_id) if payment_id else None,
        },
    )
    if not cancels:
        refresh_status(session, bill, actor_id=actor_id)
    session.flush()
    return allocation


def allocations_of(session: Session, document_id: uuid.UUID) -> list[PurchaseAllocation]:
    """What settled a bill, or what a credit note settled, oldest first."""
    return list(
        session.scalars(
            select(PurchaseAllocation)
            .where(
                (PurchaseAllocation.document_id == document_id)
                | (PurchaseAllocation.credit_note_id == document_id)
            )
            .order_by(PurchaseAllocation.created_at, PurchaseAllocation.id)
        )
    )
