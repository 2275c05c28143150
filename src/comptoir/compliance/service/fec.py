"""The FEC (*fichier des écritures comptables*, article A47 A-1 of the LPF) of a fiscal year.

Format choices, documented in docs/fec.md:

- the 18 columns in their legal order after a header row; ``|`` (default) or tab between
  fields, records ended by CR LF (what the administration's own test tool and the Windows
  software auditors use expect; the checker accepts LF too);
- dates ``AAAAMMJJ``; amounts with a comma and the base currency's decimals, no thousands
  separator, ``Debit`` and ``Credit`` both filled (``0,00`` on the other side);
- ``Montantdevise`` unsigned (the side is in ``Debit``/``Credit``) and ``Idevise`` only on
  lines whose currency is not the base currency;
- UTF-8 or ISO-8859-15; in ISO-8859-15 a character the charset lacks is transliterated
  (accents dropped, typographic quotes and dashes made plain, anything else ``?``), because
  a download already under way cannot turn into an error;
- separators, tabs and line breaks inside a text field become spaces.

The file is produced as it is sent: lines come from the ledger in batches and go out in
chunks of encoded bytes, so memory stays flat whatever the size of the year.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy.orm import Session

from comptoir.identity.service import organizations
from comptoir.kit.db import Database
from comptoir.kit.errors import ValidationFailed
from comptoir.kit.money import minor_unit_exponent
from comptoir.ledger.service import extraction, organization, periods
from comptoir.ledger.service.reports import format_entry_number
from comptoir.parties.service import parties

COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)

Separator = Literal["pipe", "tab"]
Encoding = Literal["utf-8", "iso-8859-15"]
SEPARATORS: dict[Separator, str] = {"pipe": "|", "tab": "\t"}
NEWLINE = "\r\n"
# Lines per chunk sent: large enough that the per-chunk overhead vanishes, small enough to
# keep a chunk in the tens of kilobytes.
CHUNK_LINES = 200
AUXILIARY_SUBTYPES = frozenset({"receivable", "payable"})
# Characters ISO-8859-15 lacks that have an obvious plain form.
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u202f": " ",
    }
)


@dataclass(frozen=True)
class Plan:
    """What a download needs, settled before the first byte goes out."""

    organization_id: uuid.UUID
    year: extraction.Year
    base_currency: str
    filename: str
    separator: Separator = "pipe"
    encoding: Encoding = "utf-8"


def file_name(siren: str, closing: date) -> str:
    return f"{siren}FEC{closing:%Y%m%d}.txt"


def plan(
    session: Session,
    fiscal_year: str,
    *,
    separator: Separator = "pipe",
    encoding: Encoding = "utf-8",
) -> Plan:
    """Check what the FEC of ``fiscal_year`` (id or start date) needs: the year exists (404
    otherwise) and the organization has its SIREN, which the file's legal name carries
    (422 pointing to the organization settings otherwise)."""
    year = extraction.fiscal_year(session, fiscal_year)
    siren = (organizations.get_current(session).siren or "").replace(" ", "")
    if not siren:
        raise ValidationFailed.single(
            "siren",
            "The FEC's file name carries the SIREN: enter it in the organization settings "
            "(Settings > Organization) first.",
            "missing_siren",
        )
    return Plan(
        organization_id=organization.current(session).id,
        year=year,
        base_currency=organization.current(session).base_currency,
        filename=file_name(siren, year.end_date),
        separator=separator,
        encoding=encoding,
    )


def amount(units: int, exponent: int) -> str:
    """``123456`` cents as ``1234,56``: comma, no thousands separator, sign in front."""
    sign = "-" if units < 0 else ""
    units = abs(units)
    if exponent == 0:
        return f"{sign}{units}"
    whole, fraction = divmod(units, 10**exponent)
    return f"{sign}{whole},{fraction:0{exponent}d}"


def _day(value: date | None) -> str:
    return f"{value:%Y%m%d}" if value is not None else ""


def _clean(value: str | None) -> str:
    """Text as one field: no separator, tab or line break inside."""
    if not value:
        return ""
    return " ".join(value.replace("|", " ").split())


def _auxiliary(line: extraction.ExtractLine) -> uuid.UUID | None:
    """The party whose auxiliary account a line is on: receivable and payable lines only."""
    if line.account_subtype in AUXILIARY_SUBTYPES:
        return line.party_id
    return None


def _with_parties(
    session: Session, lines: Iterator[extraction.ExtractLine]
) -> Iterator[tuple[extraction.ExtractLine, tuple[str, str]]]:
    """Each line with its party's code and name, read a batch of lines at a time and kept:
    a year names far fewer parties than it has lines."""
    known: dict[uuid.UUID, tuple[str, str]] = {}
    batch: list[extraction.ExtractLine] = []

    def flush() -> Iterator[tuple[extraction.ExtractLine, tuple[str, str]]]:
        missing = {party for line in batch if (party := _auxiliary(line)) and party not in known}
        if missing:
            found = parties.by_ids(session, missing)
            known.update({party.id: (party.code, party.name) for party in found.values()})
        for line in batch:
            party = _auxiliary(line)
            yield line, known.get(party, ("", "")) if party is not None else ("", "")
        batch.clear()

    for line in lines:
        batch.append(line)
        if len(batch) >= extraction.BATCH:
            yield from flush()
    yield from flush()


def records(session: Session, year: extraction.Year, base_currency: str) -> Iterator[list[str]]:
    """The FEC's records of a fiscal year (without the header), as lists of 18 fields."""
    return records_of(session, extraction.year_lines(session, year.id), base_currency)


