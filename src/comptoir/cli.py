"""The ``comptoir`` command."""

from __future__ import annotations

import getpass
import logging
import os
import threading
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from comptoir import demo as demo_company
from comptoir import wiring
from comptoir.app import create_app
from comptoir.identity.models import Organization
from comptoir.identity.roles import Role
from comptoir.identity.service import accounts, addresses, demo, members
from comptoir.kit import logging as app_logging
from comptoir.kit import migrations
from comptoir.kit.db import Database
from comptoir.kit.errors import DomainError
from comptoir.kit.settings import ConfigurationError, get_settings
from comptoir.worker.runner import Worker

app = typer.Typer(
    help="Comptoir: accounting and operations for small businesses.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.callback()
def _connect_domains() -> None:
    wiring.connect()


app.add_typer(user_app, name="user")
console = Console()
log = logging.getLogger("comptoir")


def _database() -> Database:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Database(settings.effective_database_url)


def _upgrade() -> None:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrations.upgrade(settings.effective_database_url)


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]Error:[/] {message}")
    return typer.Exit(code=1)


def _print_demo(logins: list[demo.DemoLogin], organization: Organization) -> None:
    table = Table(title=f"Demo company: {organization.legal_name}")
    table.add_column("Role")
    table.add_column("E-mail")
    table.add_column("Password")
    for login in logins:
        table.add_row(login.role.value, login.email, login.password)
    console.print(table)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations."""
    _upgrade()
    console.print("Database is up to date.")


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the database and whether migrations are pending."""
    database = _database()
    current = sorted(migrations.current_revisions(database.engine)) or ["(empty)"]
    pending = migrations.pending_revisions(database.engine)
    console.print(f"Current revision: {', '.join(current)}")
    console.print("Pending: " + (", ".join(pending) if pending else "none"))


@app.command("demo")
def demo_command() -> None:
    """Create the demo organization with one user per role, and print their logins."""
    _upgrade()
    database = _database()
    with database.unit_of_work() as session:
        organization, logins = demo_company.ensure(session)
    _print_demo(logins, organization)


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="The user's e-mail address")],
    role: Annotated[Role, typer.Option(help="Role in the organization")],
    organization: Annotated[str, typer.Option(help="Organization id or exact legal name")],
    name: Annotated[str, typer.Option(help="Display name")] = "",
    password: Annotated[
        str | None,
        typer.Option(help="Password (asked for when omitted)", envvar="COMPTOIR_USER_PASSWORD"),
    ] = None,
) -> None:
    """Create a user (or reuse an existing one) and make them a member with ROLE."""
    database = _database()
    try:
        with database.unit_of_work() as session:
            org = members.find_organization(session, organization)
            address = addresses.normalize_email(email)
            if accounts.find_user(session, address) is None and password is None:
                password = getpass.getpass("Password: ")
            members.add_user(session, org, address, role, password=password or "", name=name)
    except DomainError as exc:
        raise _fail(exc.detail) from None
    console.print(f"{address} is now {role.value} of {org.legal_name}.")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Do not run the background worker in this process")
    ] = False,
    demo_data: Annotated[
        bool, typer.Option("--demo", help="Create the demo company first")
    ] = False,
    workers: Annotated[int, typer.Option(help="HTTP worker processes")] = 1,
) -> None:
    """Apply migrations, then serve the API and the web UI (with the worker unless --no-worker)."""
    settings = get_settings()
    app_logging.configure(settings.log_level, settings.effective_log_format)
    try:
        settings.resolved_secret_key()
    except ConfigurationError as exc:
        raise _fail(str(exc)) from None
    _upgrade()
    if demo_data:
        demo_command()
    console.print(f"Comptoir is listening on http://{host}:{port}")
    if workers > 1:
        os.environ["COMPTOIR_RUN_WORKER"] = "0" if no_worker else "1"
        uvicorn.run(
            "comptoir.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            proxy_headers=settings.trusted_proxies,
        )
        return
    uvicorn.run(
        create_app(settings, worker=not no_worker),
        host=host,
        port=port,
        log_config=None,
        proxy_headers=settings.trusted_proxies,
    )


@app.command("worker")
def worker() -> None:
    """Run the background worker: outbox dispatch, jobs and periodic tasks."""
    settings = get_settings()
    app_logging.configure(settings.log_level, settings.effective_log_format)
    stop = threading.Event()
    runner = Worker(_database(), settings)
    try:
        runner.run_forever(stop)
    except KeyboardInterrupt:
        stop.set()


def main() -> None:
    app()
