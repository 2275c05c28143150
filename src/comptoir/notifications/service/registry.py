"""Kinds of events members can be notified of, and the rules that turn an outbox event
into notices. Domains register both (through ``comptoir.wiring``), so that this domain
knows none of them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class EventKind:
    """A notifiable event type, with the channels a member gets until they choose."""

    type: str
    label: str
    description: str
    default_in_app: bool = True
    default_email: bool = False


@dataclass(frozen=True)
class Event:
    """The outbox event a rule reads."""

    id: uuid.UUID
    type: str
    payload: dict[str, Any]
    organization_id: uuid.UUID


@dataclass(frozen=True)
class Notice:
    """What to tell whom: one notification per recipient (a user id)."""

    recipients: frozenset[uuid.UUID]
    title: str
    body: str | None = None
    # A path of the web app, such as /sales/invoices/<id>.
    link: str | None = None


Rule = Callable[[Session, Event], Iterable[Notice]]

_kinds: dict[str, EventKind] = {}
_rules: dict[str, list[Rule]] = {}


def register_kind(kind: EventKind) -> None:
    _kinds[kind.type] = kind


def register(event_type: str, rule: Rule) -> None:
    """Apply ``rule`` to every ``event_type`` event; the event type must be a known kind."""
    if event_type not in _kinds:
        raise ValueError(f"register the kind {event_type!r} before its rules")
    rules = _rules.setdefault(event_type, [])
    if rule not in rules:
        rules.append(rule)


def kinds() -> list[EventKind]:
    """Every notifiable kind, in the order domains registered them."""
    return list(_kinds.values())


def kind(event_type: str) -> EventKind | None:
    return _kinds.get(event_type)


def rules_for(event_type: str) -> list[Rule]:
    return list(_rules.get(event_type, ()))
