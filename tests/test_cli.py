"""The ``comptoir`` command: demo data, users, migrations, settings checks, and a real serve."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from comptoir.cli import app
from comptoir.kit.settings import get_settings
from tests.mail.smtp import free_port

runner = CliRunner()


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str
) -> Iterator[dict[str, str]]:
    env = {
        "COMPTOIR_DATA_DIR": str(tmp_path / "data"),
        "COMPTOIR_DATABASE_URL": database_url,
        "COMPTOIR_LOG_FORMAT": "text",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()


def test_demo_is_idempotent_and_prints_one_login_per_role(cli_env: dict[str, str]) -> None:
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    for role in (
        "owner",
        "admin",
        "accountant",
        "sales",
        "warehouse",
        "viewer",
        "client",
        "supplier",
    ):
        assert f"{role}@example.com" in first.output
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0
    assert second.output == first.output


def test_demo_company_has_balanced_books(cli_env: dict[str, str], database_url: str) -> None:
    from datetime import date

    from comptoir.identity.service import demo
    from comptoir.kit.db import Database
    from comptoir.kit.tenancy import set_organization
    from comptoir.ledger.service import reports

    runner.invoke(app, ["demo"])
    database = Database(database_url)
    with database.unit_of_work(write=False) as session:
        organization, _ = demo.ensure_demo(session)
        set_organization(session, organization.id)
        balance = reports.trial_balance(session, date_from=None, date_to=date(2100, 1, 1))
    database.dispose()
    assert balance.balanced
    assert {row.code for row in balance.rows} >= {"512", "530", "701", "44571", "101"}


def test_demo_company_shows_every_state_of_the_sales_cycle(
    cli_env: dict[str, str], database_url: str
) -> None:
    from comptoir.identity.service import demo, members
    from comptoir.kit import ageing
    from comptoir.kit.db import Database
    from comptoir.kit.tenancy import set_organization
    from comptoir.sales.service import documents, receivables

    assert runner.invoke(app, ["demo"]).exit_code == 0
    assert runner.invoke(app, ["demo"]).exit_code == 0
    database = Database(database_url)
    with database.unit_of_work(write=False) as session:
        organization, _ = demo.ensure_demo(session)
        set_organization(session, organization.id)
        page = documents.list_documents(
            session, documents.DocumentFilter(kind="invoice"), limit=50, cursor=None
        )
        invoices = list(page.items)
        aged = receivables.aged_receivables(session, documents.today())
        client = next(m for m in members.list_members(session) if m.membership.role == "client")
        portal_party = client.membership.party_id
        customers = documents.customers_of(session, invoices)
    database.dispose()
    assert portal_party is not None and customers[portal_party].name == "Hôtel du Parc"
    assert len(invoices) == 5
    assert {i.status for i in invoices} == {"paid", "partially_paid", "issued", "draft"}
    assert sum(documents.is_overdue(i) for i in invoices) == 1
    assert ageing.total_of(aged).total == sum(documents.amount_due(i) for i in invoices if i.number)


def test_demo_company_shows_every_state_of_the_spending_cycle(
    cli_env: dict[str, str], database_url: str
) -> None:
    from comptoir.identity.roles import Role
    from comptoir.identity.service import demo, members
    from comptoir.kit.db import Database
    from comptoir.kit.tenancy import set_organization
    from comptoir.purchases.service import bills, expenses, inbox, payables

    assert runner.invoke(app, ["demo"]).exit_code == 0
    assert runner.invoke(app, ["demo"]).exit_code == 0
    database = Database(database_url)
    with database.unit_of_work(write=False) as session:
        organization, _ = demo.ensure_demo(session)
        set_organization(session, organization.id)
        bill_list = list(
            bills.list_documents(session, bills.BillFilter(), limit=50, cursor=None).items
        )
        users = {m.membership.role: m.user.id for m in members.list_members(session)}
        everything = expenses.Viewer(users["owner"], Role.OWNER)
        expense_list = list(
            expenses.list_expenses(
                session, expenses.ExpenseFilter(), everything, limit=50, cursor=None
            ).items
        )
        waiting_for_admin = inbox.pending_for(session, users["admin"])
        owed = sum(line.total for line in payables.aged_payables(session, bills.today()))
    database.dispose()
    assert sorted(b.status for b in bill_list) == ["paid", "posted", "submitted"]
    assert sorted(e.status for e in expense_list) == ["paid", "posted", "rejected", "submitted"]
    assert {item.subject_type for item in waiting_for_admin} == {"bill", "expense"}
    # What is owed to suppliers is the one posted bill left unpaid.
    assert owed == next(b.gross for b in bill_list if b.status == "posted")


def test_db_upgrade_and_current(cli_env: dict[str, str]) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    current = runner.invoke(app, ["db", "current"])
    assert "Pending: none" in current.output


def test_user_create(cli_env: dict[str, str]) -> None:
    runner.invoke(app, ["demo"])
    created = runner.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            "Clerk@Example.org",
            "--role",
            "sales",
            "--organization",
            "Boulangerie Demo SARL",
            "--password",
            "a-Sturdy-passphrase-42",
        ],
    )
    assert created.exit_code == 0, created.output
    assert "clerk@example.org is now sales of Boulangerie Demo SARL" in created.output
    again = runner.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            "clerk@example.org",
            "--role",
            "viewer",
            "--organization",
            "Boulangerie Demo SARL",
        ],
    )
    assert again.exit_code == 1
    assert "already a member" in again.output
    weak = runner.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            "w@example.org",
            "--role",
            "sales",
            "--organization",
            "Boulangerie Demo SARL",
            "--password",
            "short",
        ],
    )
    assert weak.exit_code == 1
    assert "at least 10" in weak.output
    missing = runner.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            "m@example.org",
            "--role",
            "sales",
            "--organization",
            "No Such Company",
            "--password",
            "a-Sturdy-passphrase-42",
        ],
    )
    assert missing.exit_code == 1
    assert "no single organization" in missing.output


def test_production_refuses_to_start_without_a_secret(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPTOIR_ENV", "production")
    monkeypatch.delenv("COMPTOIR_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 1
    assert "COMPTOIR_SECRET_KEY is not set" in result.output


def test_development_secret_is_generated_once_and_kept(cli_env: dict[str, str]) -> None:
    settings = get_settings()
    key = settings.resolved_secret_key()
    assert len(key) >= 48
    assert settings.resolved_secret_key() == key
    assert (Path(cli_env["COMPTOIR_DATA_DIR"]) / "secret_key").stat().st_mode & 0o777 == 0o600


def test_serve_starts_with_the_demo_company(cli_env: dict[str, str]) -> None:
    port = free_port()
    env = {**os.environ, **cli_env}
    process = subprocess.Popen(
        [sys.executable, "-m", "comptoir", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    # Kill a server that never comes up, so that reading its output cannot hang the suite.
    watchdog = threading.Timer(90, process.kill)
    watchdog.start()
    try:
        base = f"http://127.0.0.1:{port}"
        output = []
        assert process.stdout is not None
        for raw in process.stdout:
            output.append(raw.decode(errors="replace"))
            if "Application startup complete" in output[-1]:
                break
        else:
            pytest.fail("comptoir serve exited:\n" + "".join(output))
        assert httpx.get(f"{base}/health/ready").json()["status"] == "ok"
        login = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"email": "owner@example.com", "password": "comptoir-demo"},
        )
        assert login.status_code == 200
        assert login.json()["organization"]["legal_name"] == "Boulangerie Demo SARL"
        assert httpx.get(f"{base}/login").status_code == 200
    finally:
        watchdog.cancel()
        process.terminate()
        process.wait(timeout=20)
