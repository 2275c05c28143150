"""From an outbox event to notices: the registered rules name the recipients, and each
recipient's channels decide between a notification in the app and an e-mail."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from comptoir.identity.service import members
from comptoir.kit import clock
from comptoir.kit.ids import new_id
from comptoir.kit.tenancy import require_organization
from comptoir.mail import service as mail
from comptoir.notifications.models import Notification
from comptoir.notifications.service import preferences, registry

MAIL_KIND = "notification"


def deliver(
    session: Session,
    event_id: uuid.UUID,
    event_type: str,
    payload: dict[str, Any],
    *,
    base_url: str = "",
) -> int:
    """Notify the recipients of every rule of ``event_type``, in the current organization;
    returns how many notifications and e-mails were written. Running it again for the same
    event writes no second notification, nor a second e-mail to those notified in the app."""
    organization_id = require_organization(session)
    event = registry.Event(event_id, event_type, payload, organization_id)
    # Only current members: a rule cannot reach someone who left, or another organization.
    addresses = {m.user.id: m.user.email for m in members.list_members(session)}
    written = 0
    for rule in registry.rules_for(event_type):
        for notice in rule(session, event):
            recipients = [user_id for user_id in notice.recipients if user_id in addresses]
            channels = preferences.channels_of(session, recipients, event_type)
            for user_id in recipients:
                choice = channels[user_id]
                first_time = True
                if choice.in_app:
                    first_time = _insert_once(session, event, user_id, notice)
                    written += first_time
                if choice.email and first_time:
                    _mail(session, addresses[user_id], notice, base_url, organization_id)
                    written += 1
    return written


def _insert_once(
    session: Session, event: registry.Event, user_id: uuid.UUID, notice: registry.Notice
) -> bool:
    """Insert the notification unless this event already gave this user one (the unique
    constraint decides, so concurrent or repeated runs cannot both add it)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(Notification)
        .values(
            id=new_id(),
            organization_id=event.organization_id,
            user_id=user_id,
            event_type=event.type,
            title=notice.title[:200],
            body=notice.body,
            link=notice.link,
            data=event.payload,
            source_event_id=event.id,
            created_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "source_event_id"])
        .returning(Notification.id)
    )
    return session.execute(statement).first() is not None


def _mail(
    session: Session,
    address: str,
    notice: registry.Notice,
    base_url: str,
    organization_id: uuid.UUID,
) -> None:
    lines = [notice.title]
    if notice.body:
        lines += ["", notice.body]
    if notice.link:
        lines += ["", f"{base_url}{notice.link}"]
    lines += ["", f"Choose what you are told by e-mail: {base_url}/settings/notifications"]
    mail.queue_rendered(
        session,
        kind=MAIL_KIND,
        to=address,
        subject=notice.title,
        body_text="\n".join(lines) + "\n",
        organization_id=organization_id,
    )
