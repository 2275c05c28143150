"""What the purchases pages share: the layout values, statuses and history steps as people
read them, the approval progress of a bill or an expense, and its receipts."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import Request, Response

from comptoir.identity.roles import ROLE_LABELS, Role
from comptoir.identity.service import accounts as users
from comptoir.kit.money import plain_decimal
from comptoir.parties.service.terms import PAYMENT_TERMS
from comptoir.purchases.service import approvals, expenses
from comptoir.sales.views.common import price_text
from comptoir.web.formatting import page_formats
from comptoir.web.websession import Db, Visitor, render

if TYPE_CHECKING:
    from comptoir.purchases.models import Approvable, ApprovalAction, Expense

PAGE_SIZE = 50

STATUS_LABELS = {
    "draft": "Draft",
    "submitted": "Awaiting approval",
    "rejected": "Rejected",
    "approved": "Approved",
    "posted": "Posted",
    "partially_paid": "Partly paid",
    "paid": "Paid",
    "reimbursed": "Reimbursed",
    "cancelled": "Cancelled",
}
# Expenses paid personally are "posted" while they wait to be paid back.
EXPENSE_STATUS_LABELS = {**STATUS_LABELS, "posted": "To reimburse"}
HISTORY_LABELS = {
    "created": "Created",
    "updated": "Changed",
    "submitted": "Submitted for approval",
    "auto_approved": "Approved at once: no approval needed for this amount",
    "approved": "Approved",
    "self_approved": "Self-approved, as nobody else could",
    "rejected": "Rejected",
    "posted": "Posted to the books",
    "paid": "Paid",
    "partially_paid": "Partly paid",
    "reimbursed": "Reimbursed",
    "cancelled": "Cancelled",
    "credited": "Credited",
}


@dataclass(frozen=True)
class HistoryStep:
    """One line of the timeline of a bill or an expense."""

    kind: str
    label: str
    at: datetime
    actor: str | None
    note: str | None


@dataclass(frozen=True)
class ProgressStep:
    """One approval step as the page shows it: who it needs, and who gave it."""

    number: int
    role: str
    state: str
    actor: str | None


@dataclass(frozen=True)
class Progress:
    steps: list[ProgressStep]
    done: int
    self_approved: bool

    @property
    def waiting(self) -> ProgressStep | None:
        return next((step for step in self.steps if step.state == "waiting"), None)


def role_text(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role.replace("_", " ").capitalize()


def history_steps(
    rows: Sequence[ApprovalAction], names: Mapping[uuid.UUID, str]
) -> list[HistoryStep]:
    steps = []
    for row in rows:
        note = row.reason
        if row.action in ("approved", "self_approved", "rejected") and row.role:
            note = f"step {row.step} · {role_text(row.role)}" + (
                f": {row.reason}" if row.reason else ""
            )
        steps.append(
            HistoryStep(
                row.action,
                HISTORY_LABELS.get(row.action, row.action.replace("_", " ").capitalize()),
                row.at,
                names.get(row.actor_id) if row.actor_id else None,
                note,
            )
        )
    return steps


def progress(
    subject: Approvable, rows: Sequence[ApprovalAction], names: Mapping[uuid.UUID, str]
) -> Progress:
    """The steps of the current submission: done (by whom), waiting, or still to come."""
    approvers: dict[int, uuid.UUID | None] = {}
    for row in reversed(rows):
        if row.action == "submitted":
            break
        if row.action in ("approved", "self_approved") and row.step is not None:
            approvers.setdefault(row.step, row.actor_id)
    waiting = subject.status == "submitted"
    steps = []
    for index, role in enumerate(subject.approval_steps, start=1):
        if index <= subject.approvals_done:
            state = "done"
        elif waiting and index == subject.approvals_done + 1:
            state = "waiting"
        else:
            state = "todo"
        actor = approvers.get(index)
        steps.append(
            ProgressStep(index, role_text(role), state, names.get(actor) if actor else None)
        )
    return Progress(steps, subject.approvals_done, subject.self_approved)


def approval_context(session: Db, visitor: Visitor, subject: Approvable) -> dict[str, Any]:
    """The history, the approval progress and what the visitor may decide on it."""
    subject_id = approvals.subject_id_of(subject)
    rows = approvals.history(session, subject_id)
    names = users.display_names(session, (row.actor_id for row in rows))
    approvers = approvals.pending_approvers(session, subject)
    user_id = visitor.principal.user_id
    return {
        "timeline": history_steps(rows, names),
        "progress": progress(subject, rows, names),
        "may_decide": user_id in approvers,
        # Approving one's own: allowed only when nobody else could, and said so.
        "self_approval": user_id in approvers and user_id == subject.submitted_by_id,
    }


def page(
    request: Request,
    visitor: Visitor,
    template: str,
    context: Mapping[str, Any],
    *,
    nav: str,
    status_code: int = 200,
) -> Response:
    values = {
        "section": "purchases",
        "subsection": nav,
        "status_labels": STATUS_LABELS,
        "terms_labels": PAYMENT_TERMS,
        "plain": plain_decimal,
        "price": price_text,
        "base_currency": visitor.organization.base_currency,
        **page_formats(visitor.organization),
        **context,
    }
    return render(request, template, values, status_code=status_code)


def viewer(visitor: Visitor) -> expenses.Viewer:
    """The visitor as the expense service's visibility rule knows them."""
    return expenses.Viewer(visitor.principal.user_id, visitor.principal.role)


def may_change(expense: Expense, visitor: Visitor) -> bool:
    """Its author (or the member it is for) edits and submits it; approvers only decide."""
    user_id = visitor.principal.user_id
    return visitor.can("expenses:write") and user_id in (expense.created_by_id, expense.employee_id)
