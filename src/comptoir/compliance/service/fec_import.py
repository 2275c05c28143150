"""Import a FEC file (a migration from another accounting tool) into an organization.

The file is checked first (:mod:`fec_checks`); a bad file is refused with every problem and
its line. The books must be empty over the file's dates. Missing accounts, journals and
customers or suppliers are created, then every entry is posted in one batch, then the
lettering is redone.

What changes on the way, documented in docs/fec.md: the ledger numbers entries itself,
from 1 per journal and fiscal year in date order, so an entry keeps the file's number only
when the file numbered its journals in date order; the original ``EcritureNum`` stays
readable as the entry's reference when ``PieceRef`` is empty. Lettering
codes are given afresh (``A``, ``B``, ...) to the same groups of lines. ``ValidDate`` becomes
the time of the import, when Comptoir validated the entries.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from comptoir.compliance.service.fec import COLUMNS
from comptoir.compliance.service.fec_checks import (
    Problem,
    check_lines,
    parse_amount,
    parse_day,
    split_lines,
)
from comptoir.kit.errors import Conflict, FieldError, ValidationFailed
from comptoir.kit.money import minor_unit_exponent
from comptoir.ledger.service import (
    accounts,
    entries,
    extraction,
    journals,
    matching,
    organization,
)
from comptoir.parties.service import parties

MAX_BYTES = 50 * 1024 * 1024
SOURCE_TYPE = "fec_import"
_JOURNAL_TYPES = (
    (("AN", "RAN", "OUV"), "opening"),
    (("VT", "VE", "VTE"), "sales"),
    (("AC", "HA", "ACH"), "purchases"),
    (("BQ", "BNK", "BAN"), "bank"),
    (("CA", "CAI"), "cash"),
)


@dataclass
class _Line:
    row: int
    values: dict[str, str]


@dataclass
class _Entry:
    journal: str
    number: str
    lines: list[_Line] = field(default_factory=list)


@dataclass(frozen=True)
class ImportSummary:
    entries: int
    lines: int
    accounts_created: list[str]
    journals_created: list[str]
    parties_created: list[str]
    matchings: int
    # Lettering codes found on one line only: the other side sits in another year's file.
    unmatched_letterings: list[str]


def problems_as_errors(problems: Sequence[Problem]) -> list[FieldError]:
    return [FieldError(p.column or "file", p.message, p.code, row=p.line) for p in problems]


def _account_kind(code: str) -> tuple[str, str | None, bool]:
    """Type, subtype and whether lettering applies, from the PCG class of ``code``."""
    if code.startswith("411"):
        return "asset", "receivable", True
    if code.startswith("401"):
        return "liability", "payable", True
    if code.startswith("512"):
        return "asset", "bank", True
    if code.startswith("53"):
        return "asset", "cash", False
    first = code[0]
    if first == "4":
        debit_natured = code.startswith(("409", "41", "4456", "486"))
        return ("asset" if debit_natured else "liability"), None, False
    kinds = {"1": "equity", "2": "asset", "3": "asset", "5": "asset", "6": "expense"}
    return kinds.get(first, "income" if first == "7" else "equity"), None, False


def _journal_kind(code: str) -> str:
    for prefixes, kind in _JOURNAL_TYPES:
        if code.upper().startswith(prefixes):
            return kind
    return "general"


def _group(lines: list[str]) -> list[_Entry]:
    """The file's lines (checked, header first) as entries, in file order."""
    result: list[_Entry] = []
    separator = "\t" if "\t" in lines[0] and "|" not in lines[0] else "|"
    for row, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        values = dict(zip(COLUMNS, line.split(separator), strict=True))
        key = (values["JournalCode"], values["EcritureNum"])
        if not result or (result[-1].journal, result[-1].number) != key:
            result.append(_Entry(*key))
        result[-1].lines.append(_Line(row, values))
    return result


def _decimal_text(value: str) -> str | None:
    amount = parse_amount(value)
    return str(amount) if amount else None


def _line_input(
    line: _Line, base: str, party_id: uuid.UUID | None
) -> tuple[entries.LineInput, bool]:
    values = line.values
    debit, credit = _decimal_text(values["Debit"]), _decimal_text(values["Credit"])
    currency = values["Idevise"].strip().upper()
    foreign = parse_amount(values["Montantdevise"]) if values["Montantdevise"] else None
    if currency and currency != base and foreign:
        base_amount = Decimal(debit or credit or 0)
        foreign = abs(foreign)
        # The rate that gives back the file's base amount exactly once rounded.
        rate = (base_amount / foreign).quantize(Decimal("1e-12"))
        shown = f"{foreign:.{minor_unit_exponent(currency)}f}"
        return (
            entries.LineInput(
                account=values["CompteNum"],
                debit=shown if debit else None,
                credit=shown if credit else None,
                currency=currency,
                exchange_rate=str(rate),
                label=values["EcritureLib"] or None,
                party_id=party_id,
            ),
            True,
        )
    return (
        entries.LineInput(
            account=values["CompteNum"],
            debit=debit,
            credit=credit,
            label=values["EcritureLib"] or None,
            party_id=party_id,
        ),
        False,
    )


