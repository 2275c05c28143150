"""Lettering: matching lines of a reconcilable account, fully or partially.

Each matching has a code (A, B, ... Z, AA, ...) and a date; it records how much of each
line it covers, so that a line can be settled in several steps (an invoice paid in
two instalments). Codes and dates feed the FEC's ``EcritureLet`` and ``DateLet``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit import clock
from comptoir.kit.errors import Conflict, NotFound, ValidationFailed
from comptoir.kit.pagination import Page, keyset_page
from comptoir.ledger.models import Account, JournalEntry, JournalLine, Matching, MatchingLine


def code_for(number: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA: spreadsheet-style column letters."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def matched_amounts(session: Session, line_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = session.execute(
        select(MatchingLine.line_id, func.sum(MatchingLine.amount))
        .where(MatchingLine.line_id.in_(line_ids))
        .group_by(MatchingLine.line_id)
    ).all()
    return {line_id: int(total) for line_id, total in rows}


@dataclass(frozen=True)
class Allocation:
    line: JournalLine
    amount: int


def _allocate(
    lines: list[JournalLine], open_amounts: dict[uuid.UUID, int], limit: int | None
) -> list[Allocation]:
    """Match as much as both sides allow (and at most ``limit``): the smaller side
    entirely, the larger side in date order until it is used up."""
    debits = [line for line in lines if open_amounts[line.id] > 0]
    credits = [line for line in lines if open_amounts[line.id] < 0]
    total_debit = sum(open_amounts[line.id] for line in debits)
    total_credit = -sum(open_amounts[line.id] for line in credits)
    budget = min(total_debit, total_credit, *([limit] if limit is not None else []))
    allocations: list[Allocation] = []
    for side, sign in ((debits, 1), (credits, -1)):
        remaining = budget
        for line in sorted(side, key=lambda item: (item.date, item.line_no)):
            take = min(remaining, abs(open_amounts[line.id]))
            if take:
                allocations.append(Allocation(line, sign * take))
            remaining -= take
    return allocations


def match(
    session: Session,
    line_ids: Sequence[uuid.UUID],
    *,
    on: date | None = None,
    actor_id: uuid.UUID | None = None,
    limit: int | None = None,
) -> Matching:
    """Match posted lines of one reconcilable account under a new code; ``limit`` caps
    the amount matched on each side (a credit note applied in part keeps the rest open)."""
    unique_ids = list(dict.fromkeys(line_ids))
    if len(unique_ids) < 2:
        raise ValidationFailed.single("line_ids", "Match at least two lines.")
    lines = list(session.scalars(select(JournalLine).where(JournalLine.id.in_(unique_ids))))
    if len(lines) != len(unique_ids):
        raise NotFound("One of these lines does not exist.")
    statuses = session.scalars(
        select(JournalEntry.status).where(JournalEntry.id.in_({line.entry_id for line in lines}))
    )
    if any(status != "posted" for status in statuses):
        raise ValidationFailed.single(
            "line_ids", "Only posted lines can be matched.", "line_not_posted"
        )
    account_ids = {line.account_id for line in lines}
    if len(account_ids) != 1:
        raise ValidationFailed.single(
            "line_ids", "Matched lines belong to one account.", "different_accounts"
        )
    account = session.get(Account, account_ids.pop())
    assert account is not None
    if not account.reconcilable:
        raise ValidationFailed.single(
            "line_ids", f"{account.code} is not a reconcilable account.", "not_reconcilable"
        )
    already = matched_amounts(session, unique_ids)
    open_amounts = {line.id: line.debit - line.credit - already.get(line.id, 0) for line in lines}
    if any(amount == 0 for amount in open_amounts.values()):
        raise Conflict("One of these lines is already fully matched.", code="line_already_matched")
    allocations = _allocate(lines, open_amounts, limit)
    if not allocations or sum(a.amount for a in allocations) != 0:
        raise ValidationFailed.single("line_ids", "Match debits against credits.", "one_sided")
    count = session.scalar(select(func.count()).select_from(Matching)) or 0
    matching = Matching(
        code=code_for(count + 1),
        account_id=account.id,
        date=on or clock.now().date(),
        is_full=all(abs(a.amount) == abs(open_amounts[a.line.id]) for a in allocations)
        and len(allocations) == len(lines),
        created_by_id=actor_id,
    )
    session.add(matching)
    session.flush()
    session.add_all(
        MatchingLine(matching_id=matching.id, line_id=a.line.id, amount=a.amount)
        for a in allocations
    )
    session.flush()
    audit.record(
        session,
        "matching.created",
        target_type="matching",
        target_id=matching.id,
        after={
            "code": matching.code,
            "account": account.code,
            "lines": len(allocations),
            "full": matching.is_full,
        },
    )
    return matching


def get(session: Session, matching_id: uuid.UUID) -> Matching:
    matching = session.get(Matching, matching_id)
    if matching is None:
        raise NotFound("No such matching.")
    return matching


def lines_of(session: Session, matching_id: uuid.UUID) -> list[MatchingLine]:
    return list(
        session.scalars(select(MatchingLine).where(MatchingLine.matching_id == matching_id))
    )


def unmatch(session: Session, matching_id: uuid.UUID) -> None:
    matching = get(session, matching_id)
    session.delete(matching)
    session.flush()
    audit.record(
        session,
        "matching.deleted",
        target_type="matching",
        target_id=matching_id,
        before={"code": matching.code},
    )


def list_matchings(
    session: Session,
    *,
    account_id: uuid.UUID | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[Matching]:
    """Newest first, a page at a time."""
    query = select(Matching)
    if account_id:
        query = query.where(Matching.account_id == account_id)
    return keyset_page(session, query, Matching.id, limit=limit, cursor=cursor)


def codes_of_lines(session: Session, line_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The lettering code of each line (its latest matching), for display."""
    rows = session.execute(
        select(MatchingLine.line_id, Matching.code)
        .join(Matching, Matching.id == MatchingLine.matching_id)
        .where(MatchingLine.line_id.in_(line_ids))
        .order_by(Matching.created_at)
    ).all()
    return {line_id: str(code) for line_id, code in rows}
