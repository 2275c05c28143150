"""Test fixtures: a real database per test (SQLite file or PostgreSQL), the app, the worker.

The suite runs on SQLite by default and on PostgreSQL when ``COMPTOIR_TEST_DATABASE_URL``
points at a server. Migrations run once into a template (a file on SQLite, a template
database on PostgreSQL); each xdist worker then gets its own copy, and each test starts
from an empty schema (a fresh file copy on SQLite, emptied tables on PostgreSQL).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from comptoir import wiring
from comptoir.app import create_app
from comptoir.identity.service import passwords
from comptoir.kit import migrations
from comptoir.kit.db import Database
from comptoir.kit.settings import Settings
from comptoir.outbox import catalog
from comptoir.schema import metadata
from comptoir.worker.runner import Worker

PG_URL = os.environ.get("COMPTOIR_TEST_DATABASE_URL", "")
# Production-strength argon2 takes 160 ms a hash: most of what registering costs, and the
# suite registers and logs in thousands of times.
passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
PASSWORD = "a-Sturdy-passphrase-42"
# Every event a test emits must be catalogued: the catalogue is filled by the wiring, so
# connect it first.
wiring.connect()
catalog.STRICT = True


def _schema_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(migrations.migrations_dir().rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _worker_id(config: pytest.Config) -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database to copy from: a file path on SQLite, a db name on PostgreSQL."""
    if not PG_URL:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        migrations.upgrade(f"sqlite:///{path}")
        return str(path)
    name = f"comptoir_tpl_{_schema_fingerprint()}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        # One xdist worker builds the template; the others wait on the advisory lock.
        conn.execute(text("SELECT pg_advisory_lock(727274)"))
        try:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
            if not exists:
                building = f"{name}_building_{uuid.uuid4().hex[:6]}"
                conn.execute(text(f'CREATE DATABASE "{building}"'))
                url = make_url(PG_URL).set(database=building)
                migrations.upgrade(url.render_as_string(hide_password=False))
                conn.execute(text(f'ALTER DATABASE "{building}" RENAME TO "{name}"'))
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(727274)"))
    admin.dispose()
    return name


@contextmanager
def cloned_pg_database(template: str, label: str) -> Iterator[str]:
    """A PostgreSQL database copied from the migrated template, dropped afterwards."""
    name = f"comptoir_{label}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_worker_database(database_template: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """This xdist worker's own PostgreSQL database, cloned from the template."""
    if not PG_URL:
        yield ""
        return
    with cloned_pg_database(database_template, f"test_{_worker_id(request.config)}") as url:
        yield url


@pytest.fixture
def database_url(database_template: str, pg_worker_database: str, tmp_path: Path) -> str:
    if not PG_URL:
        path = tmp_path / "comptoir.sqlite3"
        shutil.copyfile(database_template, path)
        return f"sqlite:///{path}"
    return pg_worker_database


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    if not db.is_sqlite:
        empty_pg_database(db)
    db.dispose()


def empty_pg_database(db: Database) -> None:
    """Delete every row, with triggers and foreign-key checks off: several times faster
    than TRUNCATE on tables this small (TRUNCATE rewrites every file of every table)."""
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        env="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        base_url="http://testserver",
        log_format="text",
    )


@pytest.fixture
def app(settings: Settings, database: Database) -> Any:
    return create_app(settings, database)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def worker(database: Database, settings: Settings) -> Worker:
    return Worker(database, settings, name="test")


@dataclass
class Account:
    """A registered user and their organization, with ready-made auth headers."""

    email: str
    password: str
    user_id: str
    organization_id: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def register(
    client: TestClient,
    email: str | None = None,
    *,
    organization_name: str = "Acme SARL",
    country: str = "FR",
    base_currency: str = "EUR",
) -> Account:
    address = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
    response = client.post(
        "/api/v1/auth/register",
        json={
            "email": address,
            "password": PASSWORD,
            "organization_name": organization_name,
            "country": country,
            "base_currency": base_currency,
            "name": "Test User",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(
        email=address,
        password=PASSWORD,
        user_id=body["user"]["id"],
        organization_id=body["organization"]["id"],
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
    )


def login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def owner(client: TestClient) -> Account:
    return register(client, organization_name="Owner Org SARL")
