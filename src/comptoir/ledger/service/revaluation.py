"""Period-end revaluation of open foreign-currency balances.

For each asset or liability account holding a balance in a foreign currency, the balance
is restated at the closing rate; the difference is posted as an unrealized exchange gain
or loss on the period's last day and reversed on the next day, so that the next period
starts again from the historical amounts.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comptoir.kit.errors import Conflict, ValidationFailed
from comptoir.kit.money import format_minor
from comptoir.ledger.models import Account, JournalEntry, JournalLine
from comptoir.ledger.service import accounts, entries, journals, organization, rates, reports

SOURCE = "revaluation"


def _counterpart(session: Session, gain: bool) -> Account:
    for subtype in ("unrealized_fx_gain", "fx_gain") if gain else ("unrealized_fx_loss", "fx_loss"):
        account = accounts.first_of_subtype(session, subtype)
        if account is not None:
            return account
    kind = "gain" if gain else "loss"
    raise ValidationFailed.single(
        "date", f"The chart has no exchange {kind} account.", "missing_account"
    )


def revalue(
    session: Session, on: date, *, actor_id: uuid.UUID | None = None
) -> tuple[JournalEntry | None, JournalEntry | None]:
    """Post the revaluation at ``on`` and its reversal at ``on`` + 1 day; ``(None, None)``
    when nothing needs restating."""
    if session.scalar(
        select(JournalEntry.id).where(
            JournalEntry.source_type == SOURCE, JournalEntry.source_id == on.isoformat()
        )
    ):
        raise Conflict(
            f"Balances were already revalued on {on.isoformat()}.", code="already_revalued"
        )
    base = organization.current(session).base_currency
    balances = session.execute(
        select(
            JournalLine.account_id,
            JournalLine.currency,
            func.sum(JournalLine.amount_currency),
            func.sum(JournalLine.debit - JournalLine.credit),
        )
        .join(Account, Account.id == JournalLine.account_id)
        .where(
            reports.posted_lines(),
            JournalLine.date <= on,
            JournalLine.currency != base,
            Account.type.in_(("asset", "liability")),
        )
        .group_by(JournalLine.account_id, JournalLine.currency)
        .having(func.sum(JournalLine.amount_currency) != 0)
        .order_by(JournalLine.account_id, JournalLine.currency)
    ).all()
    lines: list[entries.LineInput] = []
    gains = losses = 0
    for account_id, currency, amount, booked in balances:
        rate = rates.find_rate(session, currency, base, on, field="date")
        restated = rates.convert(int(amount), currency, base, rate)
        difference = restated - int(booked)
        if difference == 0:
            continue
        account = accounts.get(session, account_id)
        label = f"{currency} {format_minor(int(amount), currency)} at {rate}"
        amount_text = format_minor(abs(difference), base)
        lines.append(
            entries.LineInput(account=str(account.id), label=label, debit=amount_text)
            if difference > 0
            else entries.LineInput(account=str(account.id), label=label, credit=amount_text)
        )
        if difference > 0:
            gains += difference
        else:
            losses -= difference
    if not lines:
        return None, None
    if gains:
        lines.append(
            entries.LineInput(
                account=str(_counterpart(session, True).id),
                credit=format_minor(gains, base),
                label="Unrealized exchange gain",
            )
        )
    if losses:
        lines.append(
            entries.LineInput(
                account=str(_counterpart(session, False).id),
                debit=format_minor(losses, base),
                label="Unrealized exchange loss",
            )
        )
    journal = journals.by_type(session, "general")
    if journal is None:
        raise ValidationFailed.single(
            "date", "No general journal to post the revaluation in.", "missing_journal"
        )
    entry = entries.record(
        session,
        entries.EntryInput(
            journal=str(journal.id),
            date=on,
            reference=f"FX revaluation {on.isoformat()}",
            description="Unrealized exchange differences on foreign-currency balances",
            lines=lines,
            source_type=SOURCE,
            source_id=on.isoformat(),
        ),
        actor_id=actor_id,
    )
    reversal = entries.reverse(
        session,
        entry.id,
        on + timedelta(days=1),
        actor_id=actor_id,
        reference=f"Reversal of FX revaluation {on.isoformat()}",
    )
    return entry, reversal
