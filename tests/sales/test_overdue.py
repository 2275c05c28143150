"""``invoice.overdue``: once per invoice, when an open invoice passes its due date."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select

from comptoir.kit.db import Database
from comptoir.kit.tenancy import all_tenants
from comptoir.outbox.models import OutboxEvent
from comptoir.sales.service import overdue
from tests.conftest import Account, register
from tests.sales.helpers import customer, invoice, pay


def _flag(database: Database, on: date) -> int:
    with database.unit_of_work() as session, all_tenants(session):
        return overdue.flag_overdue_invoices(session, on=on)


def _overdue_events(database: Database) -> list[OutboxEvent]:
    with database.unit_of_work() as session, all_tenants(session):
        return list(
            session.scalars(select(OutboxEvent).where(OutboxEvent.type == "invoice.overdue"))
        )


def test_open_invoices_past_due_are_flagged_once(
    client: TestClient, owner: Account, database: Database
) -> None:
    acme = customer(client, owner)
    late = invoice(client, owner, acme["id"], due_date="2026-03-03")
    paid = invoice(client, owner, acme["id"], due_date="2026-03-03")
    pay(client, owner, acme["id"], "1200.00", [(paid["id"], "1200.00")])
    invoice(client, owner, acme["id"], due_date="2026-03-03", issue=False)
    other = register(client, "other@example.com")
    other_customer = customer(client, other)
    other_late = invoice(client, other, other_customer["id"], due_date="2026-03-10")

    assert _flag(database, date(2026, 3, 3)) == 0
    assert _flag(database, date(2026, 3, 4)) == 1
    assert _flag(database, date(2026, 4, 1)) == 1
    assert _flag(database, date(2026, 5, 1)) == 0

    events = {(e.payload["id"], str(e.organization_id)) for e in _overdue_events(database)}
    assert events == {
        (late["id"], owner.organization_id),
        (other_late["id"], other.organization_id),
    }
    timeline = client.get(f"/api/v1/invoices/{late['id']}", headers=owner.headers).json()
    assert [e["kind"] for e in timeline["timeline"]][-1] == "overdue"
    assert client.get(f"/api/v1/invoices/{late['id']}", headers=other.headers).status_code == 404
