"""A process that posts entries from several threads, for the numbering concurrency test.

Kept importable (no test in it) so that ``multiprocessing`` can start it with spawn.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from comptoir.kit.db import Database
from comptoir.kit.tenancy import set_organization
from comptoir.ledger.service import entries
from comptoir.ledger.service.entries import EntryInput, LineInput


def post_from_threads(url: str, organization_id: str, threads: int, per_thread: int) -> list[int]:
    """Post ``threads * per_thread`` entries into journal OD; returns the numbers given."""
    database = Database(url)

    def one_thread(_: int) -> list[int]:
        numbers = []
        for _ in range(per_thread):
            with database.unit_of_work() as session:
                set_organization(session, uuid.UUID(organization_id))
                posted = entries.record(
                    session,
                    EntryInput(
                        journal="OD",
                        date=date(2026, 5, 1),
                        lines=[LineInput("512", debit="1.00"), LineInput("101", credit="1.00")],
                    ),
                )
                assert posted.number is not None
                numbers.append(posted.number)
        return numbers

    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return [n for batch in pool.map(one_thread, range(threads)) for n in batch]
    finally:
        database.dispose()
