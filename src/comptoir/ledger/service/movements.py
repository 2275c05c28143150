"""Movements of accounts over a range that come from the entries of a year-end close.

A close moves amounts inside equity (income and expense accounts into the current-year
earnings account, then that result into retained earnings) without a cent entering or
leaving the company. The cash-flow statement and the statement of changes in equity read
account movements with those entries set apart, so that closing a year changes neither.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comptoir.ledger.models import JournalLine
from comptoir.ledger.service.reports import closing_entries, posted_lines


def closing_movements(session: Session, *, date_from: date, date_to: date) -> dict[uuid.UUID, int]:
    """Per account, the signed sum (debit positive) of the lines of the closing and
    allocation entries dated in the range; accounts they do not touch are left out.

    Those entries are a couple a year: they are found by the entries' date first, and
    only their lines are summed."""
    closing = closing_entries(session, date_from, date_to, allocation=True)
    if not closing:
        return {}
    rows = session.execute(
        select(JournalLine.account_id, func.sum(JournalLine.debit - JournalLine.credit))
        .where(posted_lines(), JournalLine.entry_id.in_(closing))
        .group_by(JournalLine.account_id)
    )
    return {account_id: int(total or 0) for account_id, total in rows}
