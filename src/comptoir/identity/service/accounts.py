"""Accounts: sign-up, log-in with brute-force protection, e-mail verification, passwords."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, or_, select, update
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.identity.models import (
    AuthSession,
    LoginAttempt,
    Membership,
    OneTimeToken,
    Organization,
    RefreshToken,
    User,
)
from comptoir.identity.roles import Role
from comptoir.identity.service import organizations, passwords, sessions
from comptoir.identity.service.addresses import normalize_email
from comptoir.identity.service.tokens import AuthConfig, hash_token, new_opaque_token
from comptoir.kit import clock
from comptoir.kit.errors import (
    Conflict,
    FieldError,
    Gone,
    PermissionDenied,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)
from comptoir.kit.tenancy import all_tenants, as_organization, set_organization
from comptoir.mail import service as mail
from comptoir.outbox import service as outbox

LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILED_LOGINS = 10
RESET_TOKEN_TTL = timedelta(hours=1)
VERIFY_TOKEN_TTL = timedelta(days=7)
MAX_LINKS_PER_HOUR = 5
PASSWORD_RESET = "password_reset"  # noqa: S105 - a token purpose, not a secret
EMAIL_VERIFICATION = "email_verification"


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


@dataclass(frozen=True)
class Registration:
    email: str
    password: str
    organization_name: str
    country: str
    base_currency: str
    name: str = ""


@dataclass(frozen=True)
class SignedIn:
    user: User
    organization: Organization
    role: Role
    tokens: sessions.TokenPair | None
    cookie: str | None = None


def register(session: Session, config: AuthConfig, data: Registration, *, kind: str) -> SignedIn:
    """Create a user, their organization and owner membership, and sign them in."""
    errors: list[FieldError] = []
    email = ""
    try:
        email = normalize_email(data.email)
    except ValidationFailed as exc:
        errors += exc.errors
    try:
        passwords.check_policy(data.password, email=email or None)
    except ValidationFailed as exc:
        errors += exc.errors
    if len(data.name) > 200:
        errors.append(FieldError("name", "Use at most 200 characters."))
    try:
        organizations.validate_new(data.organization_name, data.country, data.base_currency)
    except ValidationFailed as exc:
        errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    if find_user(session, email) is not None:
        raise Conflict("An account with this e-mail address already exists.", code="email_taken")
    organization = organizations.create_organization(
        session,
        legal_name=data.organization_name,
        country=data.country,
        base_currency=data.base_currency,
    )
    user = User(
        email=email,
        name=data.name.strip(),
        password_hash=passwords.hash_password(data.password),
        password_changed_at=clock.now(),
        default_organization_id=organization.id,
    )
    session.add(user)
    session.flush()
    with as_organization(session, organization.id):
        membership = Membership(user_id=user.id, role=Role.OWNER.value)
        session.add(membership)
        audit.set_actor(session, user.id, user.email)
        audit.record(
            session,
            "user.registered",
            target_type="user",
            target_id=user.id,
            after={"email": email},
        )
        audit.record(
            session,
            "organization.created",
            target_type="organization",
            target_id=organization.id,
            after={"legal_name": organization.legal_name},
        )
        outbox.emit(
            session,
            "member.joined",
            {
                "id": str(membership.id),
                "user_id": str(user.id),
                "email": email,
                "role": Role.OWNER.value,
            },
        )
    send_verification(session, config, user)
    set_organization(session, organization.id)
    return sign_in(session, config, user, organization, Role.OWNER, kind)


def sign_in(
    session: Session,
    config: AuthConfig,
    user: User,
    organization: Organization,
    role: Role,
    kind: str,
) -> SignedIn:
    if kind == "web":
        _, cookie = sessions.open_session(session, config, user, organization.id, kind="web")
        return SignedIn(user, organization, role, None, cookie)
    return SignedIn(
        user, organization, role, sessions.issue_tokens(session, config, user, organization.id)
    )


def _check_login_rate(session: Session, email: str, ip: str | None) -> None:
    since = clock.now() - LOGIN_WINDOW
    failed = select(LoginAttempt.attempted_at).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at > since
    )
    for condition in ([LoginAttempt.email == email], [LoginAttempt.ip == ip] if ip else []):
        if not condition:
            continue
        times = sorted(session.scalars(failed.where(*condition)))
        if len(times) >= MAX_FAILED_LOGINS:
            # Free again when enough of the failures have left the window.
            release = times[-MAX_FAILED_LOGINS] + LOGIN_WINDOW
            retry = int((release - clock.now()).total_seconds()) + 1
            raise RateLimited(
                "Too many failed log-ins. Wait before trying again.",
                retry_after=retry,
                code="too_many_login_attempts",
            )


def check_credentials(
    session: Session, email: str, password: str, *, ip: str | None, field: str | None = None
) -> User:
    """The account behind an e-mail and password, counted against the guessing limits.

    A failure is recorded (and kept) before it is raised: as 401, or as a field error
    on ``field`` when a form asks for the password of a known account.
    """
    address = (email or "").strip().lower()[:254]
    _check_login_rate(session, address, ip)
    user = find_user(session, address)
    if user is not None and passwords.verify_password(user.password_hash, password):
        return user
    session.add(LoginAttempt(email=address, ip=ip, succeeded=False))
    audit.record(
        session,
        "auth.login_failed",
        target_type="user",
        target_id=user.id if user else None,
        actor_email=address,
        actor_user_id=user.id if user else None,
    )
    if field is not None:
        raise ValidationFailed(
            FieldError(field, "This password is wrong.", "invalid_credentials"), keep_changes=True
        )
    raise Unauthorized(
        "Wrong e-mail address or password.", code="invalid_credentials", keep_changes=True
    )


def login(
    session: Session, config: AuthConfig, email: str, password: str, *, ip: str | None, kind: str
) -> SignedIn:
    user = check_credentials(session, email, password, ip=ip)
    address = user.email
    if not user.is_active:
        raise PermissionDenied("This account is disabled.", code="account_disabled")
    memberships = organizations.organizations_of(session, user.id)
    if not memberships:
        raise PermissionDenied(
            "You are not a member of any organization any more.", code="no_membership"
        )
    organization, role = next(
        ((o, r) for o, r in memberships if o.id == user.default_organization_id), memberships[0]
    )
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = clock.now()
    session.add(LoginAttempt(email=address, ip=ip, succeeded=True))
    set_organization(session, organization.id)
    audit.set_actor(session, user.id, user.email)
    audit.record(session, "auth.login", target_type="user", target_id=user.id, after={"kind": kind})
    return sign_in(session, config, user, organization, Role(role), kind)


def _issue_one_time(session: Session, user: User, purpose: str, ttl: timedelta) -> str:
    raw, digest = new_opaque_token()
    session.add(
        OneTimeToken(
            user_id=user.id, purpose=purpose, token_hash=digest, expires_at=clock.now() + ttl
        )
    )
    session.flush()
    return raw


def _consume_one_time(session: Session, raw: str, purpose: str) -> OneTimeToken:
    token = session.scalar(
        select(OneTimeToken)
        .where(OneTimeToken.token_hash == hash_token(raw or ""), OneTimeToken.purpose == purpose)
        .with_for_update()
    )
    if token is None:
        raise ValidationFailed.single("token", "This link is not valid.", "invalid_token")
    if token.used_at is not None:
        raise Gone("This link was already used.", code="token_used")
    if token.expires_at <= clock.now():
        raise Gone("This link has expired; ask for a new one.", code="token_expired")
    token.used_at = clock.now()
    return token


def _mail_link(
    session: Session, config: AuthConfig, user: User, kind: str, subject: str, path: str
) -> None:
    """Queue a message to the account holder carrying a secret link."""
    mail.queue(
        session,
        kind=kind,
        to=user.email,
        sensitive=True,
        subject=subject,
        context={
            "name": user.name,
            "email": user.email,
            "base_url": config.base_url,
            "link": f"{config.base_url}{path}",
        },
    )


def _sent_within_the_hour(session: Session, user: User, purpose: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(OneTimeToken)
            .where(
                OneTimeToken.user_id == user.id,
                OneTimeToken.purpose == purpose,
                OneTimeToken.created_at > clock.now() - timedelta(hours=1),
            )
        )
        or 0
    )


def send_verification(session: Session, config: AuthConfig, user: User) -> None:
    """E-mail a confirmation link, at most five an hour so that it cannot be used to spam."""
    if user.email_verified_at is not None:
        return
    if _sent_within_the_hour(session, user, EMAIL_VERIFICATION) >= MAX_LINKS_PER_HOUR:
        return
    raw = _issue_one_time(session, user, EMAIL_VERIFICATION, VERIFY_TOKEN_TTL)
    _mail_link(
        session,
        config,
        user,
        EMAIL_VERIFICATION,
        "Confirm your e-mail address for Comptoir",
        f"/verify-email?token={raw}",
    )


def verify_email(session: Session, raw: str) -> User:
    token = _consume_one_time(session, raw, EMAIL_VERIFICATION)
    user = session.get(User, token.user_id)
    assert user is not None
    if user.email_verified_at is None:
        user.email_verified_at = clock.now()
        audit.record(
            session,
            "user.email_verified",
            target_type="user",
            target_id=user.id,
            actor_user_id=user.id,
            actor_email=user.email,
        )
    session.flush()
    return user


def request_password_reset(session: Session, config: AuthConfig, email: str) -> None:
    """Send a reset link if the account exists; the caller answers the same either way."""
    user = find_user(session, (email or "")[:254])
    if user is None or not user.is_active:
        return
    if _sent_within_the_hour(session, user, PASSWORD_RESET) >= MAX_LINKS_PER_HOUR:
        return
    raw = _issue_one_time(session, user, PASSWORD_RESET, RESET_TOKEN_TTL)
    _mail_link(
        session,
        config,
        user,
        PASSWORD_RESET,
        "Reset your Comptoir password",
        f"/reset-password?token={raw}",
    )
    audit.record(
        session,
        "auth.password_reset_requested",
        target_type="user",
        target_id=user.id,
        actor_user_id=user.id,
        actor_email=user.email,
    )


def _set_password(session: Session, user: User, password: str, action: str) -> None:
    passwords.check_policy(password, email=user.email)
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = clock.now()
    session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.user_id == user.id,
            OneTimeToken.purpose == PASSWORD_RESET,
            OneTimeToken.used_at.is_(None),
        )
        .values(used_at=clock.now())
    )
    audit.record(
        session,
        action,
        target_type="user",
        target_id=user.id,
        actor_user_id=user.id,
        actor_email=user.email,
    )


def confirm_password_reset(session: Session, raw: str, new_password: str) -> User:
    """Set a new password from a reset link; every open session of the account ends."""
    token = _consume_one_time(session, raw, PASSWORD_RESET)
    user = session.get(User, token.user_id)
    assert user is not None
    _set_password(session, user, new_password, "auth.password_reset")
    # Whoever could open the mailbox proved control of the address.
    user.email_verified_at = user.email_verified_at or clock.now()
    sessions.revoke_all_sessions(session, user.id, "password_reset")
    session.flush()
    return user


def change_password(
    session: Session, principal: sessions.Principal, current: str, new_password: str
) -> None:
    """Change one's own password; other sessions end, this one stays."""
    current_session_id = sessions.session_of(principal)
    user = session.get(User, principal.user_id)
    assert user is not None
    if not passwords.verify_password(user.password_hash, current):
        raise ValidationFailed.single(
            "current_password", "The current password is wrong.", "invalid_credentials"
        )
    _set_password(session, user, new_password, "auth.password_changed")
    sessions.revoke_all_sessions(session, user.id, "password_changed")
    current_session = session.get(AuthSession, current_session_id)
    if current_session is not None:
        current_session.revoked_at = None
        current_session.revoked_reason = None
    session.flush()