def records_of(
    session: Session, lines: Iterator[extraction.ExtractLine], base_currency: str
) -> Iterator[list[str]]:
    """``lines`` as FEC records: what other extracts in the FEC's layout reuse."""
    exponent = minor_unit_exponent(base_currency)
    exponents = {base_currency: exponent}
    for line, (aux_code, aux_name) in _with_parties(session, lines):
        if line.currency not in exponents:
            exponents[line.currency] = minor_unit_exponent(line.currency)
        number = format_entry_number(line.journal_code, line.year_start, line.number) or ""
        foreign = line.currency != base_currency
        piece = line.reference or number
        yield [
            line.journal_code,
            _clean(line.journal_name),
            number,
            _day(line.entry_date),
            line.account_code,
            _clean(line.account_name),
            _clean(aux_code),
            _clean(aux_name),
            _clean(piece),
            _day(line.entry_date),
            _clean(line.label or line.description or piece),
            amount(line.debit, exponent),
            amount(line.credit, exponent),
            line.matching_code or "",
            _day(line.matching_date),
            _day(line.posted_at.date() if line.posted_at else line.entry_date),
            amount(abs(line.amount_currency), exponents[line.currency]) if foreign else "",
            line.currency if foreign else "",
        ]


def transliterate(text: str) -> str:
    """``text`` with only ISO-8859-15 characters."""
    try:
        text.encode("iso-8859-15")
        return text
    except UnicodeEncodeError:
        pass
    result = []
    for char in text.translate(_PLAIN):
        try:
            char.encode("iso-8859-15")
            result.append(char)
        except UnicodeEncodeError:
            plain = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            result.append(plain if plain and plain.isascii() else "?")
    return "".join(result)


def encode(
    rows: Iterator[list[str]], separator: Separator = "pipe", encoding: Encoding = "utf-8"
) -> Iterator[bytes]:
    """The header and ``rows`` as encoded chunks of a few hundred records."""
    glue = SEPARATORS[separator]
    latin = encoding == "iso-8859-15"
    buffer = [glue.join(COLUMNS)]
    for row in rows:
        buffer.append(glue.join(row))
        if len(buffer) >= CHUNK_LINES:
            text = NEWLINE.join(buffer) + NEWLINE
            yield (transliterate(text) if latin else text).encode(encoding)
            buffer = []
    if buffer:
        text = NEWLINE.join(buffer) + NEWLINE
        yield (transliterate(text) if latin else text).encode(encoding)


def generate(session: Session, chosen: Plan) -> Iterator[bytes]:
    """The whole file from ``session`` (already set to the organization)."""
    yield from encode(
        records(session, chosen.year, chosen.base_currency), chosen.separator, chosen.encoding
    )


def stream(database: Database, chosen: Plan) -> Iterator[bytes]:
    """The file from a read-only session of its own, for a response sent after the request's
    session has closed; the session lives as long as the download."""
    return database.stream_for(chosen.organization_id, lambda session: generate(session, chosen))


def fiscal_years(session: Session) -> list[extraction.Year]:
    """The organization's fiscal years, latest first: what a FEC can be asked for."""
    return sorted(
        (
            extraction.Year(y.id, y.start_date, y.end_date)
            for y in periods.list_fiscal_years(session)
        ),
        key=lambda year: year.start_date,
        reverse=True,
    )
