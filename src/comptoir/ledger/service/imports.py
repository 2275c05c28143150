"""Imports into the ledger: opening balances (a form or a CSV) and journal entries (CSV).

Every row is checked before anything is written, and errors name their row and column;
nothing is recorded unless every entry balances.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit.csvtext import read_records
from comptoir.kit.errors import FieldError, ValidationFailed
from comptoir.kit.money import format_minor, is_blank_amount
from comptoir.ledger.service import accounts, entries, journals, organization

MAX_ROWS = 100_000


@dataclass(frozen=True)
class OpeningBalance:
    account: str
    debit: object = None
    credit: object = None


@dataclass(frozen=True)
class ImportSummary:
    entries: int
    lines: int
    entry_ids: list[uuid.UUID]
    dry_run: bool


def _rows(text: str, required: set[str]) -> list[tuple[int, dict[str, str]]]:
    header, rows = read_records(text)
    missing = required - set(header)
    if missing:
        raise ValidationFailed.single(
            "file", f"Missing column(s): {', '.join(sorted(missing))}.", "missing_columns"
        )
    if len(rows) > MAX_ROWS:
        raise ValidationFailed.single("file", f"At most {MAX_ROWS} rows per file.", "too_many_rows")
    if not rows:
        raise ValidationFailed.single("file", "The file has no rows.", "empty_file")
    return rows


def _with_rows(exc: ValidationFailed, row_of_line: Sequence[int]) -> list[FieldError]:
    """Turn the service's ``lines.N.column`` fields into the file's rows and columns."""
    result = []
    for error in exc.errors:
        parts = error.field.split(".")
        if (
            len(parts) >= 2
            and parts[0] == "lines"
            and parts[1].isdigit()
            and int(parts[1]) < len(row_of_line)
        ):
            result.append(
                FieldError(
                    parts[2] if len(parts) > 2 else "line",
                    error.message,
                    error.code,
                    row=row_of_line[int(parts[1])],
                )
            )
        else:
            result.append(
                FieldError(
                    error.field,
                    error.message,
                    error.code,
                    row=row_of_line[0] if row_of_line else None,
                )
            )
    return result


def opening_balances(
    session: Session,
    balances: Sequence[OpeningBalance],
    on: date,
    *,
    offset_to_equity: bool = False,
    dry_run: bool = False,
    actor_id: uuid.UUID | None = None,
    rows: Sequence[int] | None = None,
) -> ImportSummary:
    """One posted entry in the opening journal. An imbalance is an error, unless
    ``offset_to_equity`` sends it to the opening-balance equity account."""
    journal = journals.by_type(session, "opening")
    if journal is None:
        raise ValidationFailed.single("journal", "There is no opening journal.", "missing_journal")
    base = organization.current(session).base_currency
    lines = [
        entries.LineInput(
            account=b.account, debit=b.debit, credit=b.credit, label="Opening balance"
        )
        for b in balances
        if not (is_blank_amount(b.debit) and is_blank_amount(b.credit))
    ]
    row_of_line = list(rows) if rows is not None else list(range(len(lines)))
    data = entries.EntryInput(
        journal=str(journal.id),
        date=on,
        reference=f"Opening balances {on.isoformat()}",
        lines=lines,
        source_type="opening_balances",
    )
    try:
        prepared = entries.prepare(session, data)
    except ValidationFailed as exc:
        raise ValidationFailed(
            _with_rows(exc, row_of_line), "Some rows need fixing; nothing was imported."
        ) from None
    if prepared.difference and offset_to_equity:
        equity = accounts.first_of_subtype(session, "opening_balance")
        if equity is None:
            raise ValidationFailed.single(
                "offset_to_equity", "The chart has no opening-balance equity account."
            )
        gap = format_minor(abs(prepared.difference), base)
        filler = entries.LineInput(
            account=str(equity.id),
            label="Opening balance difference",
            credit=gap if prepared.difference > 0 else None,
            debit=gap if prepared.difference < 0 else None,
        )
        data = entries.EntryInput(
            journal=data.journal,
            date=on,
            reference=data.reference,
            lines=[*lines, filler],
            source_type=data.source_type,
        )
    elif prepared.difference:
        side = "debits" if prepared.difference > 0 else "credits"
        gap = format_minor(abs(prepared.difference), base)
        raise ValidationFailed.single(
            "lines",
            f"Opening balances do not balance: {side} exceed by {gap} {base}.",
            "unbalanced",
        )
    if dry_run:
        entries.prepare(session, data)
        return ImportSummary(1, len(data.lines), [], True)
    entry = entries.record(session, data, actor_id=actor_id)
    audit.record(
        session,
        "ledger.opening_balances_imported",
        target_type="journal_entry",
        target_id=entry.id,
        after={"lines": len(data.lines), "date": on},
    )
    return ImportSummary(1, len(data.lines), [entry.id], False)


def opening_balances_csv(
    session: Session,
    text: str,
    on: date,
    *,
    offset_to_equity: bool = False,
    dry_run: bool = False,
    actor_id: uuid.UUID | None = None,
) -> ImportSummary:
    """Columns ``account,debit,credit``."""
    rows = _rows(text, {"account", "debit", "credit"})
    balances = []
    numbers = []
    for number, row in rows:
        if is_blank_amount(row["debit"]) and is_blank_amount(row["credit"]):
            continue
        balances.append(OpeningBalance(row["account"], row["debit"] or None, row["credit"] or None))
        numbers.append(number)
    return opening_balances(
        session,
        balances,
        on,
        offset_to_equity=offset_to_equity,
        dry_run=dry_run,
        actor_id=actor_id,
        rows=numbers,
    )


ENTRY_COLUMNS = {"reference", "date", "journal", "account", "debit", "credit"}


def journal_entries_csv(
    session: Session, text: str, *, dry_run: bool = False, actor_id: uuid.UUID | None = None
) -> ImportSummary:
    """One row per line, grouped into entries by ``reference`` (in file order). Columns:
    reference, date, journal, account, debit, credit, and optionally label, currency,
    exchange_rate, description. All entries are posted together or none is."""
    rows = _rows(text, ENTRY_COLUMNS)
    base = organization.current(session).base_currency
    errors: list[FieldError] = []
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for number, row in rows:
        reference = row["reference"]
        if not reference:
            errors.append(
                FieldError("reference", "Every row needs the reference of its entry.", row=number)
            )
            continue
        groups.setdefault(reference, []).append((number, row))
    batch: list[entries.EntryInput] = []
    row_maps: list[list[int]] = []
    for reference, members in groups.items():
        first_row, first = members[0]
        try:
            on = date.fromisoformat(first["date"])
        except ValueError:
            errors.append(FieldError("date", "Use YYYY-MM-DD.", row=first_row))
            continue
        inconsistent = [
            n for n, r in members if r["date"] != first["date"] or r["journal"] != first["journal"]
        ]
        for number in inconsistent:
            errors.append(
                FieldError(
                    "date",
                    f"Rows of entry {reference} must share its date and journal.",
                    row=number,
                )
            )
        batch.append(
            entries.EntryInput(
                journal=first["journal"],
                date=on,
                reference=reference,
                description=first.get("description") or None,
                lines=[
                    entries.LineInput(
                        account=r["account"],
                        debit=r["debit"] or None,
                        credit=r["credit"] or None,
                        currency=r.get("currency") or None,
                        exchange_rate=r.get("exchange_rate") or None,
                        label=r.get("label") or None,
                    )
                    for _, r in members
                ],
                source_type="import",
            )
        )
        row_maps.append([n for n, _ in members])
    if errors:
        raise ValidationFailed(
            errors, f"{len(errors)} problem(s) in the file; nothing was imported."
        )
    for data, row_numbers in zip(batch, row_maps, strict=True):
        try:
            prepared = entries.prepare(session, data)
            entries.check_balanced(prepared, base)
        except ValidationFailed as exc:
            errors += _with_rows(exc, row_numbers)
    if errors:
        raise ValidationFailed(
            errors, f"{len(errors)} problem(s) in the file; nothing was imported."
        )
    line_count = sum(len(d.lines) for d in batch)
    if dry_run:
        return ImportSummary(len(batch), line_count, [], True)
    ids = entries.record_many(session, batch, actor_id=actor_id)
    audit.record(
        session,
        "ledger.entries_imported",
        target_type="journal_entries",
        after={"entries": len(ids), "lines": line_count},
    )
    return ImportSummary(len(ids), line_count, ids, False)
