"""The ledger at scale: a five-year, million-line ledger, then posting and reports on top of it.

    .venv/bin/python benchmarks/ledger.py [--database-url URL] [--lines N] [--writers N]

Creates an organization with the French chart and writes a realistic ledger of ``--lines``
lines over five fiscal years (sales with VAT, purchases, bank receipts and payments, bank
fees, payroll, monthly VAT returns) through a bulk path that keeps every rule of the books:
in each transaction of about ``--chunk`` lines, entries go in as drafts, their lines follow
(COPY on PostgreSQL, one prepared INSERT run over all rows on SQLite), numbers are reserved
under the sequence's row lock as the service does it, and an UPDATE per thousand entries
posts them, while the database triggers check every entry's balance. On PostgreSQL,
``--writers`` threads write at once, each owning whole journals so that numbers stay in
date order. Then it times posting through the service (``entries.record``, one entry per
transaction, and ``entries.record_many`` in batches) and the reports over the whole ledger
(trial balance, a general ledger page at the start of an account and deep into it, an
account balance), checks that numbers are gap-free and the books balance, and prints peak
memory and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Table, Uuid, any_, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from comptoir import wiring
from comptoir.identity.service import organizations
from comptoir.kit import clock, migrations
from comptoir.kit.db import Database
from comptoir.kit.ids import new_id
from comptoir.kit.money import format_minor
from comptoir.kit.tenancy import set_organization
from comptoir.ledger.models import (
    Account,
    EntrySequence,
    Journal,
    JournalEntry,
    JournalLine,
)
from comptoir.ledger.service import entries, periods, reports

FIRST_YEAR = 2021
YEARS = 5
EMPLOYEES = 25
CURRENCY = "EUR"
ENTRIES = cast(Table, JournalEntry.__table__)
LINES = cast(Table, JournalLine.__table__)
SEQUENCES = cast(Table, EntrySequence.__table__)


@dataclass(frozen=True)
class Line:
    account: str
    debit: int
    credit: int
    label: str
    party: uuid.UUID | None = None


@dataclass(frozen=True)
class Entry:
    journal: str
    date: date
    reference: str
    description: str
    lines: tuple[Line, ...]


def dr(account: str, amount: int, label: str, party: uuid.UUID | None = None) -> Line:
    return Line(account, amount, 0, label, party)


def cr(account: str, amount: int, label: str, party: uuid.UUID | None = None) -> Line:
    return Line(account, 0, amount, label, party)


class Books:
    """A small trading company's ledger, day after day: the generator of the benchmark.

    The date moves with the number of lines written, so that ``target`` lines spread evenly
    from ``start`` to ``end``; month ends bring payroll and the VAT return.
    """

    def __init__(self, start: date, end: date, target: int, seed: int) -> None:
        self.start, self.target = start, target
        self.days = (end - start).days + 1
        self.rng = random.Random(seed)
        self.customers = [uuid.UUID(int=self.rng.getrandbits(128)) for _ in range(2000)]
        self.suppliers = [uuid.UUID(int=self.rng.getrandbits(128)) for _ in range(300)]
        self.unpaid_sales: deque[tuple[int, uuid.UUID, str]] = deque()
        self.unpaid_purchases: deque[tuple[int, uuid.UUID, str]] = deque()
        self.vat_collected = self.vat_deductible = 0
        self.serial = 0
        self.lines = 0

    def __iter__(self) -> Iterator[Entry]:
        month = self.start.month
        while self.lines < self.target:
            day = self.start + timedelta(
                days=min(self.days - 1, self.lines * self.days // self.target)
            )
            if day.month != month:
                yield from self._month_end(day - timedelta(days=day.day))
                month = day.month
            yield self._count(self._daily(day))

    def _count(self, entry: Entry) -> Entry:
        self.lines += len(entry.lines)
        self.serial += 1
        return entry

    def _amount(self) -> int:
        return max(100, int(self.rng.lognormvariate(10, 1.1)))

    def _daily(self, day: date) -> Entry:
        roll = self.rng.random()
        if roll < 0.40:
            return self._sale(day)
        if roll < 0.64:
            return self._purchase(day)
        if roll < 0.84 and self.unpaid_sales:
            return self._receipt(day)
        if roll < 0.98 and self.unpaid_purchases:
            return self._payment(day)
        if roll < 0.99:
            return self._bank_fees(day)
        return self._sale(day)

    def _vat(self, net: int) -> int:
        rate = self.rng.choices((2000, 1000, 550), (85, 10, 5))[0]
        return (net * rate + 5000) // 10000

    def _sale(self, day: date) -> Entry:
        customer = self.rng.choice(self.customers)
        number = f"F{day.year}-{self.serial:07d}"
        label = f"Facture {number}"
        nets = [self._amount() for _ in range(1 if self.rng.random() < 0.8 else 2)]
        vat = sum(self._vat(net) for net in nets)
        total = sum(nets) + vat
        self.vat_collected += vat
        self.unpaid_sales.append((total, customer, number))
        revenue = [
            cr(account, net, label) for account, net in zip(("706", "707"), nets, strict=False)
        ]
        return Entry(
            "VT",
            day,
            number,
            "Vente",
            (dr("411", total, label, customer), *revenue, cr("44571", vat, label)),
        )

    def _purchase(self, day: date) -> Entry:
        supplier = self.rng.choice(self.suppliers)
        number = f"FA-{self.serial:07d}"
        label = f"Facture fournisseur {number}"
        accounts = self.rng.sample(
            ("607", "606", "613", "622", "626"), 1 if self.rng.random() < 0.75 else 2
        )
        nets = [self._amount() for _ in accounts]
        vat = sum(self._vat(net) for net in nets)
        total = sum(nets) + vat
        self.vat_deductible += vat
        self.unpaid_purchases.append((total, supplier, number))
        expenses = [dr(account, net, label) for account, net in zip(accounts, nets, strict=True)]
        return Entry(
            "AC",
            day,
            number,
            "Achat",
            (*expenses, dr("44566", vat, label), cr("401", total, label, supplier)),
        )

    def _settle(
        self, unpaid: deque[tuple[int, uuid.UUID, str]], most: int
    ) -> list[tuple[int, uuid.UUID, str]]:
        count = min(len(unpaid), self.rng.choice((1, 1, 1, 2, most)))
        return [unpaid.popleft() for _ in range(count)]

    def _receipt(self, day: date) -> Entry:
        settled = self._settle(self.unpaid_sales, 3)
        reference = f"REM-{self.serial:07d}"
        total = sum(amount for amount, _, _ in settled)
        return Entry(
            "BQ",
            day,
            reference,
            "Encaissement clients",
            (
                dr("512", total, f"Remise {reference}"),
                *(cr("411", amount, f"Règlement {n}", who) for amount, who, n in settled),
            ),
        )

    def _payment(self, day: date) -> Entry:
        settled = self._settle(self.unpaid_purchases, 4)
        reference = f"VIR-{self.serial:07d}"
        total = sum(amount for amount, _, _ in settled)
        return Entry(
            "BQ",
            day,
            reference,
            "Paiement fournisseurs",
            (
                *(dr("401", amount, f"Paiement {n}", who) for amount, who, n in settled),
                cr("512", total, f"Virement {reference}"),
            ),
        )

    def _bank_fees(self, day: date) -> Entry:
        fees = self.rng.randint(150, 4500)
        reference = f"FRAIS-{self.serial:07d}"
        return Entry(
            "BQ",
            day,
            reference,
            "Frais bancaires",
            (dr("627", fees, "Frais de tenue de compte"), cr("512", fees, "Frais bancaires")),
        )

    def _month_end(self, last_day: date) -> Iterator[Entry]:
        period = f"{last_day:%Y-%m}"
        for employee in range(1, EMPLOYEES + 1):
            gross = 250_000 + employee * 9_000
            employer, employee_share = gross * 42 // 100, gross * 22 // 100
            label = f"Salaire {period} salarié {employee:03d}"
            yield self._count(
                Entry(
                    "OD",
                    last_day,
                    f"PAIE-{period}-{employee:03d}",
                    "Paie",
                    (
                        dr("641", gross, label),
                        dr("645", employer, label),
                        cr("421", gross - employee_share, label),
                        cr("431", employer + employee_share, label),
                    ),
                )
            )
            yield self._count(
                Entry(
                    "BQ",
                    last_day,
                    f"SAL-{period}-{employee:03d}",
                    "Virement de salaire",
                    (
                        dr("421", gross - employee_share, label),
                        cr("512", gross - employee_share, label),
                    ),
                )
            )
        collected, deductible = self.vat_collected, self.vat_deductible
        if collected <= deductible:
            return  # a VAT credit: carried to the next month
        self.vat_collected = self.vat_deductible = 0
        label = f"TVA {period}"
        deducted = (cr("44566", deductible, label),) if deductible else ()
        yield self._count(
            Entry(
                "OD",
                last_day,
                f"TVA-{period}",
                "Déclaration de TVA",
                (
                    dr("44571", collected, label),
                    *deducted,
                    cr("44551", collected - deductible, label),
                ),
            )
        )
        yield self._count(
            Entry(
                "BQ",
                last_day,
                f"TVA-PAY-{period}",
                "Paiement de TVA",
                (
                    dr("44551", collected - deductible, label),
                    cr("512", collected - deductible, label),
                ),
            )
        )


@dataclass
class Ledger:
    """Ids the bulk path needs: the organization's accounts, journals and fiscal years."""

    organization_id: uuid.UUID
    accounts: dict[str, uuid.UUID]
    journals: dict[str, uuid.UUID]
    years: dict[int, uuid.UUID]


