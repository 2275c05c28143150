"""The ledger entries of purchases: a posted bill (expense or asset per account /
deductible tax per tax / payable to the supplier), a supplier credit note (the mirror),
and where their payable line is, for lettering against what settles them."""

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
from comptoir.purchases.models import PurchaseDocument, PurchaseDocumentLine
from comptoir.tax.service import postings
from comptoir.tax.service.calculation import Calculation


def payable_code(session: Session) -> str:
    return settling.account_code(session, "payable", "supplier payable")


def reference_of(document: PurchaseDocument) -> str:
    return document.supplier_number or ("Credit note" if document.kind == "credit_note" else "Bill")


def post_document(
    session: Session,
    document: PurchaseDocument,
    lines: Sequence[PurchaseDocumentLine],
    calculation: Calculation,
    party: Party,
    *,
    actor_id: uuid.UUID | None,
) -> uuid.UUID:
    """Post the purchases entry of a bill, dated on the supplier's date at the bill's
    exchange rate, or its mirror for a supplier credit note. Returns the entry id."""
    label = f"{reference_of(document)} {party.name}"[:200]
    return postings.post_document(
        session,
        calculation,
        [postings.DocumentLine(line.account_id, line.tax_codes or []) for line in lines],
        side="purchase",
        counterpart_account=payable_code(session),
        party_id=party.id,
        exchange_rate=document.exchange_rate,
        reverse=document.kind == "credit_note",
        header=EntryInput(
            journal=settling.journal_code(session, "purchases"),
            date=document.issue_date,
            lines=(),
            reference=document.supplier_number,
            description=label,
            source_type="bill" if document.kind == "bill" else "supplier_credit_note",
            source_id=str(document.id),
        ),
        actor_id=actor_id,
    )


def payable_line_id(session: Session, entry_id: uuid.UUID, *, last: bool = False) -> uuid.UUID:
    """The payable line of a document's entry, or of a payment's entry the last one (what
    was paid in advance)."""
    return settling.party_line_id(session, entry_id, payable_code(session), last=last)


@dataclasses.dataclass(frozen=True)
class Settlement:
    """One part of a supplier payment: ``amount`` (payment currency) of ``document``, a
    bill for a payment made or a credit note for a refund received."""

    document: PurchaseDocument
    amount: int


def post_supplier_payment(
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
    payment_id: uuid.UUID,
    actor_id: uuid.UUID | None,
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Post a payment to a supplier (``out``: payable debit, bank credit) or a refund
    received from one (``in``: the mirror). Each settled document gets its own payable
    line at the document's rate, so that it clears exactly; what is left is an advance on
    the supplier's payable at the payment's rate; the difference between the two rates is
    a realized exchange gain or loss. Returns the entry and the settlement lines, in the
    order of ``settlements``."""
    parts = [
        settling.Part(
            amount=settlement.amount,
            rate=settlement.document.exchange_rate,
            label=f"{reference_of(settlement.document)} {party.name}",
            closing_line=payable_line_id(session, settlement.document.entry_id)
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
        counterpart=payable_code(session),
        party_id=party.id,
        parts=parts,
        label=f"{'Payment' if direction == 'out' else 'Refund'} {party.name}",
        reference=reference,
        source_type="supplier_payment",
        source_id=str(payment_id),
        actor_id=actor_id,
    )
