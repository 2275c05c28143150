"""Making the invoices of recurring templates.

Each date of a schedule gives one invoice dated that day, due by the template's payment
terms: a draft, an issued invoice, or one issued and e-mailed to the customer.

- Catching up: after downtime every missed date is made, oldest first across all the
  organization's templates, so that issued numbers follow dates.
- Once: the template's ``next_date`` moves by compare-and-set in the same transaction as
  the invoice, so a second worker running at the same time makes nothing twice.
- All or nothing: a date that fails (customer archived, period locked, no e-mail
  address...) leaves no invoice, number or mail behind; the template is paused with
  the reason in ``last_error`` and the audit trail, and ``recurring_invoice.failed``
  is emitted. Resuming it makes the missed dates.

The worker's hourly task queues one job for each organization with templates due; the
job runs under that organization, tenant filter on."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit.errors import Conflict, DomainError
from comptoir.kit.settings import Settings
from comptoir.kit.tenancy import all_tenants
from comptoir.outbox import service as outbox
from comptoir.parties.service.terms import due_date
from comptoir.sales.models import RecurringInvoice, SalesDocument
from comptoir.sales.service import documents, issuing, recurring, sending

JOB = "sales.run_organization_recurring_invoices"
# Dates tried in one run: years of weekly catch-up; the next run goes on from there.
MAX_PER_RUN = 1000


def queue_jobs(session: Session, on: date | None = None) -> int:
    """Across organizations: a job for each one with a template due on ``on``."""
    day = on or documents.today()
    with all_tenants(session):
        organization_ids = list(
            session.scalars(
                select(RecurringInvoice.organization_id)
                .where(RecurringInvoice.active, RecurringInvoice.next_date <= day)
                .distinct()
            )
        )
    for organization_id in organization_ids:
        outbox.enqueue(session, JOB, {"on": day.isoformat()}, organization_id=organization_id)
    return len(organization_ids)


def _next_due(session: Session, on: date) -> RecurringInvoice | None:
    return session.scalar(
        select(RecurringInvoice)
        .where(RecurringInvoice.active, RecurringInvoice.next_date <= on)
        .order_by(RecurringInvoice.next_date, RecurringInvoice.id)
        .limit(1)
    )


def run_due(session: Session, settings: Settings, on: date | None = None) -> int:
    """Make every invoice of the current organization's templates due on or before
    ``on`` (today by default). Returns how many were made."""
    day = on or documents.today()
    made = 0
    for _ in range(MAX_PER_RUN):
        template = _next_due(session, day)
        if template is None:
            break
        current = template.next_date
        assert current is not None
        try:
            with session.begin_nested():
                if not _claim(session, template, current):
                    # Another worker took this date; its commit is what the next read sees.
                    session.expire(template)
                    continue
                make_invoice(session, settings, template, current)
            made += 1
        except DomainError as exc:
            session.expire(template)
            _fail(session, template, current, exc)
    return made


def _claim(session: Session, template: RecurringInvoice, current: date) -> bool:
    """Move the template past ``current`` unless another run already did."""
    claimed = cast(
        CursorResult[Any],
        session.execute(
            update(RecurringInvoice)
            .where(
                RecurringInvoice.id == template.id,
                RecurringInvoice.next_date == current,
                RecurringInvoice.active,
            )
            .values(next_date=recurring.following(template, current))
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if claimed != 1:
        return False
    session.expire(template, ["next_date"])
    recurring.advance(template, current)
    return True


def make_invoice(
    session: Session,
    settings: Settings,
    template: RecurringInvoice,
    issue_date: date,
    *,
    actor_id: uuid.UUID | None = None,
) -> SalesDocument:
    """The invoice of one date, drafted, issued or issued and sent as the template says;
    raises (and the caller rolls back) when any step refuses."""
    terms = template.payment_terms or "net_30"
    values: dict[str, Any] = {
        "customer": str(template.party_id),
        "issue_date": issue_date,
        "due_date": due_date(issue_date, terms),
        "currency": template.currency,
        "prices_include_tax": template.prices_include_tax,
        "payment_terms": terms,
        "reference": template.reference,
        "notes": template.notes,
        "lines": template.lines,
    }
    if template.language:
        values["language"] = template.language
    invoice = documents.create_draft(session, "invoice", values, actor_id=actor_id)
    invoice.recurring_invoice_id = template.id
    documents.log(
        session,
        invoice,
        "recurring",
        actor_id=actor_id,
        detail={"recurring_invoice_id": str(template.id), "name": template.name},
    )
    if template.action in ("issue", "issue_and_send"):
        issuing.issue(session, invoice, actor_id=actor_id)
    if template.action == "issue_and_send":
        sending.send(session, invoice.id, "invoice", settings=settings, actor_id=actor_id)
    template.invoices_created += 1
    template.last_invoice_id = invoice.id
    template.last_error = None
    session.flush()
    return invoice


def _fail(session: Session, template: RecurringInvoice, current: date, error: DomainError) -> None:
    template.active = False
    template.last_error = f"{current.isoformat()}: {error.detail}"[:2000]
    session.flush()
    audit.record(
        session,
        "recurring_invoice.failed",
        target_type="recurring_invoice",
        target_id=template.id,
        after={"date": current.isoformat(), "error": template.last_error},
    )
    outbox.emit(
        session,
        "recurring_invoice.failed",
        {
            "id": str(template.id),
            "name": template.name,
            "date": current.isoformat(),
            "error": template.last_error,
        },
    )


def run_now(
    session: Session,
    settings: Settings,
    template_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None = None,
) -> SalesDocument:
    """Make the next invoice now: dated today when its date is still to come, and the
    schedule moves on by one date. Refused on a paused or ended template; any failure
    is the caller's error and changes nothing."""
    template = recurring.get(session, template_id)
    if template.next_date is None:
        raise Conflict("This schedule has ended.", code="schedule_ended")
    if not template.active:
        raise Conflict("This recurring invoice is paused; resume it first.", code="paused")
    current = template.next_date
    recurring.advance(template, current)
    session.flush()
    return make_invoice(
        session, settings, template, min(current, documents.today()), actor_id=actor_id
    )
