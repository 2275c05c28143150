"""Personal access tokens: a member's scoped, revocable, optionally IP-bound access to the API.

A token is ``cpt_`` followed by 32 random bytes (URL-safe base64). Only its SHA-256 is kept;
the secret is shown once, when the token is created or regenerated. A token never grants
more than its creator could do when creating it, and at each request no more than its
owner's current role allows: a demoted member's tokens shrink with them.
"""

from __future__ import annotations

import ipaddress
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.identity.models import ApiToken, ApiTokenUsage, Membership, Organization, User
from comptoir.identity.roles import ADMIN_ROLES, Role, scopes_for
from comptoir.identity.service.sessions import Principal
from comptoir.identity.service.tokens import hash_token
from comptoir.kit import clock
from comptoir.kit.errors import (
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    Unauthorized,
    ValidationFailed,
)
from comptoir.kit.pagination import Page, keyset_page
from comptoir.kit.scopes import SCOPES
from comptoir.kit.tenancy import all_tenants, require_organization, set_organization

TOKEN_PREFIX = "cpt_"  # noqa: S105 (a public marker, not a secret)
# "cpt_" and 8 characters of the secret: enough to tell tokens apart, too few to guess one.
PREFIX_LENGTH = 12
MAX_NAME_LENGTH = 100
MAX_ALLOWLIST = 50
MAX_LIFETIME = timedelta(days=5 * 365 + 1)
MAX_PER_MINUTE = 100_000
MAX_PER_HOUR = 10_000_000
DEFAULT_USAGE_DAYS = 30
MAX_USAGE_DAYS = 366

TokenStatus = Literal["active", "expired", "revoked"]


@dataclass(frozen=True)
class OwnedToken:
    """A token with the member it belongs to (lists of every token say whose it is)."""

    token: ApiToken
    owner_email: str
    owner_name: str

    @property
    def status(self) -> TokenStatus:
        if self.token.revoked_at is not None:
            return "revoked"
        if self.token.expires_at is not None and self.token.expires_at <= clock.now():
            return "expired"
        return "active"


@dataclass(frozen=True)
class Limits:
    per_minute: int
    per_hour: int


@dataclass(frozen=True)
class DayUsage:
    day: date
    requests: int
    errors: int
    throttled: int


@dataclass(frozen=True)
class UsageKey:
    token_id: uuid.UUID
    organization_id: uuid.UUID
    day: date


@dataclass
class UsageTally:
    requests: int = 0
    errors: int = 0
    throttled: int = 0

    def add(self, other: UsageTally) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.throttled += other.throttled


@dataclass(frozen=True)
class LastUse:
    at: datetime
    ip: str | None


