"""The worker loop. Several workers may run at once: on PostgreSQL they claim rows with
``FOR UPDATE SKIP LOCKED``; on SQLite ``BEGIN IMMEDIATE`` serializes the claims."""

from __future__ import annotations

import importlib
import logging
import random
import threading
import traceback
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Select, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from comptoir import wiring
from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.settings import Settings
from comptoir.kit.tenancy import all_tenants, set_organization
from comptoir.outbox.models import Job, OutboxEvent, ScheduledTask
from comptoir.worker import registry

log = logging.getLogger("comptoir.worker")

# Domains whose tasks modules register handlers when imported.
TASK_MODULES = (
    "comptoir.mail.tasks",
    "comptoir.identity.tasks",
    "comptoir.worker.housekeeping",
    "comptoir.sales.tasks",
    "comptoir.notifications.tasks",
    "comptoir.webhooks.tasks",
)
LEASE = timedelta(minutes=5)


def load_tasks() -> None:
    wiring.connect()
    for module in TASK_MODULES:
        importlib.import_module(module)


def backoff(attempt: int) -> timedelta:
    """5 s, 10 s, 20 s ... capped at one hour, with up to 20 % jitter."""
    base = min(5 * 2 ** max(0, attempt - 1), 3600)
    return timedelta(seconds=base * (1 + random.random() * 0.2))  # noqa: S311 - jitter only


