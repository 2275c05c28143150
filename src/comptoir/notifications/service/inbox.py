"""A member's own notifications: list, unread count, mark read, delete. Every function
takes the member's user id; another member's notification reads as not found."""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from comptoir.kit import clock
from comptoir.kit.errors import NotFound
from comptoir.kit.pagination import Page, keyset_page
from comptoir.notifications.models import Notification


def list_notifications(
    session: Session,
    user_id: uuid.UUID,
    *,
    unread_only: bool = False,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[Notification]:
    """Newest first; ``unread_only`` leaves out those already read."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return keyset_page(session, query, Notification.id, limit=limit, cursor=cursor)


def unread_count(session: Session, user_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def get(session: Session, user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification:
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id:
        raise NotFound("No such notification.")
    return notification


def mark_read(session: Session, user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification:
    notification = get(session, user_id, notification_id)
    if notification.read_at is None:
        notification.read_at = clock.now()
        session.flush()
    return notification


def mark_all_read(session: Session, user_id: uuid.UUID) -> int:
    """Mark every unread notification of the member read; returns how many were unread."""
    result = cast(
        CursorResult[Any],
        session.execute(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=clock.now())
            .execution_options(synchronize_session=False)
        ),
    )
    return int(result.rowcount)


def delete(session: Session, user_id: uuid.UUID, notification_id: uuid.UUID) -> None:
    session.delete(get(session, user_id, notification_id))
    session.flush()
