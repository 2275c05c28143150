"""VAT due when the customer pays ("TVA sur les encaissements", French VAT on services).

An invoice posts such a tax to the tax's pending account (see ``postings``), where it is
not declared. Each payment settling the invoice moves the paid share of it to the
collected account, dated the day of the payment, where the VAT return reads it.

The share is cumulative: once payments worth ``cash`` of a document's ``gross`` have come
in, round_half_up(pending * cash / gross) of each tax should have moved, in the base
currency, in the document's currency and for the tax base alike. A transfer posts what is
missing against the transfers the ledger already holds for the document, so that nothing
is left pending once it is paid in full, whatever earlier shares rounded, and a step too
small to post is caught up by the next one.

The rule runs on a credit note refunded in cash too: its entry holds the pending tax as a
debit, so its transfer takes VAT back out of the collected account. A credit note that
settles an invoice moves nothing: its own entry reversed its share of the pending tax.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from comptoir.kit.errors import ValidationFailed
from comptoir.kit.money import format_minor, from_minor, round_to_minor
from comptoir.ledger.service import accounts, entries, organization, rates
from comptoir.ledger.service.entries import EntryInput, LineInput
from comptoir.ledger.service.rates import RATE_PLACES
from comptoir.ledger.service.settling import journal_code
from comptoir.tax.models import Tax
from comptoir.tax.service import taxes

SOURCE = "vat_on_payment"


@dataclass(frozen=True)
class Settled:
    """A document (invoice, or refunded credit note) after a payment settled part of it:
    ``cash`` of its ``gross`` is paid; the transfer is dated ``on``."""

    document_id: uuid.UUID
    number: str
    entry_id: uuid.UUID
    party_id: uuid.UUID
    gross: int
    cash: int
    on: date


@dataclass
class _Pending:
    """One tax's balance on its pending account in the document's entry, signed (debit
    positive), and what transfers moved of it so far, signed the same way."""

    tax: Tax
    currency: str
    rate: Decimal
    base: int = 0
    amount: int = 0
    tax_base: int = 0
    moved_base: int = 0
    moved_amount: int = 0
    moved_tax_base: int = 0


def share(total: int, part: int, whole: int) -> int:
    """``total * part / whole`` rounded half away from zero, in exact integers."""
    magnitude = (2 * abs(total) * part + whole) // (2 * whole)
    return magnitude if total >= 0 else -magnitude


def _pending(session: Session, entry_id: uuid.UUID) -> dict[str, _Pending]:
    lines = entries.lines_of(session, entry_id)
    found = taxes.by_codes(session, {line.tax_code for line in lines if line.tax_code})
    result: dict[str, _Pending] = {}
    for line in lines:
        tax = found.get(line.tax_code or "")
        # Matched on the account rather than on the tax's exigibility, which may have
        # changed since the invoice: what waits on the pending account has to leave it.
        if tax is None or line.account_id != tax.pending_account_id:
            continue
        item = result.setdefault(tax.code, _Pending(tax, line.currency, line.exchange_rate))
        item.base += line.debit - line.credit
        item.amount += line.amount_currency
        item.tax_base += line.tax_base or 0
    return result


def _count_moved(session: Session, pending: dict[str, _Pending], settled: Settled) -> None:
    """Add up what the document's earlier transfers moved."""
    for line in entries.lines_by_source(session, SOURCE, str(settled.document_id)):
        item = pending.get(line.tax_code or "")
        if item is None or line.account_id != item.tax.pending_account_id:
            continue
        # Transfers move the pending balance the other way: what they moved is its mirror.
        item.moved_base -= line.debit - line.credit
        item.moved_tax_base -= line.tax_base or 0
        # A step carried in the base currency moved nothing of the document's currency.
        if line.currency == item.currency:
            item.moved_amount -= line.amount_currency


def _transfer_lines(
    item: _Pending,
    settled: Settled,
    base: str,
    codes: dict[uuid.UUID, str],
    label: str,
) -> list[LineInput]:
    """Debit pending, credit collected by what is left to move of the paid share (the
    other way round for a credit note), or nothing when nothing is."""
    move_base = share(item.base, settled.cash, settled.gross) - item.moved_base
    move_amount = share(item.amount, settled.cash, settled.gross) - item.moved_amount
    move_tax_base = share(item.tax_base, settled.cash, settled.gross) - item.moved_tax_base
    currency, rate = item.currency, item.rate
    if currency == base or move_amount * move_base <= 0:
        # A share worth nothing in the document's currency, a cent of rounding: the base
        # currency is what the books and the return read.
        currency, rate, move_amount = base, Decimal(1), move_base
        if not move_base:
            return []
    elif rates.convert(abs(move_amount), currency, base, rate) != abs(move_base):
        # The invoice's rate would round the share to another cent than its exact base
        # share: the rate that gives that base instead, as the last part of a payment does.
        rate = (from_minor(abs(move_base), base) / from_minor(abs(move_amount), currency)).quantize(
            RATE_PLACES
        )
    # The ledger takes a tax base in the line's currency and converts it at the line's rate.
    tax_base = abs(move_tax_base) if move_tax_base * move_base >= 0 else 0
    if currency != base:
        tax_base = round_to_minor(from_minor(tax_base, base) / rate, currency)
    assert item.tax.pending_account_id is not None
    collected = item.tax.collected_account_id
    if collected is None:
        raise ValidationFailed.single(
            "taxes",
            f"No collected account on tax {item.tax.code}: set one under Settings → Taxes.",
            "no_account",
        )

    def line(account_id: uuid.UUID, signed: int) -> LineInput:
        amount = format_minor(abs(signed), currency)
        return LineInput(
            account=codes[account_id],
            debit=amount if signed > 0 else None,
            credit=None if signed > 0 else amount,
            currency=currency,
            exchange_rate=None if currency == base else str(rate),
            label=label,
            party_id=settled.party_id,
            tax_code=item.tax.code,
            tax_base=tax_base,
        )

    return [line(item.tax.pending_account_id, -move_amount), line(collected, move_amount)]


def transfer(session: Session, settled: Settled, *, actor_id: uuid.UUID | None) -> uuid.UUID | None:
    """Post the move of the paid share of ``settled``'s taxes due on payment from their
    pending to their collected accounts; the entry's id, or None when nothing moves."""
    if settled.gross <= 0:
        return None
    pending = _pending(session, settled.entry_id)
    if not pending:
        return None
    _count_moved(session, pending, settled)
    base = organization.current(session).base_currency
    codes = accounts.codes_of(
        session,
        {
            account_id
            for item in pending.values()
            for account_id in (item.tax.pending_account_id, item.tax.collected_account_id)
            if account_id is not None
        },
    )
    label = f"TVA sur encaissement — {settled.number}"
    lines = [
        line
        for code in sorted(pending)
        for line in _transfer_lines(pending[code], settled, base, codes, label)
    ]
    if not lines:
        return None
    return entries.record(
        session,
        EntryInput(
            journal=journal_code(session, "general"),
            date=settled.on,
            lines=lines,
            reference=settled.number,
            description=label,
            source_type=SOURCE,
            source_id=str(settled.document_id),
        ),
        actor_id=actor_id,
    ).id
