"""Writing and reading the audit trail. Every domain records through :func:`record`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.audit.models import AuditEvent
from comptoir.kit.context import current_origin
from comptoir.kit.errors import NotFound
from comptoir.kit.pagination import Page, keyset_page

ACTOR_ID = "comptoir_actor_user_id"
ACTOR_EMAIL = "comptoir_actor_email"


def set_actor(session: Session, user_id: uuid.UUID | None, email: str | None) -> None:
    """Name who acts through this session; later :func:`record` calls use it."""
    session.info[ACTOR_ID] = user_id
    session.info[ACTOR_EMAIL] = email


def record(
    session: Session,
    action: str,
    *,
    target_type: str | None = None,
    target_id: uuid.UUID | str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    organization_id: uuid.UUID | None = None,
    actor_user_id: uuid.UUID | None = None,
    actor_email: str | None = None,
) -> AuditEvent:
    origin = current_origin()
    event = AuditEvent(
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        before=_jsonable(before),
        after=_jsonable(after),
        actor_user_id=actor_user_id or session.info.get(ACTOR_ID),
        actor_email=actor_email or session.info.get(ACTOR_EMAIL),
        ip=origin.ip,
        user_agent=(origin.user_agent or "")[:400] or None,
        request_id=origin.request_id,
    )
    if organization_id is not None:
        event.organization_id = organization_id
    session.add(event)
    session.flush()
    return event


def apply_changes(
    session: Session, target: Any, values: dict[str, Any], *, action: str, target_type: str
) -> dict[str, Any]:
    """Set ``values`` on ``target`` and record what really changed, before and after.

    Returns the changed fields (empty when nothing changed, and then nothing is recorded).
    """
    before = {key: getattr(target, key) for key in values}
    changed = {key: value for key, value in values.items() if before[key] != value}
    if not changed:
        return changed
    for key, value in changed.items():
        setattr(target, key, value)
    session.flush()
    record(
        session,
        action,
        target_type=target_type,
        target_id=target.id,
        before={key: before[key] for key in changed},
        after=changed,
    )
    return changed


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: v if isinstance(v, str | int | bool | None) else str(v) for k, v in values.items()}


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor_user_id: uuid.UUID | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_events(
    session: Session, filters: AuditFilter, *, limit: int | None, cursor: str | None
) -> Page[AuditEvent]:
    """Newest first, for the current organization."""
    query = select(AuditEvent)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.actor_user_id:
        query = query.where(AuditEvent.actor_user_id == filters.actor_user_id)
    if filters.target_type:
        query = query.where(AuditEvent.target_type == filters.target_type)
    if filters.target_id:
        query = query.where(AuditEvent.target_id == filters.target_id)
    if filters.since:
        query = query.where(AuditEvent.occurred_at >= filters.since)
    if filters.until:
        query = query.where(AuditEvent.occurred_at < filters.until)
    return keyset_page(session, query, AuditEvent.id, limit=limit, cursor=cursor)


def get_event(session: Session, event_id: uuid.UUID) -> AuditEvent:
    event = session.get(AuditEvent, event_id)
    if event is None:
        raise NotFound("No such audit event.")
    return event
