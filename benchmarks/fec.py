"""The FEC at scale: export and checks of a fiscal year of many lines, in flat memory.

    .venv/bin/python benchmarks/fec.py [--database-url URL] [--lines N]

Creates an organization with the French chart, posts ``--lines`` lines of sales (customer,
revenue, VAT) and bank receipts in 2026 through ``entries.record_many``, then produces the
year's FEC as the download does (``fec.generate``) and checks it as it streams
(``fec_checks.check_bytes``), each under ``tracemalloc``: prints lines per second and the
peak of Python memory, which stays flat whatever the size of the year.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from comptoir import wiring
from comptoir.compliance.service import fec, fec_checks
from comptoir.identity.service import organizations
from comptoir.kit import migrations
from comptoir.kit.db import Database
from comptoir.kit.tenancy import set_organization
from comptoir.ledger.service import entries

BATCH = 2000


def post_year(session: Session, lines: int) -> None:
    """``lines`` lines in 2026: sales of three lines and receipts of two, alternating."""
    written = 0
    number = 0
    while written < lines:
        batch = []
        while written < lines and len(batch) < BATCH:
            number += 1
            day = date(2026, 1, 1) + timedelta(days=number % 365)
            cents = 1000 + number % 9000
            if number % 2:
                batch.append(
                    entries.EntryInput(
                        journal="VT",
                        date=day,
                        reference=f"F-{number}",
                        lines=[
                            entries.LineInput("411", debit=f"{cents * 1.2 / 100:.2f}"),
                            entries.LineInput("706", credit=f"{cents / 100:.2f}"),
                            entries.LineInput("44571", credit=f"{cents * 0.2 / 100:.2f}"),
                        ],
                    )
                )
                written += 3
            else:
                batch.append(
                    entries.EntryInput(
                        journal="BQ",
                        date=day,
                        lines=[
                            entries.LineInput("512", debit=f"{cents / 100:.2f}"),
                            entries.LineInput("411", credit=f"{cents / 100:.2f}"),
                        ],
                    )
                )
                written += 2
        entries.record_many(session, batch)
        session.flush()


def measure(produce: Callable[[], Any]) -> tuple[Any, float, int]:
    """What ``produce`` returns, its seconds (a run of its own: tracing slows Python down
    several times) and its peak of Python memory in bytes."""
    started = time.perf_counter()
    produce()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    try:
        result = produce()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="defaults to a fresh SQLite file")
    parser.add_argument("--lines", type=int, default=200_000, help="lines in the year")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'fec.db'}"
    migrations.upgrade(url)
    wiring.connect()
    database = Database(url)
    with database.unit_of_work() as session:
        organization = organizations.create_organization(
            session, legal_name="Benchmark FEC SAS", country="FR", base_currency="EUR"
        )
        organization.siren = "732829320"
        organization_id = organization.id
    started = time.perf_counter()
    with database.unit_of_work() as session:
        set_organization(session, organization_id)
        post_year(session, args.lines)
    print(f"FEC benchmark on {database.engine.dialect.name}: {args.lines:,} lines")
    print(f"posting: {time.perf_counter() - started:.1f} s")
    with database.unit_of_work(write=False) as session:
        set_organization(session, organization_id)
        plan = fec.plan(session, "2026-01-01")

        def export() -> int:
            return sum(len(chunk) for chunk in fec.generate(session, plan))

        size, seconds, peak = measure(export)
        print(
            f"export: {size / 1e6:.1f} MB in {seconds:.1f} s, "
            f"{args.lines / seconds:,.0f} lines/s, peak Python memory {peak / 1e6:.1f} MB"
        )

        def check() -> fec_checks.Report:
            chunks: Iterator[bytes] = fec.generate(session, plan)
            return fec_checks.check_bytes(chunks, (plan.year.start_date, plan.year.end_date))

        report, seconds, peak = measure(check)
        print(
            f"export + checks: {seconds:.1f} s, {args.lines / seconds:,.0f} lines/s, "
            f"peak Python memory {peak / 1e6:.1f} MB, problems: {len(report.problems)}"
        )


if __name__ == "__main__":
    main()
