"""Tables of users, organizations, memberships, sessions and one-time tokens."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.kit import clock
from comptoir.kit.db import Base, IdMixin, TimestampMixin
from comptoir.kit.tenancy import TenantScoped


class Organization(IdMixin, TimestampMixin, Base):
    __tablename__ = "organizations"

    legal_name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    base_currency: Mapped[str] = mapped_column(String(3))
    fiscal_year_start_month: Mapped[int] = mapped_column(default=1)
    locale: Mapped[str] = mapped_column(String(20), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    siren: Mapped[str | None] = mapped_column(String(9))
    vat_number: Mapped[str | None] = mapped_column(String(20))
    tpin: Mapped[str | None] = mapped_column(String(10))
    company_registration: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    # What each personal access token may send, unless the token sets lower limits.
    api_requests_per_minute: Mapped[int] = mapped_column(default=300, server_default="300")
    api_requests_per_hour: Mapped[int] = mapped_column(default=10000, server_default="10000")


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    email_verified_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    # The organization a new session opens in: the one last switched to.
    default_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    is_active: Mapped[bool] = mapped_column(default=True)


class Membership(IdMixin, TenantScoped, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    # Portal members (client, supplier): the one party whose documents they see.
    party_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("parties.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class AuthSession(IdMixin, Base):
    """One signed-in device: the family of refresh tokens, or one browser cookie."""

    __tablename__ = "auth_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(10))  # "api" or "web"
    cookie_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(default=clock.now)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(400))


class RefreshToken(IdMixin, Base):
    __tablename__ = "refresh_tokens"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]


class OneTimeToken(IdMixin, Base):
    """E-mail verification and password-reset links: single use, hashed, short-lived."""

    __tablename__ = "one_time_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(30))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Invitation(IdMixin, TenantScoped, Base):
    __tablename__ = "invitations"

    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    # Portal invitations: the party the member will be linked to on joining.
    party_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("parties.id", ondelete="SET NULL")
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None]


class LoginAttempt(IdMixin, Base):
    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "attempted_at"),
        Index("ix_login_attempts_ip_at", "ip", "attempted_at"),
    )

    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str | None] = mapped_column(String(45))
    attempted_at: Mapped[datetime] = mapped_column(default=clock.now)
    succeeded: Mapped[bool]


class ApiToken(IdMixin, TenantScoped, Base):
    """A personal access token: a member's delegated, scoped, revocable access to the API.

    Only the SHA-256 of the secret is kept; ``prefix`` (the first characters) lets people
    tell their tokens apart in lists and logs.
    """

    __tablename__ = "api_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    # CIDR blocks the token may be used from; empty means anywhere.
    ip_allowlist: Mapped[list[str]] = mapped_column(JSON, default=list)
    requests_per_minute: Mapped[int | None]
    requests_per_hour: Mapped[int | None]
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    regenerated_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    last_used_ip: Mapped[str | None] = mapped_column(String(45))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class ApiTokenUsage(TenantScoped, Base):
    """Requests made with one token on one (UTC) day."""

    __tablename__ = "api_token_usage"
    __tenant_index__ = False

    token_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    requests: Mapped[int] = mapped_column(default=0)
    # Answers of 400 and above, and of those the requests refused by the rate limit.
    errors: Mapped[int] = mapped_column(default=0)
    throttled: Mapped[int] = mapped_column(default=0)
