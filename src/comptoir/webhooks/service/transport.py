"""One HTTP request of a delivery: resolve, refuse private targets, connect to the checked
address, read the start of the answer.

The request goes to the IP address that was checked, with the endpoint's host in the
``Host`` header and, for https, as the TLS server name (SNI, and the name the certificate
must match): a DNS answer that changes between the check and the connection (rebinding)
cannot send it elsewhere. Redirects are answers, never followed.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import ipaddress
import logging
import socket
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from comptoir.kit import clock
from comptoir.kit.errors import ValidationFailed
from comptoir.webhooks.service import targets

MAX_ANSWER_BYTES = 4096
MAX_RETRY_AFTER = timedelta(hours=24)
# More digits than 24 hours of seconds needs: longer values are capped anyway, and an
# unbounded one overflows ``timedelta``.
MAX_RETRY_AFTER_DIGITS = 9
# TLS hosts a lane keeps connections to; the least recently used one is closed past this.
MAX_TLS_HOSTS_PER_LANE = 64

log = logging.getLogger("comptoir.webhooks")


@dataclass(frozen=True)
class Outcome:
    started_at: datetime
    finished_at: datetime
    duration_ms: int
    status: int | None = None
    # The first 4 KB of the answer, decoded leniently.
    body: str | None = None
    error: str | None = None
    # When a 429 or 503 asked to come back (already capped at 24 hours).
    retry_after: datetime | None = None

    @property
    def succeeded(self) -> bool:
        return succeeded(self.status)

    @classmethod
    def failed(cls, at: datetime, error: str) -> Outcome:
        """An attempt that never reached the receiver."""
        return cls(started_at=at, finished_at=at, duration_ms=0, error=error)


def succeeded(status: int | None) -> bool:
    """Whether an answer's status counts as delivered (2xx)."""
    return status is not None and 200 <= status < 300


class Refused(Exception):
    """The target is not one webhooks may reach; the message says why."""


def _retry_after(value: str | None, now: datetime) -> datetime | None:
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        if len(value) > MAX_RETRY_AFTER_DIGITS:
            return now + MAX_RETRY_AFTER
        when = now + timedelta(seconds=int(value))
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, OverflowError):
            return None
        if when.tzinfo is None:
            return None
    return min(when, now + MAX_RETRY_AFTER)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    # The host and port as the Host header carries them.
    netloc: str
    # The host, when it is an IP address already.
    literal: targets.IPAddress | None


@functools.lru_cache(maxsize=4096)
def _target(url: str) -> Target:
    try:
        scheme, host, port = targets.parse(url)
    except ValidationFailed as exc:
        raise Refused(exc.errors[0].message if exc.errors else "Invalid URL.") from None
    try:
        literal: targets.IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    try:
        netloc = httpx.URL(url).netloc.decode("ascii")
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise Refused(f"This is not a valid URL ({exc}).") from None
    return Target(scheme, host, port, netloc, literal)


@functools.lru_cache(maxsize=4096)
def _pinned(url: str, address: targets.IPAddress) -> httpx.URL:
    """``url`` with the checked address in place of its host."""
    return httpx.URL(url).copy_with(host=str(address))


