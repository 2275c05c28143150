"""/api/v1/payments and /api/v1/reports/aged-receivables."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from comptoir.identity.service.sessions import Principal
from comptoir.kit import ageing, clock
from comptoir.kit.money import format_minor
from comptoir.parties.service import parties
from comptoir.sales import schemas
from comptoir.sales.api.output import party_ref, payments_out
from comptoir.sales.service import payments, receivables
from comptoir.server.deps import DbSession, require_scope
from comptoir.server.idempotency import IdempotencyGuard

router = APIRouter(prefix="/api/v1")

Reader = Annotated[Principal, require_scope("payments:read")]
Writer = Annotated[Principal, require_scope("payments:write")]
ReportReader = Annotated[Principal, require_scope("reports:read")]


@router.get("/payments", summary="Payments received and refunds", tags=["payments"])
def list_payments(
    principal: Reader,
    session: DbSession,
    customer: uuid.UUID | None = None,
    direction: Literal["in", "out"] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> schemas.PaymentPage:
    """Newest first; filter by customer, direction (`in` received, `out` refunds) and
    date range. Paginate with `next_cursor`."""
    page = payments.list_payments(
        session,
        payments.PaymentFilter(
            party_id=customer, direction=direction, date_from=date_from, date_to=date_to
        ),
        limit=limit,
        cursor=cursor,
    )
    return schemas.PaymentPage(
        items=payments_out(session, page.items), next_cursor=page.next_cursor
    )


@router.post(
    "/payments",
    status_code=status.HTTP_201_CREATED,
    summary="Record a payment",
    tags=["payments"],
    response_model=schemas.PaymentOut,
)
def create_payment(
    body: schemas.PaymentIn, principal: Writer, session: DbSession, guard: IdempotencyGuard
) -> Response:
    """Money received (`direction` in) allocated to one or several invoices, partly or
    fully, the rest kept as customer credit; or a refund (out) of credit notes. Posts the
    bank entry, letters each settled receivable and books the realized exchange
    difference when the payment's rate differs from the invoice's. Send
    `Idempotency-Key`: a retried request creates nothing twice."""

    def produce() -> schemas.PaymentOut:
        values = body.model_dump(exclude_unset=True)
        values["allocations"] = [item.model_dump() for item in body.allocations]
        payment = payments.record(session, values, actor_id=principal.user_id)
        return payments_out(session, [payment])[0]

    return guard.run(principal, body, produce, status_code=status.HTTP_201_CREATED)


@router.get("/payments/{payment_id}", summary="One payment", tags=["payments"])
def get_payment(payment_id: uuid.UUID, principal: Reader, session: DbSession) -> schemas.PaymentOut:
    """With its allocations to invoices or credit notes, what is still unallocated
    (customer credit) and its journal entry."""
    payment = payments.get(session, payment_id)
    return payments_out(session, [payment])[0]


@router.post(
    "/payments/{payment_id}/allocate",
    summary="Allocate a payment's credit to invoices",
    tags=["payments"],
    response_model=schemas.PaymentOut,
)
def allocate_payment(
    payment_id: uuid.UUID,
    body: schemas.AllocateIn,
    principal: Writer,
    session: DbSession,
    guard: IdempotencyGuard,
) -> Response:
    """Settle open invoices of the same customer with what is still unallocated. Send
    `Idempotency-Key`: a retried request allocates nothing twice."""

    def produce() -> schemas.PaymentOut:
        payment = payments.allocate(
            session,
            payment_id,
            [item.model_dump() for item in body.allocations],
            on=body.date,
            actor_id=principal.user_id,
        )
        return payments_out(session, [payment])[0]

    return guard.run(principal, body, produce)


def _amounts(line: ageing.AgedLine) -> dict[str, str]:
    currency = line.currency
    return {
        "currency": currency,
        "unapplied_credit": format_minor(line.unapplied_credit, currency),
        "total": format_minor(line.total, currency),
        **{key: format_minor(value, currency) for key, value in line.buckets.items()},
    }


@router.get("/reports/aged-receivables", summary="Aged receivables", tags=["reports"])
def aged_receivables(
    principal: ReportReader,
    session: DbSession,
    as_of: date | None = None,
    customer: uuid.UUID | None = None,
) -> list[schemas.AgedReceivables]:
    """What each customer owed on `as_of` (default today), by days past due: not due,
    1-30, 31-60, 61-90, over 90; less the credit they held (payments on account, unused
    credit notes). One report per currency."""
    on = as_of or clock.now().date()
    lines = receivables.aged_receivables(session, on, customer)
    customers = parties.by_ids(session, {line.party_id for line in lines})
    reports: list[schemas.AgedReceivables] = []
    for currency in sorted({line.currency for line in lines}):
        rows = [line for line in lines if line.currency == currency]
        reports.append(
            schemas.AgedReceivables(
                as_of=on,
                currency=currency,
                rows=[
                    schemas.AgedRow(customer=party_ref(customers[line.party_id]), **_amounts(line))
                    for line in rows
                ],
                totals=schemas.AgedTotals(**_amounts(ageing.total_of(rows))),
            )
        )
    return reports
