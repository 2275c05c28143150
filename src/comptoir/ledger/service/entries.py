"""Journal entries: drafts, posting with gap-free numbers, reversal.

Every module that moves money posts through :func:`record` (one entry) or
:func:`record_many` (a batch sharing one number reservation). A draft may be
unbalanced while someone works on it; posting checks everything again, assigns the
next number of the journal and fiscal year under a row lock, and the database checks
the balance once more.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Update, Uuid, any_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit import clock
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.kit.ids import new_id
from comptoir.kit.money import (
    MAX_MINOR_UNITS,
    format_minor,
    is_blank_amount,
    is_currency,
    parse_amount,
)
from comptoir.kit.pagination import Page, keyset_page
from comptoir.kit.tenancy import require_organization
from comptoir.ledger.models import (
    Account,
    EntrySequence,
    FiscalYear,
    Journal,
    JournalEntry,
    JournalLine,
)
from comptoir.ledger.service import accounts, journals, organization, periods, rates
from comptoir.ledger.service.reports import format_entry_number
from comptoir.outbox import service as outbox

MAX_LINES = 1000
_POST_SLICE = 1000


@dataclass(frozen=True)
class LineInput:
    """One line as a person or a module writes it: an account (id or code) and a debit or
    a credit in the line's currency (the base currency unless ``currency`` says otherwise)."""

    account: str
    debit: object = None
    credit: object = None
    currency: str | None = None
    exchange_rate: object = None
    label: str | None = None
    party_id: uuid.UUID | None = None
    analytic_tag: str | None = None
    # Written by documents through the tax engine: see JournalLine.tax_code. ``tax_base``
    # is in the line's currency, in minor units, and converted like the amount.
    tax_code: str | None = None
    tax_base: int | None = None


@dataclass(frozen=True)
class EntryInput:
    journal: str
    date: date
    lines: Sequence[LineInput]
    reference: str | None = None
    description: str | None = None
    source_type: str | None = None
    source_id: str | None = None


@dataclass
class PreparedLine:
    account: Account
    debit: int
    credit: int
    currency: str
    amount_currency: int
    exchange_rate: Decimal
    label: str | None
    party_id: uuid.UUID | None
    analytic_tag: str | None
    tax_code: str | None = None
    tax_base: int | None = None


@dataclass
class Prepared:
    journal: Journal
    date: date
    reference: str | None
    description: str | None
    source_type: str | None
    source_id: str | None
    lines: list[PreparedLine] = field(default_factory=list)

    @property
    def difference(self) -> int:
        return sum(line.debit - line.credit for line in self.lines)


def _text(value: str | None, limit: int, field_name: str, errors: list[FieldError]) -> str | None:
    text = " ".join((value or "").split()) or None
    if text is not None and len(text) > limit:
        errors.append(FieldError(field_name, f"Use at most {limit} characters."))
    return text