def set_up(database: Database) -> Ledger:
    with database.unit_of_work() as session:
        organization = organizations.create_organization(
            session, legal_name="Benchmark Négoce SAS", country="FR", base_currency=CURRENCY
        )
        set_organization(session, organization.id)
        years = {
            year: periods.fiscal_year_for(session, date(year, 1, 1)).id
            for year in range(FIRST_YEAR, FIRST_YEAR + YEARS)
        }
        return Ledger(
            organization.id,
            dict(session.execute(select(Account.code, Account.id)).all()),
            dict(session.execute(select(Journal.code, Journal.id)).all()),
            years,
        )


class BulkWriter:
    """Writes chunks of entries, each chunk in one transaction: drafts, lines, posting."""

    def __init__(self, database: Database, ledger: Ledger) -> None:
        self.database = database
        self.ledger = ledger
        self.postgresql = not database.is_sqlite

    def write(self, chunk: list[Entry]) -> None:
        ledger = self.ledger
        org = ledger.organization_id
        now = clock.now()
        entry_rows: list[tuple[Any, ...]] = []
        line_rows: list[tuple[Any, ...]] = []
        groups: dict[tuple[uuid.UUID, uuid.UUID], list[uuid.UUID]] = defaultdict(list)
        for entry in chunk:
            entry_id = new_id()
            journal_id = ledger.journals[entry.journal]
            entry_rows.append(
                (
                    entry_id,
                    org,
                    journal_id,
                    entry.date,
                    entry.reference,
                    entry.description,
                    "draft",
                    now,
                )
            )
            for number, line in enumerate(entry.lines, start=1):
                line_rows.append(
                    (
                        new_id(),
                        org,
                        entry_id,
                        number,
                        ledger.accounts[line.account],
                        line.debit,
                        line.credit,
                        CURRENCY,
                        line.debit - line.credit,
                        Decimal(1),
                        line.label,
                        line.party,
                        entry.date,
                        journal_id,
                    )
                )
            # Generated in date order, so numbers follow dates within each journal and year.
            groups[(journal_id, ledger.years[entry.date.year])].append(entry_id)
        with self.database.engine.begin() as conn:
            if self.postgresql:
                self._copy(conn, entry_rows, line_rows)
            else:
                self._insert(conn, entry_rows, line_rows)
            for (journal_id, year_id), ids in groups.items():
                first = self._reserve(conn, journal_id, year_id, len(ids))
                self._post(conn, ids, first, year_id, now)

    ENTRY_COLUMNS = (
        "id",
        "organization_id",
        "journal_id",
        "date",
        "reference",
        "description",
        "status",
        "created_at",
    )
    LINE_COLUMNS = (
        "id",
        "organization_id",
        "entry_id",
        "line_no",
        "account_id",
        "debit",
        "credit",
        "currency",
        "amount_currency",
        "exchange_rate",
        "label",
        "party_id",
        "date",
        "journal_id",
    )

    def _copy(
        self, conn: Connection, entry_rows: list[tuple[Any, ...]], line_rows: list[tuple[Any, ...]]
    ) -> None:
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            for table, names, rows in (
                ("journal_entries", self.ENTRY_COLUMNS, entry_rows),
                ("journal_lines", self.LINE_COLUMNS, line_rows),
            ):
                with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)

    def _insert(
        self, conn: Connection, entry_rows: list[tuple[Any, ...]], line_rows: list[tuple[Any, ...]]
    ) -> None:
        # One prepared INSERT run over every row by sqlite3 itself, the values converted by
        # the column types' own bind processors: SQLAlchemy's executemany spends more time
        # building a parameter dict per row than SQLite spends inserting it.
        for table, names, rows in (
            (ENTRIES, self.ENTRY_COLUMNS, entry_rows),
            (LINES, self.LINE_COLUMNS, line_rows),
        ):
            statement = insert(table).compile(dialect=conn.dialect, column_keys=list(names))
            assert statement.positiontup is not None
            order = [names.index(name) for name in statement.positiontup]
            processors = [table.c[names[i]].type.bind_processor(conn.dialect) for i in order]
            conn.exec_driver_sql(
                str(statement),
                [
                    tuple(
                        row[i] if process is None else process(row[i])
                        for process, i in zip(processors, order, strict=True)
                    )
                    for row in rows
                ],
            )

    def _reserve(
        self, conn: Connection, journal_id: uuid.UUID, year_id: uuid.UUID, count: int
    ) -> int:
        """The service's protocol: one upsert creates the sequence or moves it on, and holds
        its row lock until commit."""
        upsert = pg_insert if self.postgresql else sqlite_insert
        following = conn.execute(
            upsert(SEQUENCES)
            .values(
                organization_id=self.ledger.organization_id,
                journal_id=journal_id,
                fiscal_year_id=year_id,
                next_number=1 + count,
            )
            .on_conflict_do_update(
                index_elements=[SEQUENCES.c.journal_id, SEQUENCES.c.fiscal_year_id],
                set_={"next_number": SEQUENCES.c.next_number + count},
            )
            .returning(SEQUENCES.c.next_number)
        ).scalar_one()
        return int(following) - count

    def _post(
        self, conn: Connection, ids: list[uuid.UUID], first: int, year_id: uuid.UUID, now: Any
    ) -> None:
        """One UPDATE per thousand entries, the list passed as one parameter, as the
        service's ``record_many`` does it."""
        for offset in range(0, len(ids), 1000):
            piece = ids[offset : offset + 1000]
            if self.postgresql:
                listed = bindparam("entry_ids", piece, type_=ARRAY(Uuid()))
                numbering = (
                    update(ENTRIES)
                    .where(ENTRIES.c.id == any_(listed))
                    .values(number=func.array_position(listed, ENTRIES.c.id) + (first + offset - 1))
                )
            else:
                stored = ENTRIES.c.id.type.bind_processor(conn.dialect) or str
                listed_json = json.dumps([stored(entry_id) for entry_id in piece])
                each = func.json_each(listed_json).table_valued("key", "value")
                numbered = (
                    select(each.c.value.label("id"), (each.c.key + first + offset).label("number"))
                    .cte("numbered")
                    .prefix_with("MATERIALIZED")
                )
                numbering = (
                    update(ENTRIES)
                    .where(ENTRIES.c.id == numbered.c.id)
                    .values(number=numbered.c.number)
                )
            conn.execute(numbering.values(status="posted", fiscal_year_id=year_id, posted_at=now))


