"""The browser side of a session: the sign-in cookie, CSRF, forms and how web routes answer.

Web routes use :func:`web_router`. Its routes turn the errors a visitor can cause
into HTML pages (never the API's JSON problems): an anonymous visitor is sent to the
log-in page, a missing scope answers a 403 page, another organization's id a 404 page,
and a POST whose CSRF token does not match a 403 page.
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from comptoir.identity.service import accounts, organizations, sessions
from comptoir.identity.service.sessions import Principal
from comptoir.kit.errors import (
    DomainError,
    NotFound,
    PermissionDenied,
    Unauthorized,
    ValidationFailed,
)
from comptoir.kit.settings import Settings
from comptoir.server.deps import READ_METHODS, DbSession, get_database
from comptoir.web.templating import role_label, templates

if TYPE_CHECKING:
    from comptoir.identity.models import Organization, User

SESSION_COOKIE = "comptoir_session"
CSRF_COOKIE = "comptoir_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_\-]{32,64}")


class LoginRequired(Exception):
    """Raised by :data:`CurrentVisitor` for anonymous visitors; answered with the log-in page."""


class CsrfRejected(Exception):
    """A state-changing request without the token of this browser's CSRF cookie."""


# -- cookies -----------------------------------------------------------------------------


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _cookie_options(request: Request) -> dict[str, Any]:
    return {
        "path": "/",
        "httponly": True,
        "samesite": "lax",
        "secure": _settings(request).base_url.startswith("https"),
    }


def _max_age(request: Request) -> int:
    return _settings(request).web_session_days * 24 * 3600


def set_session_cookie(request: Request, response: Response, raw: str | None) -> None:
    assert raw is not None, "web sign-ins always come with a cookie value"
    response.set_cookie(SESSION_COOKIE, raw, max_age=_max_age(request), **_cookie_options(request))


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, **_cookie_options(request))


def csrf_token(request: Request) -> str:
    """This browser's CSRF token: the cookie's value, or a new one set by :func:`render`."""
    token: str | None = getattr(request.state, "csrf_token", None)
    if token is None:
        token = request.cookies.get(CSRF_COOKIE, "")
        if not _TOKEN_SHAPE.fullmatch(token):
            token = secrets.token_urlsafe(32)
            request.state.csrf_cookie_needed = True
        request.state.csrf_token = token
    return token


async def check_csrf(request: Request) -> None:
    """Double-submit check on every state-changing request of the web routers."""
    if request.method in READ_METHODS:
        return
    expected = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER) or (await request.form()).get(CSRF_FIELD)
    if not expected or not isinstance(sent, str):
        raise CsrfRejected
    if not hmac.compare_digest(expected.encode(), sent.encode()):
        raise CsrfRejected


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a path of this site only, never another site's URL."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or any(ord(c) < 32 for c in value):
        return "/"
    parts = urlsplit(value)
    return "/" if parts.scheme or parts.netloc else value


# -- database and visitor ----------------------------------------------------------------


def _web_db(request: Request, session: DbSession) -> Session:
    # Kept on the request so that error pages can roll back what a failed call left.
    request.state.web_db = session
    return session


Db = Annotated[Session, Depends(_web_db)]


def _committing_db(request: Request) -> Iterator[Session]:
    with get_database(request).unit_of_work(write=True) as session:
        request.state.web_db = session
        yield session


async def _form_data(request: Request) -> FormData:
    # Already parsed (and cached on the request) by the CSRF check of a plain form post.
    return await request.form()


# The posted form, for handlers that read fields by computed names (lines.3.amount) or files.
PostedForm = Annotated[FormData, Depends(_form_data)]


# A GET unit of work that commits: for e-mail confirmation links, which change state.
CommittingDb = Annotated[Session, Depends(_committing_db, scope="function")]


def discard(session: Session, exc: DomainError) -> None:
    """Undo what a failed service call wrote, except what its error asks to keep."""
    if not exc.keep_changes:
        session.rollback()


@dataclass(frozen=True)
class Visitor:
    """A signed-in user as the pages show them: who, where, with what rights, and where else."""

    principal: Principal
    user: User
    organization: Organization
    organizations: list[tuple[Organization, str]]

    def can(self, scope: str) -> bool:
        return self.principal.can(scope)

    def require(self, scope: str) -> None:
        if not self.principal.can(scope):
            raise PermissionDenied(f"Your role does not allow this ({scope}).")


def _optional_visitor(request: Request, session: Db) -> Visitor | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        principal = sessions.authenticate_cookie(session, raw)
    except Unauthorized:
        return None
    user = accounts.user_by_id(session, principal.user_id)
    assert user is not None
    visitor = Visitor(
        principal,
        user,
        organizations.get_current(session),
        organizations.organizations_of(session, principal.user_id),
    )
    request.state.visitor = visitor
    return visitor


MaybeVisitor = Annotated[Visitor | None, Depends(_optional_visitor)]


