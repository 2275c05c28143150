"""What purchase events tell members in the notification centre: approvers hear of what
waits for them, submitters of the decisions on what they submitted, employees of their
reimbursements, money-minded roles of supplier payments (connected in ``comptoir.wiring``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from comptoir.kit.money import format_minor
from comptoir.notifications.service.registry import Event, EventKind, Notice, Rule
from comptoir.parties.service import parties
from comptoir.purchases.models import Approvable, Expense, PurchaseDocument
from comptoir.purchases.service import approvals

KINDS = (
    EventKind(
        "expense.approval_requested",
        "Expense to approve",
        "An expense waits for your approval.",
        default_email=True,
    ),
    EventKind(
        "bill.approval_requested",
        "Bill to approve",
        "A supplier bill waits for your approval.",
        default_email=True,
    ),
    EventKind("expense.approved", "Expense approved", "An expense you submitted is approved."),
    EventKind(
        "expense.rejected",
        "Expense rejected",
        "An expense you submitted is rejected, with the reason.",
        default_email=True,
    ),
    EventKind("bill.approved", "Bill approved", "A bill you submitted is approved and posted."),
    EventKind("bill.rejected", "Bill rejected", "A bill you submitted is rejected."),
    EventKind(
        "expense.reimbursed",
        "Expenses reimbursed",
        "The expenses you paid personally are reimbursed to you.",
    ),
)


def _uuid(event: Event, key: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(event.payload[key]))
    except (KeyError, ValueError):
        return None


def _subject(session: Session, event: Event) -> Approvable | None:
    subject_id = _uuid(event, "id")
    if subject_id is None:
        return None
    if event.type.startswith("expense."):
        return session.get(Expense, subject_id)
    return session.get(PurchaseDocument, subject_id)


def _amount(subject: Approvable) -> str:
    assert isinstance(subject, Expense | PurchaseDocument)
    return f"{format_minor(subject.gross, subject.currency)} {subject.currency}"


def _who(session: Session, subject: Approvable) -> str:
    assert isinstance(subject, Expense | PurchaseDocument)
    if subject.party_id is not None:
        return parties.get(session, subject.party_id).name
    if isinstance(subject, Expense) and subject.supplier_name:
        return subject.supplier_name
    return "no supplier"


def _link(subject: Approvable) -> str:
    if isinstance(subject, Expense):
        return f"/purchases/expenses/{subject.id}"
    assert isinstance(subject, PurchaseDocument)
    return f"/purchases/bills/{subject.id}"


def _noun(subject: Approvable) -> str:
    if isinstance(subject, Expense):
        return "Expense"
    assert isinstance(subject, PurchaseDocument)
    return "Bill" if subject.kind == "bill" else "Supplier credit note"


def approval_requested(session: Session, event: Event) -> Iterable[Notice]:
    subject = _subject(session, event)
    step = event.payload.get("step")
    # Decided, or moved on to a later step, before the notification went out: the step
    # no longer waits (the later step has its own event).
    if (
        subject is None
        or approvals.pending_role(subject) is None
        or step != subject.approvals_done + 1
    ):
        return
    steps = event.payload.get("steps")
    body = f"Step {step} of {steps}." if steps and int(steps) > 1 else None
    yield Notice(
        approvals.pending_approvers(session, subject),
        f"{_noun(subject)} of {_amount(subject)} ({_who(session, subject)}) to approve",
        body=body,
        link=_link(subject),
    )


def decided(session: Session, event: Event) -> Iterable[Notice]:
    subject = _subject(session, event)
    if subject is None or subject.submitted_by_id is None:
        return
    verb = "approved" if event.type.endswith(".approved") else "rejected"
    # The reason as it was when rejected: the document may be corrected since.
    reason = event.payload.get("rejection_reason") or subject.rejection_reason
    yield Notice(
        frozenset({subject.submitted_by_id}),
        f"{_noun(subject)} of {_amount(subject)} ({_who(session, subject)}) {verb}",
        body=reason if verb == "rejected" else None,
        link=_link(subject),
    )


def reimbursed(session: Session, event: Event) -> Iterable[Notice]:
    employee = _uuid(event, "employee_id")
    if employee is None:
        return
    currency = str(event.payload.get("currency") or "")
    amount = int(event.payload.get("amount") or 0)
    yield Notice(
        frozenset({employee}),
        f"{format_minor(amount, currency)} {currency} of expenses reimbursed to you",
        link="/purchases/expenses?mine=1",
    )


RULES: tuple[tuple[str, Rule], ...] = (
    ("expense.approval_requested", approval_requested),
    ("bill.approval_requested", approval_requested),
    ("expense.approved", decided),
    ("expense.rejected", decided),
    ("bill.approved", decided),
    ("bill.rejected", decided),
    ("expense.reimbursed", reimbursed),
)