def require(condition: bool, problem: str) -> None:
    if not condition:
        raise SystemExit(f"the books are wrong: {problem}")


def peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


# Expected share of the lines per journal, to spread the journals over the writers.
JOURNAL_WEIGHTS = {"VT": 1.3, "BQ": 0.9, "AC": 0.8, "OD": 0.1}


def lanes(writers: int) -> dict[str, int]:
    """Journal code → writer. Each journal belongs to one writer, which numbers its entries in
    date order; writers never wait for each other's sequence locks."""
    loads = [0.0] * writers
    lane = {}
    for code, weight in sorted(JOURNAL_WEIGHTS.items(), key=lambda item: -item[1]):
        lane[code] = loads.index(min(loads))
        loads[lane[code]] += weight
    return lane


def bulk_import(
    database: Database, ledger: Ledger, target: int, chunk_lines: int, writers: int
) -> tuple[int, int, float]:
    """Generate the ledger in the main thread and write it from ``writers`` threads, one
    connection each; the time is the wall-clock time of the whole import."""
    start, end = date(FIRST_YEAR, 1, 1), date(FIRST_YEAR + YEARS - 1, 12, 31)
    writer = BulkWriter(database, ledger)
    route = lanes(writers)
    queues: list[queue.Queue[list[Entry] | None]] = [queue.Queue(maxsize=2) for _ in range(writers)]
    written = {"entries": 0, "lines": 0, "reported": 0}
    lock = threading.Lock()
    started = time.perf_counter()

    failures: list[BaseException] = []

    def drain(inbox: queue.Queue[list[Entry] | None]) -> None:
        try:
            while (chunk := inbox.get()) is not None:
                writer.write(chunk)
                with lock:
                    written["entries"] += len(chunk)
                    written["lines"] += sum(len(entry.lines) for entry in chunk)
                    if written["lines"] - written["reported"] >= 100_000:
                        written["reported"] = written["lines"]
                        rate = written["lines"] / (time.perf_counter() - started)
                        progress(f"{written['lines']:,} lines, {rate:,.0f} lines/s")
        except BaseException as exc:
            failures.append(exc)

    def feed(lane: int, chunk: list[Entry] | None) -> None:
        while True:
            if failures:
                raise failures[0]
            try:
                queues[lane].put(chunk, timeout=1)
                return
            except queue.Full:
                pass

    # Daemon threads: should one writer fail, the others, waiting for work, do not keep
    # the process alive.
    threads = [threading.Thread(target=drain, args=(inbox,), daemon=True) for inbox in queues]
    for thread in threads:
        thread.start()
    buffers: list[list[Entry]] = [[] for _ in range(writers)]
    sizes = [0] * writers
    for entry in Books(start, end, target, seed=2026):
        lane = route[entry.journal]
        buffers[lane].append(entry)
        sizes[lane] += len(entry.lines)
        if sizes[lane] >= chunk_lines:
            feed(lane, buffers[lane])
            buffers[lane], sizes[lane] = [], 0
    for lane in range(writers):
        if buffers[lane]:
            feed(lane, buffers[lane])
        feed(lane, None)
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return written["entries"], written["lines"], time.perf_counter() - started


