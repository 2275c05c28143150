"""FastAPI dependencies: the unit of work, the caller, and the one scope guard."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from comptoir.identity.service import api_tokens
from comptoir.identity.service.sessions import Principal, authenticate_access_token
from comptoir.identity.service.tokens import AuthConfig
from comptoir.kit.context import current_origin
from comptoir.kit.db import Database
from comptoir.kit.errors import DomainError, PermissionDenied, RateLimited, Unauthorized
from comptoir.kit.scopes import is_scope
from comptoir.kit.settings import Settings
from comptoir.server.api_usage import STATE_KEY, TokenCall
from comptoir.server.ratelimit import HOUR, MINUTE, RateLimiter

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_auth_config(request: Request) -> AuthConfig:
    config: AuthConfig = request.app.state.auth_config
    return config


def unit_of_work(request: Request) -> Iterator[Session]:
    """One session per request: committed when the handler returns, rolled back if it raises.

    Errors flagged ``keep_changes`` (a failed log-in being counted) commit first.
    """
    database = get_database(request)
    write = request.method not in READ_METHODS
    session = database.session(write=write)
    try:
        yield session
        if write:
            session.commit()
    except DomainError as exc:
        if exc.keep_changes and write:
            session.commit()
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(unit_of_work, scope="function")]
Config = Annotated[AuthConfig, Depends(get_auth_config)]


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "Send an access token: Authorization: Bearer <token>.", code="missing_token"
        )
    return token.strip()


def authenticated(request: Request, session: DbSession, config: Config) -> Principal:
    token = bearer_token(request)
    if token.startswith(api_tokens.TOKEN_PREFIX):
        principal = _token_caller(request, session, token)
    else:
        principal = authenticate_access_token(session, config, token)
    request.state.principal = principal
    return principal


def _token_caller(request: Request, session: Session, raw: str) -> Principal:
    """A personal access token: checked, then counted against its rate limits."""
    ip = current_origin().ip
    principal = api_tokens.authenticate(session, raw, ip)
    assert principal.token_id is not None
    limits = api_tokens.rate_limits(session, principal)
    limiter: RateLimiter = request.app.state.rate_limiter
    decision = limiter.hit(
        str(principal.token_id), ((MINUTE, limits.per_minute), (HOUR, limits.per_hour))
    )
    call = TokenCall(principal.token_id, principal.organization_id, ip, decision)
    setattr(request.state, STATE_KEY, call)
    if call.throttled:
        assert decision is not None
        raise RateLimited(
            "This access token sent too many requests; slow down.",
            retry_after=decision.retry_after,
        )
    return principal


def _refuse_token(principal: Principal, what: str) -> None:
    if principal.token_id is not None:
        raise PermissionDenied(
            f"A personal access token cannot {what}: log in with a password for this.",
            code="token_not_allowed",
        )


def require_login(*, tokens: bool = False) -> Any:
    """Any signed-in caller, whatever their role: routes about the member rather than one
    organization's books (``/auth/me``, creating an organization, ...).

    No scope guards these, so a personal access token, however narrow, is refused
    (403 ``token_not_allowed``); ``tokens=True`` lets tokens into a read that shows only
    the token's own organization or the application's catalogues."""

    def dependency(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        if not tokens:
            _refuse_token(principal, "act on your account")
        return principal

    dependency.required_scope = "*"  # type: ignore[attr-defined]
    return Depends(dependency)


def require_scope(scope: str, *, tokens: bool = True) -> Any:
    """The guard on every route: the caller's role or token must grant ``scope``.

    ``tokens=False`` refuses personal access tokens whatever their scopes (403
    ``token_not_allowed``): a token may not manage tokens, or it could hand itself a
    sibling's broader secret or children without its own expiry and allowlist."""
    if not is_scope(scope):
        raise ValueError(f"unknown scope {scope!r}")

    def dependency(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        if not tokens:
            _refuse_token(principal, "do this")
        if not principal.can(scope):
            raise PermissionDenied(
                f"Your role does not allow this ({scope}).", code="insufficient_scope"
            )
        return principal

    dependency.required_scope = scope  # type: ignore[attr-defined]
    return Depends(dependency)


def public(func: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a route handler as reachable without authentication (log-in, sign-up, ...)."""
    func.public_route = True  # type: ignore[attr-defined]
    return func
