"""The worker: outbox fan-out, retries with backoff, dead jobs, leases, periodic tasks."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.settings import Settings
from comptoir.kit.tenancy import all_tenants
from comptoir.outbox import catalog
from comptoir.outbox import service as outbox
from comptoir.outbox.models import Job, OutboxEvent, ScheduledTask
from comptoir.worker import registry
from comptoir.worker.runner import Worker, backoff

calls: list[tuple[str, dict[str, Any]]] = []


@registry.handler("test.record")
def _record(session: Session, payload: dict[str, Any], context: registry.JobContext) -> None:
    calls.append(("record", payload))


@registry.handler("test.flaky")
def _flaky(session: Session, payload: dict[str, Any], context: registry.JobContext) -> None:
    if context.attempt < 3:
        raise RuntimeError(f"attempt {context.attempt} fails")
    calls.append(("flaky", {"attempt": context.attempt}))


@registry.handler("test.always_fails")
def _always_fails(session: Session, payload: dict[str, Any], context: registry.JobContext) -> None:
    raise RuntimeError("never works")


registry.subscribe("test.happened", "test.record")
# The suite refuses uncatalogued events; these two are the worker's own test events.
for _name in ("test.happened", "nobody.listens"):
    catalog.register(catalog.EventType(_name, "A worker test event.", {"n": 1}, public=False))


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    calls.clear()


def _jobs(database: Database) -> list[Job]:
    with database.unit_of_work(write=False) as session, all_tenants(session):
        return list(session.scalars(select(Job).order_by(Job.created_at)))


def test_events_fan_out_to_subscribers_after_commit(database: Database, worker: Worker) -> None:
    with database.unit_of_work() as session:
        outbox.emit(session, "test.happened", {"n": 1})
        outbox.emit(session, "nobody.listens", {"n": 2})
    worker.drain()
    assert calls == [("record", {"event_id": calls[0][1]["event_id"]})]
    with database.unit_of_work(write=False) as session:
        events = list(session.scalars(select(OutboxEvent)))
    assert all(e.dispatched_at is not None for e in events)


def test_rolled_back_events_never_run(database: Database, worker: Worker) -> None:
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        outbox.emit(session, "test.happened", {"n": 1})
        raise RuntimeError("request failed")
    worker.drain()
    assert calls == []


def test_failed_jobs_retry_with_backoff_until_they_succeed(
    database: Database, worker: Worker
) -> None:
    with database.unit_of_work() as session:
        outbox.enqueue(session, "test.flaky", {})
    worker.drain()
    [job] = _jobs(database)
    assert job.status == "pending"
    assert job.attempts == 1
    assert "attempt 1 fails" in (job.last_error or "")
    assert job.run_at > clock.now()
    worker.drain()  # not due yet: nothing runs
    assert _jobs(database)[0].attempts == 1
    for minutes in (1, 2):
        with clock.travel(timedelta(minutes=minutes)):
            worker.drain()
    [job] = _jobs(database)
    assert job.status == "done"
    assert job.attempts == 3
    assert calls == [("flaky", {"attempt": 3})]


def test_jobs_die_after_their_last_attempt(database: Database, worker: Worker) -> None:
    with database.unit_of_work() as session:
        outbox.enqueue(session, "test.always_fails", {}, max_attempts=2)
    worker.drain()
    with clock.travel(timedelta(hours=2)):
        worker.drain()
    [job] = _jobs(database)
    assert job.status == "dead"
    assert job.attempts == 2
    assert job.finished_at is not None


def test_unknown_handler_is_dead_at_once(database: Database, worker: Worker) -> None:
    with database.unit_of_work() as session:
        outbox.enqueue(session, "no.such.handler", {})
    worker.drain()
    [job] = _jobs(database)
    assert job.status == "dead"
    assert "no handler" in (job.last_error or "")


def test_a_crashed_workers_lease_is_taken_over(database: Database, worker: Worker) -> None:
    with database.unit_of_work() as session:
        outbox.enqueue(session, "test.record", {"x": 1})
    claimed = worker.claim_jobs()  # claimed, then the process "dies" before running it
    assert len(claimed) == 1
    assert worker.claim_jobs() == []
    with clock.travel(timedelta(minutes=6)):
        worker.drain()
    assert calls == [("record", {"x": 1})]


def test_two_workers_never_claim_the_same_job(database: Database, settings: Settings) -> None:
    with database.unit_of_work() as session:
        for i in range(30):
            outbox.enqueue(session, "test.record", {"i": i})
    first, second = Worker(database, settings, name="a"), Worker(database, settings, name="b")
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        batches = list(pool.map(lambda w: w.claim_jobs(batch=20), [first, second]))
    claimed = [job_id for batch in batches for job_id in batch]
    assert len(claimed) == len(set(claimed)) == 30


def test_periodic_task_runs_once_per_interval_across_workers(
    database: Database, settings: Settings
) -> None:
    ran: list[str] = []
    name = f"test.periodic.{uuid.uuid4().hex[:6]}"
    tasks = {name: (timedelta(hours=1), lambda session, s: ran.append("x"))}
    workers = [Worker(database, settings, name=n, periodic_tasks=tasks) for n in ("a", "b")]
    for w in workers:
        w.run_periodic()
    assert ran == ["x"]
    with clock.travel(timedelta(hours=1, seconds=1)):
        for w in workers:
            w.run_periodic()
    assert ran == ["x", "x"]
    with database.unit_of_work(write=False) as session:
        assert session.get(ScheduledTask, name) is not None


def test_backoff_grows_and_is_capped() -> None:
    assert timedelta(seconds=5) <= backoff(1) <= timedelta(seconds=6)
    assert timedelta(seconds=40) <= backoff(4) <= timedelta(seconds=48)
    assert backoff(30) <= timedelta(seconds=3600 * 1.2)
