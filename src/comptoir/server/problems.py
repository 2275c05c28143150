"""Every error leaves as an RFC 9457 ``application/problem+json`` document."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from comptoir.kit.context import current_origin
from comptoir.kit.errors import DomainError, RateLimited, ValidationFailed

log = logging.getLogger("comptoir.errors")

PROBLEM_TYPE = "urn:comptoir:problem:"
_HTTP_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload_too_large", "Payload too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("validation_failed", "Invalid input"),
    429: ("rate_limited", "Too many requests"),
    503: ("unavailable", "Service unavailable"),
}


def problem(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": title,
        "status": status,
        "code": code,
        "detail": detail or title,
    }
    if instance:
        body["instance"] = instance
    request_id = current_origin().request_id
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return JSONResponse(
        body, status_code=status, headers=headers, media_type="application/problem+json"
    )


def _field_of(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in location]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def from_domain_error(exc: DomainError, instance: str | None = None) -> JSONResponse:
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, ValidationFailed):
        extra["errors"] = [
            {"field": e.field, "message": e.message, "code": e.code}
            | ({"row": e.row} if e.row is not None else {})
            for e in exc.errors
        ]
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return problem(
        exc.status,
        exc.code,
        exc.title,
        exc.detail,
        instance=instance,
        headers=headers or None,
        **extra,
    )


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return from_domain_error(exc, request.url.path)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem(
            400,
            "malformed_json",
            "Malformed JSON",
            "The request body is not valid JSON.",
            instance=request.url.path,
        )
    errors = [
        {
            "field": _field_of(e.get("loc", ())),
            "message": str(e.get("msg", "Invalid value.")),
            "code": str(e.get("type", "invalid")),
        }
        for e in raw
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(
        422, "validation_failed", "Invalid input", detail, instance=request.url.path, errors=errors
    )


HtmlErrorPage = Callable[[Request, int, str | None], Response]
_NOT_PAGES = ("/api/", "/health/", "/metrics", "/static/")


def _wants_page(request: Request) -> bool:
    """A browser asking for a page (not the API, not a static file) gets HTML errors."""
    return not request.url.path.startswith(_NOT_PAGES) and "text/html" in request.headers.get(
        "accept", ""
    )


def _http_handler(html_page: HtmlErrorPage | None) -> Callable[..., Any]:
    async def _http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code, title = _HTTP_CODES.get(exc.status_code, ("http_error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        if html_page is not None and _wants_page(request):
            # Starlette's reason phrase adds nothing to the page's own title.
            return html_page(
                request, exc.status_code, None if detail.lower() == title.lower() else detail
            )
        return problem(
            exc.status_code,
            code,
            title,
            detail,
            instance=request.url.path,
            headers=dict(exc.headers or {}) or None,
        )

    return _http


async def _integrity(request: Request, exc: Exception) -> JSONResponse:
    log.warning("integrity error answered as conflict", exc_info=exc)
    return problem(
        409,
        "conflict",
        "Conflict",
        "The change conflicts with the current data (it may already exist).",
        instance=request.url.path,
    )


async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("value refused by the database", exc_info=exc)
    return problem(
        422,
        "validation_failed",
        "Invalid input",
        "A value is out of range or cannot be stored.",
        instance=request.url.path,
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.error("database error", exc_info=exc)
    return problem(
        503,
        "unavailable",
        "Service unavailable",
        "The database is busy or unreachable; try again shortly.",
        instance=request.url.path,
        headers={"Retry-After": "2"},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc)
    return problem(
        500,
        "internal_error",
        "Internal error",
        "Something went wrong on our side; the error was logged.",
        instance=request.url.path,
    )


def install(app: FastAPI, *, html_page: HtmlErrorPage | None = None) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http_handler(html_page))
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(DataError, _unstorable)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
