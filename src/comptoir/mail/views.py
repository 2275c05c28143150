"""Web pages of the mail domain: what Comptoir sent on the organization's behalf."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request, Response

from comptoir.kit.errors import NotFound
from comptoir.mail import service
from comptoir.web.websession import CurrentVisitor, Db, render, web_router

router = web_router()

PAGE_SIZE = 50


@router.get("/settings/mail")
def sent_mail(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    visitor.require("mail:read")
    page = service.list_messages(session, limit=PAGE_SIZE, cursor=cursor)
    return render(
        request,
        "mail/list.html",
        {"page": page, "first_page": cursor is None, "section": "settings", "tab": "mail"},
    )


@router.get("/settings/mail/{message_id}")
def sent_message(
    request: Request, message_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("mail:read")
    try:
        key = uuid.UUID(message_id)
    except ValueError:
        raise NotFound("No such message.") from None
    message = service.get_message(session, key)
    return render(
        request, "mail/detail.html", {"message": message, "section": "settings", "tab": "mail"}
    )
