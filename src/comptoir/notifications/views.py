"""Web pages of the notification centre: the bell's count, the list, and each member's
channels under Settings."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import Form, Query, Request, Response

from comptoir.notifications.service import inbox, preferences
from comptoir.web.templating import templates
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    PostedForm,
    Visitor,
    notice,
    parse_id,
    redirect,
    render,
    safe_next,
    web_router,
)

router = web_router()

PAGE_SIZE = 30
NOT_FOUND = "No such notification."
NOTICES = {
    "all_read": "Every notification is marked read.",
    "deleted": "Notification deleted.",
    "saved": "Your notification choices are saved.",
}


@jinja2.pass_context
def unread_notifications(context: Any) -> int:
    """The bell's count, for the layout of every signed-in page."""
    request = context.get("request")
    visitor: Visitor | None = context.get("visitor")
    session = getattr(request.state, "web_db", None) if request is not None else None
    if visitor is None or session is None:
        return 0
    return inbox.unread_count(session, visitor.principal.user_id)


templates.env.globals["unread_notifications"] = unread_notifications


def _list_url(show: str, cursor: str | None = None) -> str:
    query = {key: value for key, value in (("show", show), ("cursor", cursor)) if value}
    return "/notifications" + (f"?{urlencode(query)}" if query else "")


@router.get("/notifications")
def notifications_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    show: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    visitor.require("organization:read")
    unread_only = show == "unread"
    page = inbox.list_notifications(
        session, visitor.principal.user_id, unread_only=unread_only, limit=PAGE_SIZE, cursor=cursor
    )
    here = _list_url("unread" if unread_only else "", cursor)
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "unread_only": unread_only,
            "here": here,
            "first_url": _list_url("unread" if unread_only else ""),
            "next_url": _list_url("unread" if unread_only else "", page.next_cursor)
            if page.next_cursor
            else None,
            "first_page": cursor is None,
            "notice": notice(request, NOTICES),
        },
    )


@router.get("/notifications/bell")
def bell(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    """The bell alone, which the top bar reloads every minute."""
    return render(request, "notifications/_bell.html")


@router.post("/notifications/read-all")
def read_all(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("organization:read")
    inbox.mark_all_read(session, visitor.principal.user_id)
    return redirect("/notifications?notice=all_read", request)


@router.post("/notifications/{notification_id}/open")
def open_notification(
    request: Request, notification_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    """Mark it read and go to what it is about."""
    visitor.require("organization:read")
    key = parse_id(notification_id, NOT_FOUND)
    notification = inbox.mark_read(session, visitor.principal.user_id, key)
    target = safe_next(notification.link) if notification.link else "/notifications"
    return redirect(target, request)


@router.post("/notifications/{notification_id}/read")
def read_notification(
    request: Request,
    notification_id: str,
    visitor: CurrentVisitor,
    session: Db,
    back: Annotated[str, Form(max_length=500)] = "/notifications",
) -> Response:
    visitor.require("organization:read")
    inbox.mark_read(session, visitor.principal.user_id, parse_id(notification_id, NOT_FOUND))
    return redirect(safe_next(back), request)


@router.post("/notifications/{notification_id}/delete")
def delete_notification(
    request: Request, notification_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("organization:read")
    inbox.delete(session, visitor.principal.user_id, parse_id(notification_id, NOT_FOUND))
    return redirect("/notifications?notice=deleted", request)


@router.get("/settings/notifications")
def settings_page(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("organization:read")
    return render(
        request,
        "notifications/settings.html",
        {
            "choices": preferences.choices(session, visitor.principal.user_id),
            "notice": notice(request, NOTICES),
            "section": "settings",
            "tab": "notifications",
        },
    )


@router.post("/settings/notifications")
def save_settings(
    request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    """Every kind is on the form: a box left unticked turns that channel off."""
    visitor.require("organization:read")
    user_id = visitor.principal.user_id
    values = [
        preferences.ChoiceInput(
            choice.kind.type,
            in_app=form.get(f"{choice.kind.type}.in_app") == "on",
            email=form.get(f"{choice.kind.type}.email") == "on",
        )
        for choice in preferences.choices(session, user_id)
    ]
    preferences.set_choices(session, user_id, values)
    return redirect("/settings/notifications?notice=saved", request)
