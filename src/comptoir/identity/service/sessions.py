"""Signed-in sessions: access tokens, rotating refresh tokens, browser cookies, principals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.identity.models import (
    AuthSession,
    Membership,
    Organization,
    RefreshToken,
    User,
)
from comptoir.identity.roles import Role, scopes_for
from comptoir.identity.service.tokens import (
    AccessClaims,
    AuthConfig,
    decode_access_token,
    encode_access_token,
    hash_token,
    new_opaque_token,
)
from comptoir.kit import clock
from comptoir.kit.context import current_origin
from comptoir.kit.errors import NotFound, PermissionDenied, Unauthorized
from comptoir.kit.tenancy import all_tenants, set_organization


@dataclass(frozen=True)
class Principal:
    """Who is calling, in which organization, with which scopes."""

    user_id: uuid.UUID
    email: str
    name: str
    organization_id: uuid.UUID
    role: Role
    scopes: frozenset[str]
    # A signed-in session (log-in, browser), or a personal access token: exactly one is set.
    session_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None

    def can(self, scope: str) -> bool:
        return scope in self.scopes


def session_of(principal: Principal) -> uuid.UUID:
    """The caller's signed-in session; callers with a personal access token have none."""
    if principal.session_id is None:
        raise PermissionDenied(
            "A personal access token belongs to one organization and has no session to end, "
            "switch or keep: log in with a password for this.",
            code="token_not_allowed",
        )
    return principal.session_id


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    access_expires_at: datetime
    refresh_token: str | None
    session_id: uuid.UUID


def _membership(
    session: Session, user_id: uuid.UUID, organization_id: uuid.UUID
) -> Membership | None:
    with all_tenants(session):
        return session.scalar(
            select(Membership).where(
                Membership.user_id == user_id, Membership.organization_id == organization_id
            )
        )


def open_session(
    session: Session, config: AuthConfig, user: User, organization_id: uuid.UUID, *, kind: str
) -> tuple[AuthSession, str]:
    """Start a session; returns it with its raw secret (refresh token or cookie value)."""
    origin = current_origin()
    raw, digest = new_opaque_token()
    now = clock.now()
    ttl = config.web_session_ttl if kind == "web" else config.refresh_token_ttl
    auth_session = AuthSession(
        user_id=user.id,
        organization_id=organization_id,
        kind=kind,
        cookie_hash=digest if kind == "web" else None,
        expires_at=now + ttl,
        ip=origin.ip,
        user_agent=(origin.user_agent or "")[:400] or None,
    )
    session.add(auth_session)
    session.flush()
    if kind == "api":
        session.add(
            RefreshToken(session_id=auth_session.id, token_hash=digest, expires_at=now + ttl)
        )
        session.flush()
    return auth_session, raw


def issue_tokens(
    session: Session, config: AuthConfig, user: User, organization_id: uuid.UUID
) -> TokenPair:
    auth_session, refresh = open_session(session, config, user, organization_id, kind="api")
    return _pair(config, auth_session, refresh)


def _pair(config: AuthConfig, auth_session: AuthSession, refresh: str | None) -> TokenPair:
    access, expires = encode_access_token(
        config,
        AccessClaims(auth_session.user_id, auth_session.organization_id, auth_session.id),
    )
    return TokenPair(access, expires, refresh, auth_session.id)


def revoke_session(session: Session, auth_session: AuthSession, reason: str) -> None:
    if auth_session.revoked_at is None:
        auth_session.revoked_at = clock.now()
        auth_session.revoked_reason = reason
        session.flush()


def revoke_all_sessions(
    session: Session, user_id: uuid.UUID, reason: str, *, organization_id: uuid.UUID | None = None
) -> None:
    query = (
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=clock.now(), revoked_reason=reason)
    )
    if organization_id is not None:
        query = query.where(AuthSession.organization_id == organization_id)
    session.execute(query)