def after_import(database: Database) -> float:
    """Statistics and the visibility map, as autovacuum would leave them after a big load."""
    started = time.perf_counter()
    if database.is_sqlite:
        with database.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
    return time.perf_counter() - started


def as_input(entry: Entry) -> entries.EntryInput:
    return entries.EntryInput(
        journal=entry.journal,
        date=entry.date,
        reference=entry.reference,
        description=entry.description,
        lines=[
            entries.LineInput(
                account=line.account,
                debit=format_minor(line.debit, CURRENCY) if line.debit else None,
                credit=format_minor(line.credit, CURRENCY) if line.credit else None,
                label=line.label,
                party_id=line.party,
            )
            for line in entry.lines
        ],
    )


def service_entries(count: int, seed: int) -> list[entries.EntryInput]:
    """``count`` entries in the last fiscal year, as other modules hand them to the service."""
    year = FIRST_YEAR + YEARS - 1
    books = Books(date(year, 1, 1), date(year, 12, 31), count * 5, seed)
    return [as_input(entry) for entry, _ in zip(books, range(count), strict=False)]


def session_for(database: Database, ledger: Ledger, *, write: bool) -> Session:
    session = database.session(write=write)
    set_organization(session, ledger.organization_id)
    return session


def time_record(database: Database, ledger: Ledger, batch: list[entries.EntryInput]) -> float:
    started = time.perf_counter()
    for data in batch:
        with database.unit_of_work() as session:
            set_organization(session, ledger.organization_id)
            entries.record(session, data)
    return len(batch) / (time.perf_counter() - started)