def _new_secret() -> tuple[str, str, str]:
    """A raw token, its prefix and the hash to store."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return raw, raw[:PREFIX_LENGTH], hash_token(raw)


def _is_admin(principal: Principal) -> bool:
    return principal.role in ADMIN_ROLES


# -- validation --------------------------------------------------------------------------


def _check_name(name: str, errors: list[FieldError]) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        errors.append(FieldError("name", "Give the token a name.", "required"))
    elif len(cleaned) > MAX_NAME_LENGTH:
        errors.append(FieldError("name", f"Use at most {MAX_NAME_LENGTH} characters.", "too_long"))
    return cleaned


def _check_scopes(
    principal: Principal, scopes: Sequence[str], errors: list[FieldError]
) -> list[str]:
    wanted = sorted(set(scopes))
    if not wanted:
        errors.append(FieldError("scopes", "Choose at least one scope.", "required"))
    for scope in wanted:
        if scope not in SCOPES:
            errors.append(FieldError("scopes", f"Unknown scope {scope!r}.", "unknown_scope"))
        elif not principal.can(scope):
            errors.append(
                FieldError(
                    "scopes",
                    f"You cannot grant {scope}: your own access does not include it.",
                    "scope_not_allowed",
                )
            )
    return wanted


def _check_expiry(expires_at: datetime | None, errors: list[FieldError]) -> datetime | None:
    if expires_at is None:
        return None
    moment = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)
    now = clock.now()
    if moment <= now:
        errors.append(FieldError("expires_at", "Choose a moment in the future.", "in_the_past"))
        return None
    if moment > now + MAX_LIFETIME:
        # Before converting: the first and last moments of the calendar have no UTC twin.
        errors.append(
            FieldError("expires_at", "A token can live at most 5 years.", "too_far_ahead")
        )
        return None
    return moment.astimezone(UTC)


def _check_allowlist(entries: Sequence[str], errors: list[FieldError]) -> list[str]:
    if len(entries) > MAX_ALLOWLIST:
        errors.append(
            FieldError("ip_allowlist", f"List at most {MAX_ALLOWLIST} addresses.", "too_long")
        )
        return []
    networks: list[str] = []
    for index, entry in enumerate(entries):
        try:
            network = str(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            errors.append(
                FieldError(
                    f"ip_allowlist.{index}",
                    f"{entry[:60]!r} is neither an IP address nor a CIDR block.",
                    "invalid_network",
                )
            )
            continue
        if network not in networks:
            networks.append(network)
    return networks


def _check_limit(
    field: str, value: int | None, ceiling: int, errors: list[FieldError]
) -> int | None:
    if value is not None and not 1 <= value <= ceiling:
        errors.append(
            FieldError(
                field, f"Must be between 1 and the organization's limit, {ceiling}.", "out_of_range"
            )
        )
    return value


def _check_minute_within_hour(
    per_minute: int | None, per_hour: int | None, errors: list[FieldError]
) -> None:
    if per_minute is not None and per_hour is not None and per_minute > per_hour:
        errors.append(
            FieldError(
                "requests_per_minute", "Cannot exceed the hourly limit.", "above_hourly_limit"
            )
        )


def _organization(session: Session) -> Organization:
    organization = session.get(Organization, require_organization(session))
    if organization is None:
        raise NotFound("No such organization.")
    return organization


# -- managing tokens ---------------------------------------------------------------------


def create(
    session: Session,
    principal: Principal,
    *,
    name: str,
    scopes: Sequence[str],
    expires_at: datetime | None = None,
    ip_allowlist: Sequence[str] = (),
    requests_per_minute: int | None = None,
    requests_per_hour: int | None = None,
) -> tuple[ApiToken, str]:
    """A new token of the caller's, with at most the caller's own scopes; returns it with
    its raw secret, which is never available again."""
    organization = _organization(session)
    errors: list[FieldError] = []
    cleaned_name = _check_name(name, errors)
    chosen = _check_scopes(principal, scopes, errors)
    expiry = _check_expiry(expires_at, errors)
    networks = _check_allowlist(ip_allowlist, errors)
    per_minute = _check_limit(
        "requests_per_minute", requests_per_minute, organization.api_requests_per_minute, errors
    )
    per_hour = _check_limit(
        "requests_per_hour", requests_per_hour, organization.api_requests_per_hour, errors
    )
    _check_minute_within_hour(per_minute, per_hour, errors)
    if errors:
        raise ValidationFailed(errors)
    raw, prefix, digest = _new_secret()
    token = ApiToken(
        user_id=principal.user_id,
        name=cleaned_name,
        prefix=prefix,
        token_hash=digest,
        scopes=chosen,
        ip_allowlist=networks,
        requests_per_minute=per_minute,
        requests_per_hour=per_hour,
        expires_at=expiry,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        "api_token.created",
        target_type="api_token",
        target_id=token.id,
        after=_audited(token),
    )
    return token, raw


def _audited(token: ApiToken) -> dict[str, Any]:
    return {
        "name": token.name,
        "prefix": token.prefix,
        "scopes": token.scopes,
        "ip_allowlist": token.ip_allowlist,
        "requests_per_minute": token.requests_per_minute,
        "requests_per_hour": token.requests_per_hour,
        "expires_at": token.expires_at,
        "user_id": token.user_id,
    }


def list_tokens(
    session: Session,
    principal: Principal,
    *,
    everyone: bool = False,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[OwnedToken]:
    """The caller's tokens, newest first; owners and admins may ask for every member's."""
    if everyone and not _is_admin(principal):
        raise PermissionDenied(
            "Only owners and administrators see every member's tokens.", code="admin_required"
        )
    query = select(ApiToken)
    if not everyone:
        query = query.where(ApiToken.user_id == principal.user_id)
    page = keyset_page(session, query, ApiToken.id, limit=limit, cursor=cursor)
    owners = {
        user.id: user
        for user in session.scalars(
            select(User).where(User.id.in_({token.user_id for token in page.items}))
        )
    }
    return Page(
        [
            OwnedToken(token, owners[token.user_id].email, owners[token.user_id].name)
            for token in page.items
        ],
        page.next_cursor,
    )


def _visible(
    session: Session, principal: Principal, token_id: uuid.UUID, *, lock: bool = False
) -> tuple[ApiToken, User]:
    """The caller's own token, or any token of the organization for owners and admins;
    anything else is unknown (404). ``lock`` holds the row until commit, so that two
    concurrent changes of one token happen one after the other."""
    query = (
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.id == token_id)
    )
    if lock:
        # Re-read the row once locked: the caller's own token may be loaded already.
        query = query.with_for_update(of=ApiToken).execution_options(populate_existing=True)
    if not _is_admin(principal):
        query = query.where(ApiToken.user_id == principal.user_id)
    row = session.execute(query).first()
    if row is None:
        raise NotFound("No such access token.")
    return row[0], row[1]


def get(session: Session, principal: Principal, token_id: uuid.UUID) -> OwnedToken:
    token, owner = _visible(session, principal, token_id)
    return OwnedToken(token, owner.email, owner.name)


def revoke(session: Session, principal: Principal, token_id: uuid.UUID) -> OwnedToken:
    """The token stops working at once. Revoking a revoked token changes nothing."""
    token, owner = _visible(session, principal, token_id, lock=True)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.revoked_by_id = principal.user_id
        session.flush()
        audit.record(
            session,
            "api_token.revoked",
            target_type="api_token",
            target_id=token.id,
            before={"revoked_at": None},
            after={"revoked_at": token.revoked_at, "name": token.name, "prefix": token.prefix},
        )
    return OwnedToken(token, owner.email, owner.name)


def regenerate(
    session: Session, principal: Principal, token_id: uuid.UUID
) -> tuple[OwnedToken, str]:
    """A new secret for the same token and settings; the old secret stops working at once.
    Only the token's owner may do it (the new secret is shown to whoever asks)."""
    token, owner = _visible(session, principal, token_id, lock=True)
    if token.user_id != principal.user_id:
        raise PermissionDenied(
            "Only the member a token belongs to can regenerate it; you may revoke it.",
            code="not_token_owner",
        )
    if token.revoked_at is not None:
        raise Conflict("This token was revoked; create a new one.", code="token_revoked")
    if token.expires_at is not None and token.expires_at <= clock.now():
        raise Conflict("This token has expired; create a new one.", code="token_expired")
    raw, prefix, digest = _new_secret()
    before = {"prefix": token.prefix}
    token.prefix = prefix
    token.token_hash = digest
    token.regenerated_at = clock.now()
    session.flush()
    audit.record(
        session,
        "api_token.regenerated",
        target_type="api_token",
        target_id=token.id,
        before=before,
        after={"prefix": prefix},
    )
    return OwnedToken(token, owner.email, owner.name), raw