def refresh(session: Session, config: AuthConfig, raw_refresh_token: str) -> TokenPair:
    """Rotate a refresh token. Presenting an already-rotated token revokes its whole family."""
    token = session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == hash_token(raw_refresh_token))
        .with_for_update()
    )
    if token is None:
        raise Unauthorized("This refresh token is not valid.", code="invalid_refresh_token")
    auth_session = session.get(AuthSession, token.session_id, with_for_update=True)
    if auth_session is None or auth_session.revoked_at is not None:
        raise Unauthorized("This session has ended; log in again.", code="session_revoked")
    now = clock.now()
    if token.rotated_at is not None:
        revoke_session(session, auth_session, "refresh_token_reuse")
        audit.record(
            session,
            "auth.refresh_token_reused",
            target_type="session",
            target_id=auth_session.id,
            organization_id=auth_session.organization_id,
            actor_user_id=auth_session.user_id,
        )
        raise Unauthorized(
            "This refresh token was already used; the session is revoked for safety.",
            code="refresh_token_reused",
            keep_changes=True,
        )
    if token.expires_at <= now or auth_session.expires_at <= now:
        raise Unauthorized("The refresh token has expired; log in again.", code="token_expired")
    if _membership(session, auth_session.user_id, auth_session.organization_id) is None:
        revoke_session(session, auth_session, "membership_ended")
        raise Unauthorized(
            "You are no longer a member of this organization.",
            code="session_revoked",
            keep_changes=True,
        )
    token.rotated_at = now
    raw, digest = new_opaque_token()
    session.add(
        RefreshToken(session_id=auth_session.id, token_hash=digest, expires_at=token.expires_at)
    )
    auth_session.last_seen_at = now
    session.flush()
    return _pair(config, auth_session, raw)


def _principal(
    session: Session, auth_session: AuthSession | None, organization_id: uuid.UUID | None = None
) -> Principal:
    now = clock.now()
    if auth_session is None or auth_session.revoked_at is not None:
        raise Unauthorized("This session has ended; log in again.", code="session_revoked")
    if auth_session.expires_at <= now:
        raise Unauthorized("This session has expired; log in again.", code="session_expired")
    org_id = organization_id or auth_session.organization_id
    with all_tenants(session):
        row = session.execute(
            select(User, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(User.id == auth_session.user_id, Membership.organization_id == org_id)
        ).first()
    if row is None:
        raise Unauthorized("You are no longer a member of this organization.", code="not_a_member")
    user, role_name = row
    if not user.is_active:
        raise Unauthorized("This account is disabled.", code="account_disabled")
    role = Role(role_name)
    set_organization(session, org_id)
    audit.set_actor(session, user.id, user.email)
    return Principal(
        user_id=user.id,
        email=user.email,
        name=user.name,
        organization_id=org_id,
        role=role,
        scopes=scopes_for(role),
        session_id=auth_session.id,
    )


def authenticate_access_token(session: Session, config: AuthConfig, token: str) -> Principal:
    claims = decode_access_token(config, token)
    auth_session = session.get(AuthSession, claims.session_id)
    if auth_session is not None and auth_session.user_id != claims.user_id:
        raise Unauthorized("The access token is not valid.", code="invalid_token")
    return _principal(session, auth_session, claims.organization_id)


def authenticate_cookie(session: Session, raw_cookie: str) -> Principal:
    auth_session = session.scalar(
        select(AuthSession).where(
            AuthSession.cookie_hash == hash_token(raw_cookie), AuthSession.kind == "web"
        )
    )
    return _principal(session, auth_session)


def end_session(session: Session, session_id: uuid.UUID) -> None:
    auth_session = session.get(AuthSession, session_id)
    if auth_session is not None:
        revoke_session(session, auth_session, "logout")
        audit.record(session, "auth.logout", target_type="session", target_id=session_id)


def switch_organization(
    session: Session, config: AuthConfig, principal: Principal, organization_id: uuid.UUID
) -> tuple[TokenPair, Organization]:
    """Point the caller's session at another of their organizations (404 if not a member)."""
    auth_session, organization = _repoint_session(session, principal, organization_id)
    return _pair(config, auth_session, None), organization


def switch_web_organization(
    session: Session, principal: Principal, organization_id: uuid.UUID
) -> Organization:
    """The browser's version: the cookie stays, its session now opens in ``organization_id``."""
    return _repoint_session(session, principal, organization_id)[1]


def _repoint_session(
    session: Session, principal: Principal, organization_id: uuid.UUID
) -> tuple[AuthSession, Organization]:
    session_id = session_of(principal)
    if _membership(session, principal.user_id, organization_id) is None:
        raise NotFound("No such organization.")
    auth_session = session.get(AuthSession, session_id)
    user = session.get(User, principal.user_id)
    organization = session.get(Organization, organization_id)
    if auth_session is None or user is None or organization is None:
        raise NotFound("No such organization.")
    auth_session.organization_id = organization_id
    user.default_organization_id = organization_id
    session.flush()
    set_organization(session, organization_id)
    audit.record(
        session,
        "auth.organization_switched",
        target_type="organization",
        target_id=organization_id,
        before={"organization_id": principal.organization_id},
        after={"organization_id": organization_id},
    )
    return auth_session, organization
