"""Identifiers: UUIDv7, time-ordered so that primary-key indexes stay append-mostly."""

from __future__ import annotations

import os
import threading
import time
import uuid

_SEQUENCE_BITS = 12
_lock = threading.Lock()
_last = (0, 0)  # (millisecond, sequence) of the id made last in this process


def new_id() -> uuid.UUID:
    """A version-7 UUID (RFC 9562): 48-bit millisecond timestamp, a 12-bit sequence, then
    random bits.

    Ids made by one process only ever grow, even within one millisecond (the sequence
    counts up, RFC 9562 method 1), so ordering rows by id orders them as they were made:
    events reach subscribers in the order they happened.
    """
    global _last
    with _lock:
        millis = time.time_ns() // 1_000_000
        last_millis, last_sequence = _last
        if millis > last_millis:
            # Start low in the millisecond, leaving room to count up.
            sequence = int.from_bytes(os.urandom(2), "big") >> (16 - _SEQUENCE_BITS + 2)
        else:
            millis, sequence = last_millis, last_sequence + 1
            if sequence >> _SEQUENCE_BITS:
                millis, sequence = last_millis + 1, 0
        _last = (millis, sequence)
    rand = int.from_bytes(os.urandom(8), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= sequence << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)
