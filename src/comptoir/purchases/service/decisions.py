"""Deciding several bills and expenses at once, from the approvals inbox: each through its
own service, each in its own savepoint, so that one refused item (someone else approved it
meanwhile, its period closed) leaves the others approved."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from comptoir.kit.errors import DomainError, NotFound, ValidationFailed
from comptoir.purchases.service import approvals, bills, expenses


@dataclass(frozen=True)
class Item:
    """A bill or an expense named by the inbox's form."""

    subject_type: approvals.SubjectType
    id: uuid.UUID


@dataclass(frozen=True)
class Outcome:
    item: Item
    done: bool
    # Why it was refused, as the service said it.
    reason: str | None = None


def parse_item(text: str) -> Item | None:
    """``expense:<id>`` or ``bill:<id>``, as the inbox's checkboxes send them."""
    kind, _, raw = text.partition(":")
    if kind not in ("expense", "bill"):
        return None
    try:
        return Item("expense" if kind == "expense" else "bill", uuid.UUID(raw))
    except ValueError:
        return None


def _approve(session: Session, item: Item, viewer: expenses.Viewer) -> None:
    if item.subject_type == "expense":
        expenses.approve(session, item.id, viewer)
    else:
        bills.approve(session, bills.get(session, item.id, lock=True), actor_id=viewer.user_id)


def _reject(session: Session, item: Item, reason: str, viewer: expenses.Viewer) -> None:
    if item.subject_type == "expense":
        expenses.reject(session, item.id, reason, viewer)
    else:
        bills.reject(
            session, bills.get(session, item.id, lock=True), actor_id=viewer.user_id, reason=reason
        )


def _reason(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed) and exc.errors:
        return " ".join(error.message for error in exc.errors)
    return exc.detail


def approve_each(session: Session, items: Sequence[Item], viewer: expenses.Viewer) -> list[Outcome]:
    """Approve every item the viewer may; report each one, approved or why not."""
    outcomes = []
    for item in dict.fromkeys(items):
        savepoint = session.begin_nested()
        try:
            _approve(session, item, viewer)
        except DomainError as exc:
            savepoint.rollback()
            outcomes.append(Outcome(item, False, _reason(exc)))
            continue
        savepoint.commit()
        outcomes.append(Outcome(item, True))
    return outcomes


def reject(session: Session, item: Item, reason: str, viewer: expenses.Viewer) -> None:
    """Reject one item with its reason; a bill or expense of another company is not found."""
    try:
        _reject(session, item, reason, viewer)
    except NotFound:
        raise NotFound("No such item waiting for approval.") from None