def usage(
    session: Session, principal: Principal, token_id: uuid.UUID, days: int = DEFAULT_USAGE_DAYS
) -> list[DayUsage]:
    """Requests per UTC day over the last ``days`` days (today included), oldest first;
    days without requests are there with zeros."""
    if not 1 <= days <= MAX_USAGE_DAYS:
        raise ValidationFailed.single("days", f"Must be between 1 and {MAX_USAGE_DAYS}.")
    token, _owner = _visible(session, principal, token_id)
    today = clock.now().date()
    first = today - timedelta(days=days - 1)
    found = {
        row.day: row
        for row in session.scalars(
            select(ApiTokenUsage).where(
                ApiTokenUsage.token_id == token.id, ApiTokenUsage.day >= first
            )
        )
    }
    result = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        row = found.get(day)
        result.append(
            DayUsage(day, row.requests, row.errors, row.throttled)
            if row is not None
            else DayUsage(day, 0, 0, 0)
        )
    return result


# -- organization limits -----------------------------------------------------------------


def organization_limits(session: Session) -> Limits:
    organization = _organization(session)
    return Limits(organization.api_requests_per_minute, organization.api_requests_per_hour)


def set_organization_limits(session: Session, per_minute: int, per_hour: int) -> Limits:
    """What each token may send unless it sets lower limits of its own."""
    errors: list[FieldError] = []
    if not 1 <= per_minute <= MAX_PER_MINUTE:
        errors.append(
            FieldError(
                "requests_per_minute", f"Must be between 1 and {MAX_PER_MINUTE}.", "out_of_range"
            )
        )
    if not 1 <= per_hour <= MAX_PER_HOUR:
        errors.append(
            FieldError(
                "requests_per_hour", f"Must be between 1 and {MAX_PER_HOUR}.", "out_of_range"
            )
        )
    _check_minute_within_hour(per_minute, per_hour, errors)
    if errors:
        raise ValidationFailed(errors)
    organization = _organization(session)
    audit.apply_changes(
        session,
        organization,
        {"api_requests_per_minute": per_minute, "api_requests_per_hour": per_hour},
        action="organization.api_limits_changed",
        target_type="organization",
    )
    return Limits(per_minute, per_hour)


