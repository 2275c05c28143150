"""The approval workflow bills and expenses share: submit, approve step by step, reject
with a reason, and the history of every decision.

A document is submitted under the plan the rules give for its amount (base currency, tax
included); the plan's roles are kept on the document, so that a change of rules never
moves a document already in flight. Each step is approved by a member whose role may
approve it (see ``approval_rules.may_approve``), never by the submitter nor by someone who
approved an earlier step, unless nobody else could: then the approval is recorded as a
self-approval. A plan without steps approves at once (``auto_approved``).

What approval *does* (posting a bill, paying an expense) is the caller's: these functions
move the state, write the history, say when the document became approved, and emit
``<type>.approval_requested`` whenever a step waits for someone (the notification centre
tells that step's approvers).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.identity.roles import Role
from comptoir.kit import clock
from comptoir.kit.errors import Conflict, PermissionDenied, ValidationFailed
from comptoir.outbox import service as outbox
from comptoir.purchases.models import Approvable, ApprovalAction
from comptoir.purchases.service import approval_rules

SubjectType = Literal["expense", "bill"]
MAX_REASON = 2000
# Where a document may be submitted from: a draft, or a rejected one sent back corrected.
SUBMITTABLE = ("draft", "rejected")
# Where its content may still change.
EDITABLE = ("draft", "rejected")


def record(
    session: Session,
    subject_type: SubjectType,
    subject_id: uuid.UUID,
    action: str,
    *,
    actor_id: uuid.UUID | None,
    step: int | None = None,
    role: str | None = None,
    reason: str | None = None,
    detail: dict[str, object] | None = None,
) -> ApprovalAction:
    """Add a line to a document's history (created, submitted, approved, posted, paid...)."""
    action_row = ApprovalAction(
        subject_type=subject_type,
        subject_id=subject_id,
        action=action,
        step=step,
        role=role,
        actor_id=actor_id,
        reason=reason,
        detail=detail,
    )
    session.add(action_row)
    session.flush()
    return action_row


def history(session: Session, subject_id: uuid.UUID) -> list[ApprovalAction]:
    """A document's history, oldest first."""
    return list(
        session.scalars(
            select(ApprovalAction)
            .where(ApprovalAction.subject_id == subject_id)
            .order_by(ApprovalAction.at, ApprovalAction.id)
        )
    )


def histories(
    session: Session, subject_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ApprovalAction]]:
    """The histories of several documents at once, for lists and the approvals inbox."""
    found: dict[uuid.UUID, list[ApprovalAction]] = {}
    if not subject_ids:
        return found
    for row in session.scalars(
        select(ApprovalAction)
        .where(ApprovalAction.subject_id.in_(subject_ids))
        .order_by(ApprovalAction.at, ApprovalAction.id)
    ):
        found.setdefault(row.subject_id, []).append(row)
    return found


def pending_role(subject: Approvable) -> Role | None:
    """The role the next approval step calls for; None unless the document waits for one."""
    if subject.status != "submitted" or subject.approvals_done >= len(subject.approval_steps):
        return None
    return Role(subject.approval_steps[subject.approvals_done])


def _earlier_approvers(session: Session, subject_id: uuid.UUID) -> set[uuid.UUID]:
    return earlier_approvers(history(session, subject_id))


def earlier_approvers(rows: Sequence[ApprovalAction]) -> set[uuid.UUID]:
    """Who approved the steps done so far of the current submission, from its history."""
    approvers: set[uuid.UUID] = set()
    for row in reversed(rows):
        if row.action == "submitted":
            break
        if row.action in ("approved", "self_approved") and row.actor_id is not None:
            approvers.add(row.actor_id)
    return approvers


def interested(subject: Approvable) -> set[uuid.UUID]:
    """Who may not approve the document while someone else could: its submitter and, for
    an expense paid personally, the member it reimburses."""
    found = {subject.submitted_by_id, getattr(subject, "employee_id", None)}
    return {user for user in found if user is not None}


