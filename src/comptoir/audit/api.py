"""Audit API: read-only, for owners and administrators."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from comptoir.audit import schemas, service
from comptoir.identity.service.sessions import Principal
from comptoir.server.deps import DbSession, require_scope

router = APIRouter(prefix="/api/v1", tags=["audit"])
Auditor = Annotated[Principal, require_scope("audit:read")]


@router.get("/audit-events", summary="Search the audit trail")
def list_audit_events(
    principal: Auditor,
    session: DbSession,
    action: Annotated[str | None, Query(max_length=80, examples=["auth.login"])] = None,
    actor_user_id: uuid.UUID | None = None,
    target_type: Annotated[str | None, Query(max_length=60)] = None,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="Inclusive, ISO 8601")] = None,
    until: Annotated[datetime | None, Query(description="Exclusive, ISO 8601")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> schemas.AuditEventPage:
    """Newest first. Pass `next_cursor` back as `cursor` for the next page."""
    page = service.list_events(
        session,
        service.AuditFilter(
            action=action,
            actor_user_id=actor_user_id,
            target_type=target_type,
            target_id=target_id,
            since=since,
            until=until,
        ),
        limit=limit,
        cursor=cursor,
    )
    return schemas.AuditEventPage(
        items=[schemas.AuditEventOut.model_validate(e) for e in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/audit-events/{event_id}", summary="One audit event")
def get_audit_event(
    event_id: uuid.UUID, principal: Auditor, session: DbSession
) -> schemas.AuditEventOut:
    """Who did what and when, from which address, with the values before and after the
    change. 404 for an unknown id or another organization's."""
    return schemas.AuditEventOut.model_validate(service.get_event(session, event_id))
