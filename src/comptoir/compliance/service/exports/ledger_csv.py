"""The generic CSV: one row per posted ledger line with every field Comptoir keeps on it,
for spreadsheets and for tools with a configurable import. Columns are documented in
docs/accounting-exports.md; amounts have a decimal point and the currency's digits."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from comptoir.compliance.service.exports.common import Line, entry_number
from comptoir.kit.money import format_minor, plain_decimal
from comptoir.ledger.service.exports import inert

COLUMNS = (
    "entry_id",
    "journal_code",
    "journal_name",
    "entry_number",
    "entry_date",
    "posted_date",
    "reference",
    "entry_description",
    "line_no",
    "account_code",
    "account_name",
    "account_type",
    "party_id",
    "party_name",
    "party_kind",
    "party_code",
    "label",
    "debit",
    "credit",
    "currency",
    "amount_currency",
    "exchange_rate",
    "tax_code",
    "tax_base",
    "matching_code",
    "matching_date",
    "source_type",
    "source_id",
    "analytic_tag",
)
# Columns holding numbers: a negative one must stay a number, not become text.
NUMBERS = frozenset({"line_no", "debit", "credit", "amount_currency", "exchange_rate", "tax_base"})
_TEXT = tuple(name not in NUMBERS for name in COLUMNS)


def values(row: Line, base_currency: str) -> list[str]:
    line, party = row
    return [
        str(line.entry_id),
        line.journal_code,
        line.journal_name,
        entry_number(line),
        line.entry_date.isoformat(),
        line.posted_at.date().isoformat() if line.posted_at else "",
        line.reference or "",
        line.description or "",
        str(line.line_no),
        line.account_code,
        line.account_name,
        line.account_type,
        str(party.id) if party else "",
        party.name if party else "",
        party.kind(line.account_subtype) if party else "",
        party.code if party else "",
        line.label or "",
        format_minor(line.debit, base_currency),
        format_minor(line.credit, base_currency),
        line.currency,
        format_minor(line.amount_currency, line.currency),
        plain_decimal(line.exchange_rate),
        line.tax_code or "",
        format_minor(line.tax_base, base_currency) if line.tax_base is not None else "",
        line.matching_code or "",
        line.matching_date.isoformat() if line.matching_date else "",
        line.source_type or "",
        line.source_id or "",
        line.analytic_tag or "",
    ]


def records(rows: Iterator[Line], base_currency: str) -> Iterator[str]:
    """The header and one CSV record per line, without line ends (``common.encode`` adds
    them); a field with a comma, quote or line break is quoted as RFC 4180 says, and a text
    field starting like a formula gets a leading ``'`` (see ``ledger.service.exports.inert``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="")
    writer.writerow(COLUMNS)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        fields = values(row, base_currency)
        writer.writerow(
            [inert(value) if text else value for value, text in zip(fields, _TEXT, strict=True)]
        )
        yield buffer.getvalue()
