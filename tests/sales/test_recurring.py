"""Recurring invoices: schedules, catching up, each action, failures, the API."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.settings import Settings
from comptoir.kit.tenancy import all_tenants, as_organization
from comptoir.outbox.models import OutboxEvent
from comptoir.sales import tasks
from comptoir.sales.models import RecurringInvoice
from comptoir.sales.service import recurring, recurring_runs
from comptoir.worker.runner import Worker
from tests.conftest import Account, register
from tests.mail.smtp import SmtpServer, settings, smtp
from tests.sales.helpers import customer, invoice
from tests.sales.mailbox import pdf_of, received

__all__ = ["settings", "smtp"]

LINES = [{"description": "Hosting", "quantity": "1", "unit_price": "50.00", "tax_codes": ["FR-20"]}]


def create(client: TestClient, owner: Account, **fields: Any) -> Any:
    body = {
        "name": "Hosting",
        "customer": fields.pop("customer"),
        "lines": LINES,
        "frequency": "monthly",
        "start_date": "2026-01-31",
    } | fields
    return client.post("/api/v1/recurring-invoices", headers=owner.headers, json=body)


def made(client: TestClient, owner: Account, **fields: Any) -> dict[str, Any]:
    answer = create(client, owner, **fields)
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def run(database: Database, settings: Settings, owner: Account, on: date) -> int:
    organization = uuid.UUID(owner.organization_id)
    with database.unit_of_work() as session, as_organization(session, organization):
        return recurring_runs.run_due(session, settings, on)


def fetch(client: TestClient, owner: Account, template_id: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/recurring-invoices/{template_id}", headers=owner.headers)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def invoices(client: TestClient, owner: Account) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/invoices?sort=issue_date&limit=200", headers=owner.headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def schedule_of(frequency: str, start: date, interval: int = 1, count: int = 5) -> list[date]:
    template = RecurringInvoice(frequency=frequency, interval=interval, start_date=start)
    dates = [start]
    while len(dates) < count:
        dates.append(recurring.following(template, dates[-1]))
    return dates


@pytest.mark.parametrize(
    ("frequency", "start", "interval", "expected"),
    [
        ("weekly", date(2026, 1, 1), 1, ["2026-01-01", "2026-01-08", "2026-01-15"]),
        ("weekly", date(2026, 12, 24), 2, ["2026-12-24", "2027-01-07", "2027-01-21"]),
        ("monthly", date(2026, 1, 31), 1, ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]),
        ("monthly", date(2028, 1, 30), 1, ["2028-01-30", "2028-02-29", "2028-03-30"]),
        ("monthly", date(2026, 11, 15), 2, ["2026-11-15", "2027-01-15", "2027-03-15"]),
        ("quarterly", date(2026, 11, 30), 1, ["2026-11-30", "2027-02-28", "2027-05-30"]),
        ("yearly", date(2028, 2, 29), 1, ["2028-02-29", "2029-02-28", "2030-02-28"]),
        ("yearly", date(2026, 6, 1), 3, ["2026-06-01", "2029-06-01", "2032-06-01"]),
    ],
)
def test_schedules_keep_the_start_day(
    frequency: str, start: date, interval: int, expected: list[str]
) -> None:
    dates = schedule_of(frequency, start, interval, len(expected))
    assert [d.isoformat() for d in dates] == expected


def test_a_monthly_draft_schedule_catches_up_and_ends(
    client: TestClient, owner: Account, database: Database, settings: Settings
) -> None:
    acme = customer(client, owner, payment_terms="net_15")
    template = made(client, owner, customer=acme["id"], end_date="2026-04-15")
    assert (template["status"], template["next_date"], template["action"]) == (
        "active",
        "2026-01-31",
        "draft",
    )
    assert template["payment_terms"] == "net_15"
    assert run(database, settings, owner, date(2026, 1, 30)) == 0
    assert run(database, settings, owner, date(2026, 1, 31)) == 1
    assert run(database, settings, owner, date(2026, 1, 31)) == 0
    assert fetch(client, owner, template["id"])["next_date"] == "2026-02-28"
    # Down for a while: every missed date is made, then the end date stops it.
    assert run(database, settings, owner, date(2026, 5, 10)) == 2
    made_invoices = invoices(client, owner)
    assert [(i["issue_date"], i["due_date"], i["status"]) for i in made_invoices] == [
        ("2026-01-31", "2026-02-15", "draft"),
        ("2026-02-28", "2026-03-15", "draft"),
        ("2026-03-31", "2026-04-15", "draft"),
    ]
    assert all(i["totals"]["gross"] == "60.00" for i in made_invoices)
    ended = fetch(client, owner, template["id"])
    assert (ended["status"], ended["next_date"], ended["invoices_created"]) == ("ended", None, 3)
    assert ended["last_invoice_id"] == made_invoices[-1]["id"]
    detail = client.get(f"/api/v1/invoices/{made_invoices[0]['id']}", headers=owner.headers)
    recurring_event = [e for e in detail.json()["timeline"] if e["kind"] == "recurring"]
    assert recurring_event[0]["detail"]["recurring_invoice_id"] == template["id"]
    assert run(database, settings, owner, date(2027, 1, 1)) == 0


def test_issued_invoices_follow_dates_across_templates(
    client: TestClient, owner: Account, database: Database, settings: Settings
) -> None:
    acme = customer(client, owner)
    made(client, owner, customer=acme["id"], start_date="2026-01-10", action="issue")
    made(
        client,
        owner,
        customer=acme["id"],
        name="Support",
        start_date="2026-01-20",
        action="issue",
        frequency="weekly",
        interval=4,
    )
    assert run(database, settings, owner, date(2026, 3, 15)) == 5
    issued = [(i["issue_date"], i["number"], i["status"]) for i in invoices(client, owner)]
    assert issued == [
        ("2026-01-10", "F-2026-00001", "issued"),
        ("2026-01-20", "F-2026-00002", "issued"),
        ("2026-02-10", "F-2026-00003", "issued"),
        ("2026-02-17", "F-2026-00004", "issued"),
        ("2026-03-10", "F-2026-00005", "issued"),
    ]


def test_issue_and_send_mails_the_invoice(
    client: TestClient,
    owner: Account,
    database: Database,
    settings: Settings,
    worker: Worker,
    smtp: SmtpServer,
) -> None:
    acme = customer(client, owner)
    made(client, owner, customer=acme["id"], start_date="2026-02-01", action="issue_and_send")
    assert run(database, settings, owner, date(2026, 2, 1)) == 1
    [sent] = invoices(client, owner)
    assert (sent["number"], sent["status"]) == ("F-2026-00001", "sent")
    worker.drain()
    [message] = received(smtp)
    assert message["To"] == "ap@acme.test"
    assert message["Subject"] == "Facture F-2026-00001 de Owner Org SARL"
    assert pdf_of(message)[0] == "F-2026-00001.pdf"


def failures(database: Database) -> list[OutboxEvent]:
    with database.unit_of_work() as session, all_tenants(session):
        return list(
            session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == "recurring_invoice.failed")
            )
        )


def test_a_failing_date_pauses_the_template_and_leaves_nothing_behind(
    client: TestClient, owner: Account, database: Database, settings: Settings
) -> None:
    mute = customer(client, owner, name="Mute", email=None)
    acme = customer(client, owner)
    broken = made(
        client, owner, customer=mute["id"], start_date="2026-02-01", action="issue_and_send"
    )
    fine = made(client, owner, customer=acme["id"], start_date="2026-02-05", action="issue")
    assert run(database, settings, owner, date(2026, 2, 10)) == 1
    paused = fetch(client, owner, broken["id"])
    assert paused["status"] == "paused"
    assert paused["invoices_created"] == 0
    assert paused["last_error"].startswith("2026-02-01: ")
    assert "no e-mail address" in paused["last_error"]
    assert paused["next_date"] == "2026-02-01"
    # The failed date took no number: the other template's invoice is the first.
    assert [(i["number"], i["customer"]["id"]) for i in invoices(client, owner)] == [
        ("F-2026-00001", acme["id"])
    ]
    assert fetch(client, owner, fine["id"])["status"] == "active"
    [event] = failures(database)
    assert event.payload["id"] == broken["id"]
    trail = client.get(
        "/api/v1/audit-events?action=recurring_invoice.failed", headers=owner.headers
    ).json()
    assert len(trail["items"]) == 1
    assert run(database, settings, owner, date(2026, 2, 11)) == 0  # paused: not retried

    # Fixed and resumed, the missed date is tried again: now the numbering refuses it, as
    # an invoice dated after it was issued meanwhile. Skipping to a later date mends it.
    client.patch(
        f"/api/v1/customers/{mute['id']}", headers=owner.headers, json={"email": "m@mute.test"}
    )
    path = f"/api/v1/recurring-invoices/{broken['id']}"
    resumed = client.post(f"{path}/resume", headers=owner.headers)
    assert (resumed.json()["status"], resumed.json()["last_error"]) == ("active", None)
    assert run(database, settings, owner, date(2026, 2, 12)) == 0
    refused = fetch(client, owner, broken["id"])
    assert refused["status"] == "paused"
    assert "numbers must follow dates" in refused["last_error"]
    client.patch(path, headers=owner.headers, json={"next_date": "2026-03-01"})
    client.post(f"{path}/resume", headers=owner.headers)
    assert run(database, settings, owner, date(2026, 3, 1)) == 1
    assert [(i["issue_date"], i["number"], i["status"]) for i in invoices(client, owner)] == [
        ("2026-02-05", "F-2026-00001", "issued"),
        ("2026-03-01", "F-2026-00002", "sent"),
    ]


def test_an_archived_customer_pauses_a_draft_template(
    client: TestClient, owner: Account, database: Database, settings: Settings
) -> None:
    acme = customer(client, owner)
    template = made(client, owner, customer=acme["id"], start_date="2026-02-01")
    archived = client.patch(
        f"/api/v1/customers/{acme['id']}", headers=owner.headers, json={"archived": True}
    )
    assert archived.status_code == 200
    assert run(database, settings, owner, date(2026, 2, 1)) == 0
    paused = fetch(client, owner, template["id"])
    assert paused["status"] == "paused"
    assert "archived" in paused["last_error"]
    assert invoices(client, owner) == []


def test_run_now_pause_resume_and_patch(
    client: TestClient, owner: Account, database: Database, settings: Settings
) -> None:
    acme = customer(client, owner)
    future = (clock.now().date() + timedelta(days=20)).isoformat()
    template = made(client, owner, customer=acme["id"], start_date=future, frequency="weekly")
    path = f"/api/v1/recurring-invoices/{template['id']}"

    now = client.post(f"{path}/run", headers=owner.headers)
    assert now.status_code == 201, now.text
    assert now.json()["issue_date"] == clock.now().date().isoformat()
    assert now.json()["status"] == "draft"
    moved = fetch(client, owner, template["id"])
    assert moved["next_date"] == (date.fromisoformat(future) + timedelta(weeks=1)).isoformat()
    assert moved["invoices_created"] == 1

    paused = client.post(f"{path}/pause", headers=owner.headers)
    assert paused.json()["status"] == "paused"
    refused = client.post(f"{path}/run", headers=owner.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "paused"
    assert client.post(f"{path}/resume", headers=owner.headers).json()["status"] == "active"

    skipped = client.patch(path, headers=owner.headers, json={"next_date": "2027-01-04"})
    assert skipped.status_code == 200, skipped.text
    assert skipped.json()["next_date"] == "2027-01-04"
    late_start = client.patch(path, headers=owner.headers, json={"start_date": "2026-01-01"})
    assert late_start.status_code == 422
    assert late_start.json()["errors"][0]["field"] == "start_date"
    renamed = client.patch(
        path,
        headers=owner.headers,
        json={"name": "Hosting (yearly)", "frequency": "yearly", "action": "issue"},
    )
    assert (renamed.json()["name"], renamed.json()["frequency"]) == ("Hosting (yearly)", "yearly")
    ends = client.patch(path, headers=owner.headers, json={"end_date": "2027-01-01"})
    assert ends.status_code == 422
    assert ends.json()["errors"][0]["field"] == "next_date"

    assert client.delete(path, headers=owner.headers).status_code == 204
    assert client.get(path, headers=owner.headers).status_code == 404
    # The invoice it made stays.
    assert len(invoices(client, owner)) == 1


def test_an_ended_schedule_cannot_run_or_resume(
    client: TestClient, owner: Account, database: Database, settings: Settings
) -> None:
    acme = customer(client, owner)
    template = made(
        client,
        owner,
        customer=acme["id"],
        start_date="2026-02-01",
        end_date="2026-02-01",
        frequency="yearly",
    )
    assert run(database, settings, owner, date(2026, 3, 1)) == 1
    path = f"/api/v1/recurring-invoices/{template['id']}"
    assert fetch(client, owner, template["id"])["status"] == "ended"
    for action in ("run", "resume", "pause"):
        answer = client.post(f"{path}/{action}", headers=owner.headers)
        assert answer.status_code == 409, action
        assert answer.json()["code"] == "schedule_ended"
    listed = client.get("/api/v1/recurring-invoices?status=ended", headers=owner.headers).json()
    assert [t["id"] for t in listed["items"]] == [template["id"]]
    assert (
        client.get("/api/v1/recurring-invoices?status=active", headers=owner.headers).json()[
            "items"
        ]
        == []
    )


def test_bad_input_is_refused_field_by_field(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner)
    bad = create(
        client,
        owner,
        customer=acme["id"],
        name=" ",
        frequency="monthly",
        interval=0,
        start_date="2026-03-01",
        end_date="2026-02-01",
        lines=[{"description": "Thing", "unit_price": "x"}],
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"name", "interval", "end_date"} <= fields
    assert any(field.startswith("lines[0]") for field in fields)
    assert create(client, owner, customer=acme["id"], lines=[]).status_code == 422
    assert create(client, owner, customer=acme["id"], frequency="daily").status_code == 422
    assert create(client, owner, customer=acme["id"], interval=53).status_code == 422
    assert create(client, owner, customer=acme["id"], action="mail").status_code == 422
    assert create(client, owner, customer="nobody").status_code == 422
    assert create(client, owner, customer=acme["id"], currency="XXXX").status_code == 422
    taxless = create(
        client, owner, customer=acme["id"], lines=[{**LINES[0], "tax_codes": ["NOPE"]}]
    )
    assert taxless.status_code == 422
    far = create(client, owner, customer=acme["id"], start_date="9999-12-31")
    assert far.status_code == 422
    assert far.json()["errors"][0]["field"] == "start_date"
    # Used by a template, a customer is archived rather than deleted, and a product too.
    product = client.post(
        "/api/v1/products",
        headers=owner.headers,
        json={"name": "Backup", "sku": "BKP-1", "unit_price": "9.00"},
    )
    assert product.status_code == 201, product.text
    made(client, owner, customer=acme["id"], lines=[{"product": "BKP-1", "tax_codes": []}])
    customer_path = f"/api/v1/customers/{acme['id']}"
    assert client.delete(customer_path, headers=owner.headers).status_code == 409
    product_path = f"/api/v1/products/{product.json()['id']}"
    assert client.delete(product_path, headers=owner.headers).status_code == 409


def test_other_organizations_templates_are_not_found(
    client: TestClient, owner: Account, database: Database, settings: Settings
) -> None:
    acme = customer(client, owner)
    template = made(client, owner, customer=acme["id"])
    other = register(client, "other@example.com")
    path = f"/api/v1/recurring-invoices/{template['id']}"
    assert client.get(path, headers=other.headers).status_code == 404
    assert client.patch(path, headers=other.headers, json={"name": "x"}).status_code == 404
    assert client.delete(path, headers=other.headers).status_code == 404
    for action in ("pause", "resume", "run"):
        assert client.post(f"{path}/{action}", headers=other.headers).status_code == 404
    assert client.get("/api/v1/recurring-invoices", headers=other.headers).json()["items"] == []
    assert create(client, other, customer=acme["id"]).status_code == 422
    # The other organization's run makes nothing of this one's templates.
    assert run(database, settings, other, date(2026, 6, 1)) == 0
    assert fetch(client, owner, template["id"])["invoices_created"] == 0


def test_the_worker_task_makes_todays_invoices(
    client: TestClient, owner: Account, database: Database, settings: Settings
) -> None:
    acme = customer(client, owner)
    template = made(client, owner, customer=acme["id"], start_date="2026-02-01")
    worker = Worker(
        database,
        settings,
        name="test",
        periodic_tasks={
            "sales.run_recurring_invoices": (timedelta(hours=1), tasks.run_recurring_invoices)
        },
    )
    target = datetime(2026, 2, 1, 9, tzinfo=UTC)
    with clock.travel(target - clock.now()):
        assert worker.run_periodic() == 1
        worker.drain()
    assert fetch(client, owner, template["id"])["invoices_created"] == 1
    assert [i["issue_date"] for i in invoices(client, owner)] == ["2026-02-01"]


def test_a_second_run_on_the_same_day_makes_nothing_twice(
    client: TestClient, owner: Account, database: Database, settings: Settings
) -> None:
    acme = customer(client, owner)
    made(client, owner, customer=acme["id"], start_date="2026-02-01", action="issue")
    invoice(client, owner, acme["id"], issue_date="2026-01-15")
    assert run(database, settings, owner, date(2026, 2, 1)) == 1
    assert run(database, settings, owner, date(2026, 2, 1)) == 0
    assert [i["number"] for i in invoices(client, owner)] == ["F-2026-00001", "F-2026-00002"]


def test_runs_at_the_same_time_make_each_invoice_once(
    client: TestClient, owner: Account, database: Database, settings: Settings
) -> None:
    acme = customer(client, owner)
    for start in ("2026-01-05", "2026-01-12", "2026-01-19"):
        made(client, owner, customer=acme["id"], start_date=start, action="issue")
    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(
            pool.map(lambda _: run(database, settings, owner, date(2026, 3, 1)), range(4))
        )
    assert sum(counts) == 6
    numbers = [i["number"] for i in invoices(client, owner)]
    assert numbers == [f"F-2026-{n:05}" for n in range(1, 7)]
