"""A process that issues draft invoices from several threads, for the numbering test.

Kept importable (no test in it) so that ``multiprocessing`` can start it with spawn.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from comptoir import wiring
from comptoir.kit.db import Database
from comptoir.kit.tenancy import set_organization
from comptoir.sales.service import documents, issuing


def issue_from_threads(
    url: str, organization_id: str, invoice_ids: list[str], threads: int
) -> list[str]:
    """Issue every invoice of ``invoice_ids``, ``threads`` at a time; the numbers given."""
    wiring.connect()
    database = Database(url)

    def issue_one(invoice_id: str) -> str:
        with database.unit_of_work() as session:
            set_organization(session, uuid.UUID(organization_id))
            invoice = documents.get(session, uuid.UUID(invoice_id), "invoice")
            issuing.issue(session, invoice)
            assert invoice.number is not None
            return invoice.number

    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(issue_one, invoice_ids))
    finally:
        database.dispose()
