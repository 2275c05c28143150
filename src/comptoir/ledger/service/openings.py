"""The opening balances an import of the books' history into another tool starts from.

A year-end close writes them as the next year's opening entry (``closing``); an extract
starting on that day prints that entry. Where no close wrote one (the first year, or books
whose previous year is still open) this module makes up the same block from the balances
the day before, so that the other tool does not start every balance-sheet account at zero.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.ledger.models import Account
from comptoir.ledger.service import accounts, extraction, journals, organization, periods
from comptoir.ledger.service.closing import BALANCE_SHEET, Balance, balances, carried_rate

LABEL = "Balances brought forward"
# The code the opening journal of the French charts has, for books without one.
DEFAULT_JOURNAL = ("AN", "A nouveaux")


def made_up(session: Session, on: date) -> list[extraction.ExtractLine]:
    """An opening block dated ``on`` restating every balance at the day before, per account,
    party and currency (amounts in currency kept), as a close would have written it.

    Balance-sheet accounts carry their balance. Income and expense balances of earlier
    fiscal years, which no close zeroed, go to the retained-earnings account so that the
    block balances; those of the fiscal year ``on`` falls in (a range starting mid-year)
    stay on their accounts, part of that year's result."""
    facts = organization.current(session)
    base = facts.base_currency
    year_start, _ = periods.fiscal_year_bounds(on, facts.fiscal_year_start_month)
    before = on - timedelta(days=1)
    rows = balances(session, None, before)
    in_year = balances(session, year_start, before) if year_start < on else []
    by_id = {
        account.id: account
        for account in session.scalars(
            select(Account).where(Account.id.in_({row[0] for row in rows}))
        )
    }
    kept = [row for row in rows if by_id[row[0]].type in BALANCE_SHEET]
    kept += [row for row in in_year if by_id[row[0]].type not in BALANCE_SHEET]
    earlier_result = sum(row[3] for row in rows if by_id[row[0]].type not in BALANCE_SHEET) - sum(
        row[3] for row in in_year if by_id[row[0]].type not in BALANCE_SHEET
    )
    retained = accounts.first_of_subtype(session, "retained_earnings")
    if earlier_result and retained is not None:
        by_id[retained.id] = retained
        kept.append((retained.id, None, base, earlier_result, earlier_result))
    journal = journals.by_type(session, "opening")
    code, name = (journal.code, journal.name) if journal else DEFAULT_JOURNAL
    entry_id = uuid.uuid4()
    result: list[extraction.ExtractLine] = []
    ordered = sorted(
        (row for row in kept if row[3]),
        key=lambda row: (by_id[row[0]].code, str(row[1] or ""), row[2]),
    )
    for line_no, (account_id, party_id, currency, balance, in_currency) in enumerate(
        _merged(ordered), start=1
    ):
        account = by_id[account_id]
        rate = carried_rate(balance, in_currency, base, currency)
        result.append(
            extraction.ExtractLine(
                line_id=uuid.uuid4(),
                entry_id=entry_id,
                journal_code=code,
                journal_name=name,
                journal_type="opening",
                number=0,
                entry_date=on,
                reference=f"Opening balances at {before.isoformat()}",
                description=LABEL,
                posted_at=None,
                account_code=account.code,
                account_name=account.name,
                account_subtype=account.subtype,
                label=LABEL,
                debit=max(balance, 0),
                credit=max(-balance, 0),
                currency=base if rate is None else currency,
                amount_currency=balance if rate is None else in_currency,
                party_id=party_id,
                matching_code=None,
                matching_date=None,
                line_no=line_no,
                account_type=account.type,
                exchange_rate=Decimal(1) if rate is None else rate,
                tax_code=None,
                tax_base=None,
                analytic_tag=None,
                source_type=None,
                source_id=None,
                year_start=year_start,
            )
        )
    return result


def _merged(rows: list[Balance]) -> Iterator[Balance]:
    """One balance per account, party and currency: the earlier years' result may fall on
    a retained-earnings balance already listed."""
    totals: dict[tuple[uuid.UUID, uuid.UUID | None, str], tuple[int, int]] = {}
    for account_id, party_id, currency, balance, in_currency in rows:
        known = totals.get((account_id, party_id, currency), (0, 0))
        totals[(account_id, party_id, currency)] = (known[0] + balance, known[1] + in_currency)
    for (account_id, party_id, currency), (balance, in_currency) in totals.items():
        if balance:
            yield account_id, party_id, currency, balance, in_currency


def opening_lines(session: Session, on: date) -> list[extraction.ExtractLine]:
    """What a history import starting on ``on`` opens with: the opening entry a close wrote
    that day, else a made-up block (empty when nothing was posted before ``on``)."""
    written = list(extraction.carried_forward_lines(session, on))
    return written or made_up(session, on)
