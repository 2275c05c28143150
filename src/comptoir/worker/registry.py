"""Where domains declare their job handlers, event subscriptions and periodic tasks."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from comptoir.kit.db import Database
from comptoir.kit.settings import Settings
from comptoir.outbox.models import OutboxEvent


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
# Called inside the transaction that marks a batch of events dispatched, so what it
# writes (webhook deliveries) exists exactly when the events are marked.
DispatchHook = Callable[[Session, list[OutboxEvent]], None]
# Work with its own loop over its own rows (webhook deliveries): called on every pass of
# the worker, it does what is due and returns how much it did (0 when idle).
Pump = Callable[[Database, Settings], int]

_handlers: dict[str, Handler] = {}
_subscriptions: dict[str, list[str]] = {}
_periodic: dict[str, tuple[timedelta, PeriodicTask]] = {}
_dispatch_hooks: list[DispatchHook] = []
_pumps: dict[str, Pump] = {}


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


def on_dispatch(func: DispatchHook) -> DispatchHook:
    if func not in _dispatch_hooks:
        _dispatch_hooks.append(func)
    return func


def pump(name: str) -> Callable[[Pump], Pump]:
    def register(func: Pump) -> Pump:
        _pumps[name] = func
        return func

    return register


def dispatch_hooks() -> list[DispatchHook]:
    return list(_dispatch_hooks)


def pumps() -> dict[str, Pump]:
    return dict(_pumps)
