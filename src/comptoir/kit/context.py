"""Where the current request came from, set by the HTTP middleware and read by the audit trail."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    request_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None


_NOWHERE = Origin()
_origin: ContextVar[Origin | None] = ContextVar("comptoir_origin", default=None)


def current_origin() -> Origin:
    return _origin.get() or _NOWHERE


def set_origin(origin: Origin) -> object:
    return _origin.set(origin)


def reset_origin(token: object) -> None:
    _origin.reset(token)  # type: ignore[arg-type]
