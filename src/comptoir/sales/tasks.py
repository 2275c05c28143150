"""Periodic sales work of the worker."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from comptoir.kit.settings import Settings
from comptoir.sales.service import overdue, quotes, recurring_runs, reminders
from comptoir.worker.registry import JobContext, handler, periodic


@periodic("sales.flag_overdue_invoices", every=timedelta(hours=1))
def flag_overdue_invoices(session: Session, settings: Settings) -> None:
    overdue.flag_overdue_invoices(session)


@periodic("sales.expire_quotes", every=timedelta(hours=1))
def expire_quotes(session: Session, settings: Settings) -> None:
    quotes.expire_quotes(session)


@periodic("sales.send_reminders", every=timedelta(hours=1))
def send_reminders(session: Session, settings: Settings) -> None:
    reminders.queue_jobs(session)


@handler(reminders.JOB)
def send_organization_reminders(
    session: Session, payload: dict[str, Any], context: JobContext
) -> None:
    reminders.send_due_reminders(session, context.settings, date.fromisoformat(payload["on"]))


@periodic("sales.run_recurring_invoices", every=timedelta(hours=1))
def run_recurring_invoices(session: Session, settings: Settings) -> None:
    recurring_runs.queue_jobs(session)


@handler(recurring_runs.JOB)
def run_organization_recurring_invoices(
    session: Session, payload: dict[str, Any], context: JobContext
) -> None:
    recurring_runs.run_due(session, context.settings, date.fromisoformat(payload["on"]))
