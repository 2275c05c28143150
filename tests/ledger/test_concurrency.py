"""Concurrent posting: 8 threads in each of 2 processes, one journal, gap-free unique numbers."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import text

from comptoir import wiring
from comptoir.identity.service import organizations
from comptoir.kit.db import Database
from tests.ledger.concurrent_posting import post_from_threads

THREADS = 8
PROCESSES = 2
PER_THREAD = 5


def test_parallel_posters_get_gap_free_unique_numbers(
    database: Database, database_url: str
) -> None:
    wiring.connect()
    with database.unit_of_work() as session:
        organization = organizations.create_organization(
            session, legal_name="Busy SARL", country="FR", base_currency="EUR"
        )
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        results = pool.starmap(
            post_from_threads,
            [(database_url, str(organization.id), THREADS, PER_THREAD)] * PROCESSES,
        )
    numbers = sorted(n for result in results for n in result)
    total = THREADS * PROCESSES * PER_THREAD
    assert numbers == list(range(1, total + 1))
    with database.engine.connect() as conn:
        stored = (
            conn.execute(text("SELECT number FROM journal_entries ORDER BY number")).scalars().all()
        )
        unbalanced = conn.execute(
            text(
                "SELECT COUNT(*) FROM (SELECT entry_id FROM journal_lines GROUP BY entry_id "
                "HAVING SUM(debit) <> SUM(credit)) AS t"
            )
        ).scalar()
    assert stored == list(range(1, total + 1))
    assert unbalanced == 0
