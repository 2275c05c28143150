"""What requests made with personal access tokens leave behind: ``RateLimit-*`` headers on
the answer, and per-day counts and "last used" written in batches.

Counts gather in this process and are written at most every
``COMPTOIR_API_USAGE_FLUSH_SECONDS`` (0: after each request), in a short transaction of
their own, and once more when the application stops.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from comptoir.identity.service import api_tokens
from comptoir.identity.service.api_tokens import LastUse, UsageKey, UsageTally
from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.server.ratelimit import Decision

log = logging.getLogger("comptoir.api_usage")

# Where the authentication dependency leaves the calling token for this middleware.
STATE_KEY = "comptoir_api_token"


@dataclass(frozen=True)
class TokenCall:
    token_id: uuid.UUID
    organization_id: uuid.UUID
    ip: str | None
    decision: Decision | None

    @property
    def throttled(self) -> bool:
        return self.decision is not None and not self.decision.allowed


class UsageRecorder:
    """Per-token, per-day counts of this process, waiting to be written."""

    def __init__(self, database: Database, flush_seconds: float) -> None:
        self.database = database
        self.flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._tallies: dict[UsageKey, UsageTally] = {}
        self._last_uses: dict[uuid.UUID, LastUse] = {}
        self._flushed_at = time.monotonic()

    def add(self, call: TokenCall, status: int) -> None:
        now = clock.now()
        key = UsageKey(call.token_id, call.organization_id, now.date())
        with self._lock:
            tally = self._tallies.setdefault(key, UsageTally())
            tally.requests += 1
            tally.errors += status >= 400
            tally.throttled += call.throttled
            # The column holds an IPv6 address at most; anything longer must not block a write.
            self._last_uses[call.token_id] = LastUse(now, call.ip[:45] if call.ip else None)

    def due(self) -> bool:
        with self._lock:
            pending = bool(self._tallies or self._last_uses)
        return pending and time.monotonic() - self._flushed_at >= self.flush_seconds

    def flush(self) -> None:
        """Write what gathered so far; if the write fails, the counts wait for the next."""
        with self._lock:
            tallies, self._tallies = self._tallies, {}
            last_uses, self._last_uses = self._last_uses, {}
            self._flushed_at = time.monotonic()
        if not tallies and not last_uses:
            return
        try:
            with self.database.unit_of_work() as session:
                api_tokens.record_usage(session, tallies, last_uses)
        except Exception:
            log.warning("could not write access-token usage; will retry", exc_info=True)
            with self._lock:
                for key, tally in tallies.items():
                    self._tallies.setdefault(key, UsageTally()).add(tally)
                for token_id, last in last_uses.items():
                    newer = self._last_uses.get(token_id)
                    if newer is None or newer.at < last.at:
                        self._last_uses[token_id] = last


class ApiTokenMiddleware:
    """Adds the rate-limit headers to the answers of token callers and counts their requests."""

    def __init__(self, app: ASGIApp, *, recorder: UsageRecorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                call = state.get(STATE_KEY)
                if isinstance(call, TokenCall) and call.decision is not None:
                    headers = list(message.get("headers", []))
                    headers.extend(
                        (name.lower().encode(), value.encode())
                        for name, value in call.decision.headers().items()
                    )
                    message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            call = state.get(STATE_KEY)
            if isinstance(call, TokenCall):
                self.recorder.add(call, status)
        if self.recorder.due():
            await run_in_threadpool(self.recorder.flush)