class Worker:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        *,
        name: str | None = None,
        periodic_tasks: Mapping[str, tuple[timedelta, registry.PeriodicTask]] | None = None,
        pumps: Mapping[str, registry.Pump] | None = None,
    ) -> None:
        load_tasks()
        self.database = database
        self.settings = settings
        self.name = name or f"worker-{uuid.uuid4().hex[:8]}"
        # Tests hand in their own tasks: the registry is shared by every worker of the
        # process, including a live server's, which would run them on its own database.
        self.periodic_tasks = (
            dict(periodic_tasks) if periodic_tasks is not None else registry.periodic_tasks()
        )
        self.pumps = dict(pumps) if pumps is not None else registry.pumps()

    def _locking(self, query: Select[Any]) -> Select[Any]:
        if self.database.is_sqlite:
            return query
        return query.with_for_update(skip_locked=True)

    def dispatch_events(self, batch: int = 200) -> int:
        """Turn new outbox events into one job per subscribed handler."""
        with self.database.unit_of_work() as session, all_tenants(session):
            events = list(
                session.scalars(
                    self._locking(
                        select(OutboxEvent)
                        .where(OutboxEvent.dispatched_at.is_(None))
                        .order_by(OutboxEvent.id)
                        .limit(batch)
                    )
                )
            )
            for event in events:
                for name in registry.subscribers(event.type):
                    session.add(
                        Job(
                            handler=name,
                            payload={"event_id": str(event.id)},
                            event_id=event.id,
                            organization_id=event.organization_id,
                        )
                    )
                event.dispatched_at = clock.now()
            if events:
                for hook in registry.dispatch_hooks():
                    hook(session, events)
            return len(events)

    def claim_jobs(self, batch: int = 20) -> list[uuid.UUID]:
        now = clock.now()
        with self.database.unit_of_work() as session, all_tenants(session):
            jobs = list(
                session.scalars(
                    self._locking(
                        select(Job)
                        .where(
                            or_(
                                (Job.status == "pending") & (Job.run_at <= now),
                                (Job.status == "running") & (Job.locked_until < now),
                            )
                        )
                        .order_by(Job.run_at)
                        .limit(batch)
                    )
                )
            )
            for job in jobs:
                job.status = "running"
                job.attempts += 1
                job.locked_until = now + LEASE
            return [job.id for job in jobs]

    def run_job(self, job_id: uuid.UUID) -> bool:
        """Run one claimed job; returns whether it succeeded."""
        session = self.database.session()
        try:
            with all_tenants(session):
                job = session.get(Job, job_id)
            if job is None or job.status != "running":
                session.rollback()
                return False
            func = registry.get_handler(job.handler)
            if func is None:
                self._fail(session, job, f"no handler named {job.handler!r}", final=True)
                session.commit()
                return False
            context = registry.JobContext(
                job.id, job.attempts, job.max_attempts, job.organization_id, self.settings
            )
            set_organization(session, job.organization_id)
            try:
                if job.organization_id is None:
                    with all_tenants(session):
                        func(session, job.payload, context)
                else:
                    func(session, job.payload, context)
            except registry.Retry as exc:
                self._fail(session, job, str(exc), final=context.final_attempt)
                session.commit()
                return False
            except Exception:
                session.rollback()
                error = traceback.format_exc(limit=5)
                log.warning("job failed", extra={"job_id": str(job_id), "handler": job.handler})
                with all_tenants(session):
                    job = session.get(Job, job_id)
                    assert job is not None
                    self._fail(session, job, error, final=job.attempts >= job.max_attempts)
                session.commit()
                return False
            job.status = "done"
            job.finished_at = clock.now()
            job.locked_until = None
            job.last_error = None
            session.commit()
            return True
        finally:
            session.close()

    @staticmethod
    def _fail(session: Session, job: Job, error: str, *, final: bool) -> None:
        job.last_error = error[:4000]
        job.locked_until = None
        if final:
            job.status = "dead"
            job.finished_at = clock.now()
        else:
            job.status = "pending"
            job.run_at = clock.now() + backoff(job.attempts)
        session.flush()

    def run_periodic(self) -> int:
        """Run the periodic tasks that are due; each runs on one worker only."""
        ran = 0
        now = clock.now()
        tasks = self.periodic_tasks
        with self.database.unit_of_work() as session:
            insert = sqlite_insert if self.database.is_sqlite else pg_insert
            for name in tasks:
                session.execute(
                    insert(ScheduledTask)
                    .values(name=name, next_run_at=now)
                    .on_conflict_do_nothing()
                )
        for name, (every, func) in tasks.items():
            with self.database.unit_of_work() as session:
                due = session.scalar(
                    select(ScheduledTask.next_run_at).where(ScheduledTask.name == name)
                )
                if due is None or due > now:
                    continue
                claimed = cast(
                    CursorResult[Any],
                    session.execute(
                        update(ScheduledTask)
                        .where(ScheduledTask.name == name, ScheduledTask.next_run_at == due)
                        .values(next_run_at=now + every, last_run_at=now)
                    ),
                ).rowcount
                if claimed != 1:
                    continue
            try:
                with self.database.unit_of_work() as session, all_tenants(session):
                    func(session, self.settings)
                ran += 1
            except Exception:
                log.exception("periodic task failed", extra={"task": name})
        return ran

    def run_pumps(self) -> int:
        done = 0
        for name, pump in self.pumps.items():
            try:
                done += pump(self.database, self.settings)
            except Exception:
                log.exception("pump failed", extra={"pump": name})
        return done

    def run_once(self) -> int:
        """One pass: dispatch, run due jobs, pumps, periodic tasks. Returns how much was done."""
        done = self.dispatch_events()
        for job_id in self.claim_jobs():
            self.run_job(job_id)
            done += 1
        done += self.run_pumps()
        done += self.run_periodic()
        return done

    def drain(self, max_passes: int = 50) -> None:
        """Run until nothing is due (tests and one-shot CLI use)."""
        for _ in range(max_passes):
            dispatched = self.dispatch_events()
            ran_jobs = self._run_due_jobs()
            if not dispatched and not ran_jobs and not self.run_pumps():
                return

    def _run_due_jobs(self) -> bool:
        ids = self.claim_jobs()
        for job_id in ids:
            self.run_job(job_id)
        return bool(ids)

    def run_forever(self, stop: threading.Event) -> None:
        log.info("worker started", extra={"worker": self.name})
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:
                log.exception("worker pass failed")
                busy = 0
            if not busy:
                stop.wait(self.settings.worker_poll_seconds)
        log.info("worker stopped", extra={"worker": self.name})


def start_in_thread(
    database: Database, settings: Settings
) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    worker = Worker(database, settings, name="in-process")
    thread = threading.Thread(
        target=worker.run_forever, args=(stop,), name="comptoir-worker", daemon=True
    )
    thread.start()
    return thread, stop
