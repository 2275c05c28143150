"""A fiscal year at a glance: what it earned, what the business holds and owes at its
end, and whether it can be closed. The accounting hub's cards and the closing page read it.

Amounts are integers in minor units of the base currency, each signed the way people
read it: revenue, expenses, cash and receivables positive when usual, the VAT position
and payables positive when owed to the state or to suppliers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from comptoir.kit import clock
from comptoir.ledger.service import closing, organization, periods, reports
from comptoir.reporting.service import cash_flow, statements

# Account subtypes each figure adds up. Cash is what the cash-flow statement counts as
# cash (its layout's rule), so the hub and the statement end on the same figure.
RECEIVABLE_SUBTYPES = frozenset({"receivable"})
PAYABLE_SUBTYPES = frozenset({"payable"})
# Every VAT account: collected, pending, deductible (on assets too), payable, credit,
# self-assessed. Income tax has a subtype of its own and stays out.
VAT_PREFIX = "tax_"


@dataclass(frozen=True)
class YearSummary:
    id: uuid.UUID | None
    start_date: date
    end_date: date
    closed_at: datetime | None
    currency: str
    pnl: statements.ProfitAndLoss
    vat_position: int
    cash: int
    receivables: int
    payables: int
    checks: list[closing.Check]
    entries: closing.ClosingEntries | None

    @property
    def status(self) -> str:
        return "closed" if self.closed_at is not None else "open"

    @property
    def can_close(self) -> bool:
        return self.closed_at is None and all(check.ok for check in self.checks)


def today() -> date:
    return clock.now().date()


def summary(session: Session, reference: str | None = None) -> YearSummary:
    """The fiscal year asked for by id or first day, by default the one containing today
    (which may have nothing posted in it yet: it has no id then)."""
    year = (
        closing.find_year(session, reference)
        if reference
        else closing.year_containing(session, today())
    )
    balances = reports.balances_by_account(session, date_from=None, date_to=year.end_date)
    subtypes = {a.account_id: a.subtype or "" for a in reports.postable_accounts(session)}

    def total(wanted: frozenset[str] | str) -> int:
        return sum(
            balance
            for account_id, balance in balances.items()
            if (
                subtypes.get(account_id, "").startswith(wanted)
                if isinstance(wanted, str)
                else subtypes.get(account_id, "") in wanted
            )
        )

    return YearSummary(
        id=year.id,
        start_date=year.start_date,
        end_date=year.end_date,
        closed_at=year.closed_at,
        currency=organization.current(session).base_currency,
        pnl=statements.profit_and_loss(session, year.start_date, year.end_date),
        vat_position=-total(VAT_PREFIX),
        cash=sum(balances.get(account_id, 0) for account_id in cash_flow.cash_accounts(session)),
        receivables=total(RECEIVABLE_SUBTYPES),
        payables=-total(PAYABLE_SUBTYPES),
        checks=[] if year.closed_at is not None else closing.checks(session, year),
        entries=closing.closing_entries(session, year) if year.closed_at is not None else None,
    )


@dataclass(frozen=True)
class YearItem:
    id: uuid.UUID
    start_date: date
    end_date: date
    closed_at: datetime | None


def years(session: Session) -> list[YearItem]:
    """The organization's fiscal years, latest first."""
    return [
        YearItem(y.id, y.start_date, y.end_date, y.closed_at)
        for y in periods.list_fiscal_years(session)
    ]
