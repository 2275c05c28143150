"""Checks of a FEC file, Comptoir's own or an uploaded one.

The file is read a line at a time; what the checks keep is bounded: the running totals of
the entry being read, one bit per entry number per journal (for continuity and duplicates)
and at most :data:`MAX_PROBLEMS` problems. Lines of an entry are expected together, as the
administration's norm lays them out; an entry number met again after another entry is a
duplicate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from sqlalchemy.orm import Session

from comptoir.compliance.service.fec import COLUMNS, encode, file_name, records
from comptoir.identity.service import organizations
from comptoir.ledger.service import extraction, organization

MAX_PROBLEMS = 1000
MANDATORY = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "ValidDate",
)
DATE_COLUMNS = ("EcritureDate", "PieceDate", "DateLet", "ValidDate")
_AMOUNT = re.compile(r"-?\d+(,\d+)?")
_DATE = re.compile(r"\d{8}")
_ACCOUNT = re.compile(r"\d{3}")
_NUMBER = re.compile(r"(\d+)$")
# Numbers this large are not a journal's sequence but a typo; the bitmap stays small.
MAX_NUMBER = 100_000_000


@dataclass(frozen=True)
class Problem:
    line: int
    column: str | None
    code: str
    message: str


@dataclass
class Report:
    lines: int
    entries: int
    problems: list[Problem]
    # Problems found beyond MAX_PROBLEMS, counted and not kept.
    more: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_amount(text: str) -> Decimal | None:
    if not _AMOUNT.fullmatch(text):
        return None
    return Decimal(text.replace(",", "."))


@lru_cache(maxsize=4096)
def parse_day(text: str) -> date | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def split_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Text lines of an encoded file given in chunks: UTF-8 (with or without BOM), else
    ISO-8859-15, the two encodings the norm allows; CR LF or LF."""
    pending = b""
    first = True
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            if first and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            first = False
            yield _decode(raw.rstrip(b"\r"))
    if pending.rstrip(b"\r"):
        yield _decode(pending.rstrip(b"\r"))


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("iso-8859-15")


