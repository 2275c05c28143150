"""An hledger journal (https://hledger.org/hledger.html#journal): one transaction per entry,
accounts named ``Assets:512 Banque`` from their type, code and name, amounts in the base
currency (foreign lines keep their amount with a ``@@`` total price)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from comptoir.compliance.service.exports.common import Line, by_entry, entry_number, one_line
from comptoir.compliance.service.exports.plain_text import amount, root

# Characters with a meaning in a posting line or an account name: ``:`` separates account
# components, ``;`` starts a comment, brackets and parentheses mark virtual postings.
_SPECIAL = str.maketrans({":": "-", ";": ",", "(": " ", ")": " ", "[": " ", "]": " "})


def account_name(account_type: str, code: str, name: str) -> str:
    # One space at most between words: two spaces end the account name in a posting.
    return f"{root(account_type)}:{one_line(f'{code} {name}'.translate(_SPECIAL))}"


def records(
    rows: Iterator[Line], base_currency: str, title: str, span: tuple[date, date]
) -> Iterator[str]:
    yield f"; {one_line(title)}: posted entries from {span[0]} to {span[1]}, exported by Comptoir"
    yield "decimal-mark ."
    for entry in by_entry(rows):
        first = entry[0][0]
        words = [first.reference, first.description]
        description = one_line(" | ".join(w for w in words if w) or entry_number(first))
        yield ""
        yield f"{first.entry_date} * ({entry_number(first)}) {description.replace(';', ',')}"
        yield f"    ; journal: {first.journal_code}"
        for row in entry:
            line = row[0]
            posting = (
                f"    {account_name(line.account_type, line.account_code, line.account_name)}"
                f"  {amount(row, base_currency)}"
            )
            label = one_line(line.label)
            yield f"{posting}  ; {label}" if label else posting
