"""Who approves spending: bands of amounts per kind of document and the roles that approve
each band, step by step; and the approval plan a document of a given amount follows.

Approver hierarchy: an owner may approve any step, an admin an admin's or an
accountant's step, an accountant only an accountant's step. Other roles never approve.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.identity.roles import Role
from comptoir.identity.service import members, organizations
from comptoir.kit.errors import FieldError, NotFound, ValidationFailed
from comptoir.kit.money import format_minor, parse_amount
from comptoir.outbox import service as outbox
from comptoir.purchases.models import ApprovalRule

KINDS = ("expense", "bill")
MAX_BANDS = 10
MAX_STEPS = 3
# Higher approves everything lower approves; the roles that may approve spending.
APPROVER_RANK: dict[Role, int] = {Role.OWNER: 3, Role.ADMIN: 2, Role.ACCOUNTANT: 1}
APPROVER_ROLES = tuple(APPROVER_RANK)


@dataclass(frozen=True)
class Band:
    """Amounts above the previous band's ``up_to`` up to this one's (inclusive), in minor
    units of the base currency; ``up_to`` None is the top band."""

    up_to: int | None
    steps: tuple[Role, ...]


@dataclass(frozen=True)
class Rules:
    applies_to: str
    bands: tuple[Band, ...]
    # True while the organization has set no rules of this kind.
    is_default: bool


# Until an organization sets its own: any amount needs one approval by an admin (so an
# admin or an owner), which keeps a second pair of eyes without blocking small teams.
DEFAULT_BANDS = (Band(None, (Role.ADMIN,)),)


@dataclass(frozen=True)
class PlannedStep:
    role: Role
    # Who may approve this step; the submitter only when self-approval applies.
    approvers: frozenset[uuid.UUID]
    # The submitter is the only one who could approve: recorded as self-approved.
    self_approval: bool


@dataclass(frozen=True)
class ApprovalPlan:
    steps: tuple[PlannedStep, ...]

    @property
    def auto_approved(self) -> bool:
        return not self.steps


def check_kind(applies_to: str) -> str:
    if applies_to not in KINDS:
        raise NotFound(f"No approval rules for {applies_to!r}: use expense or bill.")
    return applies_to


def rules_of(session: Session, applies_to: str) -> Rules:
    rows = session.scalars(
        select(ApprovalRule).where(ApprovalRule.applies_to == check_kind(applies_to))
    ).all()
    if not rows:
        return Rules(applies_to, DEFAULT_BANDS, is_default=True)
    # The top band (None) sorts last.
    ordered = sorted(rows, key=lambda row: (row.up_to is None, row.up_to or 0))
    bands = tuple(Band(row.up_to, tuple(Role(step) for step in row.steps)) for row in ordered)
    return Rules(applies_to, bands, is_default=False)


def _steps(value: Any, field: str, errors: list[FieldError]) -> tuple[Role, ...]:
    if not isinstance(value, list | tuple):
        errors.append(FieldError(field, 'A list of roles, e.g. ["admin"].'))
        return ()
    if len(value) > MAX_STEPS:
        errors.append(FieldError(field, f"At most {MAX_STEPS} steps.", "too_many"))
        return ()
    allowed = ", ".join(role.value for role in APPROVER_ROLES)
    roles: list[Role] = []
    for step in value:
        if not isinstance(step, str) or step not in APPROVER_RANK:
            errors.append(FieldError(field, f"Each step is one of {allowed}.", "unknown_role"))
            return ()
        role = Role(step)
        if role in roles:
            errors.append(
                FieldError(
                    field, f"{role.value.capitalize()} appears twice: one step each.", "duplicate"
                )
            )
            return ()
        roles.append(role)
    return tuple(roles)


def _up_to(value: Any, field: str, currency: str, errors: list[FieldError]) -> int | None:
    if value is None or value == "":
        return None
    try:
        amount = parse_amount(value, currency, field)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        return None
    if amount <= 0:
        errors.append(FieldError(field, "More than zero.", "out_of_range"))
    return amount


def parse_bands(raw: Any, currency: str) -> tuple[Band, ...]:
    """Client bands (``up_to`` a decimal string or null, ``steps`` role names) checked as a
    whole: increasing amounts, one top band last. An empty list means the defaults."""
    if not isinstance(raw, list | tuple):
        raise ValidationFailed.single("rules", "A list of bands.")
    if len(raw) > MAX_BANDS:
        raise ValidationFailed.single("rules", f"At most {MAX_BANDS} bands.", "too_many")
    errors: list[FieldError] = []
    bands: list[Band] = []
    for index, item in enumerate(raw):
        prefix = f"rules[{index}]"
        if not isinstance(item, Mapping):
            errors.append(FieldError(prefix, 'An object: {"up_to": "100.00", "steps": []}.'))
            continue
        count = len(errors)
        up_to = _up_to(item.get("up_to"), f"{prefix}.up_to", currency, errors)
        steps = _steps(item.get("steps", []), f"{prefix}.steps", errors)
        if len(errors) > count:
            continue
        last = index == len(raw) - 1
        previous = bands[-1].up_to if bands else 0
        if up_to is None and not last:
            errors.append(
                FieldError(f"{prefix}.up_to", "Only the last band has no limit.", "order")
            )
        elif up_to is not None and last:
            errors.append(
                FieldError(
                    f"{prefix}.up_to",
                    "The last band covers every larger amount: leave its limit empty.",
                    "required_top",
                )
            )
        elif up_to is not None and previous is not None and up_to <= previous:
            errors.append(
                FieldError(f"{prefix}.up_to", "More than the previous band's limit.", "order")
            )
        bands.append(Band(up_to, steps))
    if errors:
        raise ValidationFailed(errors)
    return tuple(bands)


def _jsonable(bands: Sequence[Band], currency: str) -> list[dict[str, Any]]:
    return [
        {
            "up_to": None if band.up_to is None else format_minor(band.up_to, currency),
            "steps": [step.value for step in band.steps],
        }
        for band in bands
    ]


def replace(session: Session, applies_to: str, raw: Any, actor_id: uuid.UUID) -> Rules:
    """The whole set of bands of one kind replaced at once, or nothing changed."""
    before = rules_of(session, applies_to)
    currency = organizations.get_current(session).base_currency
    bands = parse_bands(raw, currency)
    session.execute(delete(ApprovalRule).where(ApprovalRule.applies_to == applies_to))
    session.add_all(
        ApprovalRule(
            applies_to=applies_to, up_to=band.up_to, steps=[step.value for step in band.steps]
        )
        for band in bands
    )
    session.flush()
    after = rules_of(session, applies_to)
    change = {
        "applies_to": applies_to,
        "from": None if before.is_default else _jsonable(before.bands, currency),
        "to": None if after.is_default else _jsonable(after.bands, currency),
    }
    audit.record(
        session,
        "approval_rules.changed",
        target_type="approval_rules",
        target_id=applies_to,
        before={"rules": change["from"]},
        after={"rules": change["to"]},
        actor_user_id=actor_id,
    )
    outbox.emit(session, "approval_rules.changed", change)
    return after


def band_for(bands: Sequence[Band], amount: int) -> Band:
    """The band containing ``amount`` (its limit included); the top band above them all."""
    return next(band for band in bands if band.up_to is None or amount <= band.up_to)


def band_of(session: Session, applies_to: str, amount: int) -> Band:
    """The organization's band for an amount in minor units of the base currency."""
    if amount < 0:
        raise ValidationFailed.single("amount", "Zero or more.", "out_of_range")
    return band_for(rules_of(session, applies_to).bands, amount)


