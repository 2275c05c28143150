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
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from comptoir.kit import clock
from comptoir.kit.errors import ValidationFailed
from comptoir.webhooks.service import targets

MAX_ANSWER_BYTES = 4096
MAX_RETRY_AFTER = timedelta(hours=24)


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
        return self.status is not None and 200 <= self.status < 300


class Refused(Exception):
    """The target is not one webhooks may reach; the message says why."""


def _retry_after(value: str | None, now: datetime) -> datetime | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        when = now + timedelta(seconds=int(value))
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
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
    return Target(scheme, host, port, httpx.URL(url).netloc.decode("ascii"), literal)


@functools.lru_cache(maxsize=4096)
def _pinned(url: str, address: targets.IPAddress) -> httpx.URL:
    """``url`` with the checked address in place of its host."""
    return httpx.URL(url).copy_with(host=str(address))


class Transport:
    """HTTP clients for concurrent requests: one per lane, each lane sending one request at
    a time and keeping its connections alive across batches; they live as long as the
    process.

    One client per lane rather than one shared client: httpcore checks every connection of
    its pool, with a system call each, whenever a request starts or ends, so a pool of a
    hundred connections costs several times the CPU of a hundred pools of a few (measured
    in ``docs/benchmarks.md``). Use it from the one event loop that runs it.
    """

    def __init__(self) -> None:
        self._lanes: list[httpx.AsyncClient] = []
        # Loading the CA bundle takes tens of milliseconds: once, for every lane.
        self._tls = httpx.create_ssl_context()

    def lane(self, index: int) -> httpx.AsyncClient:
        while len(self._lanes) <= index:
            self._lanes.append(
                httpx.AsyncClient(
                    follow_redirects=False,
                    trust_env=False,
                    verify=self._tls,
                    limits=httpx.Limits(max_connections=None, max_keepalive_connections=20),
                )
            )
        return self._lanes[index]

    async def _pin(self, target: Target, *, allow_private: bool) -> targets.IPAddress:
        """The address to connect to: the first one the host resolves to, all checked."""
        if target.literal is not None:
            addresses = [target.literal]
        else:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as exc:
                raise Refused(f"The host {target.host} cannot be resolved ({exc}).") from None
            addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
        if not addresses:
            raise Refused(f"The host {target.host} has no address.")
        if not allow_private:
            forbidden = [a for a in addresses if targets.is_forbidden_address(a)]
            if forbidden:
                raise Refused(
                    f"Refused: {target.host} resolves to {forbidden[0]}, a private, loopback "
                    "or link-local address; webhooks only go to public addresses."
                )
        return addresses[0]

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
            target = _target(url)
            address = await self._pin(target, allow_private=allow_private)
        except Refused as exc:
            return done(error=str(exc)[:500])
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        client = self.lane(lane)
        request = client.build_request(
            "POST",
            _pinned(url, address),
            headers={**headers, "host": target.netloc},
            content=body.encode("utf-8"),
            timeout=timeout,
            extensions=extensions,
        )
        try:
            # httpx's timeout bounds each read; this bounds the whole exchange, against a
            # receiver that answers a byte at a time.
            async with asyncio.timeout(timeout):
                response = await client.send(request, stream=True)
                try:
                    answer = bytearray()
                    async for chunk in response.aiter_bytes():
                        answer += chunk
                        if len(answer) >= MAX_ANSWER_BYTES:
                            break
                finally:
                    await response.aclose()
        except (httpx.TimeoutException, TimeoutError):
            return done(error=f"Timed out after {timeout:g} s.")
        except httpx.HTTPError as exc:
            return done(
                error=(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)[:500]
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
            body=bytes(answer[:MAX_ANSWER_BYTES]).decode("utf-8", errors="replace"),
            error=error,
            retry_after=retry_after,
        )
