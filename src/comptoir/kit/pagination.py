"""Keyset pagination over time-ordered UUIDv7 ids: stable under concurrent inserts."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import date
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


def sorted_keyset_page(
    session: Session,
    query: Select[Any],
    sort_column: Any,
    id_column: Any,
    *,
    descending: bool,
    limit: int | None,
    cursor: str | None,
) -> Page[Any]:
    """Keyset pages ordered by ``sort_column`` (a date, a number or a string; never null)
    then by id; the cursor carries the last row's sort value and id."""
    size = check_limit(limit)
    after = _decode_sorted(cursor)
    order = (sort_column.desc(), id_column.desc()) if descending else (sort_column, id_column)
    query = query.order_by(*order).limit(size + 1)
    if after is not None:
        value, last_id = after
        value = _typed_like(sort_column, value)
        if descending:
            query = query.where(
                (sort_column < value) | ((sort_column == value) & (id_column < last_id))
            )
        else:
            query = query.where(
                (sort_column > value) | ((sort_column == value) & (id_column > last_id))
            )
    rows: list[Any] = list(session.scalars(query))
    more = len(rows) > size
    rows = rows[:size]
    if not (more and rows):
        return Page(rows, None)
    last = rows[-1]
    value = getattr(last, sort_column.key)
    text = json.dumps([value.isoformat() if hasattr(value, "isoformat") else value, str(last.id)])
    return Page(rows, base64.urlsafe_b64encode(text.encode()).decode().rstrip("="))


def _decode_sorted(cursor: str | None) -> tuple[Any, uuid.UUID] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, last_id = json.loads(raw)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError(value)
        if not isinstance(last_id, str):
            raise ValueError(last_id)
        return value, uuid.UUID(last_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed.single("cursor", "This cursor is not valid.") from None


def _typed_like(column: Any, value: Any) -> Any:
    """The cursor's JSON value back in the column's Python type (dates travel as text)."""
    python_type = column.type.python_type
    try:
        if python_type is date:
            if not isinstance(value, str):
                raise ValueError(value)
            return date.fromisoformat(value)
        if python_type is int and not isinstance(value, int):
            raise ValueError(value)
        if python_type is str and not isinstance(value, str):
            raise ValueError(value)
    except ValueError:
        raise ValidationFailed.single("cursor", "This cursor is not valid.") from None
    return value
