"""Invoice numbers: gap-free and unique under concurrent issuing; formats and series."""

from __future__ import annotations

import multiprocessing
import uuid
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from comptoir import wiring
from comptoir.identity.service import organizations
from comptoir.kit.db import Database
from comptoir.kit.errors import ValidationFailed
from comptoir.kit.tenancy import set_organization
from comptoir.parties.service import parties
from comptoir.sales.service import documents, numbering
from tests.conftest import Account
from tests.sales.concurrent_issuing import issue_from_threads
from tests.sales.helpers import customer, invoice

INVOICES = 200
THREADS = 8


def test_200_concurrent_issues_number_1_to_200(database: Database, database_url: str) -> None:
    wiring.connect()
    with database.unit_of_work() as session:
        organization = organizations.create_organization(
            session, legal_name="Busy SARL", country="FR", base_currency="EUR"
        )
        set_organization(session, organization.id)
        buyer = parties.create(session, {"name": "Buyer"}, role="customer")
        drafts = [
            str(
                documents.create_draft(
                    session,
                    "invoice",
                    {
                        "customer": str(buyer.id),
                        "issue_date": "2026-05-04",
                        "lines": [{"description": "Work", "unit_price": "10.00"}],
                    },
                ).id
            )
            for _ in range(INVOICES)
        ]
    # Two processes on PostgreSQL; SQLite serializes writers in one file, so one process
    # of eight threads is the whole story there.
    processes = 1 if database.is_sqlite else 2
    share = [drafts[i::processes] for i in range(processes)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        results = pool.starmap(
            issue_from_threads,
            [(database_url, str(organization.id), ids, THREADS) for ids in share],
        )
    numbers = sorted(number for result in results for number in result)
    assert numbers == [f"F-2026-{n:05d}" for n in range(1, INVOICES + 1)]
    with database.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT number FROM sales_documents WHERE kind = 'invoice' ORDER BY number")
        ).scalars()
        entries = conn.execute(
            text("SELECT COUNT(*) FROM journal_entries WHERE source_type = 'invoice'")
        ).scalar()
    assert list(stored) == numbers
    assert entries == INVOICES


@pytest.mark.parametrize(
    ("template", "on", "sequence", "expected"),
    [
        ("F-{YYYY}-{SEQ:05}", date(2026, 2, 1), 7, "F-2026-00007"),
        ("{YY}{MM}-{SEQ:03}", date(2026, 11, 3), 42, "2611-042"),
        ("INV{SEQ}", date(2026, 1, 1), 123456, "INV123456"),
    ],
)
def test_formats(template: str, on: date, sequence: int, expected: str) -> None:
    assert numbering.format_number(numbering.check_format(template, "f"), on, sequence) == expected


@pytest.mark.parametrize("template", ["F-{YYYY}", "{SEQ}-{SEQ}", "F<{SEQ}>", "X" * 45 + "{SEQ}"])
def test_bad_formats_are_refused(template: str) -> None:
    with pytest.raises(ValidationFailed):
        numbering.check_format(template, "invoice_number_format")


def test_series_restart_each_year_and_numbers_follow_dates(
    client: TestClient, owner: Account
) -> None:
    acme = customer(client, owner)
    first = invoice(client, owner, acme["id"], issue_date="2026-12-30")
    assert first["number"] == "F-2026-00001"
    draft = invoice(client, owner, acme["id"], issue=False, issue_date="2026-12-01")
    late = client.post(f"/api/v1/invoices/{draft['id']}/issue", headers=owner.headers)
    assert late.status_code == 422
    assert late.json()["errors"][0]["field"] == "issue_date"
    # The refused issue gave its number back.
    second = invoice(client, owner, acme["id"], issue_date="2026-12-31")
    assert second["number"] == "F-2026-00002"
    next_year = invoice(client, owner, acme["id"], issue_date="2027-01-02")
    assert next_year["number"] == "F-2027-00001"
    assert uuid.UUID(next_year["id"])