class Transport:
    """HTTP clients for concurrent requests: each lane sends one request at a time and keeps
    its connections alive across batches; they live as long as the process.

    Clients per lane rather than one shared client: httpcore checks every connection of
    its pool, with a system call each, whenever a request starts or ends, so a pool of a
    hundred connections costs several times the CPU of a hundred pools of a few (measured
    in ``docs/benchmarks.md``). A lane has one client for plain http and one per TLS server
    name: a pool is keyed by the pinned address and port only, and a TLS connection whose
    certificate was checked for one host must never carry a request for another.
    Use it from the one event loop that runs it.
    """

    def __init__(self) -> None:
        self._lanes: list[OrderedDict[str | None, httpx.AsyncClient]] = []
        # Loading the CA bundle takes tens of milliseconds: once, for every lane.
        self._tls = httpx.create_ssl_context()

    def _new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            verify=self._tls,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=20),
        )

    async def client(self, lane: int, server_name: str | None) -> httpx.AsyncClient:
        """The client of ``lane`` for a TLS ``server_name`` (None for plain http)."""
        while len(self._lanes) <= lane:
            self._lanes.append(OrderedDict())
        clients = self._lanes[lane]
        found = clients.get(server_name)
        if found is not None:
            clients.move_to_end(server_name)
            return found
        clients[server_name] = found = self._new_client()
        if len(clients) > MAX_TLS_HOSTS_PER_LANE:
            _, oldest = clients.popitem(last=False)
            await oldest.aclose()
        return found

    async def close(self) -> None:
        for clients in self._lanes:
            for client in clients.values():
                await client.aclose()
        self._lanes.clear()

    async def _addresses(self, target: Target, *, allow_private: bool) -> list[targets.IPAddress]:
        """The addresses to connect to, in the resolver's order, every one checked."""
        if target.literal is not None:
            addresses = [target.literal]
        else:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as exc:
                raise Refused(f"The host {target.host} cannot be resolved ({exc}).") from None
            addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
        if not addresses:
            raise Refused(f"The host {target.host} has no address.")
        if not allow_private:
            forbidden = [a for a in addresses if targets.is_forbidden_address(a)]
            if forbidden:
                raise Refused(
                    f"Refused: {target.host} resolves to {forbidden[0]}, a private, loopback "
                    "or link-local address; webhooks only go to public addresses."
                )
        return addresses

    async def _exchange(
        self,
        lane: int,
        url: str,
        headers: dict[str, str],
        body: str,
        *,
        timeout: float,
        allow_private: bool,
    ) -> tuple[httpx.Response, bytes]:
        """Resolve, then connect to each checked address until one accepts; the answer and
        the start of its body."""
        target = _target(url)
        addresses = await self._addresses(target, allow_private=allow_private)
        https = target.scheme == "https"
        client = await self.client(lane, target.host if https else None)
        content = body.encode("utf-8")
        for index, address in enumerate(addresses):
            request = client.build_request(
                "POST",
                _pinned(url, address),
                headers={**headers, "host": target.netloc},
                content=content,
                timeout=timeout,
                extensions={"sni_hostname": target.host} if https else {},
            )
            try:
                response = await client.send(request, stream=True)
            except httpx.ConnectError:
                if index + 1 < len(addresses):
                    continue
                raise
            try:
                answer = bytearray()
                async for chunk in response.aiter_bytes():
                    answer += chunk
                    if len(answer) >= MAX_ANSWER_BYTES:
                        break
            finally:
                await response.aclose()
            return response, bytes(answer[:MAX_ANSWER_BYTES])
        raise AssertionError("unreachable: the last address re-raises")  # pragma: no cover

    async def post(
        self,
        lane: int,
        url: str,
        headers: dict[str, str],
        body: str,
        *,
        timeout: float,
        allow_private: bool,
    ) -> Outcome:
        """One attempt; whatever goes wrong becomes the outcome's error, never an exception,
        so that one endpoint cannot stop the deliveries of the others."""
        started_at = clock.now()
        started = time.perf_counter()

        def done(
            status: int | None = None,
            body: str | None = None,
            error: str | None = None,
            retry_after: datetime | None = None,
        ) -> Outcome:
            elapsed = time.perf_counter() - started
            return Outcome(
                started_at=started_at,
                finished_at=started_at + timedelta(seconds=elapsed),
                duration_ms=round(elapsed * 1000),
                status=status,
                body=body,
                error=error,
                retry_after=retry_after,
            )

        try:
            # httpx's timeout bounds each read; this bounds the whole exchange, name
            # resolution included, against a slow resolver or a receiver that answers a
            # byte at a time.
            async with asyncio.timeout(timeout):
                response, answer = await self._exchange(
                    lane, url, headers, body, timeout=timeout, allow_private=allow_private
                )
            retry_after = None
            error = None
            if response.is_redirect:
                location = response.headers.get("location", "")
                error = f"Redirects are not followed (to {location})."[:500]
            if response.status_code in (429, 503):
                retry_after = _retry_after(response.headers.get("retry-after"), clock.now())
            return done(
                status=response.status_code,
                body=answer.decode("utf-8", errors="replace"),
                error=error,
                retry_after=retry_after,
            )
        except Refused as exc:
            return done(error=str(exc)[:500])
        except (httpx.TimeoutException, TimeoutError):
            return done(error=f"Timed out after {timeout:g} s.")
        except httpx.HTTPError as exc:
            return done(error=_describe(exc))
        except Exception as exc:
            log.exception("Webhook request to %s failed unexpectedly", url)
            return done(error=_describe(exc))


def _describe(exc: BaseException) -> str:
    return (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)[:500]
