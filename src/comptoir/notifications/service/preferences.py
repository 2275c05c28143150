"""Each member's channels per kind of event: in the app, by e-mail, both or neither.
Without a stored choice, the kind's defaults apply."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.kit.errors import FieldError, ValidationFailed
from comptoir.notifications.models import NotificationPreference
from comptoir.notifications.service import registry


@dataclass(frozen=True)
class Channels:
    in_app: bool
    email: bool


@dataclass(frozen=True)
class Choice:
    kind: registry.EventKind
    channels: Channels


@dataclass(frozen=True)
class ChoiceInput:
    event_type: str
    in_app: bool
    email: bool


def _default(kind: registry.EventKind | None) -> Channels:
    if kind is None:
        return Channels(in_app=True, email=False)
    return Channels(kind.default_in_app, kind.default_email)


def channels_of(
    session: Session, user_ids: Collection[uuid.UUID], event_type: str
) -> dict[uuid.UUID, Channels]:
    """The channels of each of ``user_ids`` for ``event_type``."""
    if not user_ids:
        return {}
    stored = {
        row.user_id: Channels(row.in_app, row.email)
        for row in session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.user_id.in_(list(user_ids)),
                NotificationPreference.event_type == event_type,
            )
        )
    }
    default = _default(registry.kind(event_type))
    return {user_id: stored.get(user_id, default) for user_id in user_ids}


def choices(session: Session, user_id: uuid.UUID) -> list[Choice]:
    """The member's channels for every notifiable kind."""
    stored = {
        row.event_type: Channels(row.in_app, row.email)
        for row in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    }
    return [Choice(k, stored.get(k.type, _default(k))) for k in registry.kinds()]


def set_choices(
    session: Session, user_id: uuid.UUID, values: Sequence[ChoiceInput]
) -> list[Choice]:
    """Store the member's channels for the kinds named; the others keep theirs."""
    known = {k.type for k in registry.kinds()}
    errors = [
        FieldError(
            f"preferences.{index}.event_type",
            f"Unknown event type {value.event_type!r}; use one of {', '.join(sorted(known))}.",
            "unknown_event_type",
        )
        for index, value in enumerate(values)
        if value.event_type not in known
    ]
    if errors:
        raise ValidationFailed(errors)
    rows = {
        row.event_type: row
        for row in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    }
    for value in values:
        row = rows.get(value.event_type)
        if row is None:
            row = NotificationPreference(user_id=user_id, event_type=value.event_type)
            session.add(row)
            rows[value.event_type] = row
        row.in_app = value.in_app
        row.email = value.email
    session.flush()
    return choices(session, user_id)
