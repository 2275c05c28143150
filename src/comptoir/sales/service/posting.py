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

from comptoir.identity.service import organizations
from comptoir.kit.errors import ValidationFailed
from comptoir.kit.money import format_minor, from_minor
from comptoir.ledger.service import accounts, entries, journals, matching, rates
from comptoir.ledger.service.entries import EntryInput, LineInput
from comptoir.ledger.service.rates import RATE_PLACES
from comptoir.parties.service.parties import Party
from comptoir.sales.models import SalesDocument, SalesDocumentLine
from comptoir.tax.service import postings
from comptoir.tax.service.calculation import Calculation


def _account_code(session: Session, subtype: str, what: str) -> str:
    account = accounts.first_of_subtype(session, subtype)
    if account is None:
        raise ValidationFailed.single(
            "account",
            f"The chart has no {what} account (subtype {subtype}); add one under Accounting.",
            "no_account",
        )
    return account.code


def receivable_code(session: Session) -> str:
    return _account_code(session, "receivable", "customer receivable")


def _journal_code(session: Session, kind: str) -> str:
    journal = journals.by_type(session, kind)
    if journal is None:
        raise ValidationFailed.single(
            "journal", f"No {kind} journal; add one under Accounting → Journals.", "no_journal"
        )
    return journal.code


def _flip(line: LineInput) -> LineInput:
    return dataclasses.replace(line, debit=line.credit, credit=line.debit)


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
        entry_lines = [_flip(line) for line in entry_lines]
    entry = entries.record(
        session,
        EntryInput(
            journal=_journal_code(session, "sales"),
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


def open_base(session: Session, entry_id: uuid.UUID) -> int:
    """What is left to letter of an entry's receivable line, in the base currency, signed
    (positive for an invoice's debit)."""
    line_id = receivable_line_id(session, entry_id)
    line = next(line for line in entries.lines_of(session, entry_id) if line.id == line_id)
    return line.debit - line.credit - matching.matched_amounts(session, [line_id]).get(line_id, 0)


def _clearing_rate(amount: int, currency: str, base_amount: int, base: str) -> Decimal:
    """The rate at which ``amount`` of ``currency`` converts to exactly ``base_amount``."""
    return (from_minor(base_amount, base) / from_minor(amount, currency)).quantize(RATE_PLACES)


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
    base = organizations.get_current(session).base_currency
    label = f"{'Payment' if direction == 'in' else 'Refund'} {party.name}"[:200]
    receivable = receivable_code(session)
    lines: list[LineInput] = [
        LineInput(
            account=bank_account,
            debit=format_minor(amount, currency),
            currency=currency,
            exchange_rate=str(rate),
            label=label,
        )
    ]
    bank_base = rates.convert(amount, currency, base, rate)
    settled_base = 0
    for settlement in settlements:
        document = settlement.document
        document_rate = document.exchange_rate
        if (
            currency != base
            and document.entry_id is not None
            and settlement.amount == document.gross - document.settled
        ):
            # The last part clears what is left of the receivable to the cent, whatever
            # earlier partial payments rounded.
            left = abs(open_base(session, document.entry_id))
            if left:
                document_rate = _clearing_rate(settlement.amount, currency, left, base)
        settled_base += rates.convert(settlement.amount, currency, base, document_rate)
        lines.append(
            LineInput(
                account=receivable,
                credit=format_minor(settlement.amount, currency),
                currency=currency,
                exchange_rate=str(document_rate),
                label=f"{document.number} {party.name}"[:200],
                party_id=party.id,
            )
        )
    remainder = amount - sum(settlement.amount for settlement in settlements)
    if remainder:
        settled_base += rates.convert(remainder, currency, base, rate)
        lines.append(
            LineInput(
                account=receivable,
                credit=format_minor(remainder, currency),
                currency=currency,
                exchange_rate=str(rate),
                label=f"{label} (on account)"[:200],
                party_id=party.id,
            )
        )
    difference = bank_base - settled_base
    if difference:
        gain = difference > 0
        lines.append(
            LineInput(
                account=_account_code(
                    session,
                    "fx_gain" if gain else "fx_loss",
                    "exchange gain" if gain else "exchange loss",
                ),
                credit=format_minor(abs(difference), base) if gain else None,
                debit=None if gain else format_minor(abs(difference), base),
                label=f"{label}, exchange difference"[:200],
            )
        )
    if direction == "out":
        lines = [_flip(line) for line in lines]
    bank = accounts.by_code(session, bank_account)
    journal = "cash" if bank is not None and bank.subtype == "cash" else "bank"
    entry = entries.record(
        session,
        EntryInput(
            journal=_journal_code(session, journal),
            date=on,
            lines=lines,
            reference=reference,
            description=label,
            source_type="payment",
        ),
        actor_id=actor_id,
    )
    # Settlement lines come right after the bank line, in order (lines keep their order).
    posted = entries.lines_of(session, entry.id)
    return entry.id, [line.id for line in posted[1 : 1 + len(settlements)]]