class _Lookups:
    """What preparing and posting read from the books, each read once per call: a batch
    names the same journals, accounts and fiscal years again and again. The session's
    identity map would hand back the very same objects for a repeated query anyway."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # Held, because the identity map holds objects weakly: dropped, the organization
        # was read again by every later look-up that needs it.
        self.organization = organization.current(session)
        self.base = self.organization.base_currency
        self._journals: dict[str, Journal] = {}
        self._accounts: dict[str, Account] = {}
        self._periods: periods.OpenPeriods | None = None

    def journal(self, reference: str) -> Journal:
        journal = self._journals.get(reference)
        if journal is None:
            journal = self._journals[reference] = journals.resolve(self.session, reference)
        return journal

    def account(self, reference: str, field: str) -> Account:
        account = self._accounts.get(reference)
        if account is None:
            account = accounts.resolve(self.session, reference, field=field)
            self._accounts[reference] = account
        return account

    def open_year(self, on: date) -> FiscalYear:
        if self._periods is None:
            self._periods = periods.OpenPeriods(self.session)
        return self._periods.check(on)


def _prepare_line(
    lookups: _Lookups, data: LineInput, index: int, on: date, errors: list[FieldError]
) -> PreparedLine | None:
    session, base = lookups.session, lookups.base
    where = f"lines.{index}"
    try:
        account = lookups.account(data.account, f"{where}.account")
    except ValidationFailed as exc:
        errors += exc.errors
        return None
    if account.is_group:
        errors.append(
            FieldError(
                f"{where}.account",
                f"{account.code} is a heading; post to an account under it.",
                "account_not_postable",
            )
        )
    if account.archived_at is not None:
        errors.append(
            FieldError(f"{where}.account", f"{account.code} is archived.", "account_archived")
        )
    currency = (data.currency or base).strip().upper()
    if not is_currency(currency):
        errors.append(FieldError(f"{where}.currency", "Use a three-letter ISO 4217 currency code."))
        return None
    if account.currency and account.currency != currency:
        errors.append(
            FieldError(
                f"{where}.currency",
                f"{account.code} only takes {account.currency}.",
                "account_currency",
            )
        )
    given = [
        (side, value)
        for side, value in (("debit", data.debit), ("credit", data.credit))
        if not is_blank_amount(value)
    ]
    if len(given) != 1:
        errors.append(
            FieldError(where, "Give either a debit or a credit (exactly one).", "one_side")
        )
        return None
    side, value = given[0]
    try:
        amount = parse_amount(value, currency, f"{where}.{side}")
    except ValidationFailed as exc:
        errors += exc.errors
        return None
    if amount <= 0:
        errors.append(
            FieldError(
                f"{where}.{side}",
                "Amounts are positive; use the other side instead.",
                "not_positive",
            )
        )
        return None
    rate = Decimal(1)
    base_amount = amount
    if currency != base:
        try:
            rate = (
                rates.parse_rate(data.exchange_rate, f"{where}.exchange_rate")
                if data.exchange_rate not in (None, "")
                else rates.find_rate(session, currency, base, on, f"{where}.exchange_rate")
            )
        except ValidationFailed as exc:
            errors += exc.errors
            return None
        base_amount = rates.convert(amount, currency, base, rate)
        if base_amount <= 0:
            errors.append(
                FieldError(
                    f"{where}.{side}",
                    "This amount rounds to nothing in the base currency.",
                    "not_positive",
                )
            )
            return None
    signed = amount if side == "debit" else -amount
    return PreparedLine(
        account=account,
        debit=base_amount if side == "debit" else 0,
        credit=base_amount if side == "credit" else 0,
        currency=currency,
        amount_currency=signed,
        exchange_rate=rate,
        label=_text(data.label, 300, f"{where}.label", errors),
        party_id=data.party_id,
        analytic_tag=_text(data.analytic_tag, 60, f"{where}.analytic_tag", errors),
        tax_code=_text(data.tax_code, 30, f"{where}.tax_code", errors),
        tax_base=_tax_base(data.tax_base, side, currency, base, rate, f"{where}.tax_base", errors),
    )


def _tax_base(
    value: int | None,
    side: str,
    currency: str,
    base: str,
    rate: Decimal,
    field_name: str,
    errors: list[FieldError],
) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_MINOR_UNITS:
        errors.append(FieldError(field_name, "A whole number of minor units.", "invalid"))
        return None
    converted = value if currency == base else rates.convert(value, currency, base, rate)
    # Stored signed like amount_currency (debit positive), so that a reversal negates it
    # and sums over a period net out as the amounts do.
    return converted if side == "debit" else -converted


def _absorb_rounding(prepared: Prepared, base: str) -> None:
    """A single-currency foreign entry that balances in its currency balances in the base
    currency too: the cent that per-line rounding may leave goes to the largest line."""
    currencies = {line.currency for line in prepared.lines}
    if len(currencies) != 1 or base in currencies:
        return
    if sum(line.amount_currency for line in prepared.lines) != 0 or prepared.difference == 0:
        return
    difference = prepared.difference
    largest = max(prepared.lines, key=lambda line: line.debit + line.credit)
    if largest.debit:
        largest.debit -= difference
    else:
        largest.credit += difference


def prepare(session: Session, data: EntryInput) -> Prepared:
    """Resolve codes, parse amounts, convert currencies; every problem reported at once."""
    return _prepare(_Lookups(session), data)


def _prepare(lookups: _Lookups, data: EntryInput) -> Prepared:
    errors: list[FieldError] = []
    try:
        journal = lookups.journal(data.journal)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.errors) from None
    if journal.archived_at is not None:
        errors.append(FieldError("journal", f"Journal {journal.code} is archived."))
    if not 2 <= len(data.lines) <= MAX_LINES:
        errors.append(FieldError("lines", f"An entry has 2 to {MAX_LINES} lines.", "line_count"))
    prepared = Prepared(
        journal=journal,
        date=data.date,
        reference=_text(data.reference, 100, "reference", errors),
        description=_text(data.description, 500, "description", errors),
        source_type=data.source_type,
        source_id=data.source_id,
    )
    for index, line in enumerate(data.lines[:MAX_LINES]):
        ready = _prepare_line(lookups, line, index, data.date, errors)
        if ready is not None:
            prepared.lines.append(ready)
    if errors:
        raise ValidationFailed(errors)
    _absorb_rounding(prepared, lookups.base)
    return prepared


def check_balanced(prepared: Prepared, base: str) -> None:
    if prepared.difference != 0:
        side = "debits" if prepared.difference > 0 else "credits"
        gap = format_minor(abs(prepared.difference), base)
        raise ValidationFailed.single(
            "lines",
            f"The entry is unbalanced: {side} exceed by {gap} {base}.",
            "unbalanced",
        )
    by_currency: dict[str, int] = defaultdict(int)
    for line in prepared.lines:
        by_currency[line.currency] += line.amount_currency
    if len(by_currency) == 1:
        currency, total = next(iter(by_currency.items()))
        if total != 0:
            raise ValidationFailed.single(
                "lines",
                f"The entry is unbalanced in {currency} by {format_minor(abs(total), currency)}.",
                "unbalanced",
            )


def _line_rows(
    entry_id: uuid.UUID, prepared: Prepared, organization_id: uuid.UUID
) -> list[dict[str, object]]:
    return [
        {
            "id": new_id(),
            "organization_id": organization_id,
            "entry_id": entry_id,
            "line_no": number,
            "account_id": line.account.id,
            "debit": line.debit,
            "credit": line.credit,
            "currency": line.currency,
            "amount_currency": line.amount_currency,
            "exchange_rate": line.exchange_rate,
            "label": line.label,
            "party_id": line.party_id,
            "analytic_tag": line.analytic_tag,
            "tax_code": line.tax_code,
            "tax_base": line.tax_base,
            "date": prepared.date,
            "journal_id": prepared.journal.id,
        }
        for number, line in enumerate(prepared.lines, start=1)
    ]


def _insert(
    session: Session, model: type[JournalEntry | JournalLine], rows: list[dict[str, object]]
) -> None:
    connection = session.connection()
    table = model.__table__
    names = list(rows[0]) if rows else []
    defaulted = {column.key for column in table.c if column.default is not None}
    if connection.dialect.name != "postgresql" or not defaulted <= set(names):
        # The ORM leaves None out of a row, and rows leaving out different columns go in
        # separate batches, a round trip each (a line with a party, a line without):
        # render_nulls keeps every row in one executemany.
        session.execute(insert(model).execution_options(render_nulls=True), rows)
        return
    # COPY streams the rows into one statement where an executemany runs an INSERT per
    # row: about 40% less time per journal line (the triggers and foreign keys fire for
    # every row either way). The values go through the column types' own conversions, as
    # in an INSERT; only rows naming every column that has a default come here, since COPY
    # knows nothing of defaults set in Python. The session flushes first, as it would before
    # an INSERT of its own: the rows may refer to objects not written yet.
    session.flush()
    processors = [table.c[name].type.bind_processor(connection.dialect) for name in names]
    psycopg_connection: Any = connection.connection.driver_connection
    with (
        psycopg_connection.cursor() as cursor,
        cursor.copy(f"COPY {model.__tablename__} ({', '.join(names)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(
                [
                    row[name] if process is None else process(row[name])
                    for name, process in zip(names, processors, strict=True)
                ]
            )


def _write_draft(session: Session, prepared: Prepared, actor_id: uuid.UUID | None) -> JournalEntry:
    entry = JournalEntry(
        journal_id=prepared.journal.id,
        date=prepared.date,
        reference=prepared.reference,
        description=prepared.description,
        source_type=prepared.source_type,
        source_id=prepared.source_id,
        created_by_id=actor_id,
    )
    session.add(entry)
    session.flush()
    _insert(session, JournalLine, _line_rows(entry.id, prepared, require_organization(session)))
    return entry


def create_draft(
    session: Session, data: EntryInput, *, actor_id: uuid.UUID | None = None
) -> JournalEntry:
    entry = _write_draft(session, prepare(session, data), actor_id)
    audit.record(
        session,
        "journal_entry.drafted",
        target_type="journal_entry",
        target_id=entry.id,
        after={"journal": data.journal, "date": data.date, "reference": entry.reference},
    )
    return entry


def get(session: Session, entry_id: uuid.UUID) -> JournalEntry:
    entry = session.get(JournalEntry, entry_id)
    if entry is None:
        raise NotFound("No such journal entry.")
    return entry


def lines_of(session: Session, entry_id: uuid.UUID) -> list[JournalLine]:
    return list(
        session.scalars(
            select(JournalLine)
            .where(JournalLine.entry_id == entry_id)
            .order_by(JournalLine.line_no)
        )
    )


def lines_by_source(session: Session, source_type: str, source_id: str) -> list[JournalLine]:
    """The lines of the posted entries recorded for one source (``vat_on_payment`` of an
    invoice), by the source index."""
    return list(
        session.scalars(
            select(JournalLine)
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .where(
                JournalEntry.source_type == source_type,
                JournalEntry.source_id == source_id,
                JournalEntry.status == "posted",
            )
            .order_by(JournalLine.entry_id, JournalLine.line_no)
        )
    )


def _draft(session: Session, entry_id: uuid.UUID) -> JournalEntry:
    entry = get(session, entry_id)
    if entry.status != "draft":
        raise Conflict("This entry is posted; reverse it instead.", code="entry_posted")
    return entry


def update_draft(session: Session, entry_id: uuid.UUID, data: EntryInput) -> JournalEntry:
    entry = _draft(session, entry_id)
    prepared = prepare(session, data)
    session.execute(delete(JournalLine).where(JournalLine.entry_id == entry.id))
    entry.journal_id = prepared.journal.id
    entry.date = prepared.date
    entry.reference, entry.description = prepared.reference, prepared.description
    session.flush()
    _insert(session, JournalLine, _line_rows(entry.id, prepared, require_organization(session)))
    audit.record(session, "journal_entry.updated", target_type="journal_entry", target_id=entry.id)
    return entry


def delete_draft(session: Session, entry_id: uuid.UUID) -> None:
    entry = _draft(session, entry_id)
    session.delete(entry)
    session.flush()
    audit.record(
        session,
        "journal_entry.deleted",
        target_type="journal_entry",
        target_id=entry_id,
        before={"reference": entry.reference, "date": entry.date},
    )


def _reserve_numbers(session: Session, journal_id: uuid.UUID, year: FiscalYear, count: int) -> int:
    """The first of ``count`` consecutive numbers, held under a row lock until commit:
    concurrent posters in the same journal and year wait for each other, so numbers
    are unique, and a rolled-back posting gives its numbers back.

    One upsert creates the sequence or moves it on and locks its row, in one round trip.
    """
    statement = (sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert)(
        EntrySequence
    ).values(
        organization_id=require_organization(session),
        journal_id=journal_id,
        fiscal_year_id=year.id,
        next_number=1 + count,
    )
    following = session.execute(
        statement.on_conflict_do_update(
            index_elements=[EntrySequence.journal_id, EntrySequence.fiscal_year_id],
            set_={"next_number": EntrySequence.next_number + count},
        ).returning(EntrySequence.next_number)
    ).scalar_one()
    return int(following) - count


def _lines_as_prepared(session: Session, entry: JournalEntry) -> Prepared:
    journal = journals.get(session, entry.journal_id)
    prepared = Prepared(
        journal, entry.date, entry.reference, entry.description, entry.source_type, entry.source_id
    )
    for line in lines_of(session, entry.id):
        prepared.lines.append(
            PreparedLine(
                accounts.get(session, line.account_id),
                line.debit,
                line.credit,
                line.currency,
                line.amount_currency,
                line.exchange_rate,
                line.label,
                line.party_id,
                line.analytic_tag,
                line.tax_code,
                line.tax_base,
            )
        )
    return prepared


def _check_postable(lookups: _Lookups, prepared: Prepared) -> FiscalYear:
    errors: list[FieldError] = []
    if len(prepared.lines) < 2:
        errors.append(FieldError("lines", "An entry has at least two lines.", "line_count"))
    for index, line in enumerate(prepared.lines):
        if line.account.is_group or line.account.archived_at is not None:
            errors.append(
                FieldError(
                    f"lines.{index}.account",
                    f"{line.account.code} cannot take postings now.",
                    "account_not_postable",
                )
            )
    if prepared.journal.archived_at is not None:
        errors.append(FieldError("journal", f"Journal {prepared.journal.code} is archived."))
    if errors:
        raise ValidationFailed(errors)
    check_balanced(prepared, lookups.base)
    return lookups.open_year(prepared.date)


def post(
    session: Session, entry_id: uuid.UUID, *, actor_id: uuid.UUID | None = None
) -> JournalEntry:
    """Post a draft: validate, take the next number, freeze it."""
    entry = _draft(session, entry_id)
    year = _check_postable(_Lookups(session), _lines_as_prepared(session, entry))
    _number_and_freeze(session, entry, year, actor_id)
    audit.record(
        session,
        "journal_entry.posted",
        target_type="journal_entry",
        target_id=entry.id,
        after={"number": entry.number, "date": entry.date},
    )
    outbox.emit(
        session,
        "journal_entry.posted",
        {"id": str(entry.id), "number": display_number_of(session, entry)},
    )
    return entry


def _number_and_freeze(
    session: Session, entry: JournalEntry, year: FiscalYear, actor_id: uuid.UUID | None
) -> None:
    """Give one checked draft its number and post it (the triggers check it once more)."""
    number = _reserve_numbers(session, entry.journal_id, year, 1)
    _mark_posted(session, [entry.id], year, number, actor_id)
    session.refresh(entry)


def _mark_posted(
    session: Session,
    entry_ids: list[uuid.UUID],
    year: FiscalYear,
    first: int,
    actor_id: uuid.UUID | None,
) -> None:
    now = clock.now()
    for start in range(0, len(entry_ids), _POST_SLICE):
        session.execute(
            _numbering(session, entry_ids[start : start + _POST_SLICE], first + start)
            .values(
                status="posted",
                fiscal_year_id=year.id,
                posted_at=now,
                posted_by_id=actor_id,
            )
            .execution_options(synchronize_session=False)
        )


def _numbering(session: Session, entry_ids: list[uuid.UUID], first: int) -> Update:
    """One UPDATE giving ``entry_ids`` the numbers from ``first`` on, in their order.

    The list goes as one parameter (an array on PostgreSQL, JSON on SQLite): with two bound
    parameters per entry, SQLAlchemy took longer to compile the statement than the
    database took to run it.
    """
    dialect = session.get_bind().dialect
    if dialect.name == "sqlite":
        stored = JournalEntry.__table__.c.id.type.bind_processor(dialect)
        as_json = json.dumps(
            [stored(entry_id) if stored else str(entry_id) for entry_id in entry_ids]
        )
        each = func.json_each(as_json).table_valued("key", "value")
        # Materialized, so that SQLite walks the list and seeks each entry by its key even
        # without statistics, instead of walking every entry of the organization.
        numbered = (
            select(each.c.value.label("id"), (each.c.key + first).label("number"))
            .cte("numbered")
            .prefix_with("MATERIALIZED")
        )
        return (
            update(JournalEntry)
            .where(JournalEntry.id == numbered.c.id)
            .values(number=numbered.c.number)
        )
    # "= ANY" makes PostgreSQL seek each entry by its key, where a join to the list would
    # hash every entry of the organization; the list is short enough to search linearly.
    listed = bindparam("entry_ids", entry_ids, type_=ARRAY(Uuid()))
    return (
        update(JournalEntry)
        .where(JournalEntry.id == any_(listed))
        .values(number=func.array_position(listed, JournalEntry.id) + (first - 1))
    )


def record(
    session: Session, data: EntryInput, *, actor_id: uuid.UUID | None = None
) -> JournalEntry:
    """Create and post in one step: what other modules call to book their documents."""
    lookups = _Lookups(session)
    prepared = _prepare(lookups, data)
    year = _check_postable(lookups, prepared)
    entry = _write_draft(session, prepared, actor_id)
    _number_and_freeze(session, entry, year, actor_id)
    outbox.emit(
        session,
        "journal_entry.posted",
        {"id": str(entry.id), "number": display_number_of(session, entry)},
    )
    return entry


def record_composed(
    session: Session,
    prepared: Prepared,
    year: FiscalYear,
    *,
    actor_id: uuid.UUID | None = None,
) -> JournalEntry:
    """Post an entry the ledger composed itself from its own balances into ``year``,
    whatever the lock date and the number of lines: a year-end close writes its closing
    entry on a day the accountant has usually locked already, and carries forward one
    line per account and party. It must balance like any other."""
    check_balanced(prepared, organization.current(session).base_currency)
    entry = _write_draft(session, prepared, actor_id)
    _number_and_freeze(session, entry, year, actor_id)
    outbox.emit(
        session,
        "journal_entry.posted",
        {"id": str(entry.id), "number": display_number_of(session, entry)},
    )
    return entry


def record_many(
    session: Session, batch: Sequence[EntryInput], *, actor_id: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Create and post many entries at once (imports): all or nothing, numbers reserved per
    journal and fiscal year in one lock, rows written in bulk (COPY on PostgreSQL) and
    posted with one UPDATE per thousand entries."""
    organization_id = require_organization(session)
    lookups = _Lookups(session)
    errors: list[FieldError] = []
    ready: list[tuple[Prepared, FiscalYear]] = []
    for index, data in enumerate(batch):
        try:
            prepared = _prepare(lookups, data)
            ready.append((prepared, _check_postable(lookups, prepared)))
        except ValidationFailed as exc:
            errors += [
                FieldError(f"entries.{index}.{e.field}", e.message, e.code) for e in exc.errors
            ]
    if errors:
        raise ValidationFailed(errors, f"{len(errors)} problem(s); nothing was recorded.")
    entry_rows: list[dict[str, object]] = []
    line_rows: list[dict[str, object]] = []
    groups: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[date, uuid.UUID]]] = defaultdict(list)
    years: dict[uuid.UUID, FiscalYear] = {}
    for prepared, year in ready:
        entry_id = new_id()
        row = {
            "id": entry_id,
            "organization_id": organization_id,
            "journal_id": prepared.journal.id,
            "date": prepared.date,
            "reference": prepared.reference,
            "description": prepared.description,
            "status": "draft",
            "source_type": prepared.source_type,
            "source_id": prepared.source_id,
            "created_at": clock.now(),
            "created_by_id": actor_id,
        }
        entry_rows.append(row)
        line_rows += _line_rows(entry_id, prepared, organization_id)
        groups[(prepared.journal.id, year.id)].append((prepared.date, entry_id))
        years[year.id] = year
    if not entry_rows:
        return []
    _insert(session, JournalEntry, entry_rows)
    _insert(session, JournalLine, line_rows)
    for (journal_id, year_id), dated in groups.items():
        # Numbers follow dates within a batch, as a person numbering by hand would.
        ordered = [entry_id for _, entry_id in sorted(dated, key=lambda pair: pair[0])]
        first = _reserve_numbers(session, journal_id, years[year_id], len(ordered))
        _mark_posted(session, ordered, years[year_id], first, actor_id)
    outbox.emit(session, "journal_entries.imported", {"count": len(entry_rows)})
    return [entry_id for dated in groups.values() for _, entry_id in dated]


