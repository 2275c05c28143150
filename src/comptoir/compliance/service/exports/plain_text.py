"""What the plain-text journals (hledger, beancount) share: the top-level account each
account type falls under, and how a line's amount is written."""

from __future__ import annotations

from comptoir.compliance.service.exports.common import Line
from comptoir.kit.money import format_minor

ROOTS = {
    "asset": "Assets",
    "liability": "Liabilities",
    "equity": "Equity",
    "income": "Income",
    "expense": "Expenses",
}


def root(account_type: str) -> str:
    return ROOTS.get(account_type, "Equity")


def amount(row: Line, base_currency: str) -> str:
    """The line's signed amount in the base currency, or in its own currency with the base
    amount as its total price (``@@``) when both have the same sign: the entry then still
    balances in the base currency, and the foreign amount is kept. A line whose foreign
    amount is zero or of the other sign (an exchange difference) is posted in the base
    currency only."""
    line = row[0]
    base = line.debit - line.credit
    base_text = f"{format_minor(base, base_currency)} {base_currency}"
    foreign = line.amount_currency
    if line.currency == base_currency or foreign == 0 or (foreign > 0) != (base > 0):
        return base_text
    total = format_minor(abs(base), base_currency)
    return f"{format_minor(foreign, line.currency)} {line.currency} @@ {total} {base_currency}"