def rename(session: Session, user_id: uuid.UUID, name: str) -> User:
    """Change the display name of one's own account."""
    cleaned = " ".join((name or "").split())
    if len(cleaned) > 200:
        raise ValidationFailed.single("name", "Use at most 200 characters.")
    user = session.get(User, user_id)
    assert user is not None
    if user.name != cleaned:
        audit.record(
            session,
            "user.renamed",
            target_type="user",
            target_id=user.id,
            before={"name": user.name},
            after={"name": cleaned},
        )
        user.name = cleaned
        session.flush()
    return user


def purge_expired(session: Session) -> int:
    """Delete spent tokens and old log-in attempts; returns how many rows went."""
    now = clock.now()
    removed = 0
    with all_tenants(session):
        for statement in (
            delete(OneTimeToken).where(
                or_(
                    OneTimeToken.expires_at < now - timedelta(days=1),
                    OneTimeToken.used_at < now - timedelta(days=1),
                )
            ),
            delete(LoginAttempt).where(LoginAttempt.attempted_at < now - timedelta(days=1)),
            delete(RefreshToken).where(RefreshToken.expires_at < now - timedelta(days=1)),
        ):
            result = cast(CursorResult[Any], session.execute(statement))
            removed += result.rowcount or 0
    return removed


def user_by_id(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def display_names(session: Session, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """How timelines and histories name the users who acted (their name, else their
    e-mail), members who have left included, in one query."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    return {
        user.id: user.name or user.email
        for user in session.scalars(select(User).where(User.id.in_(wanted)))
    }
