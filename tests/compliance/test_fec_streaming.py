"""The FEC streams: producing and checking a larger year takes no more memory."""

from __future__ import annotations

import tracemalloc
import uuid
from datetime import date, timedelta

from fastapi.testclient import TestClient

from comptoir.compliance.service import fec, fec_checks
from comptoir.kit.db import Database
from comptoir.kit.tenancy import set_organization
from comptoir.ledger.service import entries
from tests.compliance.scenario import set_siren
from tests.conftest import Account


def _post(database: Database, organization_id: uuid.UUID, count: int, start: int) -> None:
    """``count`` sales entries of three lines each."""
    with database.unit_of_work() as session:
        set_organization(session, organization_id)
        entries.record_many(
            session,
            [
                entries.EntryInput(
                    journal="VT",
                    date=date(2026, 1, 1) + timedelta(days=n % 365),
                    reference=f"F-{n}",
                    lines=[
                        entries.LineInput("411", debit="120.00", label=f"Facture client {n}"),
                        entries.LineInput("706", credit="100.00"),
                        entries.LineInput("44571", credit="20.00"),
                    ],
                )
                for n in range(start, start + count)
            ],
        )


def _peak(database: Database, organization_id: uuid.UUID) -> tuple[int, int, int]:
    """Bytes of the file, peak Python memory producing it and checking it as it streams."""
    with database.unit_of_work(write=False) as session:
        set_organization(session, organization_id)
        plan = fec.plan(session, "2026-01-01")
        tracemalloc.start()
        try:
            size = sum(len(chunk) for chunk in fec.generate(session, plan))
            export_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()
            report = fec_checks.check_bytes(
                fec.generate(session, plan), (plan.year.start_date, plan.year.end_date)
            )
            check_peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert report.ok, report.problems[:3]
        return size, export_peak, check_peak


def test_memory_stays_flat(client: TestClient, owner: Account, database: Database) -> None:
    set_siren(client, owner)
    organization_id = uuid.UUID(owner.organization_id)
    # Lines are read 2000 at a time: both years span several batches.
    _post(database, organization_id, 2000, 0)
    _peak(database, organization_id)  # warms the statement cache and imports
    small = _peak(database, organization_id)
    _post(database, organization_id, 4000, 2000)
    large = _peak(database, organization_id)
    assert large[0] > 2.9 * small[0]
    # Three times the lines, the same memory: nothing grows with the year.
    assert large[1] < small[1] * 1.15 + 100_000
    assert large[2] < small[2] * 1.15 + 100_000
    # One batch of rows and one chunk of text at a time, whatever the year.
    assert large[1] < 8_000_000 and large[2] < 8_000_000
