"""Rate limits of personal access tokens: the windows, the headers, the organization's
limits, counters in this process, and counters shared through Redis by two servers."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from comptoir.app import create_app
from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.settings import Settings
from comptoir.server.ratelimit import REDIS_PREFIX, MemoryCounters, RateLimiter, RedisCounters
from tests.conftest import PASSWORD, Account, register
from tests.identity.test_api_tokens import at_window_start, auth, create_token, member
from tests.mail.smtp import free_port

REDIS_URL = "redis://127.0.0.1:6379/0"


def rate_headers(response: httpx.Response) -> dict[str, str]:
    return {
        name: response.headers[name]
        for name in (
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset",
            "ratelimit-policy",
        )
        if name in response.headers
    }


def test_the_request_past_the_minutes_limit_is_refused_until_the_next_minute(
    client: TestClient, owner: Account
) -> None:
    token = auth(
        create_token(client, owner.headers, ["invoices:read"], requests_per_minute=3)["token"]
    )
    with at_window_start():
        answers = [client.get("/api/v1/invoices", headers=token) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
        for answer in answers:
            assert answer.headers["ratelimit-limit"] == "3"
            assert answer.headers["ratelimit-policy"] == "3;w=60, 10000;w=3600"
            assert 45 <= int(answer.headers["ratelimit-reset"]) <= 60
        refused = answers[-1]
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "rate_limited"
        assert refused.headers["retry-after"] == refused.headers["ratelimit-reset"]
        with clock.travel(timedelta(seconds=60)):
            again = client.get("/api/v1/invoices", headers=token)
            assert again.status_code == 200
            assert again.headers["ratelimit-remaining"] == "2"


def test_the_hourly_limit_holds_across_minutes(client: TestClient, owner: Account) -> None:
    token = auth(
        create_token(
            client, owner.headers, ["invoices:read"], requests_per_minute=3, requests_per_hour=5
        )["token"]
    )
    with at_window_start(3600):
        first = [client.get("/api/v1/invoices", headers=token).status_code for _ in range(3)]
        with clock.travel(timedelta(seconds=60)):
            later = [client.get("/api/v1/invoices", headers=token) for _ in range(3)]
    assert first == [200, 200, 200]
    assert [r.status_code for r in later] == [200, 200, 429]
    # Refused by the hour: the headers speak of the hour, and so does Retry-After.
    refused = later[-1]
    assert refused.headers["ratelimit-limit"] == "5"
    assert refused.headers["ratelimit-remaining"] == "0"
    assert int(refused.headers["retry-after"]) > 60
    assert refused.headers["retry-after"] == refused.headers["ratelimit-reset"]


def test_the_organizations_limits_apply_to_every_token(client: TestClient, owner: Account) -> None:
    default = client.get(
        "/api/v1/invoices",
        headers=auth(create_token(client, owner.headers, ["invoices:read"])["token"]),
    )
    assert default.headers["ratelimit-policy"] == "300;w=60, 10000;w=3600"
    assert default.headers["ratelimit-limit"] == "300"
    assert client.get("/api/v1/api-tokens/limits", headers=owner.headers).json() == {
        "requests_per_minute": 300,
        "requests_per_hour": 10000,
    }
    own_limit = auth(
        create_token(client, owner.headers, ["invoices:read"], requests_per_minute=100)["token"]
    )
    plain = auth(create_token(client, owner.headers, ["invoices:read"])["token"])
    changed = client.put(
        "/api/v1/api-tokens/limits",
        headers=owner.headers,
        json={"requests_per_minute": 2, "requests_per_hour": 50},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"requests_per_minute": 2, "requests_per_hour": 50}
    with at_window_start():
        for token in (plain, own_limit):
            answers = [client.get("/api/v1/invoices", headers=token) for _ in range(3)]
            assert [a.status_code for a in answers] == [200, 200, 429]
            assert answers[0].headers["ratelimit-policy"] == "2;w=60, 50;w=3600"
    audit = client.get("/api/v1/audit-events", headers=owner.headers).json()["items"]
    assert "organization.api_limits_changed" in [e["action"] for e in audit]


@pytest.mark.parametrize(
    "body",
    [
        {"requests_per_minute": 0, "requests_per_hour": 10},
        {"requests_per_minute": 100_001, "requests_per_hour": 10_000_000},
        {"requests_per_minute": 10, "requests_per_hour": 10_000_001},
        {"requests_per_minute": 100, "requests_per_hour": 99},
        {"requests_per_minute": "10", "requests_per_hour": 100},
        {"requests_per_minute": 10},
    ],
    ids=["zero", "minute-too-high", "hour-too-high", "minute-over-hour", "text", "missing"],
)
def test_organization_limits_are_checked(
    client: TestClient, owner: Account, body: dict[str, Any]
) -> None:
    response = client.put("/api/v1/api-tokens/limits", headers=owner.headers, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] in {"requests_per_minute", "requests_per_hour"}
    assert client.get("/api/v1/api-tokens/limits", headers=owner.headers).json() == {
        "requests_per_minute": 300,
        "requests_per_hour": 10000,
    }


def test_only_organization_writers_change_the_limits(client: TestClient, owner: Account) -> None:
    viewer = member(client, owner, "viewer@example.net", "viewer")
    assert client.get("/api/v1/api-tokens/limits", headers=viewer).status_code == 200
    refused = client.put(
        "/api/v1/api-tokens/limits",
        headers=viewer,
        json={"requests_per_minute": 1, "requests_per_hour": 1},
    )
    assert refused.status_code == 403


def test_log_in_sessions_carry_no_rate_limit_headers(client: TestClient, owner: Account) -> None:
    assert rate_headers(client.get("/api/v1/invoices", headers=owner.headers)) == {}


def test_memory_counters_count_every_request_of_many_threads() -> None:
    counters = MemoryCounters()
    start = threading.Barrier(8)

    def burst() -> None:
        start.wait(timeout=10)
        for _ in range(250):
            counters.increment("token", [(60, 0), (3600, 0)])

    threads = [threading.Thread(target=burst) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert counters.increment("token", [(60, 0), (3600, 0)]) == [2001, 2001]
    # A new window starts from zero; another key has its own count.
    assert counters.increment("token", [(60, 60), (3600, 0)]) == [1, 2002]
    assert counters.increment("other", [(60, 60), (3600, 0)]) == [1, 1]


# -- Redis -------------------------------------------------------------------------------


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    prefix = f"test:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def test_redis_counters_are_shared_by_two_applications(
    settings: Settings, database: Database, redis_prefix: str
) -> None:
    apps = [create_app(settings, database) for _ in range(2)]
    for app in apps:
        app.state.rate_limiter = RateLimiter(RedisCounters(REDIS_URL, prefix=redis_prefix))
    with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
        account = register(first)
        token = auth(
            create_token(first, account.headers, ["invoices:read"], requests_per_minute=4)["token"]
        )
        with at_window_start():
            answers = [
                (first, second)[i % 2].get("/api/v1/invoices", headers=token) for i in range(5)
            ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["3", "2", "1", "0", "0"]
    keys = redis.Redis.from_url(REDIS_URL).keys(f"{redis_prefix}*")
    assert len(keys) == 2
    assert all(0 < redis.Redis.from_url(REDIS_URL).ttl(key) <= 3660 for key in keys)


def test_an_unreachable_redis_lets_requests_through(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}), database)
    with TestClient(app) as client, caplog.at_level(logging.WARNING, "comptoir.ratelimit"):
        account = register(client)
        token = auth(
            create_token(client, account.headers, ["invoices:read"], requests_per_minute=1)["token"]
        )
        answers = [client.get("/api/v1/invoices", headers=token) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all(rate_headers(a) == {} for a in answers)
    warnings = [r for r in caplog.records if r.name == "comptoir.ratelimit"]
    assert len(warnings) == 1
    assert "unreachable" in warnings[0].getMessage()


def _serve(port: int, env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "comptoir.app:app_from_environment",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_until_ready(base: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server on {base} exited"
        try:
            if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server on {base} did not start")


def test_two_server_processes_share_one_limit_through_redis(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "COMPTOIR_ENV": "test",
        "COMPTOIR_DATABASE_URL": database_url,
        "COMPTOIR_REDIS_URL": REDIS_URL,
        "COMPTOIR_SECRET_KEY": "two-processes-secret-key-0123456789-abcdefghij",
        "COMPTOIR_DATA_DIR": str(tmp_path / "data"),
        "COMPTOIR_RUN_WORKER": "0",
        "COMPTOIR_API_USAGE_FLUSH_SECONDS": "0",
        "COMPTOIR_LOG_LEVEL": "WARNING",
    }
    ports = [free_port(), free_port()]
    processes = [_serve(port, env, tmp_path) for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    token_id = None
    try:
        deadline = time.monotonic() + 60
        for base, process in zip(bases, processes, strict=True):
            _wait_until_ready(base, process, deadline)
        with httpx.Client(base_url=bases[0], timeout=10) as setup:
            registered = setup.post(
                "/api/v1/auth/register",
                json={
                    "email": "two@example.com",
                    "password": PASSWORD,
                    "organization_name": "Two Processes SARL",
                    "country": "FR",
                    "base_currency": "EUR",
                },
            )
            assert registered.status_code == 201, registered.text
            created = setup.post(
                "/api/v1/api-tokens",
                headers={"Authorization": f"Bearer {registered.json()['access_token']}"},
                json={"name": "Shared", "scopes": ["invoices:read"], "requests_per_minute": 5},
            )
            assert created.status_code == 201, created.text
        token_id = created.json()["id"]
        token = auth(created.json()["token"])
        # The six requests must fall in one minute of the servers' clock.
        while time.time() % 60 > 50:
            time.sleep(0.2)
        answers = []
        for i in range(6):
            with httpx.Client(base_url=bases[i % 2], timeout=10) as caller:
                answers.append(caller.get("/api/v1/invoices", headers=token))
        assert [a.status_code for a in answers] == [200, 200, 200, 200, 200, 429]
        assert [a.headers["ratelimit-remaining"] for a in answers] == ["4", "3", "2", "1", "0", "0"]
        assert answers[-1].json()["code"] == "rate_limited"
        assert int(answers[-1].headers["retry-after"]) >= 1
        with httpx.Client(base_url=bases[1], timeout=10) as caller:
            usage = caller.get(
                f"/api/v1/api-tokens/{token_id}/usage?days=1",
                headers={"Authorization": f"Bearer {registered.json()['access_token']}"},
            )
        assert usage.json()["requests"] == 6 and usage.json()["throttled"] == 1
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if token_id is not None:
            shared = redis.Redis.from_url(REDIS_URL)
            for key in shared.scan_iter(f"{REDIS_PREFIX}{token_id}:*"):
                shared.delete(key)
            shared.close()