def step_approvers(
    subject: Approvable,
    role: Role,
    roles_by_user: Mapping[uuid.UUID, Role],
    earlier: set[uuid.UUID],
) -> approval_rules.PlannedStep:
    """Who may approve the pending step: its eligible members but the interested ones and
    the earlier approvers, keeping back anyone who alone could approve a later step (an
    owner approving an administrator's step would leave the owner's step to nobody
    else); when that leaves nobody, whoever is eligible, and the approval is recorded as
    a self-approval."""

    def eligible_for(step: Role) -> frozenset[uuid.UUID]:
        return frozenset(
            user for user, held in roles_by_user.items() if approval_rules.may_approve(held, step)
        )

    eligible = eligible_for(role)
    excluded = interested(subject) | earlier
    others = eligible - excluded
    reserved: set[uuid.UUID] = set()
    for later in subject.approval_steps[subject.approvals_done + 1 :]:
        candidates = eligible_for(Role(later)) - excluded
        if len(candidates) == 1:
            reserved |= candidates
    if others - reserved:
        return approval_rules.PlannedStep(role, others - reserved, False)
    if others:
        return approval_rules.PlannedStep(role, others, False)
    return approval_rules.PlannedStep(role, eligible, True)


def _step_approvers(
    session: Session, subject: Approvable, role: Role
) -> approval_rules.PlannedStep:
    return step_approvers(
        subject,
        role,
        approval_rules.roles_by_user(session),
        _earlier_approvers(session, subject_id_of(subject)),
    )


def subject_id_of(subject: Approvable) -> uuid.UUID:
    subject_id = getattr(subject, "id", None)
    assert isinstance(subject_id, uuid.UUID)
    return subject_id


def pending_approvers(session: Session, subject: Approvable) -> frozenset[uuid.UUID]:
    """Who may approve the document now (empty unless it waits for an approval)."""
    role = pending_role(subject)
    if role is None:
        return frozenset()
    return _step_approvers(session, subject, role).approvers


def may_act(session: Session, subject: Approvable, actor_id: uuid.UUID) -> bool:
    return actor_id in pending_approvers(session, subject)


def submit(
    session: Session,
    subject: Approvable,
    subject_type: SubjectType,
    *,
    amount: int,
    actor_id: uuid.UUID,
) -> bool:
    """Submit for approval under the rules for ``amount`` (minor units of the base
    currency, tax included). Returns True when no approval is needed: the document is
    approved already (recorded as auto-approved)."""
    if subject.status not in SUBMITTABLE:
        raise Conflict(
            f"This {subject_type} is {subject.status}; only a draft or a rejected one "
            "can be submitted.",
            code="not_submittable",
        )
    plan = approval_rules.approval_for(
        session, applies_to=subject_type, amount=amount, submitter_id=actor_id
    )
    subject_id = subject_id_of(subject)
    now = clock.now()
    subject.submitted_at = now
    subject.submitted_by_id = actor_id
    subject.approval_steps = [step.role.value for step in plan.steps]
    subject.approvals_done = 0
    subject.self_approved = False
    subject.approved_at = None
    subject.rejected_at = None
    subject.rejection_reason = None
    record(
        session,
        subject_type,
        subject_id,
        "submitted",
        actor_id=actor_id,
        detail={"steps": subject.approval_steps, "amount": amount},
    )
    if plan.auto_approved:
        subject.status = "approved"
        subject.approved_at = now
        record(session, subject_type, subject_id, "auto_approved", actor_id=None)
        return True
    subject.status = "submitted"
    _request(session, subject, subject_type)
    return False


def _request(session: Session, subject: Approvable, subject_type: SubjectType) -> None:
    role = pending_role(subject)
    assert role is not None
    outbox.emit(
        session,
        f"{subject_type}.approval_requested",
        {
            "id": str(subject_id_of(subject)),
            "step": subject.approvals_done + 1,
            "steps": len(subject.approval_steps),
            "role": role.value,
        },
    )


