"""Payment reminders: each organization's schedule of days around the due date (-3:
three days before; 7: a week after) applied to its unpaid invoices.

Rules:
- Only open invoices (issued, sent, partly paid) with a due date and something left to
  pay are reminded; paying or cancelling an invoice ends its reminders.
- A step is done once: its ``Reminder`` row (unique per invoice and step) is written
  in the same transaction as the queued mail, so a second run finds it.
- Only the latest step that is due is sent. After a gap (reminders just switched on,
  the worker down for a month) the customer gets one reminder, not three; the earlier
  steps stay unsent and are named as skipped on the timeline.
- A step dated before the invoice's issue date is never due: an invoice issued the day
  before its due date is not reminded as if it were late.
- A customer without an e-mail address is not reminded: the step is recorded with no
  address and the timeline says why, once per step.

The worker's hourly task finds the organizations with reminders switched on and queues
one job for each; the job runs under that organization, tenant filter on."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comptoir.kit.errors import ValidationFailed
from comptoir.kit.settings import Settings
from comptoir.kit.tenancy import all_tenants
from comptoir.mail import service as mail
from comptoir.outbox import service as outbox
from comptoir.sales.models import Reminder, SalesDocument, SalesSettings
from comptoir.sales.service import documents, mailing
from comptoir.sales.service import settings as sales_settings

JOB = "sales.send_organization_reminders"
BATCH = 500


@dataclass(frozen=True)
class ReminderLog:
    """One step of an invoice's schedule that was dealt with, and what became of it."""

    offset_days: int
    to_address: str | None
    sent_at: datetime
    mail_message_id: uuid.UUID | None
    # queued, sent or failed (the mail's delivery), or no_address: nobody to write to.
    status: str


def queue_jobs(session: Session, on: date | None = None) -> int:
    """Across organizations: a reminder job for each one with reminders on."""
    with all_tenants(session):
        organization_ids = list(
            session.scalars(
                select(SalesSettings.organization_id).where(SalesSettings.reminders_enabled)
            )
        )
    day = (on or documents.today()).isoformat()
    for organization_id in organization_ids:
        outbox.enqueue(session, JOB, {"on": day}, organization_id=organization_id)
    return len(organization_ids)


def step_to_send(
    invoice: SalesDocument, offsets: list[int], done: set[int], on: date
) -> tuple[int, list[int]] | None:
    """The step to send on ``on`` and the earlier unsent steps it skips; None when the
    latest due step was already dealt with, or no step is due."""
    if invoice.due_date is None:
        return None
    # Day counts rather than dates: a due date at the end of the calendar cannot overflow.
    since_due = (on - invoice.due_date).days
    issued_since_due = (invoice.issue_date - invoice.due_date).days
    due = [offset for offset in sorted(set(offsets)) if issued_since_due <= offset <= since_due]
    if not due or due[-1] in done:
        return None
    return due[-1], [offset for offset in due[:-1] if offset not in done]


def _candidates(session: Session, offsets: list[int], on: date) -> list[SalesDocument]:
    earliest = min(offsets)
    return list(
        session.scalars(
            select(SalesDocument)
            .where(
                SalesDocument.kind == "invoice",
                SalesDocument.status.in_(documents.OPEN_INVOICE),
                SalesDocument.due_date.is_not(None),
                SalesDocument.due_date <= on - timedelta(days=earliest),
                SalesDocument.gross > SalesDocument.settled,
            )
            .order_by(SalesDocument.due_date, SalesDocument.id)
        )
    )


def _done(session: Session, invoice_ids: list[uuid.UUID]) -> dict[uuid.UUID, set[int]]:
    found: dict[uuid.UUID, set[int]] = {invoice_id: set() for invoice_id in invoice_ids}
    for start in range(0, len(invoice_ids), BATCH):
        rows = session.execute(
            select(Reminder.document_id, Reminder.offset_days).where(
                Reminder.document_id.in_(invoice_ids[start : start + BATCH])
            )
        ).all()
        for row in rows:
            found[row.document_id].add(row.offset_days)
    return found


def send_due_reminders(session: Session, settings: Settings, on: date | None = None) -> int:
    """Send the current organization's reminders due on ``on`` (today by default).
    Returns how many reminders were queued."""
    config = sales_settings.get(session)
    offsets = list(config.reminder_offsets or [])
    if not config.reminders_enabled or not offsets:
        return 0
    day = on or documents.today()
    invoices = _candidates(session, offsets, day)
    done = _done(session, [invoice.id for invoice in invoices])
    sent = 0
    for invoice in invoices:
        step = step_to_send(invoice, offsets, done[invoice.id], day)
        if step is None:
            continue
        try:
            # A concurrent run that got there first makes this step's row a duplicate:
            # only this invoice's savepoint is rolled back.
            with session.begin_nested():
                sent += _remind(session, settings, invoice, step[0], step[1], day)
        except IntegrityError:
            continue
    return sent


def _remind(
    session: Session,
    settings: Settings,
    invoice: SalesDocument,
    offset: int,
    skipped: list[int],
    on: date,
) -> int:
    reminder = Reminder(document_id=invoice.id, offset_days=offset, to_address="")
    session.add(reminder)
    session.flush()
    try:
        [address] = mailing.recipients(session, invoice.party_id, None)
    except ValidationFailed:
        documents.log(
            session,
            invoice,
            "reminder_skipped",
            detail={"offset_days": offset, "reason": mailing.NO_ADDRESS},
        )
        session.flush()
        return 0
    values = mailing.merge_values(session, invoice, settings, on=on)
    composed = mailing.compose(session, kind="reminder", language=invoice.language, values=values)
    sent = mailing.queue(
        session,
        kind="reminder",
        composed=composed,
        to=[address],
        attachments=[mailing.attachment(session, invoice)],
    )
    reminder.to_address = address
    reminder.mail_message_id = sent.message_ids[0]
    documents.log(
        session,
        invoice,
        "reminded",
        detail={
            **sent.log_detail(),
            "offset_days": offset,
            "days_overdue": int(values["days_overdue"]),
            "skipped": skipped,
        },
    )
    outbox.emit(
        session,
        "invoice.reminded",
        {**documents.payload(invoice), "offset_days": offset, "to": address},
    )
    session.flush()
    return 1


def log_of(session: Session, invoice_id: uuid.UUID) -> list[ReminderLog]:
    """The invoice's reminders, oldest first, with each mail's delivery status."""
    documents.get(session, invoice_id, "invoice")
    rows = list(
        session.scalars(
            select(Reminder)
            .where(Reminder.document_id == invoice_id)
            .order_by(Reminder.sent_at, Reminder.offset_days)
        )
    )
    statuses = mail.statuses(session, (r.mail_message_id for r in rows if r.mail_message_id))
    return [
        ReminderLog(
            offset_days=row.offset_days,
            to_address=row.to_address or None,
            sent_at=row.sent_at,
            mail_message_id=row.mail_message_id,
            status=statuses.get(row.mail_message_id, "unknown")
            if row.mail_message_id
            else "no_address",
        )
        for row in rows
    ]
