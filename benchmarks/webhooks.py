"""Webhook throughput: one worker process delivering a burst of events to a local receiver.

    .venv/bin/python benchmarks/webhooks.py [--database-url URL] [--events N]

Starts a receiver (a minimal ASGI app under uvicorn, in its own process, answering 204),
registers an organization with one endpoint subscribed to every event, writes ``--events``
outbox events in one transaction, then runs one worker (dispatch, fan-out into deliveries,
signing, concurrent HTTP, the delivery log) until every delivery has succeeded. Prints
deliveries per second over the whole run, the latency of the HTTP requests (p50, p95) and
the time from an event's commit to its successful delivery (p50, p95).
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from comptoir.app import create_app
from comptoir.kit import clock, migrations
from comptoir.kit.db import Database
from comptoir.kit.ids import new_id
from comptoir.kit.settings import Settings
from comptoir.kit.tenancy import all_tenants
from comptoir.outbox.models import OutboxEvent
from comptoir.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from comptoir.webhooks.service import messages
from comptoir.worker.runner import Worker

RECEIVER = """
import sys, uvicorn

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            access_log=False, http="httptools", loop="uvloop")
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_receiver() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])  # noqa: S603 - own code
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, port
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="defaults to a fresh SQLite file")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="comptoir-bench-webhooks-"))
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
        webhooks_allow_private=True,
        webhook_concurrency=args.concurrency,
    )
    print(
        f"Comptoir webhook benchmark on {database.engine.dialect.name}: {args.events} events, "
        f"concurrency {args.concurrency}; {os.cpu_count()} CPUs ({cpu_model()}), "
        f"Python {platform.python_version()}"
    )
    receiver, port = start_receiver()
    try:
        with TestClient(create_app(settings, database)) as client:
            registered = client.post(
                "/api/v1/auth/register",
                json={
                    "email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
                    "password": "benchmark-passphrase-42",
                    "organization_name": "Bench SARL",
                    "country": "FR",
                    "base_currency": "EUR",
                },
            ).json()
        organization_id = uuid.UUID(registered["organization"]["id"])
        worker = Worker(database, settings, name="bench", periodic_tasks={})
        worker.drain()  # the registration's own events, before the endpoint exists
        with database.unit_of_work() as session, all_tenants(session):
            endpoint = WebhookEndpoint(
                organization_id=organization_id,
                url=f"http://127.0.0.1:{port}/hooks",
                event_types=[],
                secret=messages.new_secret(),
                description="benchmark",
            )
            session.add(endpoint)
        with database.unit_of_work() as session:
            session.execute(
                insert(OutboxEvent),
                [
                    {
                        "id": new_id(),
                        "organization_id": organization_id,
                        "type": "customer.updated",
                        "payload": {"id": str(uuid.uuid4()), "name": f"Customer {i}"},
                        "occurred_at": clock.now(),
                    }
                    for i in range(args.events)
                ],
            )
        committed = clock.now()
        load = os.getloadavg()[0]
        started, started_cpu = time.perf_counter(), time.process_time()
        while worker.run_once():
            pass
        elapsed, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    finally:
        receiver.kill()
        receiver.wait()
    with database.unit_of_work(write=False) as session, all_tenants(session):
        succeeded = session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(
                WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "succeeded"
            )
        )
        durations = [
            float(ms)
            for ms in session.scalars(
                select(WebhookAttempt.duration_ms).where(WebhookAttempt.endpoint_id == endpoint.id)
            )
        ]
        delivered_after = [
            (at - committed) / timedelta(milliseconds=1)
            for at in session.scalars(
                select(WebhookDelivery.succeeded_at).where(
                    WebhookDelivery.endpoint_id == endpoint.id
                )
            )
            if at is not None
        ]
    assert succeeded == args.events, f"only {succeeded} of {args.events} delivered"
    print(
        f"delivered {succeeded} webhooks in {elapsed:.2f} s: {succeeded / elapsed:,.0f} per second"
    )
    # Other work on the machine slows the wall clock; CPU time says what the worker costs.
    print(
        f"worker CPU      {cpu:.2f} s, {cpu / succeeded * 1000:.2f} ms per delivery "
        f"({succeeded / cpu:,.0f} per CPU-second); load average {load:.1f} at the start"
    )
    print(
        f"HTTP request    p50 {statistics.median(durations):6.1f} ms   "
        f"p95 {percentile(durations, 0.95):6.1f} ms   ({len(durations)} attempts)"
    )
    print(
        f"commit to 2xx   p50 {statistics.median(delivered_after):6.0f} ms   "
        f"p95 {percentile(delivered_after, 0.95):6.0f} ms"
    )


if __name__ == "__main__":
    main()
