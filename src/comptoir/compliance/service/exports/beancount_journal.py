"""A beancount ledger (https://beancount.github.io/docs/beancount_language_syntax.html):
one transaction per entry, account names built from type, code and name with only the
characters beancount allows (``Assets:512-Banque``), the base currency as the operating
currency, foreign lines with a ``@@`` total price, and an ``open`` directive for every
account used (at the end: beancount sorts directives by date, and the accounts are only
known once the lines have streamed past)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date

from comptoir.compliance.service.exports.common import Line, by_entry, entry_number, one_line
from comptoir.compliance.service.exports.plain_text import amount, root

_WORDS = re.compile(r"[A-Za-z0-9]+")


def account_name(account_type: str, code: str, name: str) -> str:
    """``Assets:512-Banque``: a component starts with a capital letter or a digit and holds
    letters, digits and dashes; accents are dropped and other characters separate words."""
    plain = unicodedata.normalize("NFKD", f"{code} {name}").encode("ascii", "ignore").decode()
    words = _WORDS.findall(plain) or ["Account"]
    component = "-".join(word[0].upper() + word[1:] for word in words)
    return f"{root(account_type)}:{component}"


def quoted(text: str) -> str:
    return '"' + one_line(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def records(
    rows: Iterator[Line], base_currency: str, title: str, span: tuple[date, date]
) -> Iterator[str]:
    yield f"; Posted entries from {span[0]} to {span[1]}, exported by Comptoir"
    yield f"option {quoted('title')} {quoted(title)}"
    yield f"option {quoted('operating_currency')} {quoted(base_currency)}"
    opened: set[str] = set()
    for entry in by_entry(rows):
        first = entry[0][0]
        narration = first.description or first.label or entry_number(first)
        payee = f"{quoted(first.reference)} " if first.reference else ""
        yield ""
        yield f"{first.entry_date} * {payee}{quoted(narration)}"
        yield f"  number: {quoted(entry_number(first))}"
        yield f"  journal: {quoted(first.journal_code)}"
        for row in entry:
            line = row[0]
            account = account_name(line.account_type, line.account_code, line.account_name)
            opened.add(account)
            posting = f"  {account}  {amount(row, base_currency)}"
            label = one_line(line.label)
            yield f"{posting} ; {label}" if label else posting
    if opened:
        yield ""
        yield "; The accounts of the entries above"
    for account in sorted(opened):
        yield f"{span[0]} open {account}"
