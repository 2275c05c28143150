"""Payment reminders: the organization's schedule walked day by day, over real SMTP."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.settings import Settings
from comptoir.kit.tenancy import as_organization
from comptoir.sales import tasks
from comptoir.sales.service import reminders
from comptoir.worker.runner import Worker
from tests.conftest import Account, register
from tests.mail.smtp import SmtpServer, settings, smtp
from tests.sales.helpers import customer, invoice, pay
from tests.sales.mailbox import pdf_of, received, text_of

__all__ = ["settings", "smtp"]

DUE = date(2026, 3, 3)


def schedule(client: TestClient, owner: Account, offsets: list[int], enabled: bool = True) -> None:
    answer = client.patch(
        "/api/v1/sales/settings",
        headers=owner.headers,
        json={"reminders_enabled": enabled, "reminder_offsets": offsets},
    )
    assert answer.status_code == 200, answer.text


def run(database: Database, settings: Settings, owner: Account, on: date) -> int:
    with (
        database.unit_of_work() as session,
        as_organization(session, uuid.UUID(owner.organization_id)),
    ):
        return reminders.send_due_reminders(session, settings, on)


def log(client: TestClient, owner: Account, invoice_id: str) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/invoices/{invoice_id}/reminders", headers=owner.headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def timeline(client: TestClient, owner: Account, invoice_id: str, kind: str) -> list[Any]:
    detail = client.get(f"/api/v1/invoices/{invoice_id}", headers=owner.headers).json()
    return [event["detail"] for event in detail["timeline"] if event["kind"] == kind]


def test_each_step_of_the_schedule_is_sent_once(
    client: TestClient,
    owner: Account,
    database: Database,
    settings: Settings,
    worker: Worker,
    smtp: SmtpServer,
) -> None:
    schedule(client, owner, [-3, 7, 30])
    acme = customer(client, owner)
    late = invoice(client, owner, acme["id"], due_date=DUE.isoformat())

    walk = {
        DUE - timedelta(days=4): 0,
        DUE - timedelta(days=3): 1,
        DUE: 0,
        DUE + timedelta(days=6): 0,
        DUE + timedelta(days=7): 1,
        DUE + timedelta(days=8): 0,
        DUE + timedelta(days=30): 1,
        DUE + timedelta(days=90): 0,
    }
    for day, expected in walk.items():
        assert run(database, settings, owner, day) == expected, day
        assert run(database, settings, owner, day) == 0, day  # a second run finds it done

    worker.drain()
    mails = received(smtp)
    assert [m["Subject"] for m in mails] == ["Relance : facture F-2026-00001"] * 3
    assert all(m["To"] == "ap@acme.test" for m in mails)
    assert "1\u202f200,00\xa0€" in text_of(mails[0])
    assert pdf_of(mails[0])[0] == "F-2026-00001.pdf"
    steps = log(client, owner, late["id"])
    assert [(s["offset_days"], s["to"], s["status"]) for s in steps] == [
        (-3, "ap@acme.test", "sent"),
        (7, "ap@acme.test", "sent"),
        (30, "ap@acme.test", "sent"),
    ]
    reminded = timeline(client, owner, late["id"], "reminded")
    assert [(r["offset_days"], r["days_overdue"], r["skipped"]) for r in reminded] == [
        (-3, 0, []),
        (7, 7, []),
        (30, 30, []),
    ]
    assert reminded[0]["delivery"] == [{"to": "ap@acme.test", "status": "sent"}]


def test_after_a_gap_only_the_latest_step_is_sent(
    client: TestClient, owner: Account, database: Database, settings: Settings
) -> None:
    acme = customer(client, owner)
    late = invoice(client, owner, acme["id"], due_date=DUE.isoformat())
    schedule(client, owner, [-3, 7, 30])
    assert run(database, settings, owner, DUE + timedelta(days=40)) == 1
    assert run(database, settings, owner, DUE + timedelta(days=41)) == 0
    assert [s["offset_days"] for s in log(client, owner, late["id"])] == [30]
    [reminded] = timeline(client, owner, late["id"], "reminded")
    assert reminded["skipped"] == [-3, 7]


def test_paying_stops_the_reminders_and_a_part_payment_lowers_the_amount(
    client: TestClient,
    owner: Account,
    database: Database,
    settings: Settings,
    worker: Worker,
    smtp: SmtpServer,
) -> None:
    schedule(client, owner, [-3, 7, 30])
    acme = customer(client, owner)
    paid = invoice(client, owner, acme["id"], due_date=DUE.isoformat())
    part = invoice(client, owner, acme["id"], due_date=DUE.isoformat())
    assert run(database, settings, owner, DUE - timedelta(days=3)) == 2
    pay(client, owner, acme["id"], "1200.00", [(paid["id"], "1200.00")])
    pay(client, owner, acme["id"], "400.00", [(part["id"], "400.00")])
    assert run(database, settings, owner, DUE + timedelta(days=7)) == 1
    assert run(database, settings, owner, DUE + timedelta(days=30)) == 1
    assert [s["offset_days"] for s in log(client, owner, paid["id"])] == [-3]
    assert [s["offset_days"] for s in log(client, owner, part["id"])] == [-3, 7, 30]
    worker.drain()
    last = [m for m in received(smtp) if "F-2026-00002" in m["Subject"]][-1]
    assert "800,00\xa0€" in text_of(last)


def test_cancelled_and_draft_invoices_are_not_reminded(
    client: TestClient, owner: Account, database: Database, settings: Settings
) -> None:
    schedule(client, owner, [7])
    acme = customer(client, owner)
    cancelled = invoice(client, owner, acme["id"], due_date=DUE.isoformat())
    client.post(f"/api/v1/invoices/{cancelled['id']}/cancel", headers=owner.headers)
    invoice(client, owner, acme["id"], due_date=DUE.isoformat(), issue=False)
    assert run(database, settings, owner, DUE + timedelta(days=7)) == 0


def test_a_step_before_the_invoice_was_issued_is_never_due(
    client: TestClient, owner: Account, database: Database, settings: Settings
) -> None:
    schedule(client, owner, [-3, 7])
    acme = customer(client, owner)
    quick = invoice(client, owner, acme["id"], issue_date="2026-03-01", due_date="2026-03-02")
    assert run(database, settings, owner, date(2026, 3, 1)) == 0
    assert run(database, settings, owner, date(2026, 3, 9)) == 1
    assert timeline(client, owner, quick["id"], "reminded")[0]["skipped"] == []


def test_switched_off_or_elsewhere_nothing_is_sent(
    client: TestClient, owner: Account, database: Database, settings: Settings
) -> None:
    acme = customer(client, owner)
    mine = invoice(client, owner, acme["id"], due_date=DUE.isoformat())
    other = register(client, "other@example.com")
    theirs = invoice(client, other, customer(client, other)["id"], due_date=DUE.isoformat())
    schedule(client, other, [7])
    schedule(client, owner, [7], enabled=False)
    assert run(database, settings, owner, DUE + timedelta(days=7)) == 0
    assert log(client, owner, mine["id"]) == []
    assert log(client, other, theirs["id"]) == []  # the owner's run left the other alone
    assert run(database, settings, other, DUE + timedelta(days=7)) == 1
    assert len(log(client, other, theirs["id"])) == 1
    assert (
        client.get(f"/api/v1/invoices/{theirs['id']}/reminders", headers=owner.headers).status_code
        == 404
    )


def test_a_customer_without_address_is_noted_once_per_step(
    client: TestClient, owner: Account, database: Database, settings: Settings
) -> None:
    schedule(client, owner, [7, 30])
    mute = customer(client, owner, name="Mute", email=None)
    late = invoice(client, owner, mute["id"], due_date=DUE.isoformat())
    assert run(database, settings, owner, DUE + timedelta(days=7)) == 0
    assert run(database, settings, owner, DUE + timedelta(days=8)) == 0
    [step] = log(client, owner, late["id"])
    assert (step["offset_days"], step["to"], step["status"]) == (7, None, "no_address")
    [skipped] = timeline(client, owner, late["id"], "reminder_skipped")
    assert skipped["offset_days"] == 7
    assert "no e-mail address" in skipped["reason"]
    assert timeline(client, owner, late["id"], "reminded") == []


def test_the_worker_task_sends_todays_reminders(
    client: TestClient,
    owner: Account,
    database: Database,
    settings: Settings,
    smtp: SmtpServer,
) -> None:
    schedule(client, owner, [7])
    acme = customer(client, owner)
    late = invoice(client, owner, acme["id"], due_date=DUE.isoformat())
    worker = Worker(
        database,
        settings,
        name="test",
        periodic_tasks={"sales.send_reminders": (timedelta(hours=1), tasks.send_reminders)},
    )
    target = datetime.combine(DUE + timedelta(days=7), datetime.min.time(), tzinfo=UTC)
    with clock.travel(target + timedelta(hours=9) - clock.now()):
        assert worker.run_periodic() == 1
        worker.drain()
        assert worker.run_periodic() == 0  # hourly: not due again yet
    assert [s["offset_days"] for s in log(client, owner, late["id"])] == [7]
    assert [m["Subject"] for m in received(smtp)] == ["Relance : facture F-2026-00001"]


def test_runs_at_the_same_time_send_each_reminder_once(
    client: TestClient, owner: Account, database: Database, settings: Settings
) -> None:
    schedule(client, owner, [7])
    acme = customer(client, owner)
    late = [invoice(client, owner, acme["id"], due_date=DUE.isoformat()) for _ in range(5)]
    on = DUE + timedelta(days=7)
    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(pool.map(lambda _: run(database, settings, owner, on), range(4)))
    assert sum(counts) == 5
    assert all(len(log(client, owner, i["id"])) == 1 for i in late)
    assert all(len(timeline(client, owner, i["id"], "reminded")) == 1 for i in late)
