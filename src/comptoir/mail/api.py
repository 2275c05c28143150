"""Sent-mail API: what Comptoir sent on the organization's behalf."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from comptoir.identity.service.sessions import Principal
from comptoir.mail import schemas, service
from comptoir.server.deps import DbSession, require_scope

router = APIRouter(prefix="/api/v1", tags=["mail"])
MailReader = Annotated[Principal, require_scope("mail:read")]


@router.get("/mail", summary="Sent mail")
def list_mail(
    principal: MailReader,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> schemas.MailMessagePage:
    """Messages queued or sent for this organization (invitations now; invoices later)."""
    page = service.list_messages(session, limit=limit, cursor=cursor)
    return schemas.MailMessagePage(
        items=[schemas.MailMessageOut.model_validate(m) for m in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/mail/{message_id}", summary="One sent message")
def get_mail(
    message_id: uuid.UUID, principal: MailReader, session: DbSession
) -> schemas.MailMessageDetail:
    """One message with its text body and delivery status. 404 for an unknown id or
    another organization's."""
    return schemas.MailMessageDetail.model_validate(service.get_message(session, message_id))
