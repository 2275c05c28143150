"""/api/v1/supplier-payments and /api/v1/reports/aged-payables."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from enum import Enum
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from comptoir.identity.service.sessions import Principal
from comptoir.kit import ageing
from comptoir.kit.money import format_minor, plain_decimal
from comptoir.ledger.service import accounts
from comptoir.parties.service import parties
from comptoir.parties.service.parties import Party
from comptoir.purchases.api import payment_schemas as schemas
from comptoir.purchases.api.bill_schemas import PartyRef
from comptoir.purchases.models import SupplierPayment
from comptoir.purchases.service import bills, payables, supplier_payments
from comptoir.server.deps import DbSession, require_scope
from comptoir.server.idempotency import IdempotencyGuard

router = APIRouter(prefix="/api/v1")

Reader = Annotated[Principal, require_scope("payments:read")]
Writer = Annotated[Principal, require_scope("payments:write")]
ReportReader = Annotated[Principal, require_scope("reports:read")]
PAYMENTS: list[str | Enum] = ["supplier payments"]


def _party_ref(party: Party) -> PartyRef:
    return PartyRef(id=party.id, code=party.code, name=party.name)


def _out(session: DbSession, found: Sequence[SupplierPayment]) -> list[schemas.SupplierPaymentOut]:
    """Payments with their supplier, account and allocations, read in one query each."""
    suppliers = parties.by_ids(session, {payment.party_id for payment in found})
    codes = accounts.codes_of(session, {payment.account_id for payment in found})
    allocations = supplier_payments.allocations_by_payment(
        session, [payment.id for payment in found]
    )
    documents = bills.by_ids(
        session, {item.document_id for items in allocations.values() for item in items}
    )
    return [
        schemas.SupplierPaymentOut(
            id=payment.id,
            supplier=_party_ref(suppliers[payment.party_id]),
            direction=payment.direction,
            date=payment.date,
            amount=format_minor(payment.amount, payment.currency),
            currency=payment.currency,
            exchange_rate=plain_decimal(payment.exchange_rate),
            method=payment.method,
            account=codes[payment.account_id],
            reference=payment.reference,
            notes=payment.notes,
            allocated=format_minor(payment.allocated, payment.currency),
            unallocated=format_minor(payment.amount - payment.allocated, payment.currency),
            entry_id=payment.entry_id,
            allocations=[
                schemas.PaymentAllocationOut(
                    id=allocation.id,
                    date=allocation.date,
                    amount=format_minor(allocation.amount, payment.currency),
                    bill_id=allocation.document_id if payment.direction == "out" else None,
                    credit_note_id=allocation.document_id if payment.direction == "in" else None,
                    supplier_number=documents[allocation.document_id].supplier_number,
                )
                for allocation in allocations.get(payment.id, [])
            ],
            created_at=payment.created_at,
        )
        for payment in found
    ]


@router.get("/supplier-payments", summary="Supplier payments and refunds", tags=PAYMENTS)
def list_supplier_payments(
    principal: Reader,
    session: DbSession,
    supplier: Annotated[uuid.UUID | None, Query(description="Supplier id")] = None,
    direction: Annotated[
        Literal["out", "in"] | None,
        Query(description="out: paid to suppliers; in: refunds from them"),
    ] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> schemas.SupplierPaymentPage:
    """Newest first with their allocations; filter by supplier, direction and date range;
    paginate with `next_cursor`."""
    page = supplier_payments.list_payments(
        session,
        supplier_payments.PaymentFilter(
            party_id=supplier, direction=direction, date_from=date_from, date_to=date_to
        ),
        limit=limit,
        cursor=cursor,
    )
    return schemas.SupplierPaymentPage(
        items=_out(session, page.items), next_cursor=page.next_cursor
    )


@router.post(
    "/supplier-payments",
    status_code=status.HTTP_201_CREATED,
    summary="Record a payment to a supplier",
    tags=PAYMENTS,
    response_model=schemas.SupplierPaymentOut,
)
def create_supplier_payment(
    body: schemas.SupplierPaymentIn, principal: Writer, session: DbSession, guard: IdempotencyGuard
) -> Response:
    """Money paid to a supplier (`direction` out) allocated to one or several of their
    posted bills, partly or fully, the rest kept as an advance; or a refund from the
    supplier (in) of their credit notes. Posts the bank entry (payable debited, bank
    credited), letters each settled payable line and books the realized exchange
    difference when the payment's rate differs from the bill's. Send `Idempotency-Key`:
    a retried request creates nothing twice."""

    def produce() -> schemas.SupplierPaymentOut:
        values = body.model_dump(exclude_unset=True)
        values["allocations"] = [item.model_dump() for item in body.allocations]
        payment = supplier_payments.record(session, values, actor_id=principal.user_id)
        return _out(session, [payment])[0]

    return guard.run(principal, body, produce, status_code=status.HTTP_201_CREATED)


@router.get(
    "/supplier-payments/{supplier_payment_id}", summary="One supplier payment", tags=PAYMENTS
)
def get_supplier_payment(
    supplier_payment_id: uuid.UUID, principal: Reader, session: DbSession
) -> schemas.SupplierPaymentOut:
    """The payment with what it settled."""
    return _out(session, [supplier_payments.get(session, supplier_payment_id)])[0]


@router.post(
    "/supplier-payments/{supplier_payment_id}/allocate",
    summary="Allocate an advance to bills",
    tags=PAYMENTS,
    response_model=schemas.SupplierPaymentOut,
)
def allocate_supplier_payment(
    supplier_payment_id: uuid.UUID,
    body: schemas.AllocateIn,
    principal: Writer,
    session: DbSession,
    guard: IdempotencyGuard,
) -> Response:
    """Settle open bills of the same supplier and currency with what is still unallocated
    of a payment made: all the allocations or none. Each allocation is dated `date`
    (default today) or the bill's date, whichever is later. Send `Idempotency-Key`: a
    retried request allocates nothing twice."""

    def produce() -> schemas.SupplierPaymentOut:
        payment = supplier_payments.allocate(
            session,
            supplier_payment_id,
            [item.model_dump() for item in body.allocations],
            on=body.date,
            actor_id=principal.user_id,
        )
        return _out(session, [payment])[0]

    return guard.run(principal, body, produce)


def _amounts(line: ageing.AgedLine) -> dict[str, str]:
    currency = line.currency
    return {
        "currency": currency,
        "unapplied_credit": format_minor(line.unapplied_credit, currency),
        "total": format_minor(line.total, currency),
        **{key: format_minor(value, currency) for key, value in line.buckets.items()},
    }


@router.get("/reports/aged-payables", summary="Aged payables", tags=["reports"])
def aged_payables(
    principal: ReportReader,
    session: DbSession,
    as_of: date | None = None,
    supplier: Annotated[uuid.UUID | None, Query(description="Supplier id")] = None,
) -> list[schemas.AgedPayables]:
    """What the organization owed each supplier on `as_of` (default today), by days past
    due: not due, 1-30, 31-60, 61-90, over 90; less what it held with them (advances not
    yet allocated, unused credit notes). One report per currency."""
    on = as_of or bills.today()
    lines = payables.aged_payables(session, on, supplier)
    suppliers = parties.by_ids(session, {line.party_id for line in lines})
    reports: list[schemas.AgedPayables] = []
    for currency in sorted({line.currency for line in lines}):
        rows = [line for line in lines if line.currency == currency]
        reports.append(
            schemas.AgedPayables(
                as_of=on,
                currency=currency,
                rows=[
                    schemas.AgedPayablesRow(
                        supplier=_party_ref(suppliers[line.party_id]), **_amounts(line)
                    )
                    for line in rows
                ],
                totals=schemas.AgedPayablesTotals(**_amounts(ageing.total_of(rows))),
            )
        )
    return reports
