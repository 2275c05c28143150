"""The one source of "now", so that tests can move time instead of waiting for it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC) + _offset


@contextmanager
def travel(delta: timedelta) -> Iterator[None]:
    """Shift the clock by ``delta`` for the duration of the block (all threads)."""
    global _offset
    previous = _offset
    _offset = previous + delta
    try:
        yield
    finally:
        _offset = previous
