"""Supplier credit notes: money a supplier owes back, against one of their bills or
standalone. Posting one needs no approval (nothing goes out): it posts the mirror of the
purchases entry and, against a bill, settles what is still due on it; the rest is credit
with the supplier, applied to later bills or refunded."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit import clock
from comptoir.kit.dates import checked_day
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.kit.money import format_minor, parse_amount, plain_decimal
from comptoir.outbox import service as outbox
from comptoir.purchases.models import PurchaseDocument
from comptoir.purchases.service import approvals, bills, posting, settlements

MAX_ALLOCATIONS = 100


def _copied_lines(session: Session, bill: PurchaseDocument) -> list[dict[str, Any]]:
    return [
        {
            "product": str(line.product_id) if line.product_id else None,
            "description": line.description,
            "quantity": plain_decimal(line.quantity),
            "unit_price": plain_decimal(line.unit_price),
            "discount_percent": plain_decimal(line.discount_percent),
            "tax_codes": list(line.tax_codes or []),
            "account": str(line.account_id),
        }
        for line in bills.lines_of(session, bill.id)
    ]


def _corrected_bill(session: Session, reference: object) -> PurchaseDocument:
    try:
        bill = bills.get(session, uuid.UUID(str(reference).strip()), "bill")
    except (ValueError, NotFound):
        raise ValidationFailed.single("bill", "No such bill.", "not_found") from None
    if bill.entry_id is None or bill.status == "cancelled":
        raise ValidationFailed.single(
            "bill", f"This bill is {bill.status}; only a posted bill is corrected.", "not_posted"
        )
    return bill


def create_draft(
    session: Session, values: dict[str, Any], *, actor_id: uuid.UUID | None
) -> PurchaseDocument:
    """A credit note draft. With ``bill`` it corrects that bill: same supplier, currency
    and price mode, and the bill's lines unless ``lines`` says what part."""
    values = dict(values)
    source = None
    if values.get("bill") not in (None, ""):
        source = _corrected_bill(session, values["bill"])
        if values.get("supplier") not in (None, ""):
            party = bills.supplier(session, values["supplier"])
            if party.id != source.party_id:
                raise ValidationFailed.single(
                    "bill", "This bill is from another supplier.", "other_supplier"
                )
        values["supplier"] = str(source.party_id)
        values["currency"] = source.currency
        values["prices_include_tax"] = source.prices_include_tax
        if values.get("lines") is None:
            values["lines"] = _copied_lines(session, source)
    values.pop("bill", None)
    return bills.create_draft(session, "credit_note", values, actor_id=actor_id, source=source)


def credited_so_far(session: Session, bill_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(PurchaseDocument.gross), 0)).where(
                PurchaseDocument.kind == "credit_note",
                PurchaseDocument.source_id == bill_id,
                PurchaseDocument.entry_id.is_not(None),
            )
        )
        or 0
    )


def post(
    session: Session,
    credit_note: PurchaseDocument,
    *,
    actor_id: uuid.UUID | None,
    cancels: bool = False,
) -> PurchaseDocument:
    """Post a draft credit note and, against a bill, settle what is still due on it;
    ``cancels`` when it cancels that bill, which is then not paid but cancelled."""
    if credit_note.status != "draft":
        raise Conflict(
            f"This supplier credit note is {credit_note.status}; only a draft is posted.",
            code="not_a_draft",
        )
    source = (
        bills.get(session, credit_note.source_id, "bill", lock=True)
        if credit_note.source_id is not None
        else None
    )
    if source is not None:
        available = source.gross - credited_so_far(session, source.id)
        if credit_note.gross > available:
            raise ValidationFailed.single(
                "lines",
                f"Bill {bills.display_name(source)} can be credited for at most "
                f"{format_minor(available, source.currency)} more.",
                "exceeds_bill",
            )
    bills.post(session, credit_note, actor_id=actor_id)
    if source is not None and source.status in bills.OPEN_BILL:
        amount = min(credit_note.gross, bills.amount_due(source))
        if amount > 0:
            assert credit_note.entry_id is not None
            settlements.record_allocation(
                session,
                source,
                amount,
                max(credit_note.issue_date, source.issue_date),
                credit_note=credit_note,
                settling_line=posting.payable_line_id(session, credit_note.entry_id),
                cancels=cancels,
                actor_id=actor_id,
            )
    outbox.emit(session, "supplier_credit_note.posted", bills.payload(credit_note))
    return credit_note


@dataclass(frozen=True)
class Application:
    bill: PurchaseDocument
    amount: int


