"""Telling the world once that an invoice has passed its due date unpaid."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.kit import clock
from comptoir.outbox import service as outbox
from comptoir.sales.models import SalesDocument
from comptoir.sales.service import documents

BATCH = 500


def flag_overdue_invoices(session: Session, on: date | None = None) -> int:
    """Emit ``invoice.overdue`` for every open invoice past due that has not had it yet.

    Runs across organizations (the worker's periodic task); each event is written under
    its invoice's organization. Returns how many invoices were flagged.
    """
    day = on or documents.today()
    flagged = 0
    while True:
        batch = session.scalars(
            select(SalesDocument)
            .where(
                SalesDocument.kind == "invoice",
                SalesDocument.status.in_(documents.OPEN_INVOICE),
                SalesDocument.due_date < day,
                SalesDocument.overdue_at.is_(None),
            )
            .order_by(SalesDocument.id)
            .limit(BATCH)
        ).all()
        if not batch:
            return flagged
        for invoice in batch:
            invoice.overdue_at = clock.now()
            documents.log(session, invoice, "overdue", detail={"due_date": str(invoice.due_date)})
            outbox.emit(
                session,
                "invoice.overdue",
                documents.payload(invoice),
                organization_id=invoice.organization_id,
            )
            flagged += 1
