"""Archiving: what accounts and journals share once they have history and cannot go."""

from __future__ import annotations

from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit import clock
from comptoir.ledger.models import Account, Journal


def set_archived(
    session: Session, record: Account | Journal, archived: bool, target_type: str
) -> None:
    """Archive (or bring back) ``record``, keeping its history, and audit it."""
    record.archived_at = clock.now() if archived else None
    session.flush()
    audit.record(
        session,
        f"{target_type}.archived" if archived else f"{target_type}.restored",
        target_type=target_type,
        target_id=record.id,
        after={"code": record.code},
    )
