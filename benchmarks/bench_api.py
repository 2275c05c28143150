"""Latency of the foundation's hot paths, in process (no network), on SQLite or PostgreSQL.

    .venv/bin/python benchmarks/bench_api.py [--database-url URL] [--requests N]

Prints median and 95th-percentile latency of: an authenticated request
(GET /api/v1/auth/me: token check, session, membership), a list of 50 audit events out
of 20,000, and a log-in (dominated by the argon2id hash, on purpose).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert

from comptoir.app import create_app
from comptoir.audit.models import AuditEvent
from comptoir.kit import migrations
from comptoir.kit.db import Database
from comptoir.kit.ids import new_id
from comptoir.kit.settings import Settings

PASSWORD = "benchmark-passphrase-42"


def measure(label: str, count: int, call: Callable[[], int]) -> None:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        status = call()
        timings.append((time.perf_counter() - started) * 1000)
        assert status < 400, f"{label} answered {status}"
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(
        f"{label:<44} n={count:<5} median {statistics.median(timings):7.2f} ms   p95 {p95:7.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="defaults to a fresh SQLite file")
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="comptoir-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    migrations.upgrade(url)
    database = Database(url)
    settings = Settings(
        env="test",
        data_dir=workdir,
        database_url=url,
        secret_key="benchmark-secret-key-0123456789abcdef",
        log_format="text",
        log_level="WARNING",
    )
    print(
        f"Comptoir API benchmark on {database.engine.dialect.name}; "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    with TestClient(create_app(settings, database)) as client:
        registered = client.post(
            "/api/v1/auth/register",
            json={
                "email": "bench@example.com",
                "password": PASSWORD,
                "organization_name": "Bench SARL",
                "country": "FR",
                "base_currency": "EUR",
            },
        ).json()
        headers = {"Authorization": f"Bearer {registered['access_token']}"}
        organization_id = registered["organization"]["id"]
        with database.engine.begin() as conn:
            conn.execute(
                insert(AuditEvent),
                [
                    {
                        "id": new_id(),
                        "organization_id": uuid.UUID(organization_id),
                        "action": "bench.event",
                        "target_type": "thing",
                        "target_id": str(i),
                        "occurred_at": datetime.now(UTC),
                    }
                    for i in range(20_000)
                ],
            )
        measure(
            "GET /api/v1/auth/me",
            args.requests,
            lambda: client.get("/api/v1/auth/me", headers=headers).status_code,
        )
        measure(
            "GET /api/v1/audit-events?limit=50 (20k rows)",
            args.requests // 5,
            lambda: client.get("/api/v1/audit-events?limit=50", headers=headers).status_code,
        )
        measure(
            "POST /api/v1/auth/login (argon2id)",
            20,
            lambda: (
                client.post(
                    "/api/v1/auth/login", json={"email": "bench@example.com", "password": PASSWORD}
                ).status_code
            ),
        )


if __name__ == "__main__":
    main()
