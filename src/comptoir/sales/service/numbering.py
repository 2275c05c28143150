"""Document numbers: a format per series such as ``F-{YYYY}-{SEQ:05}`` and a gap-free
counter per series and year (a format with the year in it starts again each year)."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy.orm import Session

from comptoir.kit import sequences
from comptoir.kit.errors import ValidationFailed

_TOKEN = re.compile(r"\{(YYYY|YY|MM|SEQ(?::0?(\d))?)\}")
MAX_LENGTH = 40


def check_format(value: object, field: str) -> str:
    """A usable format: one ``{SEQ}`` (optionally padded, ``{SEQ:05}``), any of
    ``{YYYY}``, ``{YY}``, ``{MM}``, and plain characters that are safe in file names."""
    text = str(value or "").strip()
    tokens = [match.group(1) for match in _TOKEN.finditer(text)]
    rest = _TOKEN.sub("", text)
    if sum(token.startswith("SEQ") for token in tokens) != 1:
        raise ValidationFailed.single(
            field, "Put {SEQ} (or {SEQ:05} for 00001) exactly once in the format.", "invalid"
        )
    if not re.fullmatch(r"[A-Za-z0-9/._ -]*", rest):
        raise ValidationFailed.single(
            field,
            "Use letters, digits, - / . _ and the fields {YYYY}, {YY}, {MM}, {SEQ:05}.",
            "invalid",
        )
    if len(format_number(text, date(2099, 12, 31), 10**9)) > MAX_LENGTH:
        raise ValidationFailed.single(field, f"Numbers would exceed {MAX_LENGTH} characters.")
    return text


def format_number(template: str, on: date, sequence: int) -> str:
    def field(match: re.Match[str]) -> str:
        placeholder = match.group(1)
        if placeholder == "YYYY":
            return f"{on.year:04d}"
        if placeholder == "YY":
            return f"{on.year % 100:02d}"
        if placeholder == "MM":
            return f"{on.month:02d}"
        width = int(match.group(2) or 0)
        return f"{sequence:0{width}d}"

    return _TOKEN.sub(field, template)


def series_key(kind: str, template: str, on: date) -> str:
    """The counter a number comes from: per year when the format shows the year, per month
    when it shows the month as well, else one counter for ever. The format itself is not
    part of the key, so that changing it mid-year keeps counting instead of reusing
    numbers."""
    key = kind
    if "{YYYY}" in template or "{YY}" in template:
        key += f":{on.year:04d}"
        if "{MM}" in template:
            key += f"-{on.month:02d}"
    return key[:60]


def next_number(session: Session, kind: str, template: str, on: date) -> tuple[str, int]:
    """The next number of the series under a row lock held until commit: concurrent issues
    wait for each other, and a rolled-back issue gives its number back."""
    sequence = sequences.reserve(session, series_key(kind, template, on))
    return format_number(template, on, sequence), sequence