def time_record_many(
    database: Database, ledger: Ledger, batch: list[entries.EntryInput], size: int
) -> float:
    started = time.perf_counter()
    for offset in range(0, len(batch), size):
        with database.unit_of_work() as session:
            set_organization(session, ledger.organization_id)
            entries.record_many(session, batch[offset : offset + size])
    return len(batch) / (time.perf_counter() - started)


def median_ms(
    database: Database, ledger: Ledger, runs: int, call: Callable[[Session], object]
) -> float:
    timings = []
    for _ in range(runs):
        session = session_for(database, ledger, write=False)
        try:
            started = time.perf_counter()
            call(session)
            timings.append((time.perf_counter() - started) * 1000)
        finally:
            session.rollback()
            session.close()
    return statistics.median(timings)


def deep_cursor(database: Database, ledger: Ledger, account_id: uuid.UUID, depth: int) -> str:
    """The cursor a reader would hold after paging ``depth`` lines into the account."""
    with database.unit_of_work(write=False) as session:
        set_organization(session, ledger.organization_id)
        day, line_id = session.execute(
            select(JournalLine.date, JournalLine.id)
            .where(JournalLine.account_id == account_id, reports.posted_lines())
            .order_by(JournalLine.date, JournalLine.id)
            .offset(depth - 1)
            .limit(1)
        ).one()
    return f"{day.isoformat()}_{line_id.hex}"