def _applications(
    session: Session, credit_note: PurchaseDocument, raw: Sequence[dict[str, Any]]
) -> list[Application]:
    """Each ``{bill, amount}`` checked against what is due on the bill and what is left of
    the credit note; every problem beside its ``allocations[i]`` field."""
    if not raw:
        raise ValidationFailed.single("allocations", "Apply to at least one bill.", "required")
    if len(raw) > MAX_ALLOCATIONS:
        raise ValidationFailed.single(
            "allocations", f"At most {MAX_ALLOCATIONS} bills at once.", "too_many"
        )
    errors: list[FieldError] = []
    found: list[Application] = []
    seen: set[uuid.UUID] = set()
    for index, item in enumerate(raw):
        prefix = f"allocations[{index}]"
        try:
            bill = settlements.open_bill(
                session, item.get("bill"), credit_note.party_id, f"{prefix}.bill"
            )
            amount = parse_amount(item.get("amount"), credit_note.currency, f"{prefix}.amount")
            if amount <= 0:
                raise ValidationFailed.single(f"{prefix}.amount", "More than zero.", "not_positive")
            if bill.id in seen:
                raise ValidationFailed.single(
                    f"{prefix}.bill", "This bill is listed twice.", "twice"
                )
            seen.add(bill.id)
            settlements.check_settles(bill, amount, credit_note.currency, f"{prefix}.bill")
            found.append(Application(bill, amount))
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    left = credit_note.gross - credit_note.settled
    if not errors and sum(item.amount for item in found) > left:
        errors.append(
            FieldError(
                "allocations",
                f"Only {format_minor(left, credit_note.currency)} is left on this credit note.",
                "exceeds_credit",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return found


def apply(
    session: Session,
    credit_note: PurchaseDocument,
    allocations: Sequence[dict[str, Any]],
    *,
    on: date | None = None,
    actor_id: uuid.UUID | None,
) -> PurchaseDocument:
    """Use what is left of a posted credit note to settle open bills of the same supplier
    and currency: all of them or none."""
    if credit_note.entry_id is None:
        raise Conflict("Post this credit note before applying it.", code="not_posted")
    day = checked_day(on, "date") or clock.now().date()
    applications = _applications(session, credit_note, allocations)
    settling_line = posting.payable_line_id(session, credit_note.entry_id)
    for application in applications:
        settlements.record_allocation(
            session,
            application.bill,
            application.amount,
            # Settled once both exist, as supplier payments are: the aged payables never
            # count a bill settled by a credit note that did not exist yet.
            max(day, credit_note.issue_date, application.bill.issue_date),
            credit_note=credit_note,
            settling_line=settling_line,
            actor_id=actor_id,
        )
    audit.record(
        session,
        "supplier_credit_note.applied",
        target_type="credit_note",
        target_id=credit_note.id,
        after={
            "allocations": [
                {"bill": str(item.bill.id), "amount": item.amount} for item in applications
            ]
        },
    )
    session.flush()
    return credit_note


def cancel_bill(
    session: Session,
    bill: PurchaseDocument,
    values: dict[str, Any],
    *,
    actor_id: uuid.UUID | None,
) -> PurchaseDocument:
    """Cancel a posted, unsettled bill the only lawful way: the supplier's credit note for
    all of it (``values``: its ``supplier_number`` and date), posted at once. Returns the
    credit note."""
    if bill.entry_id is None:
        raise Conflict(
            f"This bill is {bill.status}, not posted: delete or reject it instead.",
            code="not_posted",
        )
    if bill.status == "cancelled":
        raise Conflict("This bill is already cancelled.", code="already_cancelled")
    if bill.settled > 0:
        raise Conflict(
            "Part of this bill is paid or credited; enter the supplier's credit note for the "
            "rest and record their refund.",
            code="partly_settled",
        )
    credit_note = create_draft(
        session,
        {
            "bill": str(bill.id),
            "supplier_number": values.get("supplier_number"),
            "issue_date": values.get("issue_date") or max(bill.issue_date, clock.now().date()),
        },
        actor_id=actor_id,
    )
    post(session, credit_note, actor_id=actor_id, cancels=True)
    bill.status = "cancelled"
    bill.cancelled_at = clock.now()
    bill.paid_at = None
    approvals.record(
        session,
        "bill",
        bill.id,
        "cancelled",
        actor_id=actor_id,
        detail={"credit_note_id": str(credit_note.id)},
    )
    audit.record(
        session,
        "bill.cancelled",
        target_type="bill",
        target_id=bill.id,
        after={"credit_note": credit_note.supplier_number},
    )
    outbox.emit(session, "bill.cancelled", bills.payload(bill))
    session.flush()
    return credit_note