def reverse(
    session: Session,
    entry_id: uuid.UUID,
    on: date,
    *,
    actor_id: uuid.UUID | None = None,
    reference: str | None = None,
) -> JournalEntry:
    """Post the mirror of a posted entry on ``on`` and link the two."""
    original = get(session, entry_id)
    if original.status != "posted":
        raise Conflict(
            "Only a posted entry can be reversed; delete or edit the draft.",
            code="entry_not_posted",
        )
    if session.scalar(select(JournalEntry.id).where(JournalEntry.reversal_of_id == original.id)):
        raise Conflict("This entry is already reversed.", code="already_reversed")
    if on < original.date:
        raise ValidationFailed.single(
            "date", "A reversal cannot come before the entry it reverses."
        )
    prepared = _lines_as_prepared(session, original)
    prepared.date = on
    prepared.reference = reference or f"Reversal of {display_number_of(session, original)}"[:100]
    prepared.description = original.description
    for line in prepared.lines:
        line.debit, line.credit = line.credit, line.debit
        line.amount_currency = -line.amount_currency
        if line.tax_base is not None:
            line.tax_base = -line.tax_base
    year = _check_postable(_Lookups(session), prepared)
    reversal = _write_draft(session, prepared, actor_id)
    reversal.reversal_of_id = original.id
    session.flush()
    _number_and_freeze(session, reversal, year, actor_id)
    audit.record(
        session,
        "journal_entry.reversed",
        target_type="journal_entry",
        target_id=original.id,
        after={"reversal_id": reversal.id, "date": on},
    )
    outbox.emit(
        session, "journal_entry.reversed", {"id": str(original.id), "reversal_id": str(reversal.id)}
    )
    return reversal


