"""Keyset pagination over time-ordered UUIDv7 ids: stable under concurrent inserts."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from comptoir.kit.errors import ValidationFailed

MAX_LIMIT = 200
DEFAULT_LIMIT = 50

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> uuid.UUID | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (ValueError, binascii.Error):
        raise ValidationFailed.single("cursor", "This cursor is not valid.") from None


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.single("limit", f"Must be between 1 and {MAX_LIMIT}.")
    return limit


def keyset_page(
    session: Session,
    query: Select[Any],
    id_column: Any,
    *,
    limit: int | None,
    cursor: str | None,
) -> Page[Any]:
    """Newest first by a UUIDv7 ``id_column``; ``cursor`` is the last id of the previous page."""
    size = check_limit(limit)
    after = decode_cursor(cursor)
    query = query.order_by(id_column.desc()).limit(size + 1)
    if after is not None:
        query = query.where(id_column < after)
    rows: list[Any] = list(session.scalars(query))
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, encode_cursor(rows[-1].id) if more and rows else None)
