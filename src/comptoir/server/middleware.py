"""Pure ASGI middleware: request ids, origin, body limit, security headers, metrics, access log."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Sequence
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from comptoir.kit.context import Origin, reset_origin, set_origin
from comptoir.server.problems import problem

access_log = logging.getLogger("comptoir.access")

REQUESTS = Counter("comptoir_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "comptoir_http_request_duration_seconds", "HTTP request latency", ["method", "route"]
)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)
# Swagger UI starts itself with an inline script and inline styles.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=()"),
]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _forwarded_client(scope: Scope) -> str | None:
    """The address the one trusted proxy saw: the right-most ``X-Forwarded-For`` entry, the
    one it appended. Entries to its left, and header lines before its own, came from the
    client, who can write anything there."""
    entries = [
        entry.strip()
        for key, value in scope.get("headers", [])
        if key == b"x-forwarded-for"
        for entry in value.decode("latin-1").split(",")
    ]
    return entries[-1][:45] if entries and entries[-1] else None


class RequestContextMiddleware:
    """Gives every request an id, records where it came from, and adds response headers."""

    def __init__(self, app: ASGIApp, *, trusted_proxies: bool = False) -> None:
        self.app = app
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        client = scope.get("client")
        ip = client[0] if client else None
        if self.trusted_proxies:
            ip = _forwarded_client(scope) or ip
        token = set_origin(Origin(request_id, ip, (_header(scope, b"user-agent") or "")[:400]))
        started = time.perf_counter()
        status_holder: dict[str, int] = {"status": 500}
        path = scope.get("path", "")
        csp = DOCS_CSP if path.startswith("/api/docs") else CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                # A response that states its own framing policy keeps it: the PDF that a
                # document's page shows in a frame allows that page, and only it.
                own = {key.lower() for key, _ in headers}
                headers.append((b"x-request-id", request_id.encode()))
                if b"content-security-policy" not in own:
                    headers.append((b"content-security-policy", csp.encode()))
                headers.extend(item for item in _SECURITY_HEADERS if item[0] not in own)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            REQUESTS.labels(method, template, str(status_holder["status"])).inc()
            LATENCY.labels(method, template).observe(elapsed)
            access_log.info(
                "request",
                extra={
                    "method": method,
                    "path": path,
                    "status": status_holder["status"],
                    "duration_ms": round(elapsed * 1000, 2),
                    "ip": ip,
                },
            )
            reset_origin(token)


# Text that databases cannot store (PostgreSQL refuses NUL in text): raw, JSON-escaped
# or URL-encoded. Binary uploads (multipart, images, PDF) are not text and pass.
_NUL_MARKERS = (b"\x00", b"\\u0000", b"%00")
_TEXT_TYPES = (b"application/json", b"application/x-www-form-urlencoded", b"text/")


def _carries_nul(data: bytes) -> bool:
    lowered = data.lower()
    return any(marker in lowered for marker in _NUL_MARKERS)


class BodyLimitMiddleware:
    """Answers 413 to bodies over the limit, declared or streamed, before the app reads them,
    and 422 to text (body, path or query) carrying a NUL character.

    ``uploads`` raise the limit for the paths that take files (a path pattern and its
    limit): a CSV import or a receipt is larger than any JSON request.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        uploads: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = tuple(uploads)

    def limit_for(self, path: str) -> int:
        for pattern, limit in self.uploads:
            if pattern.fullmatch(path):
                return max(limit, self.max_bytes)
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _carries_nul(scope.get("query_string", b"")) or "\x00" in scope.get("path", ""):
            await self._nul(scope, send)
            return
        if scope.get("method") in {"GET", "HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope.get("path", ""))
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
            await self._too_large(scope, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > max_bytes:
                await self._too_large(scope, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        content_type = (_header(scope, b"content-type") or "").lower().encode()
        if content_type.startswith(_TEXT_TYPES) and _carries_nul(body):
            await self._nul(scope, send)
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _nul(self, scope: Scope, send: Send) -> None:
        response = problem(
            422,
            "validation_failed",
            "Invalid input",
            "Text may not contain NUL characters.",
            instance=scope.get("path"),
            errors=[
                {
                    "field": "body",
                    "message": "NUL characters are not allowed.",
                    "code": "nul_character",
                }
            ],
        )
        await response(scope, _no_receive, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        response = problem(
            413,
            "payload_too_large",
            "Payload too large",
            f"The request body is larger than {self.limit_for(scope.get('path', ''))} bytes.",
            instance=scope.get("path"),
        )
        await response(scope, _no_receive, send)


async def _no_receive() -> Any:
    return {"type": "http.disconnect"}
