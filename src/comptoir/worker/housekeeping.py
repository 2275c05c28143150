"""Periodic clean-up of request bookkeeping that is not any one domain's."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from comptoir.kit.settings import Settings
from comptoir.server import idempotency
from comptoir.worker.registry import periodic


@periodic("server.purge_idempotency_keys", every=timedelta(hours=6))
def purge_idempotency_keys(session: Session, settings: Settings) -> None:
    idempotency.purge(session)