def check_books(database: Database, ledger: Ledger, end: date) -> tuple[int, int]:
    """Every journal and year numbered 1..n without a gap, in step with its sequence, and
    the trial balance balanced: what the bulk path promised."""
    with database.unit_of_work(write=False) as session:
        set_organization(session, ledger.organization_id)
        numbering = session.execute(
            select(
                JournalEntry.journal_id,
                JournalEntry.fiscal_year_id,
                func.count(),
                func.min(JournalEntry.number),
                func.max(JournalEntry.number),
            )
            .where(JournalEntry.status == "posted")
            .group_by(JournalEntry.journal_id, JournalEntry.fiscal_year_id)
        ).all()
        sequences: dict[tuple[Any, Any], int] = {
            (journal_id, year_id): following
            for journal_id, year_id, following in session.execute(
                select(
                    EntrySequence.journal_id,
                    EntrySequence.fiscal_year_id,
                    EntrySequence.next_number,
                )
            )
        }
        for journal_id, year_id, count, low, high in numbering:
            require(low == 1 and high == count, f"a gap in journal {journal_id}, year {year_id}")
            require(sequences[(journal_id, year_id)] == count + 1, "a sequence out of step")
        balance = reports.trial_balance(session, date_from=None, date_to=end)
        require(balance.balanced, "the trial balance does not balance")
        posted = sum(count for _, _, count, _, _ in numbering)
        lines = session.scalar(
            select(func.count()).select_from(JournalLine).where(reports.posted_lines())
        )
        drafts = session.scalar(
            select(func.count()).select_from(JournalEntry).where(JournalEntry.status == "draft")
        )
        require(drafts == 0, "drafts left behind")
        return posted, int(lines or 0)