def approve(
    session: Session,
    subject: Approvable,
    subject_type: SubjectType,
    *,
    actor_id: uuid.UUID,
) -> bool:
    """Approve the pending step as ``actor_id``. Returns True when that was the last step:
    the document is approved."""
    role = pending_role(subject)
    if role is None:
        raise Conflict(
            f"This {subject_type} is {subject.status}, not waiting for an approval.",
            code="not_submitted",
        )
    step = _step_approvers(session, subject, role)
    if actor_id not in step.approvers:
        if actor_id == subject.submitted_by_id:
            raise PermissionDenied(
                f"You submitted this {subject_type}: someone else approves it.",
                code="self_approval",
            )
        if actor_id in interested(subject):
            raise PermissionDenied(
                f"This {subject_type} is to be reimbursed to you: someone else approves it.",
                code="self_approval",
            )
        if actor_id in _earlier_approvers(session, subject_id_of(subject)):
            raise PermissionDenied(
                f"You approved an earlier step of this {subject_type}: someone else "
                "approves this one.",
                code="already_approved_step",
            )
        held = approval_rules.roles_by_user(session).get(actor_id, Role.VIEWER)
        if approval_rules.may_approve(held, role):
            raise PermissionDenied(
                f"You are the only one who can approve a later step of this {subject_type}: "
                f"{_role_phrase(role)} approves this one.",
                code="later_step_approver",
            )
        raise PermissionDenied(
            f"This step needs the approval of {_role_phrase(role)}.", code="not_approver"
        )
    subject.approvals_done += 1
    # Falling back means everyone who could approve is interested or approved before.
    self_approval = step.self_approval
    subject.self_approved = subject.self_approved or self_approval
    record(
        session,
        subject_type,
        subject_id_of(subject),
        "self_approved" if self_approval else "approved",
        actor_id=actor_id,
        step=subject.approvals_done,
        role=role.value,
    )
    if subject.approvals_done < len(subject.approval_steps):
        _request(session, subject, subject_type)
        return False
    subject.status = "approved"
    subject.approved_at = clock.now()
    return True


def _role_phrase(role: Role) -> str:
    if role is Role.OWNER:
        return "an owner"
    if role is Role.ADMIN:
        return "an administrator or an owner"
    return "an accountant, an administrator or an owner"


def clean_reason(value: object) -> str:
    reason = str(value or "").strip()
    if not reason:
        raise ValidationFailed.single("reason", "Say why it is rejected.", "required")
    if len(reason) > MAX_REASON:
        raise ValidationFailed.single("reason", f"At most {MAX_REASON} characters.", "too_long")
    return reason


def reject(
    session: Session,
    subject: Approvable,
    subject_type: SubjectType,
    *,
    actor_id: uuid.UUID,
    reason: object,
) -> None:
    """Reject the document at its pending step, with a reason its submitter will read.
    Whoever may approve the step may reject it."""
    role = pending_role(subject)
    if role is None:
        raise Conflict(
            f"This {subject_type} is {subject.status}, not waiting for an approval.",
            code="not_submitted",
        )
    text = clean_reason(reason)
    if actor_id not in _step_approvers(session, subject, role).approvers:
        raise PermissionDenied(
            f"This step is decided by {_role_phrase(role)}.", code="not_approver"
        )
    subject.status = "rejected"
    subject.rejected_at = clock.now()
    subject.rejection_reason = text
    record(
        session,
        subject_type,
        subject_id_of(subject),
        "rejected",
        actor_id=actor_id,
        step=subject.approvals_done + 1,
        role=role.value,
        reason=text,
    )


def check_editable(subject: Approvable, subject_type: SubjectType) -> None:
    """Content changes only before submission, or after a rejection (which sends the
    document back to draft when saved)."""
    if subject.status not in EDITABLE:
        raise Conflict(
            f"This {subject_type} is {subject.status}; it can no longer be changed.",
            code="not_editable",
        )
    if subject.status == "rejected":
        subject.status = "draft"