class _Checker:
    def __init__(self, year: tuple[date, date] | None) -> None:
        self.year = year
        self.problems: list[Problem] = []
        self.more = 0
        self.separator = "|"
        self.numbers: dict[str, bytearray] = {}
        self.entry: tuple[str, str] | None = None
        self.entry_line = 0
        self.entry_total = Decimal(0)
        self.entries = 0

    def add(self, line: int, column: str | None, code: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(line, column, code, message))
        else:
            self.more += 1

    def header(self, text: str) -> bool:
        self.separator = "\t" if "\t" in text and "|" not in text else "|"
        names = text.split(self.separator)
        if len(names) != len(COLUMNS):
            self.add(
                1,
                None,
                "column_count",
                f"The header has {len(names)} columns; the FEC has {len(COLUMNS)}, "
                f"separated by | or a tab.",
            )
            return False
        for index, (found, wanted) in enumerate(zip(names, COLUMNS, strict=True)):
            if found.strip() != wanted:
                self.add(
                    1,
                    wanted,
                    "column_order",
                    f"Column {index + 1} is {found!r}; the norm puts {wanted} there.",
                )
        return True

    def record(self, number: int, text: str) -> None:
        fields = text.split(self.separator)
        if len(fields) != len(COLUMNS):
            self.add(
                number,
                None,
                "column_count",
                f"This line has {len(fields)} fields instead of {len(COLUMNS)}.",
            )
            return
        row = dict(zip(COLUMNS, fields, strict=True))
        for column in MANDATORY:
            if not row[column].strip():
                self.add(number, column, "missing", f"{column} is mandatory.")
        if row["CompteNum"] and not _ACCOUNT.match(row["CompteNum"]):
            self.add(
                number,
                "CompteNum",
                "account_number",
                f"CompteNum {row['CompteNum']!r} does not start with three digits.",
            )
        days = {}
        for column in DATE_COLUMNS:
            if row[column]:
                days[column] = parse_day(row[column])
                if days[column] is None:
                    self.add(
                        number,
                        column,
                        "date_format",
                        f"{column} {row[column]!r} is not a date AAAAMMJJ.",
                    )
        entry_day = days.get("EcritureDate")
        if entry_day is not None and self.year is not None:
            start, end = self.year
            if not start <= entry_day <= end:
                self.add(
                    number,
                    "EcritureDate",
                    "outside_year",
                    f"{entry_day:%d/%m/%Y} is outside the fiscal year "
                    f"{start:%d/%m/%Y}-{end:%d/%m/%Y}.",
                )
        if row["EcritureLet"] and not row["DateLet"]:
            self.add(number, "DateLet", "missing", "A lettered line needs its DateLet.")
        sides = {}
        for column in ("Debit", "Credit", "Montantdevise"):
            if row[column]:
                sides[column] = parse_amount(row[column])
                if sides[column] is None:
                    self.add(
                        number,
                        column,
                        "amount_format",
                        f"{column} {row[column]!r} is not an amount like 1234,56 "
                        "(comma, no thousands separator).",
                    )
        if row["Montantdevise"] and not row["Idevise"]:
            self.add(number, "Idevise", "missing", "A foreign amount needs its currency.")
        self.follow(
            number, row, (sides.get("Debit") or Decimal(0)) - (sides.get("Credit") or Decimal(0))
        )

    def follow(self, number: int, row: dict[str, str], balance: Decimal) -> None:
        key = (row["JournalCode"], row["EcritureNum"])
        if key != self.entry:
            self.close()
            self.entry, self.entry_line, self.entry_total = key, number, Decimal(0)
            self.entries += 1
            self.mark(number, *key)
        self.entry_total += balance

    def mark(self, number: int, journal: str, entry_number: str) -> None:
        found = _NUMBER.search(entry_number)
        if found is None or int(found.group(1)) > MAX_NUMBER:
            if entry_number:
                self.add(
                    number,
                    "EcritureNum",
                    "number_format",
                    f"EcritureNum {entry_number!r} does not end with a sequence number.",
                )
            return
        value = int(found.group(1))
        bits = self.numbers.setdefault(journal, bytearray())
        if len(bits) <= value // 8:
            bits.extend(bytes(value // 8 + 1 - len(bits)))
        if bits[value // 8] & (1 << (value % 8)):
            self.add(
                number,
                "EcritureNum",
                "duplicate_number",
                f"Entry {entry_number} of journal {journal} appears again after other entries "
                "(a duplicate number, or an entry whose lines are not together).",
            )
        bits[value // 8] |= 1 << (value % 8)

    def close(self) -> None:
        if self.entry is not None and self.entry_total != 0:
            journal, entry_number = self.entry
            self.add(
                self.entry_line,
                "Debit",
                "unbalanced",
                f"Entry {entry_number} of journal {journal} does not balance "
                f"(debit - credit = {self.entry_total}).",
            )

    def finish(self) -> None:
        self.close()
        for journal, bits in sorted(self.numbers.items()):
            missing: list[int] = []
            count = 0
            last: int | None = None
            for value in range(len(bits) * 8):
                if not bits[value // 8] & (1 << (value % 8)):
                    continue
                if last is not None and value > last + 1:
                    count += value - last - 1
                    room = max(0, 20 - len(missing))
                    missing += range(last + 1, min(value, last + 1 + room))
                last = value
            if count:
                shown = ", ".join(str(n) for n in missing)
                more = f" and {count - len(missing)} more" if count > len(missing) else ""
                self.add(
                    0,
                    "EcritureNum",
                    "number_gap",
                    f"Journal {journal} skips entry number(s) {shown}{more}.",
                )


def check_lines(lines: Iterable[str], year: tuple[date, date] | None = None) -> Report:
    """Check a FEC given as text lines (header first). ``year`` (start, end) adds the check
    that every entry date falls inside it. Problems carry their line number (1 = header;
    0 for the file as a whole)."""
    checker = _Checker(year)
    count = 0
    header_ok = False
    for count, text in enumerate(lines, start=1):
        if count == 1:
            header_ok = checker.header(text)
            if not header_ok:
                break
            continue
        if text.strip():
            checker.record(count, text)
    if count == 0:
        checker.add(0, None, "empty_file", "The file is empty.")
    elif header_ok:
        if count == 1:
            checker.add(0, None, "no_entries", "The file has a header and no entries.")
        checker.finish()
    return Report(max(count - 1, 0), checker.entries, checker.problems, checker.more)


def check_bytes(chunks: Iterable[bytes], year: tuple[date, date] | None = None) -> Report:
    """Check an encoded FEC given as chunks of bytes (a file read piece by piece, or the
    export as it streams)."""
    try:
        return check_lines(split_lines(chunks), year)
    except UnicodeDecodeError:
        return Report(
            0,
            0,
            [Problem(0, None, "encoding", "The file mixes encodings; use UTF-8 or ISO-8859-15.")],
        )


@dataclass(frozen=True)
class ExportCheck:
    year_start: date
    year_end: date
    filename: str | None
    report: Report


def check_export(session: Session, fiscal_year: str) -> ExportCheck:
    """The checks of the FEC Comptoir would produce for ``fiscal_year`` (id or start date),
    run on the encoded file as it streams. A missing SIREN is reported as a problem, since
    the file cannot be named without it."""
    year = extraction.fiscal_year(session, fiscal_year)
    siren = (organizations.get_current(session).siren or "").replace(" ", "")
    base = organization.current(session).base_currency
    report = check_bytes(encode(records(session, year, base)), (year.start_date, year.end_date))
    if not siren:
        report.problems.insert(
            0,
            Problem(
                0,
                None,
                "missing_siren",
                "The FEC's file name carries the SIREN: enter it in the organization "
                "settings first.",
            ),
        )
    return ExportCheck(
        year.start_date,
        year.end_date,
        file_name(siren, year.end_date) if siren else None,
        report,
    )
