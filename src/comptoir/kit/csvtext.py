"""Reading CSV text a user uploaded: any malformed file is a 422, never a crash."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from comptoir.kit.errors import ValidationFailed


def decode_upload(raw: bytes) -> str:
    """An uploaded text file: UTF-8 (with or without BOM), else Windows-1252 as spreadsheets
    on Windows write it."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed.single(
        "file", "The file is not UTF-8 or Windows-1252 text.", "bad_encoding"
    )


def read_rows(text: str) -> list[list[str]]:
    """Every row of ``text`` (a byte-order mark and any newline convention accepted)."""
    try:
        return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    except csv.Error as exc:
        raise ValidationFailed.single(
            "file", f"This is not a readable CSV file ({exc}).", "bad_csv"
        ) from None


def read_records(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header (lower-cased, trimmed) and each data row with its number in the file, as a
    spreadsheet shows it (the header is row 1): blank rows are skipped but still counted, so
    that a problem is reported on the row the user sees."""
    rows = read_rows(text)
    if not rows:
        return [], []
    header = [name.strip().lower() for name in rows[0]]
    records = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        padded = [*row, *([""] * (len(header) - len(row)))]
        records.append((number, {name: padded[i].strip() for i, name in enumerate(header) if name}))
    return header, records


def read_import(
    text: str, columns: Iterable[str], max_rows: int
) -> list[tuple[int, dict[str, str]]]:
    """The numbered records of an import file whose header has a ``name`` column and only
    known ``columns``, with at least one and at most ``max_rows`` rows; a file-level 422
    otherwise."""
    known = list(columns)
    header, records = read_records(text)
    if not records:
        raise ValidationFailed.single("file", "The file has no rows.", "empty")
    if "name" not in header:
        raise ValidationFailed.single("file", "The file needs a name column.", "missing_column")
    unknown = [name for name in header if name and name not in known]
    if unknown:
        raise ValidationFailed.single(
            "file",
            f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
            f"Known: {', '.join(known)}.",
            "unknown_column",
        )
    if len(records) > max_rows:
        raise ValidationFailed.single("file", f"At most {max_rows} rows per file.", "too_many")
    return records
