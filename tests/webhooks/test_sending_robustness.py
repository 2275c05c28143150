"""What one bad endpoint or answer must not do: stop the deliveries of everyone else. Also
the target checks that keep such URLs out in the first place."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.errors import ValidationFailed
from comptoir.webhooks.service import targets
from comptoir.webhooks.service.transport import (
    MAX_RETRY_AFTER,
    Outcome,
    Target,
    Transport,
    _retry_after,
)
from comptoir.worker.runner import Worker
from tests.conftest import Account
from tests.webhooks.conftest import add_endpoint, attempts, deliveries, emit
from tests.webhooks.receiver import Answer, Receiver

T = TypeVar("T")


def _run_apart(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on a thread of its own: a browser test earlier in this process may have left
    an event loop running on the main thread, where ``asyncio.run`` refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_a_poisoned_delivery_does_not_stop_the_others(
    database: Database, hook_worker: Worker, owner: Account, receiver: Receiver
) -> None:
    hook_worker.drain()
    with Receiver().running() as huge, Receiver().running() as superscript:
        huge.default = Answer(503, {"Retry-After": "99999999999999999999"})
        superscript.default = Answer(429, {"Retry-After": "\u00b2"})
        good = [add_endpoint(database, owner.organization_id, receiver.url) for _ in range(2)]
        receiver.secrets.extend(endpoint.secret for endpoint in good)
        bad = {
            "idna": add_endpoint(database, owner.organization_id, "http://\u2603.example/hook"),
            "tab": add_endpoint(
                database, owner.organization_id, f"http://127.0.0.1:{receiver.port}/a\tb"
            ),
            "huge": add_endpoint(database, owner.organization_id, huge.url),
            "superscript": add_endpoint(database, owner.organization_id, superscript.url),
        }
        started = clock.now()
        emit(database, owner.organization_id)
        hook_worker.drain()
        assert len(receiver.received) == 2
        assert all(r.verified for r in receiver.received)

    by_endpoint = {d.endpoint_id: d for d in deliveries(database)}
    assert {by_endpoint[e.id].status for e in good} == {"succeeded"}
    logged = {a.endpoint_id: a for a in attempts(database)}
    for name, endpoint in bad.items():
        delivery = by_endpoint[endpoint.id]
        assert (delivery.status, delivery.attempts) == ("pending", 1), name
        assert delivery.next_attempt_at is not None
        assert logged[endpoint.id].next_attempt_at == delivery.next_attempt_at
        if name in ("idna", "tab"):
            assert delivery.last_error, name
            assert logged[endpoint.id].response_status is None
    # The schedule's second step (5 s), except where the receiver asked for later.
    for name in ("idna", "tab", "superscript"):
        due = by_endpoint[bad[name].id].next_attempt_at
        assert due is not None
        assert started + timedelta(seconds=5) <= due <= clock.now() + timedelta(seconds=6), name
    due = by_endpoint[bad["huge"].id].next_attempt_at
    assert due is not None
    assert started + MAX_RETRY_AFTER <= due <= clock.now() + MAX_RETRY_AFTER


NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", NOW + timedelta(seconds=120)),
        (" 60 ", NOW + timedelta(seconds=60)),
        ("99999999999999999999", NOW + MAX_RETRY_AFTER),
        ("\u00b2", None),
        ("\u0663", None),
        ("-5", None),
        ("soon", None),
        ("Fri, 31 Dec 9999 23:59:59 GMT", NOW + MAX_RETRY_AFTER),
        (None, None),
    ],
    ids=[
        "seconds",
        "padded",
        "overflow",
        "superscript",
        "arabic-digit",
        "negative",
        "word",
        "far-date",
        "absent",
    ],
)
def test_retry_after_parsing_never_raises(value: str | None, expected: datetime | None) -> None:
    assert _retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example\t.com/in",
        "http://hooks.example.com/a\nb",
        "http://hooks.example.com/a\rb",
        "http://hooks.example.com/a b",
        "http://hooks.example.com/\x00",
        "http://\u2603.example/in",
    ],
    ids=["tab", "newline", "carriage-return", "space", "nul", "idna-invalid"],
)
def test_urls_the_sender_cannot_use_are_refused(url: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        targets.check_url(url, allow_private=True)
    assert refused.value.errors[0].field == "url"


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("2002:0a00:0001::1", True),  # 6to4 of 10.0.0.1
        ("2002:7f00:0001::1", True),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::1", True),  # 6to4 of 169.254.169.254
        ("2002:0808:0808::1", False),  # 6to4 of 8.8.8.8
        # Teredo: the client address is stored inverted in the last 32 bits.
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", True),  # client 10.0.0.1
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", True),  # client 127.0.0.1
        # Teredo's whole prefix is not globally reachable (IANA), whatever the client.
        ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", True),  # client 8.8.8.8
        ("::ffff:192.168.1.1", True),
        ("::ffff:8.8.8.8", False),
        ("2606:4700:4700::1111", False),
    ],
    ids=lambda value: str(value),
)
def test_ipv6_addresses_embedding_forbidden_ipv4_are_refused(address: str, forbidden: bool) -> None:
    assert targets.is_forbidden_address(ipaddress.ip_address(address)) is forbidden


class _Resolved(Transport):
    """The real transport with a resolver answering ``addresses`` after ``delay`` seconds:
    the test's stand-in for a DNS server, everything after it is real."""

    def __init__(self, addresses: list[str], delay: float = 0) -> None:
        super().__init__()
        self.resolved = [ipaddress.ip_address(a) for a in addresses]
        self.delay = delay

    async def _addresses(self, target: Target, *, allow_private: bool) -> list[targets.IPAddress]:
        await asyncio.sleep(self.delay)
        return self.resolved