def _required_visitor(visitor: MaybeVisitor) -> Visitor:
    if visitor is None:
        raise LoginRequired
    return visitor


CurrentVisitor = Annotated[Visitor, Depends(_required_visitor)]


# -- responses ---------------------------------------------------------------------------


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    visitor: Visitor | None = getattr(request.state, "visitor", None)
    values: dict[str, Any] = {
        "visitor": visitor,
        "organization": visitor.organization if visitor else None,
        "csrf_token": csrf_token(request),
        "notice": None,
        "current_path": request.url.path,
        **(context or {}),
    }
    response = templates.TemplateResponse(
        request, template, values, status_code=status_code, headers=dict(headers or {})
    )
    # Pages show private data and carry a CSRF token: never keep them in a shared cache.
    response.headers["Cache-Control"] = "no-store"
    if getattr(request.state, "csrf_cookie_needed", False):
        # As long-lived as a sign-in, so that a page restored with the browser still posts.
        response.set_cookie(
            CSRF_COOKIE, csrf_token(request), max_age=_max_age(request), **_cookie_options(request)
        )
    return response


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def parse_id(value: str, message: str = "No such item.") -> uuid.UUID:
    """A path's id as pages receive it: anything that is not a UUID is simply not found."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(message) from None


def redirect(url: str, request: Request | None = None) -> Response:
    """303 to ``url``; HTMX requests get the header that makes HTMX load the page."""
    if request is not None and is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def attachment(body: bytes, media_type: str, filename: str) -> Response:
    """A file to save, kept out of shared caches (it holds the organization's figures)."""
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def notice(request: Request, messages: Mapping[str, str]) -> str | None:
    """The confirmation named by ``?notice=`` (only known ones, so that links cannot forge text)."""
    return messages.get(request.query_params.get("notice", ""))


def login_redirect(request: Request) -> Response:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = safe_next(here) if request.method in READ_METHODS else "/"
    return redirect("/login" if target == "/" else f"/login?{urlencode({'next': target})}", request)


_ERROR_PAGES: dict[int, tuple[str, str]] = {
    400: ("This link is not valid", "Check the address, or go back and try again."),
    403: ("You don't have access to this page", "Ask an owner or administrator for access."),
    404: ("Page not found", "It may have been moved or deleted, or belong to another company."),
    409: ("This could not be done", "The page changed in the meantime."),
    410: ("This link is no longer valid", "Ask for a new one."),
    429: ("Too many attempts", "Wait a few minutes before trying again."),
}


def error_page(
    request: Request, status_code: int, detail: str | None = None, *, title: str | None = None
) -> Response:
    default_title, advice = _ERROR_PAGES.get(status_code, _ERROR_PAGES[400])
    return render(
        request,
        "errors/error.html",
        {
            "status": status_code,
            "title": title or default_title,
            "detail": detail,
            "advice": advice,
        },
        status_code=status_code,
    )


def _page_for(request: Request, exc: DomainError) -> Response:
    session: Session | None = getattr(request.state, "web_db", None)
    if session is not None:
        discard(session, exc)
    status = exc.status if exc.status in _ERROR_PAGES else 400
    detail = exc.detail
    visitor: Visitor | None = getattr(request.state, "visitor", None)
    if isinstance(exc, PermissionDenied) and visitor is not None:
        # The scope name means nothing to a person; the role they hold does.
        role = role_label(visitor.principal.role)
        detail = f"Your role in {visitor.organization.legal_name} ({role}) does not include it."
    return error_page(request, status, detail)


class WebRoute(APIRoute):
    """A route whose failures answer HTML pages and redirects instead of JSON problems."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return login_redirect(request)
            except CsrfRejected:
                return error_page(
                    request,
                    403,
                    "For your security the form was not accepted: it is too old or came "
                    "from another site. Reload the page and try again.",
                    title="This form has expired",
                )
            except DomainError as exc:
                return _page_for(request, exc)
            except RequestValidationError:
                return error_page(request, 400)

        return answer


def web_router() -> APIRouter:
    """Router for HTML pages: CSRF-checked, out of the OpenAPI document, with HTML errors."""
    return APIRouter(
        include_in_schema=False, route_class=WebRoute, dependencies=[Depends(check_csrf)]
    )


# -- forms -------------------------------------------------------------------------------


@dataclass
class FormState:
    """What a form shows: the values typed (never passwords), errors by field, an alert."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    alert: str | None = None
    status: int = 200

    def value(self, name: str) -> str:
        return self.values.get(name, "")


def failed_form(session: Session, exc: DomainError, values: dict[str, str]) -> FormState:
    """The form again after ``exc``: field errors beside their field, the rest at the top."""
    discard(session, exc)
    errors: dict[str, str] = {}
    others: list[str] = []
    for error in exc.errors if isinstance(exc, ValidationFailed) else []:
        if error.field in values:
            errors.setdefault(error.field, error.message)
        else:
            others.append(error.message)
    alert = " ".join(others) or (None if errors else exc.detail)
    return FormState(values, errors, alert, exc.status)
