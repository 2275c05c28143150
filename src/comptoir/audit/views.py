"""Web page of the audit trail: who did what, when and from where."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request, Response

from comptoir.audit import service
from comptoir.web.websession import CurrentVisitor, Db, render, web_router

router = web_router()

PAGE_SIZE = 50
# Suggestions for the filter; any other action name can be typed in.
COMMON_ACTIONS = (
    "auth.login",
    "auth.login_failed",
    "auth.logout",
    "auth.organization_switched",
    "auth.password_changed",
    "auth.password_reset",
    "member.invited",
    "member.invitation_revoked",
    "member.joined",
    "member.role_changed",
    "member.removed",
    "organization.created",
    "organization.updated",
    "user.email_verified",
    "user.registered",
)


@router.get("/settings/audit")
def audit_trail(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    action: Annotated[str, Query(max_length=80)] = "",
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    visitor.require("audit:read")
    action = action.strip()
    page = service.list_events(
        session, service.AuditFilter(action=action or None), limit=PAGE_SIZE, cursor=cursor
    )
    older = None
    if page.next_cursor:
        older = "/settings/audit?" + urlencode(
            {"action": action, "cursor": page.next_cursor}
            if action
            else {"cursor": page.next_cursor}
        )
    return render(
        request,
        "audit/list.html",
        {
            "page": page,
            "action": action,
            "actions": COMMON_ACTIONS,
            "first_page": cursor is None,
            "newest_url": "/settings/audit"
            + (f"?{urlencode({'action': action})}" if action else ""),
            "older_url": older,
            "section": "settings",
            "tab": "audit",
        },
    )
