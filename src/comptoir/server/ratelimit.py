"""Per-token request limits: fixed per-minute and per-hour windows.

Each window is aligned on the clock (a minute starts at :00 seconds, an hour at :00
minutes); a request counts in both windows, and is refused once either window's count
goes past its limit. The counters live in this process by default, or in Redis when
``COMPTOIR_REDIS_URL`` is set, so that every process behind a load balancer shares them.
A Redis that cannot be reached lets requests through (a warning is logged): an outage of
the counters must not become an outage of the API.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import redis

from comptoir.kit import clock
from comptoir.kit.settings import Settings

log = logging.getLogger("comptoir.ratelimit")

MINUTE = 60
HOUR = 3600
REDIS_PREFIX = "comptoir:ratelimit:"
# After a failure, requests skip Redis this long instead of each waiting for a timeout.
REDIS_RETRY_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 0.5
# One warning per outage period, not one per request.
WARNING_INTERVAL_SECONDS = 60.0


@dataclass(frozen=True)
class WindowState:
    """One window after counting the current request."""

    window: int
    limit: int
    count: int
    reset: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


@dataclass(frozen=True)
class Decision:
    windows: tuple[WindowState, ...]

    @property
    def allowed(self) -> bool:
        return not any(window.exceeded for window in self.windows)

    @property
    def retry_after(self) -> int:
        """Seconds until every exhausted window has started over."""
        return max((w.reset for w in self.windows if w.remaining == 0), default=0)

    def headers(self) -> dict[str, str]:
        """``RateLimit-*`` headers: the window closest to refusing the next request, and
        the whole policy."""
        tightest = min(self.windows, key=lambda w: (w.remaining, -w.reset))
        return {
            "RateLimit-Limit": str(tightest.limit),
            "RateLimit-Remaining": str(tightest.remaining),
            "RateLimit-Reset": str(tightest.reset),
            "RateLimit-Policy": ", ".join(f"{w.limit};w={w.window}" for w in self.windows),
        }


class Counters(Protocol):
    def increment(self, key: str, windows: Sequence[tuple[int, int]]) -> list[int] | None:
        """Count one request under ``key`` in each (window length, window start); the
        counts after it, or None if the store cannot be reached."""
        ...


class MemoryCounters:
    """Counters of this process only: one current window per key and length."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int], tuple[int, int]] = {}

    def increment(self, key: str, windows: Sequence[tuple[int, int]]) -> list[int]:
        counts = []
        with self._lock:
            for length, start in windows:
                current_start, count = self._counts.get((key, length), (start, 0))
                if current_start != start:
                    count = 0
                self._counts[(key, length)] = (start, count + 1)
                counts.append(count + 1)
        return counts


class RedisCounters:
    """Counters shared by every process using the same Redis: one key per window, counted
    and given an expiry in one MULTI/EXEC transaction."""

    def __init__(self, url: str, *, prefix: str = REDIS_PREFIX) -> None:
        self.prefix = prefix
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        self._lock = threading.Lock()
        self._skip_until = 0.0
        self._warned_at = -WARNING_INTERVAL_SECONDS

    def key(self, key: str, length: int, start: int) -> str:
        return f"{self.prefix}{key}:{length}:{start}"

    def increment(self, key: str, windows: Sequence[tuple[int, int]]) -> list[int] | None:
        if time.monotonic() < self._skip_until:
            return None
        try:
            with self.client.pipeline(transaction=True) as pipe:
                for length, start in windows:
                    name = self.key(key, length, start)
                    pipe.incr(name)
                    # The key names its window, so a longer expiry than the window's end
                    # only keeps it around a little; it never carries counts over.
                    pipe.expire(name, length + 60)
                replies = pipe.execute()
        except redis.RedisError as exc:
            self._unreachable(exc)
            return None
        return [int(reply) for reply in replies[0::2]]

    def _unreachable(self, exc: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            self._skip_until = now + REDIS_RETRY_SECONDS
            if now - self._warned_at < WARNING_INTERVAL_SECONDS:
                return
            self._warned_at = now
        log.warning("rate-limit counters unreachable in Redis, requests pass unlimited: %s", exc)


class RateLimiter:
    def __init__(self, counters: Counters) -> None:
        self.counters = counters

    def hit(self, key: str, limits: Sequence[tuple[int, int]]) -> Decision | None:
        """Count a request of ``key`` against (window length in seconds, limit) pairs.
        None when the counters cannot be reached: the request passes."""
        now = clock.now().timestamp()
        starts = [(length, int(now // length) * length) for length, _limit in limits]
        counts = self.counters.increment(key, starts)
        if counts is None:
            return None
        return Decision(
            tuple(
                WindowState(
                    window=length,
                    limit=limit,
                    count=count,
                    reset=max(1, math.ceil(start + length - now)),
                )
                for (length, limit), (_, start), count in zip(limits, starts, counts, strict=True)
            )
        )


def from_settings(settings: Settings) -> RateLimiter:
    if settings.redis_url:
        return RateLimiter(RedisCounters(settings.redis_url))
    return RateLimiter(MemoryCounters())
