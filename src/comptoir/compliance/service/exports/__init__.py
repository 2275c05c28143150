"""Exports of the books to other accounting tools over a range of dates: Pennylane (its FEC
import), Sage 100 (fixed-width and tab-separated), a generic CSV of every ledger line, and
plain-text journals for hledger and beancount. Every format streams the same extraction
(``ledger.service.extraction.range_lines``), so memory stays flat whatever the range.
Formats, layouts and how to import them: docs/accounting-exports.md."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

from sqlalchemy.orm import Session

from comptoir.compliance.service.exports import (
    beancount_journal,
    common,
    hledger_journal,
    ledger_csv,
    pennylane,
    sage,
)
from comptoir.identity.service import organizations
from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.errors import ValidationFailed
from comptoir.ledger.service import extraction, organization, periods

Format = Literal["pennylane", "sage", "sage-tab", "csv", "hledger", "beancount"]
FORMATS: tuple[Format, ...] = get_args(Format)
# Formats that start with the opening balances only when asked (``opening=true``); Pennylane
# always does, the others are extracts of a range's movements.
OPTIONAL_OPENING: frozenset[Format] = frozenset({"hledger", "beancount"})
# A range longer than this is a mistake more often than a need, and a very long download.
MAX_YEARS = 10


@dataclass(frozen=True)
class Kind:
    title: str
    audience: str
    extension: str
    media_type: str
    encoding: str = "utf-8"


KINDS: dict[Format, Kind] = {
    "pennylane": Kind(
        "Pennylane (FEC)",
        "Pennylane's import of accounting history: the FEC's 18 columns, pipe-separated.",
        "txt",
        "text/plain; charset=utf-8",
    ),
    "sage": Kind(
        "Sage 100 (fixed width)",
        "Sage 100 Comptabilité's import of entries in Sage's own fixed-width layout.",
        "txt",
        "text/plain; charset=windows-1252",
        sage.ENCODING,
    ),
    "sage-tab": Kind(
        "Sage 100 (tab-separated)",
        "The same fields separated by tabs, for Sage's parameterised import.",
        "txt",
        "text/plain; charset=windows-1252",
        sage.ENCODING,
    ),
    "csv": Kind(
        "CSV of every ledger line",
        "Spreadsheets and other tools: one row per line with every field.",
        "csv",
        "text/csv; charset=utf-8",
    ),
    "hledger": Kind(
        "hledger journal",
        "Plain-text accounting with hledger: one transaction per entry.",
        "journal",
        "text/plain; charset=utf-8",
    ),
    "beancount": Kind(
        "Beancount ledger",
        "Plain-text accounting with beancount and Fava: one transaction per entry.",
        "beancount",
        "text/plain; charset=utf-8",
    ),
}
# Without their charset: what the OpenAPI document lists.
MEDIA_TYPES = tuple(dict.fromkeys(kind.media_type.split(";")[0] for kind in KINDS.values()))


@dataclass(frozen=True)
class Plan:
    """What a download needs, settled before the first byte goes out."""

    organization_id: uuid.UUID
    format: Format
    date_from: date
    date_to: date
    base_currency: str
    title: str
    filename: str
    # hledger and beancount: start with the opening balances of ``date_from``.
    opening: bool = False

    @property
    def kind(self) -> Kind:
        return KINDS[self.format]


def default_range(session: Session) -> tuple[date, date]:
    """The fiscal year containing today."""
    start_month = organization.current(session).fiscal_year_start_month
    return periods.fiscal_year_bounds(clock.now().date(), start_month)


def chosen_format(value: str) -> Format:
    for name in FORMATS:
        if name == value:
            return name
    raise ValidationFailed.single(
        "format", f"Choose one of: {', '.join(FORMATS)}.", "unknown_format"
    )


def _check_range(date_from: date, date_to: date) -> None:
    if date_from > date_to:
        raise ValidationFailed.single(
            "date_from", "The start date comes after the end date.", "inverted_range"
        )
    if date_to.toordinal() - date_from.toordinal() > MAX_YEARS * 366:
        raise ValidationFailed.single(
            "date_to", f"Export at most {MAX_YEARS} years at a time.", "range_too_long"
        )


def _owner_tag(session: Session) -> str:
    """The SIREN, else the legal name as a slug: what starts each file name."""
    found = organizations.get_current(session)
    siren = (found.siren or "").replace(" ", "")
    if siren:
        return siren
    plain = unicodedata.normalize("NFKD", found.legal_name).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", plain.lower()))[:60] or "comptoir"


def plan(
    session: Session,
    fmt: str,
    date_from: date | None = None,
    date_to: date | None = None,
    *,
    opening: bool = False,
) -> Plan:
    """Check a request for an export: a known format (422 listing them otherwise), a range
    of at most ``MAX_YEARS`` years, its missing ends taken from the current fiscal year,
    and, for Sage's fixed width, journal codes that fit it (a download under way cannot
    turn into an error)."""
    chosen = chosen_format(fmt)
    start, end = default_range(session)
    date_from = date_from or start
    date_to = date_to or end
    _check_range(date_from, date_to)
    if chosen == "sage":
        sage.check_journal_codes(extraction.journal_codes(session, date_from, date_to))
    facts = organization.current(session)
    kind = KINDS[chosen]
    return Plan(
        organization_id=facts.id,
        format=chosen,
        date_from=date_from,
        date_to=date_to,
        base_currency=facts.base_currency,
        title=facts.legal_name,
        filename=(
            f"{_owner_tag(session)}_{chosen}_{date_from:%Y%m%d}_{date_to:%Y%m%d}.{kind.extension}"
        ),
        opening=opening and chosen in OPTIONAL_OPENING,
    )


def records(session: Session, chosen: Plan) -> Iterator[str]:
    """The file's records (text without line ends)."""
    base = chosen.base_currency
    span = (chosen.date_from, chosen.date_to)
    if chosen.format == "pennylane":
        return pennylane.records(session, *span, base)
    rows = common.lines(session, *span, opening=chosen.opening)
    if chosen.format == "sage":
        return sage.fixed(rows, base)
    if chosen.format == "sage-tab":
        return sage.tabbed(rows, base)
    if chosen.format == "csv":
        return ledger_csv.records(rows, base)
    if chosen.format == "hledger":
        return hledger_journal.records(rows, base, chosen.title, span)
    return beancount_journal.records(rows, base, chosen.title, span)


def generate(session: Session, chosen: Plan) -> Iterator[bytes]:
    """The whole file from ``session`` (already set to the organization). The plain-text
    journals end lines with LF, as their tools' own files do; the others with CR LF."""
    newline = "\n" if chosen.format in {"hledger", "beancount"} else common.NEWLINE
    yield from common.encode(records(session, chosen), chosen.kind.encoding, newline=newline)


def stream(database: Database, chosen: Plan) -> Iterator[bytes]:
    """The file from a read-only session of its own, for a response sent after the request's
    session has closed; the session lives as long as the download."""
    return database.stream_for(chosen.organization_id, lambda session: generate(session, chosen))