# -- authenticating requests -------------------------------------------------------------


def _address_allowed(ip: str | None, allowlist: Iterable[str]) -> bool:
    if ip is None:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [address]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        candidates.append(address.ipv4_mapped)
    for entry in allowlist:
        network = ipaddress.ip_network(entry, strict=False)
        if any(candidate in network for candidate in candidates):
            return True
    return False


def authenticate(session: Session, raw: str, ip: str | None) -> Principal:
    """The caller behind a raw token, in the token's organization, with the scopes both the
    token and the owner's current role grant."""
    with all_tenants(session):
        token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None:
        raise Unauthorized("This access token is not valid.", code="invalid_token")
    if token.revoked_at is not None:
        raise Unauthorized("This access token was revoked.", code="token_revoked")
    if token.expires_at is not None and token.expires_at <= clock.now():
        raise Unauthorized("This access token has expired.", code="token_expired")
    if token.ip_allowlist and not _address_allowed(ip, token.ip_allowlist):
        raise PermissionDenied(
            f"This access token may not be used from {ip or 'an unknown address'}.",
            code="ip_not_allowed",
        )
    with all_tenants(session):
        row = session.execute(
            select(User, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(User.id == token.user_id, Membership.organization_id == token.organization_id)
        ).first()
    if row is None:
        raise Unauthorized(
            "The token's owner is no longer a member of this organization.", code="not_a_member"
        )
    user, role_name = row
    if not user.is_active:
        raise Unauthorized("This account is disabled.", code="account_disabled")
    role = Role(role_name)
    set_organization(session, token.organization_id)
    audit.set_actor(session, user.id, user.email)
    return Principal(
        user_id=user.id,
        email=user.email,
        name=user.name,
        organization_id=token.organization_id,
        role=role,
        scopes=frozenset(token.scopes) & scopes_for(role),
        token_id=token.id,
    )


def rate_limits(session: Session, principal: Principal) -> Limits:
    """What the calling token may send: its own limits, never above the organization's."""
    organization = session.get(Organization, principal.organization_id)
    token = session.get(ApiToken, principal.token_id) if principal.token_id else None
    if organization is None or token is None:
        raise Unauthorized("This access token is not valid.", code="invalid_token")
    per_minute = organization.api_requests_per_minute
    per_hour = organization.api_requests_per_hour
    return Limits(
        min(per_minute, token.requests_per_minute or per_minute),
        min(per_hour, token.requests_per_hour or per_hour),
    )


# -- usage -------------------------------------------------------------------------------


def record_usage(
    session: Session, tallies: Mapping[UsageKey, UsageTally], last_uses: Mapping[uuid.UUID, LastUse]
) -> None:
    """Add buffered counts to the per-day rows (one upsert) and note when and from where
    each token was last used. Tokens deleted meanwhile are skipped."""
    wanted = {key.token_id for key in tallies} | set(last_uses)
    if not wanted:
        return
    with all_tenants(session):
        existing = set(session.scalars(select(ApiToken.id).where(ApiToken.id.in_(wanted))))
        rows = [
            {
                "token_id": key.token_id,
                "organization_id": key.organization_id,
                "day": key.day,
                "requests": tally.requests,
                "errors": tally.errors,
                "throttled": tally.throttled,
            }
            for key, tally in sorted(
                tallies.items(), key=lambda item: (item[0].token_id, item[0].day)
            )
            if key.token_id in existing
        ]
        if rows:
            insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
            statement = insert(ApiTokenUsage).values(rows)
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=[ApiTokenUsage.token_id, ApiTokenUsage.day],
                    set_={
                        "requests": ApiTokenUsage.requests + statement.excluded.requests,
                        "errors": ApiTokenUsage.errors + statement.excluded.errors,
                        "throttled": ApiTokenUsage.throttled + statement.excluded.throttled,
                    },
                )
            )
        for token_id in sorted(existing & set(last_uses)):
            last = last_uses[token_id]
            session.execute(
                update(ApiToken)
                .where(ApiToken.id == token_id)
                .values(last_used_at=last.at, last_used_ip=last.ip)
                .execution_options(synchronize_session=False)
            )