def import_fec(session: Session, raw: bytes, *, actor_id: uuid.UUID | None = None) -> ImportSummary:
    """Check ``raw`` and turn it into posted entries; all or nothing."""
    if len(raw) > MAX_BYTES:
        raise ValidationFailed.single("file", "At most 50 MB.", "too_large")
    lines = list(split_lines([raw]))
    report = check_lines(lines)
    if report.problems:
        raise ValidationFailed(
            problems_as_errors(report.problems),
            f"{len(report.problems) + report.more} problem(s) in the file; nothing was imported.",
        )
    grouped = _group(lines)
    days = [parse_day(e.lines[0].values["EcritureDate"]) for e in grouped]
    known_days = [d for d in days if d is not None]
    first_day, last_day = min(known_days), max(known_days)
    if extraction.has_posted_entries(session, first_day, last_day):
        raise Conflict(
            f"The books already hold posted entries between {first_day} and {last_day}; "
            "a FEC imports into empty years only.",
            code="books_not_empty",
        )
    base = organization.current(session).base_currency
    created_accounts = _accounts(session, grouped)
    created_journals = _journals(session, grouped)
    party_ids, created_parties = _parties(session, grouped, actor_id)
    batch = []
    for entry, day in zip(grouped, days, strict=True):
        assert day is not None
        first = entry.lines[0].values
        batch.append(
            entries.EntryInput(
                journal=entry.journal,
                date=day,
                reference=(first["PieceRef"] or entry.number)[:100],
                description=first["EcritureLib"] or None,
                lines=[
                    _line_input(line, base, party_ids.get(line.values["CompAuxNum"]))[0]
                    for line in entry.lines
                ],
                source_type=SOURCE_TYPE,
                source_id=f"{entry.journal}:{entry.number}"[:64],
            )
        )
    try:
        entries.record_many(session, batch, actor_id=actor_id)
    except ValidationFailed as exc:
        raise ValidationFailed(_rows_of(exc, grouped), exc.detail) from None
    matchings, unmatched = _letter(session, grouped, actor_id)
    return ImportSummary(
        entries=len(grouped),
        lines=report.lines,
        accounts_created=created_accounts,
        journals_created=created_journals,
        parties_created=created_parties,
        matchings=matchings,
        unmatched_letterings=unmatched,
    )


def _rows_of(exc: ValidationFailed, grouped: list[_Entry]) -> list[FieldError]:
    """``entries.N.lines.M.column`` errors of the batch as lines of the file."""
    result = []
    for error in exc.errors:
        parts = error.field.split(".")
        row = None
        if len(parts) >= 2 and parts[0] == "entries" and parts[1].isdigit():
            entry = grouped[int(parts[1])]
            row = entry.lines[0].row
            if len(parts) >= 4 and parts[2] == "lines" and parts[3].isdigit():
                row = entry.lines[min(int(parts[3]), len(entry.lines) - 1)].row
        result.append(FieldError(parts[-1], error.message, error.code, row=row))
    return result


def _accounts(session: Session, grouped: list[_Entry]) -> list[str]:
    created = []
    names: dict[str, str] = {}
    for entry in grouped:
        for line in entry.lines:
            names.setdefault(line.values["CompteNum"], line.values["CompteLib"])
    for code, name in names.items():
        if accounts.by_code(session, code) is not None:
            continue
        kind, subtype, reconcilable = _account_kind(code)
        accounts.create(
            session,
            {
                "code": code,
                "name": name or code,
                "type": kind,
                "subtype": subtype,
                "reconcilable": reconcilable,
            },
        )
        created.append(code)
    return created


def _journals(session: Session, grouped: list[_Entry]) -> list[str]:
    existing = {j.code for j in journals.list_journals(session, include_archived=True)}
    created = []
    names: dict[str, str] = {}
    for entry in grouped:
        names.setdefault(entry.journal, entry.lines[0].values["JournalLib"])
    for code, name in names.items():
        if code.upper() in existing:
            continue
        journals.create(session, {"code": code, "name": name or code, "type": _journal_kind(code)})
        created.append(code)
    return created


def _parties(
    session: Session, grouped: list[_Entry], actor_id: uuid.UUID | None
) -> tuple[dict[str, uuid.UUID], list[str]]:
    """Customers (on 411 accounts) and suppliers (on 401) named by ``CompAuxNum``."""
    ids: dict[str, uuid.UUID] = {}
    created = []
    for entry in grouped:
        for line in entry.lines:
            code, account = line.values["CompAuxNum"], line.values["CompteNum"]
            if not code or code in ids:
                continue
            found = parties.by_code(session, code)
            if found is None:
                if not account.startswith(("411", "401")):
                    continue
                found = parties.create(
                    session,
                    {"code": code, "name": line.values["CompAuxLib"] or code},
                    role="customer" if account.startswith("411") else "supplier",
                    actor_id=actor_id,
                )
                created.append(code)
            ids[code] = found.id
    return ids, created


def _letter(
    session: Session, grouped: list[_Entry], actor_id: uuid.UUID | None
) -> tuple[int, list[str]]:
    """Match again the lines the file letters together, per account and code, and name
    the codes only one line of the file carries (lettered with a line of another year),
    which stay open."""
    groups: dict[tuple[str, str], list[tuple[str, int]]] = {}
    dates: dict[tuple[str, str], date | None] = {}
    for entry in grouped:
        for line_no, line in enumerate(entry.lines, start=1):
            code = line.values["EcritureLet"]
            if code:
                key = (line.values["CompteNum"], code)
                groups.setdefault(key, []).append((f"{entry.journal}:{entry.number}"[:64], line_no))
                dates[key] = parse_day(line.values["DateLet"])
    unmatched = sorted({code for (_, code), members in groups.items() if len(members) < 2})
    groups = {key: members for key, members in groups.items() if len(members) >= 2}
    if not groups:
        return 0, unmatched
    line_ids = extraction.line_ids_by_source(
        session, SOURCE_TYPE, [source for members in groups.values() for source, _ in members]
    )
    for key, members in groups.items():
        matching.match(
            session, [line_ids[member] for member in members], on=dates[key], actor_id=actor_id
        )
    return len(groups), unmatched
