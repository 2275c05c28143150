"""A worker killed with SIGKILL in the middle of a burst loses no webhook: once its lease
runs out, the next worker sends what it had claimed (at least once)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from comptoir.kit.db import Database
from comptoir.kit.settings import Settings
from comptoir.webhooks.service import messages
from comptoir.worker.runner import Worker
from tests.conftest import Account
from tests.webhooks.conftest import add_endpoint, deliveries, emit
from tests.webhooks.receiver import Answer, Receiver

BURST = 300
WORKER = (
    "import threading; from comptoir.kit.db import Database; "
    "from comptoir.kit.settings import Settings; from comptoir.worker.runner import Worker; "
    "settings = Settings(); "
    "Worker(Database(settings.effective_database_url), settings).run_forever(threading.Event())"
)


@contextmanager
def worker_process(settings: Settings, data_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "COMPTOIR_ENV": "test",
        "COMPTOIR_DATA_DIR": str(data_dir),
        "COMPTOIR_DATABASE_URL": settings.effective_database_url,
        "COMPTOIR_SECRET_KEY": "durability-test-secret-key-0123456789abcdef",
        "COMPTOIR_LOG_LEVEL": "WARNING",
        "COMPTOIR_WORKER_POLL_SECONDS": "0.05",
        "COMPTOIR_WEBHOOKS_ALLOW_PRIVATE": "true",
        "COMPTOIR_WEBHOOK_LEASE_SECONDS": "2",
        "COMPTOIR_WEBHOOK_CONCURRENCY": "4",
    }
    process = subprocess.Popen([sys.executable, "-c", WORKER], env=env)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_killed_worker_loses_no_delivery(
    database: Database, settings: Settings, worker: Worker, owner: Account, tmp_path: Path
) -> None:
    worker.drain()
    with Receiver().running() as receiver:
        endpoint = add_endpoint(database, owner.organization_id, receiver.url)
        receiver.secrets.append(endpoint.secret)
        for _ in range(BURST):
            emit(database, owner.organization_id)
        while worker.dispatch_events():
            pass
        expected = {messages.message_id(d.id) for d in deliveries(database)}
        assert len(expected) == BURST

        # The 30th request gets no answer: the worker is in the middle of a batch when it dies.
        receiver.answer(*[Answer()] * 29, Answer(hang=True))
        with worker_process(settings, tmp_path / "first") as first:
            assert len(receiver.wait_for(30, timeout=60)) >= 30
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        statuses = [d.status for d in deliveries(database)]
        assert statuses.count("succeeded") < BURST
        assert "delivering" in statuses  # claimed by the dead worker, never recorded

        with worker_process(settings, tmp_path / "second"):
            _wait(
                lambda: {r.webhook_id for r in receiver.received} >= expected,
                timeout=90,
                what="every delivery to reach the receiver",
            )
            _wait(
                lambda: all(d.status == "succeeded" for d in deliveries(database)),
                timeout=30,
                what="every delivery to be recorded",
            )
        assert all(r.verified for r in receiver.received)
        assert {r.webhook_id for r in receiver.received} == expected
