"""Sage 100 Comptabilité: the fixed-width ASCII import layout (the "PNM" format read by
*Fichier > Import > Format Sage*), and the same fields tab-separated with a header row for
Sage's parameterised import.

No authoritative Sage specification of the layout was found (the vendor's manuals are not
public); this is the classic PNM layout as implemented by the accounting tools that export
to Sage 100, described in docs/accounting-exports.md: 105 characters per line, Windows-1252,
CR LF. Text is transliterated, cut to its width and padded with spaces; the amount is
right-aligned with a decimal point. Two fields must never be cut, or different entries
would merge: a journal code longer than its 3 characters refuses the export (see
``long_journal_codes``), and the piece number is a compact reference that fits its 13
(see ``piece``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from comptoir.compliance.service.exports.common import Line, entry_number, one_line
from comptoir.compliance.service.fec import transliterate
from comptoir.kit.errors import ValidationFailed
from comptoir.kit.money import format_minor
from comptoir.ledger.service.extraction import ExtractLine

ENCODING = "cp1252"


@dataclass(frozen=True)
class Field:
    name: str
    width: int
    right: bool = False


# In their order on the line; positions follow from the widths (see ``positions``).
LAYOUT = (
    Field("journal", 3),
    Field("date", 6),
    Field("piece_type", 2),
    Field("general_account", 13),
    Field("account_type", 1),
    Field("auxiliary_account", 13),
    Field("reference", 13),
    Field("label", 25),
    Field("payment_mode", 1),
    Field("due_date", 6),
    Field("direction", 1),
    Field("amount", 20, right=True),
    Field("entry_type", 1),
)
WIDTH = sum(field.width for field in LAYOUT)
HEADER = tuple(field.name for field in LAYOUT)
# Piece types Sage knows: customer invoice, supplier invoice, anything else.
PIECE_TYPES = {"sales": "FC", "purchases": "FF"}
AUXILIARY_SUBTYPES = frozenset({"receivable", "payable"})


JOURNAL_WIDTH = LAYOUT[0].width
PIECE_WIDTH = 13


def check_journal_codes(codes: set[str]) -> None:
    """422 ``journal_code_too_long`` naming the journals of the range whose code does not fit
    the layout's journal field: cut, ``BQ12`` and ``BQ13`` would both become ``BQ1``."""
    long = sorted(code for code in codes if len(transliterate(code)) > JOURNAL_WIDTH)
    if long:
        raise ValidationFailed.single(
            "format",
            f"Sage's fixed-width layout holds journal codes of at most {JOURNAL_WIDTH} "
            f"characters; rename journal {', '.join(long)} or use the tab-separated export.",
            "journal_code_too_long",
        )


def piece(line: ExtractLine) -> str:
    """``VT25-000012``: journal code, the fiscal year's first year in two digits, the number
    within that year. Unique per entry over any range shorter than a century, and at most
    13 characters for a 3-character journal code and a number below ten million (the dash
    goes beyond that)."""
    if line.year_start is None:
        return entry_number(line)
    reference = f"{line.journal_code}{line.year_start:%y}-{line.number:06d}"
    return reference if len(reference) <= PIECE_WIDTH else reference.replace("-", "", 1)


def positions() -> dict[str, tuple[int, int]]:
    """Each field's first column (1-based) and width, for the docs and for reading back."""
    result: dict[str, tuple[int, int]] = {}
    start = 1
    for field in LAYOUT:
        result[field.name] = (start, field.width)
        start += field.width
    return result


def fields(row: Line, base_currency: str) -> list[str]:
    """The values of one line, in ``LAYOUT`` order, before fitting to widths."""
    line, party = row
    auxiliary = party.code if party and line.account_subtype in AUXILIARY_SUBTYPES else ""
    debit = line.credit == 0
    return [
        line.journal_code,
        f"{line.entry_date:%d%m%y}",
        PIECE_TYPES.get(line.journal_type, "OD"),
        line.account_code,
        "X" if auxiliary else "",
        auxiliary,
        piece(line),
        one_line(line.label or line.description or line.reference or entry_number(line)),
        "",
        "",
        "D" if debit else "C",
        format_minor(line.debit if debit else line.credit, base_currency),
        "N",
    ]


def _fit(value: str, field: Field) -> str:
    # Transliterated before cutting: a character the charset lacks may become several.
    text = transliterate(value)[: field.width]
    return text.rjust(field.width) if field.right else text.ljust(field.width)


def fixed(rows: Iterator[Line], base_currency: str) -> Iterator[str]:
    """Lines of exactly ``WIDTH`` characters, no header."""
    for row in rows:
        yield "".join(
            _fit(value, f) for value, f in zip(fields(row, base_currency), LAYOUT, strict=True)
        )


def tabbed(rows: Iterator[Line], base_currency: str) -> Iterator[str]:
    """The same fields separated by tabs after a header row, neither cut nor padded."""
    yield "\t".join(HEADER)
    for row in rows:
        yield "\t".join(one_line(value) for value in fields(row, base_currency))
