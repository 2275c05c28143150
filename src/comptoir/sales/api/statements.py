"""/api/v1/customers/{id}/statement: a customer's statement of account, as JSON or PDF."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from comptoir.identity.service.sessions import Principal
from comptoir.kit.money import format_minor
from comptoir.sales import schemas
from comptoir.sales.api.output import party_ref
from comptoir.sales.service import statements
from comptoir.server.deps import DbSession, require_scope

router = APIRouter(prefix="/api/v1", tags=["customers"])

Reader = Annotated[Principal, require_scope("reports:read")]


@dataclass(frozen=True)
class Period:
    date_from: date | None
    date_to: date | None
    currency: str | None


def _period(
    date_from: Annotated[
        date | None, Query(description="Defaults to the first of January of date_to's year")
    ] = None,
    date_to: Annotated[date | None, Query(description="Defaults to today")] = None,
    currency: Annotated[
        str | None,
        Query(max_length=3, description="Defaults to the customer's, then the base currency"),
    ] = None,
) -> Period:
    return Period(date_from, date_to, currency)


PeriodQuery = Annotated[Period, Depends(_period)]


def _statement(session: DbSession, party_id: uuid.UUID, period: Period) -> statements.Statement:
    return statements.statement(
        session,
        party_id,
        date_from=period.date_from,
        date_to=period.date_to,
        currency=period.currency,
    )


def statement_out(found: statements.Statement) -> schemas.StatementOut:
    def money(units: int) -> str:
        return format_minor(units, found.currency)

    ageing = found.ageing
    return schemas.StatementOut.model_validate(
        {
            "customer": party_ref(found.party),
            "currency": found.currency,
            "date_from": found.date_from,
            "date_to": found.date_to,
            "opening_balance": money(found.opening),
            "total_debit": money(found.debits),
            "total_credit": money(found.credits),
            "closing_balance": money(found.closing),
            "lines": [
                {
                    "date": line.on,
                    "kind": line.kind,
                    "id": line.id,
                    "number": line.number,
                    "due_date": line.due_date,
                    "debit": money(line.debit),
                    "credit": money(line.credit),
                    "balance": money(line.balance),
                }
                for line in found.movements
            ],
            "open_items": [
                {
                    "invoice_id": item.id,
                    "number": item.number,
                    "issue_date": item.issue_date,
                    "due_date": item.due_date,
                    "amount": money(item.gross),
                    "settled": money(item.settled),
                    "due": money(item.due),
                    "bucket": item.bucket,
                    "days_late": item.days_late,
                }
                for item in found.open_items
            ],
            "ageing": {
                "currency": found.currency,
                "unapplied_credit": money(ageing.unapplied_credit),
                "total": money(ageing.total),
                **{key: money(value) for key, value in ageing.buckets.items()},
            },
        }
    )


@router.get("/customers/{party_id}/statement", summary="A customer's statement of account")
def get_statement(
    party_id: uuid.UUID, principal: Reader, session: DbSession, period: PeriodQuery
) -> schemas.StatementOut:
    """In one currency: the opening balance at `date_from`, every invoice, credit note,
    payment and refund of the period with the running balance, the closing balance at
    `date_to` (what the aged receivables say the customer owed that day, less the credit
    they held), then the invoices still open at `date_to` with their ageing."""
    return statement_out(_statement(session, party_id, period))


@router.get(
    "/customers/{party_id}/statement/pdf",
    summary="A customer's statement of account as PDF",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def statement_pdf(
    party_id: uuid.UUID, principal: Reader, session: DbSession, period: PeriodQuery
) -> Response:
    """The same figures, printed in the customer's language."""
    found = _statement(session, party_id, period)
    return Response(
        statements.render_pdf(session, found),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{statements.file_name(found)}"'},
    )
