"""The approvals inbox: the bills and expenses waiting for one member's approval, found in
a fixed number of queries whatever their count."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.identity.roles import Role
from comptoir.purchases.models import Expense, PurchaseDocument
from comptoir.purchases.service import approval_rules, approvals

# More than anyone approves in one sitting. Everything waiting is read (what waits is a
# working set, not the archive) so that nobody's items hide behind others'.
MAX_ITEMS = 500


@dataclass(frozen=True)
class PendingItem:
    subject_type: approvals.SubjectType
    subject: Expense | PurchaseDocument
    role: Role
    # 1-based step waiting, of ``steps``.
    step: int
    steps: int
    # The member would approve it as the only one who could (recorded as such).
    self_approval: bool

    @property
    def id(self) -> uuid.UUID:
        return self.subject.id


def _waiting(session: Session) -> list[tuple[approvals.SubjectType, Expense | PurchaseDocument]]:
    waiting: list[tuple[approvals.SubjectType, Expense | PurchaseDocument]] = []
    for expense in session.scalars(
        select(Expense)
        .where(Expense.status == "submitted")
        .order_by(Expense.submitted_at, Expense.id)
    ):
        waiting.append(("expense", expense))
    for bill in session.scalars(
        select(PurchaseDocument)
        .where(PurchaseDocument.status == "submitted")
        .order_by(PurchaseDocument.submitted_at, PurchaseDocument.id)
    ):
        waiting.append(("bill", bill))
    return waiting


def pending_for(session: Session, user_id: uuid.UUID) -> list[PendingItem]:
    """What ``user_id`` may approve now, oldest submission first."""
    waiting = _waiting(session)
    if not waiting:
        return []
    roles = approval_rules.roles_by_user(session)
    if not approval_rules.may_approve(roles.get(user_id, Role.VIEWER), Role.ACCOUNTANT):
        return []
    histories = approvals.histories(session, [subject.id for _, subject in waiting])
    found: list[PendingItem] = []
    for subject_type, subject in waiting:
        role = approvals.pending_role(subject)
        if role is None:
            continue
        step = approvals.step_approvers(
            subject,
            role,
            roles,
            approvals.earlier_approvers(histories.get(subject.id, [])),
        )
        if user_id in step.approvers:
            found.append(
                PendingItem(
                    subject_type,
                    subject,
                    role,
                    subject.approvals_done + 1,
                    len(subject.approval_steps),
                    step.self_approval,
                )
            )
    found.sort(key=lambda item: (item.subject.submitted_at is None, item.subject.submitted_at))
    return found[:MAX_ITEMS]
