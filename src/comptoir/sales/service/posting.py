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

from comptoir.ledger.service import accounts, entries, settling
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
    codes = accounts.codes_of(session, (line.account_id for line in lines if line.account_id))
    label = f"{document.number} {party.name}"[:200]
    entry_lines = postings.entry_lines(
        session,
        calculation,
        side="sale",
        line_accounts=[codes[line.account_id] for line in lines if line.account_id],
        line_tax_codes=[list(line.tax_codes or []) for line in lines],
        counterpart_account=receivable_code(session),
        label=label,
        party_id=party.id,
    )
    rate = document.exchange_rate
    entry_lines = [dataclasses.replace(line, exchange_rate=str(rate)) for line in entry_lines]
    if document.kind == "credit_note":
        entry_lines = [settling.flip(line) for line in entry_lines]
    entry = entries.record(
        session,
        EntryInput(
            journal=settling.journal_code(session, "sales"),
            date=document.issue_date,
            lines=entry_lines,
            reference=document.number,
            description=label,
            source_type=document.kind,
            source_id=str(document.id),
        ),
        actor_id=actor_id,
    )
    return entry.id


def receivable_line_id(session: Session, entry_id: uuid.UUID, *, last: bool = False) -> uuid.UUID:
    """The receivable line of a document's entry (the one carrying the party), or of a
    payment's entry the last one, which holds what was paid on account."""
    account = accounts.by_code(session, receivable_code(session))
    assert account is not None
    found = [
        line.id
        for line in entries.lines_of(session, entry_id)
        if line.account_id == account.id and line.party_id is not None
    ]
    if not found:
        raise ValueError(f"Entry {entry_id} has no receivable line")
    return found[-1] if last else found[0]


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
