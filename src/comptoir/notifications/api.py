"""Notification centre API: the caller's own notifications and channel preferences.

Every member reads and manages their own notifications, whatever their role, so the
routes ask for ``organization:read``, which every role holds."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from comptoir.identity.service.sessions import Principal
from comptoir.notifications import schemas
from comptoir.notifications.service import inbox, preferences
from comptoir.server.deps import DbSession, require_scope

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
Member = Annotated[Principal, require_scope("organization:read")]


def _preferences(choices: list[preferences.Choice]) -> list[schemas.PreferenceOut]:
    return [
        schemas.PreferenceOut(
            event_type=c.kind.type,
            label=c.kind.label,
            description=c.kind.description,
            in_app=c.channels.in_app,
            email=c.channels.email,
        )
        for c in choices
    ]


@router.get("", summary="Your notifications")
def list_notifications(
    principal: Member,
    session: DbSession,
    unread: Annotated[bool, Query(description="Only those not read yet.")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> schemas.NotificationPage:
    """The caller's notifications in the current organization, newest first."""
    page = inbox.list_notifications(
        session, principal.user_id, unread_only=unread, limit=limit, cursor=cursor
    )
    return schemas.NotificationPage(
        items=[schemas.NotificationOut.model_validate(n) for n in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/unread-count", summary="How many notifications are unread")
def unread_count(principal: Member, session: DbSession) -> schemas.UnreadCount:
    """The number the bell shows."""
    return schemas.UnreadCount(unread=inbox.unread_count(session, principal.user_id))


@router.post("/read-all", summary="Mark all your notifications read")
def read_all(principal: Member, session: DbSession) -> schemas.ReadAll:
    """Marks every unread notification of the caller read."""
    return schemas.ReadAll(marked_read=inbox.mark_all_read(session, principal.user_id))


@router.get("/preferences", summary="Your notification channels")
def get_preferences(principal: Member, session: DbSession) -> list[schemas.PreferenceOut]:
    """For every kind of event: whether the caller is told in the app, by e-mail, or both.
    Kinds never chosen show their defaults."""
    return _preferences(preferences.choices(session, principal.user_id))


@router.put("/preferences", summary="Choose your notification channels")
def put_preferences(
    body: schemas.PreferencesIn, principal: Member, session: DbSession
) -> list[schemas.PreferenceOut]:
    """Sets the channels of the kinds listed (the others keep theirs); an unknown event
    type is refused with 422, naming it. Answers every kind, as the GET does."""
    values = [preferences.ChoiceInput(p.event_type, p.in_app, p.email) for p in body.preferences]
    return _preferences(preferences.set_choices(session, principal.user_id, values))


@router.post("/{notification_id}/read", summary="Mark one notification read")
def mark_read(
    notification_id: uuid.UUID, principal: Member, session: DbSession
) -> schemas.NotificationOut:
    """Another member's notification answers 404."""
    notification = inbox.mark_read(session, principal.user_id, notification_id)
    return schemas.NotificationOut.model_validate(notification)


@router.delete(
    "/{notification_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete one notification"
)
def delete_notification(
    notification_id: uuid.UUID, principal: Member, session: DbSession
) -> Response:
    """Removes it from the caller's list; another member's notification answers 404."""
    inbox.delete(session, principal.user_id, notification_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