def machine(database: Database) -> str:
    model = "unknown CPU"
    meminfo = ""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.splitlines()
                if line.startswith("model name")
            ),
            platform.processor() or platform.machine(),
        )
        meminfo = Path("/proc/meminfo").read_text()
    except OSError:
        pass
    ram = next(
        (
            int(line.split()[1]) / 1024 / 1024
            for line in meminfo.splitlines()
            if line.startswith("MemTotal")
        ),
        0.0,
    )
    with database.engine.connect() as conn:
        if database.is_sqlite:
            version = "SQLite " + conn.exec_driver_sql("SELECT sqlite_version()").scalar_one()
        else:
            version = conn.exec_driver_sql("SHOW server_version").scalar_one()
            version = f"PostgreSQL {version}"
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, {model}, {ram:.1f} GiB RAM, {version}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"load average {load} before the run"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="defaults to a fresh SQLite file")
    parser.add_argument(
        "--lines", type=int, default=1_000_000, help="ledger size (default 1,000,000)"
    )
    parser.add_argument("--chunk", type=int, default=20_000, help="lines per bulk transaction")
    parser.add_argument(
        "--writers", type=int, default=2, help="bulk writers on PostgreSQL (one on SQLite)"
    )
    parser.add_argument("--record", type=int, default=1_000, help="entries posted one by one")
    parser.add_argument("--record-many", type=int, default=20_000, help="entries posted in batches")
    parser.add_argument("--batch", type=int, default=500, help="entries per record_many call")
    parser.add_argument("--runs", type=int, default=7, help="runs per report timing")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="comptoir-bench-ledger-"))
    url = args.database_url or f"sqlite:///{workdir / 'ledger.sqlite3'}"
    migrations.upgrade(url)
    wiring.connect()
    database = Database(url)
    print(f"Comptoir ledger benchmark on {database.engine.dialect.name}")
    print(f"machine: {machine(database)}")
    ledger = set_up(database)

    # SQLite takes one writer at a time: a second one would only wait for the first.
    writers = 1 if database.is_sqlite else args.writers
    entry_count, line_count, seconds = bulk_import(
        database, ledger, args.lines, args.chunk, writers
    )
    print(
        f"bulk import, {writers} writer(s): {entry_count:,} entries, {line_count:,} lines "
        f"in {seconds:.1f} s → {line_count / seconds:,.0f} lines/s"
    )
    print(f"VACUUM ANALYZE / ANALYZE after import: {after_import(database):.1f} s")

    end = date(FIRST_YEAR + YEARS - 1, 12, 31)
    last_year = date(end.year, 1, 1)
    customers, bank = ledger.accounts["411"], ledger.accounts["512"]
    cursor = deep_cursor(database, ledger, customers, 100_000 * line_count // 1_000_000 or 1)
    timings = {
        f"trial balance {last_year.year}, {line_count:,} lines": median_ms(
            database,
            ledger,
            args.runs,
            lambda s: reports.trial_balance(s, date_from=last_year, date_to=end),
        ),
        "general ledger 411, first page (200 lines)": median_ms(
            database,
            ledger,
            args.runs,
            lambda s: reports.general_ledger(s, customers, date_from=None, date_to=end, limit=200),
        ),
        "general ledger 411, deep page (cursor)": median_ms(
            database,
            ledger,
            args.runs,
            lambda s: reports.general_ledger(
                s, customers, date_from=None, date_to=end, limit=200, cursor=cursor
            ),
        ),
        "account balance 512": median_ms(
            database, ledger, args.runs, lambda s: reports.account_balance(s, bank, end)
        ),
    }
    for label, value in timings.items():
        print(f"{label:<48} median {value:8.1f} ms (n={args.runs})")

    one_by_one = service_entries(args.record, seed=7)
    rate = time_record(database, ledger, one_by_one)
    print(
        f"entries.record, one transaction each: {len(one_by_one):,} entries → {rate:,.0f} entries/s"
    )
    batched = service_entries(args.record_many, seed=8)
    rate = time_record_many(database, ledger, batched, args.batch)
    print(
        f"entries.record_many, batches of {args.batch}: {len(batched):,} entries "
        f"→ {rate:,.0f} entries/s"
    )

    posted, lines = check_books(database, ledger, end)
    print(f"checked: {posted:,} posted entries, {lines:,} lines; numbers gap-free, books balanced")
    print(f"peak memory (max RSS): {peak_rss_mib():,.0f} MiB")
    database.dispose()


if __name__ == "__main__":
    main()