def steps_for(session: Session, applies_to: str, amount: int) -> list[Role]:
    return list(band_of(session, applies_to, amount).steps)


def may_approve(role_of_member: Role | str, step_role: Role) -> bool:
    rank = APPROVER_RANK.get(Role(role_of_member), 0)
    return rank > 0 and rank >= APPROVER_RANK[step_role]


def roles_by_user(session: Session) -> dict[uuid.UUID, Role]:
    return {m.user.id: Role(m.membership.role) for m in members.list_members(session)}


def approvers_for(session: Session, step_role: Role) -> frozenset[uuid.UUID]:
    return frozenset(
        user for user, role in roles_by_user(session).items() if may_approve(role, step_role)
    )


def plan(
    steps: Sequence[Role], roles_by_user: Mapping[uuid.UUID, Role], submitter_id: uuid.UUID
) -> ApprovalPlan:
    """Each step's approvers without the submitter, unless nobody else could approve it."""
    planned = []
    for step in steps:
        eligible = frozenset(u for u, r in roles_by_user.items() if may_approve(r, step))
        others = eligible - {submitter_id}
        alone = not others and submitter_id in eligible
        planned.append(PlannedStep(step, eligible if alone else others, alone))
    return ApprovalPlan(tuple(planned))


def approval_for(
    session: Session, *, applies_to: str, amount: int, submitter_id: uuid.UUID
) -> ApprovalPlan:
    return plan(steps_for(session, applies_to, amount), roles_by_user(session), submitter_id)
