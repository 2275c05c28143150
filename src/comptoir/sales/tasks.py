"""Periodic sales work of the worker."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from comptoir.kit.settings import Settings
from comptoir.sales.service import overdue
from comptoir.worker.registry import periodic


@periodic("sales.flag_overdue_invoices", every=timedelta(hours=1))
def flag_overdue_invoices(session: Session, settings: Settings) -> None:
    overdue.flag_overdue_invoices(session)