def reversed_by(session: Session, entry_id: uuid.UUID) -> JournalEntry | None:
    return session.scalar(select(JournalEntry).where(JournalEntry.reversal_of_id == entry_id))


def display_number_of(session: Session, entry: JournalEntry) -> str | None:
    """``VT-2026-00042``: journal code, fiscal year start, number."""
    if entry.number is None or entry.fiscal_year_id is None:
        return None
    journal = session.get(Journal, entry.journal_id)
    year = session.get(FiscalYear, entry.fiscal_year_id)
    assert journal is not None
    assert year is not None
    return format_entry_number(journal.code, year.start_date, entry.number)


@dataclass(frozen=True)
class EntryFilter:
    journal_id: uuid.UUID | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    reference: str | None = None
    account_id: uuid.UUID | None = None


def list_entries(
    session: Session, filters: EntryFilter, *, limit: int | None, cursor: str | None
) -> Page[JournalEntry]:
    query = select(JournalEntry)
    if filters.journal_id:
        query = query.where(JournalEntry.journal_id == filters.journal_id)
    if filters.status:
        query = query.where(JournalEntry.status == filters.status)
    if filters.date_from:
        query = query.where(JournalEntry.date >= filters.date_from)
    if filters.date_to:
        query = query.where(JournalEntry.date <= filters.date_to)
    if filters.reference:
        query = query.where(JournalEntry.reference == filters.reference)
    if filters.account_id:
        query = query.where(
            JournalEntry.id.in_(
                select(JournalLine.entry_id).where(JournalLine.account_id == filters.account_id)
            )
        )
    return keyset_page(session, query, JournalEntry.id, limit=limit, cursor=cursor)


def totals(session: Session, entry_id: uuid.UUID) -> tuple[int, int]:
    debit, credit = session.execute(
        select(
            func.coalesce(func.sum(JournalLine.debit), 0),
            func.coalesce(func.sum(JournalLine.credit), 0),
        ).where(JournalLine.entry_id == entry_id)
    ).one()
    return int(debit), int(credit)


def party_has_lines(session: Session, party_id: uuid.UUID) -> bool:
    """Whether any line, draft or posted, names the party."""
    return (
        session.scalar(select(JournalLine.id).where(JournalLine.party_id == party_id).limit(1))
        is not None
    )
