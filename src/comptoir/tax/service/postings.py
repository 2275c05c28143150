"""The ledger lines of a calculated document: what an invoice, a credit note, a bill or an
expense posts, built from the same :class:`Calculation` the document shows.

A sale credits each line's net to its revenue account, each tax to its collected account
(or, for a tax due on payment, to its pending account until the payment comes), and
debits the gross to the receivable; a purchase mirrors it on expense, deductible-tax and
payable accounts. Tax lines carry their tax's code and base, and base lines the code of
the line's first tax, so that VAT returns read everything from the ledger.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal

from sqlalchemy.orm import Session

from comptoir.kit.errors import ValidationFailed
from comptoir.kit.money import format_minor
from comptoir.ledger.service import accounts, entries
from comptoir.ledger.service.entries import EntryInput, LineInput
from comptoir.tax.models import Tax
from comptoir.tax.service import taxes
from comptoir.tax.service.calculation import Calculation

Side = Literal["sale", "purchase"]


def _tax_account(tax: Tax, side: Side) -> uuid.UUID | None:
    if side == "purchase":
        return tax.deductible_account_id
    if tax.exigibility == "payment" and tax.pending_account_id is not None:
        return tax.pending_account_id
    return tax.collected_account_id


def _line(
    account: str,
    units: int,
    natural: Literal["debit", "credit"],
    currency: str,
    *,
    label: str | None,
    party_id: uuid.UUID | None,
    tax_code: str | None = None,
    tax_base: int | None = None,
) -> LineInput:
    """``units`` on its natural side, or on the other one when negative (a discount line
    larger than the rest, a credit note's correction). The ledger signs the base by the
    side the line lands on."""
    amount = format_minor(abs(units), currency)
    on_natural = units > 0
    debit = amount if on_natural == (natural == "debit") else None
    return LineInput(
        account=account,
        debit=debit,
        credit=None if debit else amount,
        currency=currency,
        label=label,
        party_id=party_id,
        tax_code=tax_code,
        tax_base=None if tax_base is None else abs(tax_base),
    )


def entry_lines(
    session: Session,
    calculation: Calculation,
    *,
    side: Side,
    line_accounts: Sequence[str],
    line_tax_codes: Sequence[Sequence[str]],
    counterpart_account: str,
    label: str | None = None,
    party_id: uuid.UUID | None = None,
) -> list[LineInput]:
    """Ledger lines for ``calculation``: ``line_accounts[i]`` (a code or id) takes line i's
    net, ``line_tax_codes[i]`` are the codes line i was calculated with, and the
    counterpart (receivable or payable) takes the gross. Lines sharing an account and a
    tax are merged, as accountants expect one revenue line per account and rate."""
    if len(line_accounts) != len(calculation.lines) or len(line_tax_codes) != len(
        calculation.lines
    ):
        raise ValueError("One account and one list of tax codes per calculated line.")
    currency = calculation.currency
    natural: Literal["debit", "credit"] = "credit" if side == "sale" else "debit"
    counter: Literal["debit", "credit"] = "debit" if side == "sale" else "credit"
    found = taxes.by_codes(session, (code for codes in line_tax_codes for code in codes))
    merged: dict[tuple[str, str | None], int] = defaultdict(int)
    for account, codes, line in zip(line_accounts, line_tax_codes, calculation.lines, strict=True):
        ordered = sorted(
            (found[code] for code in codes if code in found),
            key=lambda tax: (tax.sequence, tax.code),
        )
        merged[(account, ordered[0].code if ordered else None)] += line.net
    result = [
        _line(account, units, natural, currency, label=label, party_id=party_id, tax_code=code)
        for (account, code), units in merged.items()
        if units
    ]
    account_ids = {tax.code: _tax_account(tax, side) for tax in found.values()}
    missing = [
        total.code
        for total in calculation.taxes
        if total.amount and not account_ids.get(total.code)
    ]
    if missing:
        raise ValidationFailed.single(
            "taxes",
            f"No {'deductible' if side == 'purchase' else 'collected'} account on tax "
            f"{', '.join(missing)}: set one under Settings → Taxes.",
            "no_account",
        )
    account_codes = accounts.codes_of(session, (i for i in account_ids.values() if i is not None))
    for total in calculation.taxes:
        if not total.amount:
            continue
        account_id = account_ids[total.code]
        assert account_id is not None
        result.append(
            _line(
                account_codes[account_id],
                total.amount,
                natural,
                currency,
                label=label,
                party_id=party_id,
                tax_code=total.code,
                tax_base=total.base,
            )
        )
    if calculation.gross:
        result.append(
            _line(
                counterpart_account,
                calculation.gross,
                counter,
                currency,
                label=label,
                party_id=party_id,
            )
        )
    return result


@dataclass(frozen=True)
class DocumentLine:
    """What posting needs of one line of a calculated document."""

    account_id: uuid.UUID
    tax_codes: Sequence[str]


def post_document(
    session: Session,
    calculation: Calculation,
    lines: Sequence[DocumentLine],
    *,
    side: Side,
    counterpart_account: str,
    party_id: uuid.UUID | None,
    exchange_rate: Decimal,
    reverse: bool,
    header: EntryInput,
    actor_id: uuid.UUID | None,
) -> uuid.UUID:
    """Record the entry of an invoice or a bill (``reverse`` for their credit notes: the
    mirror) at the document's rate, in ``header``'s journal, date and references; the
    header's lines are ignored. Returns the entry id."""
    codes = accounts.codes_of(session, (line.account_id for line in lines))
    built = entry_lines(
        session,
        calculation,
        side=side,
        line_accounts=[codes[line.account_id] for line in lines],
        line_tax_codes=[list(line.tax_codes) for line in lines],
        counterpart_account=counterpart_account,
        label=header.description,
        party_id=party_id,
    )
    built = [
        replace(
            line,
            exchange_rate=str(exchange_rate),
            debit=line.credit if reverse else line.debit,
            credit=line.debit if reverse else line.credit,
        )
        for line in built
    ]
    return entries.record(session, replace(header, lines=built), actor_id=actor_id).id
