"""Periodic housekeeping of identity data."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from comptoir.identity.service import accounts
from comptoir.kit.settings import Settings
from comptoir.worker.registry import periodic


@periodic("identity.purge_expired", every=timedelta(hours=1))
def purge_expired(session: Session, settings: Settings) -> None:
    accounts.purge_expired(session)
