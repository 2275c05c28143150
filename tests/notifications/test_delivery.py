"""From outbox events to notifications: the right members, their channels, once."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from comptoir.kit.db import Database
from comptoir.kit.tenancy import all_tenants
from comptoir.outbox.models import Job, OutboxEvent
from comptoir.sales.service import overdue
from comptoir.worker.runner import Worker
from tests.conftest import Account, register
from tests.notifications.helpers import (
    customer,
    member,
    notifications,
    receive_payment,
    unread,
)

LINES = [{"description": "Work", "quantity": "1", "unit_price": "250.00", "tax_codes": []}]


def test_a_payment_notifies_owners_administrators_and_accountants_only(
    client: TestClient, worker: Worker, owner: Account
) -> None:
    accountant = member(client, owner, "accountant@example.net", "accountant")
    warehouse = member(client, owner, "warehouse@example.net", "warehouse")
    viewer = member(client, owner, "viewer@example.net", "viewer")
    other = register(client, organization_name="Other SARL")
    payment_id = receive_payment(client, owner.headers, "120.00")
    receive_payment(client, other.headers, "5.00")
    assert notifications(client, owner.headers) == []  # nothing before the worker runs
    worker.drain()

    mine = notifications(client, owner.headers)
    assert [n["title"] for n in mine] == ["Payment of 120.00 EUR received from Acme"]
    assert mine[0]["event_type"] == "payment.received"
    assert mine[0]["link"] == f"/sales/payments/{payment_id}"
    assert mine[0]["read_at"] is None
    assert [n["title"] for n in notifications(client, accountant)] == [mine[0]["title"]]
    assert notifications(client, warehouse) == []
    assert notifications(client, viewer) == []
    # The other organization's owner hears of their own payment, never of ours.
    assert [n["title"] for n in notifications(client, other.headers)] == [
        "Payment of 5.00 EUR received from Acme"
    ]


def test_answered_quotes_notify_their_creator(
    client: TestClient, worker: Worker, owner: Account
) -> None:
    seller = member(client, owner, "seller@example.net", "sales")
    acme = customer(client, seller)
    quotes = []
    for _ in range(2):
        created = client.post(
            "/api/v1/quotes", headers=seller, json={"customer": acme, "lines": LINES}
        )
        assert created.status_code == 201, created.text
        sent = client.post(f"/api/v1/quotes/{created.json()['id']}/send", headers=seller, json={})
        assert sent.status_code == 200, sent.text
        quotes.append(sent.json())
    accepted = client.post(
        f"/api/v1/quotes/{quotes[0]['id']}/accept", headers=owner.headers, json={"name": "Jane"}
    )
    declined = client.post(
        f"/api/v1/quotes/{quotes[1]['id']}/decline", headers=owner.headers, json={}
    )
    assert accepted.status_code == declined.status_code == 200
    worker.drain()

    titles = {n["title"]: n["link"] for n in notifications(client, seller)}
    assert titles == {
        f"Quote {quotes[0]['number']} accepted by Acme": f"/sales/quotes/{quotes[0]['id']}",
        f"Quote {quotes[1]['number']} declined by Acme": f"/sales/quotes/{quotes[1]['id']}",
    }
    assert notifications(client, owner.headers) == []


def test_an_overdue_invoice_notifies_its_creator_and_the_administrators(
    client: TestClient, worker: Worker, owner: Account, database: Database
) -> None:
    seller = member(client, owner, "seller@example.net", "sales")
    admin = member(client, owner, "admin@example.net", "admin")
    accountant = member(client, owner, "accountant@example.net", "accountant")
    created = client.post(
        "/api/v1/invoices",
        headers=seller,
        json={
            "customer": customer(client, seller),
            "issue_date": "2026-02-01",
            "due_date": "2026-03-03",
            "lines": LINES,
        },
    )
    assert created.status_code == 201, created.text
    issued = client.post(f"/api/v1/invoices/{created.json()['id']}/issue", headers=seller)
    assert issued.status_code == 200, issued.text
    with database.unit_of_work() as session, all_tenants(session):
        assert overdue.flag_overdue_invoices(session, on=date(2026, 3, 4)) == 1
    worker.drain()

    title = f"Invoice {issued.json()['number']} to Acme is overdue"
    for headers in (seller, admin, owner.headers):
        found = notifications(client, headers)
        assert [n["title"] for n in found] == [title]
        assert found[0]["body"] == "250.00 EUR was due on 2026-03-03."
    assert notifications(client, accountant) == []


def test_a_job_run_again_adds_no_second_notification(
    client: TestClient, worker: Worker, owner: Account, database: Database
) -> None:
    receive_payment(client, owner.headers)
    worker.drain()
    assert unread(client, owner.headers) == 1
    # As after a worker lost its lease: the event is dispatched, and its job run, again.
    with database.unit_of_work() as session, all_tenants(session):
        session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.type == "payment.received")
            .values(dispatched_at=None)
        )
    worker.drain()
    with database.unit_of_work() as session, all_tenants(session):
        runs = session.scalars(
            select(Job.status).where(Job.handler == "notifications.deliver")
        ).all()
    assert runs == ["done", "done"]
    assert unread(client, owner.headers) == 1
