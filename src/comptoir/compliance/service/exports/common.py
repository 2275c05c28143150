"""What every export format shares: the lines of the range with their parties, and the
encoding of text records into chunks of bytes."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from comptoir.compliance.service.fec import transliterate
from comptoir.ledger.service import extraction, openings
from comptoir.ledger.service.reports import format_entry_number
from comptoir.parties.service import parties

NEWLINE = "\r\n"
# Records per chunk sent: tens of kilobytes, as the FEC does.
CHUNK_LINES = 200


@dataclass(frozen=True, slots=True)
class PartyFacts:
    id: uuid.UUID
    code: str
    name: str
    is_customer: bool
    is_supplier: bool

    def kind(self, account_subtype: str | None) -> str:
        """``customer`` or ``supplier``: the side the account says, else the party's role."""
        if account_subtype == "receivable":
            return "customer"
        if account_subtype == "payable":
            return "supplier"
        if self.is_customer and self.is_supplier:
            return "customer+supplier"
        return "customer" if self.is_customer else "supplier"


Line = tuple[extraction.ExtractLine, PartyFacts | None]


def lines(
    session: Session, date_from: date, date_to: date, *, opening: bool = False
) -> Iterator[Line]:
    """The range's lines, each with its party, parties read once per batch of lines and kept:
    a range names far fewer parties than it has lines. With ``opening``, the opening
    balances of ``date_from`` come first (``ledger.service.openings``)."""
    known: dict[uuid.UUID, PartyFacts] = {}
    batch: list[extraction.ExtractLine] = []

    def flush() -> Iterator[Line]:
        missing = {line.party_id for line in batch if line.party_id and line.party_id not in known}
        if missing:
            for party in parties.by_ids(session, missing).values():
                known[party.id] = PartyFacts(
                    party.id, party.code, party.name, party.is_customer, party.is_supplier
                )
        for line in batch:
            yield line, known.get(line.party_id) if line.party_id else None
        batch.clear()

    first = openings.opening_lines(session, date_from) if opening else []
    for line in itertools.chain(first, extraction.range_lines(session, date_from, date_to)):
        batch.append(line)
        if len(batch) >= extraction.BATCH:
            yield from flush()
    yield from flush()


def entry_number(line: extraction.ExtractLine) -> str:
    return format_entry_number(line.journal_code, line.year_start, line.number) or ""


def one_line(text: str | None) -> str:
    """Text kept on one line: tabs, line breaks and runs of spaces become one space."""
    return " ".join(text.split()) if text else ""


def by_entry(
    rows: Iterable[Line],
) -> Iterator[list[Line]]:
    """Consecutive lines of the same entry, together: the plain-text journals write one
    transaction per entry. Lines of an entry come out of the extraction next to each other."""
    group: list[Line] = []
    for row in rows:
        if group and group[0][0].entry_id != row[0].entry_id:
            yield group
            group = []
        group.append(row)
    if group:
        yield group


def encode(
    records: Iterable[str], encoding: str = "utf-8", *, newline: str = NEWLINE
) -> Iterator[bytes]:
    """Records (text without line end) as chunks of encoded bytes. In a single-byte charset
    a character it lacks is transliterated first (see ``fec.transliterate``), and anything
    left replaced, because a download already under way cannot turn into an error."""
    single_byte = encoding != "utf-8"
    convert: Callable[[str], str] = transliterate if single_byte else str
    buffer: list[str] = []
    for record in records:
        buffer.append(record)
        if len(buffer) >= CHUNK_LINES:
            yield convert(newline.join(buffer) + newline).encode(encoding, errors="replace")
            buffer = []
    if buffer:
        yield convert(newline.join(buffer) + newline).encode(encoding, errors="replace")
