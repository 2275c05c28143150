"""The ledger entries of sales: an issued invoice (receivable / revenue per account / tax
collected per tax), a credit note (the mirror), a payment received or refunded (bank /
receivable, realized exchange difference), each lettered against what it settles."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from comptoir.ledger.service import settling
from comptoir.ledger.service.entries import EntryInput
from comptoir.parties.service.parties import Party
from comptoir.sales.models import SalesDocument, SalesDocumentLine
from comptoir.tax.service import postings
from comptoir.tax.service.calculation import Calculation


def receivable_code(session: Session) -> str:
    return settling.account_code(session, "receivable", "customer receivable")


def post_document(
    session: Session,
    document: SalesDocument,
    lines: Sequence[SalesDocumentLine],
    calculation: Calculation,
    party: Party,
    *,
    actor_id: uuid.UUID | None,
) -> uuid.UUID:
    """Post the sales entry of an invoice, or its mirror for a credit note, at the
    document's exchange rate. Returns the entry id."""
    label = f"{document.number} {party.name}"[:200]
    return postings.post_document(
        session,
        calculation,
        [
            postings.DocumentLine(line.account_id, line.tax_codes or [])
            for line in lines
            if line.account_id
        ],
        side="sale",
        counterpart_account=receivable_code(session),
        party_id=party.id,
        exchange_rate=document.exchange_rate,
        reverse=document.kind == "credit_note",
        header=EntryInput(
            journal=settling.journal_code(session, "sales"),
            date=document.issue_date,
            lines=(),
            reference=document.number,
            description=label,
            source_type=document.kind,
            source_id=str(document.id),
        ),
        actor_id=actor_id,
    )


def receivable_line_id(session: Session, entry_id: uuid.UUID, *, last: bool = False) -> uuid.UUID:
    """The receivable line of a document's entry, or of a payment's entry the last one,
    which holds what was paid on account."""
    return settling.party_line_id(session, entry_id, receivable_code(session), last=last)


@dataclasses.dataclass(frozen=True)
class Settlement:
    """One part of a payment: ``amount`` (payment currency) of the document ``document``."""

    document: SalesDocument
    amount: int


def post_payment(
    session: Session,
    *,
    party: Party,
    direction: str,
    on: date,
    amount: int,
    currency: str,
    rate: Decimal,
    bank_account: str,
    settlements: Sequence[Settlement],
    reference: str | None,
    actor_id: uuid.UUID | None,
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Post a payment received (``in``: bank debit, receivable credit) or refunded
    (``out``: the mirror). Each settled document gets its own receivable line at the
    document's rate, so that it clears exactly; what is left stays on the customer's
    receivable at the payment's rate (credit on account); the difference between the two
    rates is a realized exchange gain or loss. Returns the entry and the settlement lines,
    in the order of ``settlements``."""
    parts = [
        settling.Part(
            amount=settlement.amount,
            rate=settlement.document.exchange_rate,
            label=f"{settlement.document.number} {party.name}",
            closing_line=receivable_line_id(session, settlement.document.entry_id)
            if settlement.document.entry_id is not None
            and settlement.amount == settlement.document.gross - settlement.document.settled
            else None,
        )
        for settlement in settlements
    ]
    return settling.post(
        session,
        direction=direction,
        on=on,
        amount=amount,
        currency=currency,
        rate=rate,
        bank_account=bank_account,
        counterpart=receivable_code(session),
        party_id=party.id,
        parts=parts,
        label=f"{'Payment' if direction == 'in' else 'Refund'} {party.name}"[:200],
        reference=reference,
        source_type="payment",
        actor_id=actor_id,
    )
