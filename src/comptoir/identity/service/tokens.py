"""Opaque tokens (stored as SHA-256) and JWT access tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from comptoir.kit import clock
from comptoir.kit.errors import Unauthorized

ISSUER = "comptoir"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class AuthConfig:
    """What the identity services need from the process configuration."""

    secret_key: str
    base_url: str
    access_token_ttl: timedelta = timedelta(minutes=15)
    refresh_token_ttl: timedelta = timedelta(days=30)
    web_session_ttl: timedelta = timedelta(days=14)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def new_opaque_token() -> tuple[str, str]:
    """A fresh URL-safe token and the hash to store."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    organization_id: uuid.UUID
    session_id: uuid.UUID


def encode_access_token(config: AuthConfig, claims: AccessClaims) -> tuple[str, datetime]:
    issued = clock.now()
    expires = issued + config.access_token_ttl
    token = jwt.encode(
        {
            "iss": ISSUER,
            "sub": str(claims.user_id),
            "org": str(claims.organization_id),
            "sid": str(claims.session_id),
            "iat": int(issued.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": secrets.token_hex(8),
        },
        config.secret_key,
        algorithm=ALGORITHM,
    )
    return token, expires


def decode_access_token(config: AuthConfig, token: str) -> AccessClaims:
    try:
        payload = jwt.decode(
            token,
            config.secret_key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "org", "sid"], "verify_exp": False},
        )
        if int(payload["exp"]) <= clock.now().timestamp():
            raise Unauthorized("The access token has expired.", code="token_expired")
        return AccessClaims(
            user_id=uuid.UUID(payload["sub"]),
            organization_id=uuid.UUID(payload["org"]),
            session_id=uuid.UUID(payload["sid"]),
        )
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        raise Unauthorized("The access token is not valid.", code="invalid_token") from None
