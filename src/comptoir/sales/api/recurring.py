"""/api/v1/recurring-invoices: invoices made on a schedule."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from comptoir.identity.service.sessions import Principal
from comptoir.kit.settings import Settings
from comptoir.parties.service import parties
from comptoir.sales import recurring_schemas as schemas
from comptoir.sales.api.output import detail, party_ref
from comptoir.sales.models import RecurringInvoice
from comptoir.sales.schemas import DocumentOut
from comptoir.sales.service import recurring, recurring_runs
from comptoir.server.deps import DbSession, get_settings, require_scope
from comptoir.server.idempotency import IdempotencyGuard

router = APIRouter(prefix="/api/v1", tags=["recurring invoices"])

Reader = Annotated[Principal, require_scope("invoices:read")]
Writer = Annotated[Principal, require_scope("invoices:write")]


def _out(session: DbSession, templates: Sequence[RecurringInvoice]) -> list[schemas.RecurringOut]:
    customers = parties.by_ids(session, {t.party_id for t in templates})
    return [
        schemas.RecurringOut(
            id=t.id,
            name=t.name,
            customer=party_ref(customers[t.party_id]),
            currency=t.currency,
            prices_include_tax=t.prices_include_tax,
            payment_terms=t.payment_terms,
            reference=t.reference,
            notes=t.notes,
            language=t.language,
            lines=list(t.lines),
            frequency=t.frequency,
            interval=t.interval,
            start_date=t.start_date,
            end_date=t.end_date,
            next_date=t.next_date,
            action=t.action,
            status=recurring.status_of(t),
            invoices_created=t.invoices_created,
            last_invoice_id=t.last_invoice_id,
            last_error=t.last_error,
            created_at=t.created_at,
            updated_at=t.updated_at,
        )
        for t in templates
    ]


def _one(session: DbSession, template: RecurringInvoice) -> schemas.RecurringOut:
    return _out(session, [template])[0]


def _values(body: schemas.RecurringFields) -> dict[str, Any]:
    values = body.model_dump(exclude_unset=True)
    if body.lines is not None:
        values["lines"] = [line.model_dump(exclude_unset=True) for line in body.lines]
    return values


@router.get("/recurring-invoices", summary="Recurring invoices")
def list_recurring(
    principal: Reader,
    session: DbSession,
    status_filter: Annotated[
        str | None, Query(alias="status", max_length=20, description="active, paused or ended")
    ] = None,
    customer: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> schemas.RecurringPage:
    """Newest first; paginate with `next_cursor`."""
    page = recurring.list_templates(
        session,
        recurring.RecurringFilter(status=status_filter, party_id=customer),
        limit=limit,
        cursor=cursor,
    )
    return schemas.RecurringPage(items=_out(session, page.items), next_cursor=page.next_cursor)


@router.post(
    "/recurring-invoices",
    status_code=status.HTTP_201_CREATED,
    summary="Set up a recurring invoice",
    response_model=schemas.RecurringOut,
)
def create_recurring(
    body: schemas.RecurringIn, principal: Writer, session: DbSession, guard: IdempotencyGuard
) -> Response:
    """A customer, lines and a schedule: every `interval` weeks, months, quarters or years
    from `start_date` until `end_date`. Each date makes an invoice dated that day, due by
    the payment terms: a draft, issued, or issued and e-mailed (`action`). Months keep
    the start date's day, clamped to short months (31 Jan, 28 Feb, 31 Mar). The lines are
    checked now as an invoice's would be. Send `Idempotency-Key` to make retries safe."""

    def produce() -> schemas.RecurringOut:
        template = recurring.create(session, _values(body), actor_id=principal.user_id)
        return _one(session, template)

    return guard.run(principal, body, produce, status_code=status.HTTP_201_CREATED)


@router.get("/recurring-invoices/{recurring_id}", summary="One recurring invoice")
def get_recurring(
    recurring_id: uuid.UUID, principal: Reader, session: DbSession
) -> schemas.RecurringOut:
    """Its schedule and lines, the next invoice's date, how many invoices it made, and
    why the last run failed when it did (which paused it)."""
    return _one(session, recurring.get(session, recurring_id))


@router.patch("/recurring-invoices/{recurring_id}", summary="Change a recurring invoice")
def update_recurring(
    recurring_id: uuid.UUID,
    body: schemas.RecurringUpdate,
    principal: Writer,
    session: DbSession,
) -> schemas.RecurringOut:
    """Changes apply to the invoices made from now on. `lines`, when sent, replace all
    the lines. `start_date` changes only before the first invoice; move `next_date` to
    skip dates."""
    return _one(session, recurring.update(session, recurring_id, _values(body)))


@router.delete(
    "/recurring-invoices/{recurring_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a recurring invoice",
)
def delete_recurring(recurring_id: uuid.UUID, principal: Writer, session: DbSession) -> None:
    """The invoices it made stay."""
    recurring.delete(session, recurring_id)


@router.post("/recurring-invoices/{recurring_id}/pause", summary="Pause a recurring invoice")
def pause_recurring(
    recurring_id: uuid.UUID, principal: Writer, session: DbSession
) -> schemas.RecurringOut:
    """No invoice is made until it is resumed. 409 once the schedule has ended."""
    return _one(session, recurring.pause(session, recurring_id))


@router.post("/recurring-invoices/{recurring_id}/resume", summary="Resume a recurring invoice")
def resume_recurring(
    recurring_id: uuid.UUID, principal: Writer, session: DbSession
) -> schemas.RecurringOut:
    """Active again from `next_date`; dates missed while paused are made at the next run
    (move `next_date` first to skip them). Clears `last_error`."""
    return _one(session, recurring.resume(session, recurring_id))


@router.post(
    "/recurring-invoices/{recurring_id}/run",
    summary="Make the next invoice now",
    response_model=DocumentOut,
)
def run_recurring(
    recurring_id: uuid.UUID,
    principal: Writer,
    session: DbSession,
    settings: Annotated[Settings, Depends(get_settings)],
    guard: IdempotencyGuard,
) -> Response:
    """Makes the next invoice without waiting for its date (dated today if its date is
    still to come) and moves the schedule on by one date. Answers the invoice. 409 when
    paused or ended; 422 with nothing made when the invoice cannot be (customer archived,
    locked period, no e-mail address...). Send `Idempotency-Key` to make retries safe."""

    def produce() -> DocumentOut:
        invoice = recurring_runs.run_now(
            session, settings, recurring_id, actor_id=principal.user_id
        )
        return detail(session, invoice)

    return guard.run(principal, None, produce, status_code=status.HTTP_201_CREATED)
