"""Where domains declare their job handlers, event subscriptions and periodic tasks."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from comptoir.kit.settings import Settings


@dataclass(frozen=True)
class JobContext:
    job_id: uuid.UUID
    attempt: int
    max_attempts: int
    organization_id: uuid.UUID | None
    settings: Settings

    @property
    def final_attempt(self) -> bool:
        return self.attempt >= self.max_attempts


class Retry(Exception):
    """Raised by a handler to try again later while keeping what it wrote (e.g. the error)."""


Handler = Callable[[Session, dict[str, Any], JobContext], None]
PeriodicTask = Callable[[Session, Settings], None]

_handlers: dict[str, Handler] = {}
_subscriptions: dict[str, list[str]] = {}
_periodic: dict[str, tuple[timedelta, PeriodicTask]] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        _handlers[name] = func
        return func

    return register


def subscribe(event_type: str, handler_name: str) -> None:
    """Run ``handler_name`` for every ``event_type`` event; ``"*"`` subscribes to all."""
    names = _subscriptions.setdefault(event_type, [])
    if handler_name not in names:
        names.append(handler_name)


def periodic(name: str, every: timedelta) -> Callable[[PeriodicTask], PeriodicTask]:
    def register(func: PeriodicTask) -> PeriodicTask:
        _periodic[name] = (every, func)
        return func

    return register


def get_handler(name: str) -> Handler | None:
    return _handlers.get(name)


def subscribers(event_type: str) -> list[str]:
    return [*_subscriptions.get(event_type, []), *_subscriptions.get("*", [])]


def periodic_tasks() -> dict[str, tuple[timedelta, PeriodicTask]]:
    return dict(_periodic)
