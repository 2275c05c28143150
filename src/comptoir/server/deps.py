"""FastAPI dependencies: the unit of work, the caller, and the one scope guard."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from comptoir.identity.service.sessions import Principal, authenticate_access_token
from comptoir.identity.service.tokens import AuthConfig
from comptoir.kit.db import Database
from comptoir.kit.errors import DomainError, PermissionDenied, Unauthorized
from comptoir.kit.scopes import is_scope
from comptoir.kit.settings import Settings

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
    principal = authenticate_access_token(session, config, bearer_token(request))
    request.state.principal = principal
    return principal


def require_login() -> Any:
    """Any signed-in caller, whatever their role (``/auth/me`` and the like)."""

    def dependency(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        return principal

    dependency.required_scope = "*"  # type: ignore[attr-defined]
    return Depends(dependency)


def require_scope(scope: str) -> Any:
    """The guard on every route: the caller's role or token must grant ``scope``."""
    if not is_scope(scope):
        raise ValueError(f"unknown scope {scope!r}")

    def dependency(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
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