def _post(transport: Callable[[], Transport], url: str, timeout: float = 2) -> Outcome:
    async def run() -> Outcome:
        sender = transport()
        try:
            return await sender.post(0, url, {}, "{}", timeout=timeout, allow_private=True)
        finally:
            await sender.close()

    return _run_apart(run())


def test_an_unreachable_address_falls_back_to_the_next_one(receiver: Receiver) -> None:
    # Nothing listens on 127.0.0.2: connecting there is refused, then 127.0.0.1 answers.
    url = f"http://hooks.test:{receiver.port}/hook"
    outcome = _post(lambda: _Resolved(["127.0.0.2", "127.0.0.1"]), url)
    assert outcome.status == 200, outcome.error
    [received] = receiver.received
    assert received.local_address == "127.0.0.1"
    assert received.headers["host"] == f"hooks.test:{receiver.port}"
    failed = _post(lambda: _Resolved(["127.0.0.2"]), url)
    assert failed.status is None and failed.error and "ConnectError" in failed.error


def test_name_resolution_counts_in_the_request_timeout(receiver: Receiver) -> None:
    url = f"http://hooks.test:{receiver.port}/hook"
    outcome = _post(lambda: _Resolved(["127.0.0.1"], delay=5), url, timeout=0.2)
    assert outcome.error == "Timed out after 0.2 s."
    assert outcome.duration_ms < 2000
    assert receiver.received == []


def test_tls_connections_are_never_shared_between_server_names() -> None:
    async def clients() -> list[object]:
        transport = Transport()
        try:
            return [
                await transport.client(0, "a.example"),
                await transport.client(0, "b.example"),
                await transport.client(0, "a.example"),
                await transport.client(0, None),
                await transport.client(1, "a.example"),
            ]
        finally:
            await transport.close()

    a, b, a_again, plain, other_lane = _run_apart(clients())
    # A pool keys connections by the pinned address and port: one per server name keeps a
    # connection whose certificate was checked for a.example away from b.example's requests.
    assert a is a_again
    assert len({id(a), id(b), id(plain), id(other_lane)}) == 4
