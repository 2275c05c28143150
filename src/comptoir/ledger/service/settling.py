"""The entry of money moving through a bank or cash account to settle what a party owes or
is owed: a customer's payment or refund, a payment to a supplier or a refund by one.

Whatever the domain, the entry has one shape: the bank line, one line on the party's
counterpart account (receivable or payable) per settled document at that document's rate,
what is left on the same account at the payment's rate (on account: a customer's credit, an
advance to a supplier) and the realized exchange difference between the two rates.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from comptoir.kit.errors import ValidationFailed
from comptoir.kit.money import format_minor, from_minor
from comptoir.ledger.models import JournalLine
from comptoir.ledger.service import accounts, entries, journals, matching, rates
from comptoir.ledger.service.entries import EntryInput, LineInput
from comptoir.ledger.service.organization import current
from comptoir.ledger.service.rates import RATE_PLACES


def account_code(session: Session, subtype: str, what: str) -> str:
    """The first account of ``subtype`` (a ``what`` account, as people call it), or an
    error telling where to add one."""
    account = accounts.first_of_subtype(session, subtype)
    if account is None:
        raise ValidationFailed.single(
            "account",
            f"The chart has no {what} account (subtype {subtype}); add one under Accounting.",
            "no_account",
        )
    return account.code


def journal_code(session: Session, kind: str) -> str:
    journal = journals.by_type(session, kind)
    if journal is None:
        raise ValidationFailed.single(
            "journal", f"No {kind} journal; add one under Accounting → Journals.", "no_journal"
        )
    return journal.code


def flip(line: LineInput) -> LineInput:
    return dataclasses.replace(line, debit=line.credit, credit=line.debit)


def party_line_id(
    session: Session, entry_id: uuid.UUID, account: str, *, last: bool = False
) -> uuid.UUID:
    """The line of an entry on ``account`` that carries a party: a document's receivable
    or payable line; with ``last``, a payment's last one (what it left on account)."""
    account_id = accounts.resolve(session, account).id
    found = [
        line.id
        for line in entries.lines_of(session, entry_id)
        if line.account_id == account_id and line.party_id is not None
    ]
    if not found:
        raise ValueError(f"Entry {entry_id} has no party line on {account}")
    return found[-1] if last else found[0]


def open_base(session: Session, line_id: uuid.UUID) -> int:
    """What is left to letter of a posted line, in the base currency, signed (positive
    for a debit)."""
    line = session.get(JournalLine, line_id)
    if line is None:
        raise ValueError(f"No journal line {line_id}")
    return line.debit - line.credit - matching.matched_amounts(session, [line_id]).get(line_id, 0)


@dataclasses.dataclass(frozen=True)
class Part:
    """``amount`` of the payment's currency settling one document, booked at the
    document's ``rate``. ``closing_line`` is the document's own counterpart line when this
    part settles all that is left of the document."""

    amount: int
    rate: Decimal
    label: str
    closing_line: uuid.UUID | None = None


def _clearing_rate(amount: int, currency: str, base_amount: int, base: str) -> Decimal:
    """The rate at which ``amount`` of ``currency`` converts to exactly ``base_amount``."""
    return (from_minor(base_amount, base) / from_minor(amount, currency)).quantize(RATE_PLACES)


def post(
    session: Session,
    *,
    direction: str,
    on: date,
    amount: int,
    currency: str,
    rate: Decimal,
    bank_account: str,
    counterpart: str,
    party_id: uuid.UUID | None,
    parts: Sequence[Part],
    label: str,
    reference: str | None,
    source_type: str,
    source_id: str | None = None,
    actor_id: uuid.UUID | None,
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Post money coming in (``direction`` in: bank debit, ``counterpart`` credit) or going
    out (out: the mirror), in the bank or cash journal as the account is. ``party_id`` is
    None when who is paid is not a party (an employee's reimbursement). Returns the entry
    and its settlement lines, in the order of ``parts``."""
    base = current(session).base_currency
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
    for part in parts:
        part_rate = part.rate
        if currency != base and part.closing_line is not None:
            # The last part clears what is left of the document to the cent, whatever
            # earlier partial settlements rounded.
            left = abs(open_base(session, part.closing_line))
            if left:
                part_rate = _clearing_rate(part.amount, currency, left, base)
        settled_base += rates.convert(part.amount, currency, base, part_rate)
        lines.append(
            LineInput(
                account=counterpart,
                credit=format_minor(part.amount, currency),
                currency=currency,
                exchange_rate=str(part_rate),
                label=part.label[:200],
                party_id=party_id,
            )
        )
    remainder = amount - sum(part.amount for part in parts)
    if remainder:
        settled_base += rates.convert(remainder, currency, base, rate)
        lines.append(
            LineInput(
                account=counterpart,
                credit=format_minor(remainder, currency),
                currency=currency,
                exchange_rate=str(rate),
                label=f"{label} (on account)"[:200],
                party_id=party_id,
            )
        )
    difference = bank_base - settled_base
    if difference:
        # Money in worth more than what it settles, or money out worth less, is a gain.
        gain = (difference > 0) == (direction == "in")
        lines.append(
            LineInput(
                account=account_code(
                    session,
                    "fx_gain" if gain else "fx_loss",
                    "exchange gain" if gain else "exchange loss",
                ),
                credit=format_minor(abs(difference), base) if difference > 0 else None,
                debit=None if difference > 0 else format_minor(abs(difference), base),
                label=f"{label}, exchange difference"[:200],
            )
        )
    if direction == "out":
        lines = [flip(line) for line in lines]
    bank = accounts.by_code(session, bank_account)
    journal = "cash" if bank is not None and bank.subtype == "cash" else "bank"
    entry = entries.record(
        session,
        EntryInput(
            journal=journal_code(session, journal),
            date=on,
            lines=lines,
            reference=reference,
            description=label[:200],
            source_type=source_type,
            source_id=source_id,
        ),
        actor_id=actor_id,
    )
    # Settlement lines come right after the bank line, in order (lines keep their order).
    posted = entries.lines_of(session, entry.id)
    return entry.id, [line.id for line in posted[1 : 1 + len(parts)]]
