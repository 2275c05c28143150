"""The ledger lines of a calculated document: what an invoice, a credit note, a bill or an
expense posts, built from the same :class:`Calculation` the document shows.

A sale credits each line's net to its revenue account, each tax to its collected account
(or, for a tax due on payment, to its pending account until the payment comes), and
debits the gross to the receivable; a purchase mirrors it on expense, deductible-tax and
payable accounts. Tax lines carry their tax's code and base, and base lines the code of
the line's first tax, so that VAT returns read everything from the ledger.

A purchase under a self-assessed tax (a reverse charge with a rate) owes its VAT and
deducts it at once: the tax's deductible account is debited and its collected account (the
self-assessed VAT account, 4452 in France) credited, while the supplier is owed the net.
The deductible VAT of a line booked to an asset account (a capitalised purchase) goes to
the chart's ``tax_deductible_assets`` account when it has one, as French returns show VAT
on fixed assets apart; each part keeps its own base.
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


@dataclass
class _Part:
    """The share of one tax on one account: its base and amount."""

    base: int = 0
    amount: int = 0


def _capitalised(session: Session, references: set[str]) -> set[str]:
    """Which of these line accounts (codes or ids) are assets: a purchase capitalised."""
    found = set()
    for reference in references:
        try:
            account = accounts.resolve(session, reference)
        except ValidationFailed:
            continue  # the entry refuses an unknown account by itself
        if account.type == "asset":
            found.add(reference)
    return found


def _on_assets(
    session: Session, side: Side, line_accounts: Sequence[str], deductible: set[uuid.UUID]
) -> tuple[dict[uuid.UUID, uuid.UUID], set[str]]:
    """Where deductible VAT goes instead when the purchase is capitalised (each deductible
    VAT account to the chart's account for VAT on fixed assets; a levy's own account
    stays), and the line accounts that are capitalised."""
    if side != "purchase":
        return {}, set()
    on_assets = accounts.first_of_subtype(session, "tax_deductible_assets")
    if on_assets is None:
        return {}, set()
    diverted = {
        account_id: on_assets.id
        for account_id in deductible
        if accounts.get(session, account_id).subtype == "tax_deductible"
    }
    return diverted, _capitalised(session, set(line_accounts)) if diverted else set()


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
    self_assessed = [total for total in calculation.taxes if total.self_assessed]
    if side == "sale" and self_assessed:
        raise ValidationFailed.single(
            "tax_codes",
            f"{self_assessed[0].code} is self-assessed by the buyer: use it on purchases.",
            "self_assessed_on_sale",
        )
    account_ids = {tax.code: _tax_account(tax, side) for tax in found.values()}
    # A self-assessed tax is owed on its collected account, whatever its exigibility.
    owed_ids = {total.code: found[total.code].collected_account_id for total in self_assessed}
    role = "deductible" if side == "purchase" else "collected"
    missing = [
        (role, total.code)
        for total in calculation.taxes
        if total.amount and not account_ids.get(total.code)
    ] + [
        ("collected", total.code)
        for total in self_assessed
        if total.amount and not owed_ids[total.code]
    ]
    if missing:
        what, code = missing[0]
        raise ValidationFailed.single(
            "taxes",
            f"No {what} account on tax {code}: set one under Settings → Taxes.",
            "no_account",
        )
    diverted, capitalised = _on_assets(
        session, side, line_accounts, {i for i in account_ids.values() if i is not None}
    )
    parts: dict[str, dict[uuid.UUID, _Part]] = defaultdict(dict)
    for account, line in zip(line_accounts, calculation.lines, strict=True):
        for line_tax in line.taxes:
            target = account_ids.get(line_tax.code)
            if target is None:
                continue  # a tax of no amount on a tax without an account
            if account in capitalised:
                target = diverted.get(target, target)
            part = parts[line_tax.code].setdefault(target, _Part())
            part.base += line_tax.base
            part.amount += line_tax.amount
    account_codes = accounts.codes_of(
        session,
        {target for by_account in parts.values() for target in by_account}
        | {i for i in owed_ids.values() if i is not None},
    )
    for total in calculation.taxes:
        if not total.amount:
            continue
        for target, part in parts[total.code].items():
            if part.amount:
                result.append(
                    _line(
                        account_codes[target],
                        part.amount,
                        natural,
                        currency,
                        label=label,
                        party_id=party_id,
                        tax_code=total.code,
                        tax_base=part.base,
                    )
                )
        if total.self_assessed:
            owed = owed_ids[total.code]
            assert owed is not None
            result.append(
                _line(
                    account_codes[owed],
                    total.amount,
                    counter,
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
