"""Payment providers connected to the organization: the secret their callbacks are
signed with, the key in the callback URL that tells which organization a callback is for,
and the bank (or clearing) account the money they collect is booked to."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.kit.tenancy import all_tenants
from comptoir.ledger.service import accounts
from comptoir.sales.models import PaymentProvider
from comptoir.sales.service.payments import METHODS

PROVIDERS: dict[str, str] = {"generic": "Generic (Comptoir format)", "stripe": "Stripe"}

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of Stripe's signing secrets, not a secret
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 200


@dataclass(frozen=True)
class Connection:
    """A connection as callers show it; ``secret`` is set only just after Comptoir made
    it (on creation or rotation): it is shown once, then only its hint."""

    row: PaymentProvider
    account_code: str
    secret: str | None = None


def callback_url(base_url: str, row: PaymentProvider) -> str:
    return f"{base_url}/api/v1/payments/callbacks/{row.provider}?key={row.key}"


def secret_hint(secret: str) -> str:
    """Enough of the secret to tell which one is configured, not enough to use it: its last
    four characters, after the ``whsec_`` prefix when it has that public prefix."""
    prefix = SECRET_PREFIX if secret.startswith(SECRET_PREFIX) else ""
    return f"{prefix}…{secret[-4:]}"


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _known(provider: str) -> str:
    if provider not in PROVIDERS:
        raise NotFound(f"No payment provider {provider!r}; one of {', '.join(PROVIDERS)}.")
    return provider


def _find(session: Session, provider: str) -> PaymentProvider | None:
    return session.scalar(select(PaymentProvider).where(PaymentProvider.provider == provider))


def _shown(session: Session, row: PaymentProvider, secret: str | None = None) -> Connection:
    return Connection(row, accounts.get(session, row.account_id).code, secret)


def get(session: Session, provider: str) -> Connection:
    row = _find(session, _known(provider))
    if row is None:
        raise NotFound(f"{PROVIDERS[provider]} is not connected.")
    return _shown(session, row)


def list_connections(session: Session) -> list[Connection]:
    rows = session.scalars(select(PaymentProvider).order_by(PaymentProvider.provider))
    return [_shown(session, row) for row in rows]


def by_key(session: Session, key: str) -> PaymentProvider | None:
    """The connection a callback URL's key names, whatever its organization: the key is
    how an unauthenticated callback says which organization it is for."""
    with all_tenants(session):
        found: PaymentProvider | None = session.scalar(
            select(PaymentProvider).where(PaymentProvider.key == key)
        )
    return found


def _secret(provider: str, value: object, errors: list[FieldError]) -> str | None:
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else ""
    if not MIN_SECRET_LENGTH <= len(text) <= MAX_SECRET_LENGTH or any(c.isspace() for c in text):
        errors.append(
            FieldError(
                "secret",
                f"From {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters, without spaces.",
            )
        )
        return None
    if provider == "stripe" and not text.startswith(SECRET_PREFIX):
        errors.append(
            FieldError(
                "secret",
                "Stripe's signing secrets start with whsec_: copy it from the webhook "
                "endpoint in Stripe's dashboard.",
                "not_stripe",
            )
        )
        return None
    return text


def _account(session: Session, value: object, errors: list[FieldError]) -> Any:
    text = str(value or "").strip()
    if not text:
        errors.append(
            FieldError("account", "Choose the bank account the money goes to.", "required")
        )
        return None
    try:
        account = accounts.resolve(session, text, "account")
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        return None
    if account.subtype not in ("bank", "cash") or account.is_group or account.archived_at:
        errors.append(
            FieldError("account", f"{account.code} is not a bank or cash account.", "not_bank")
        )
        return None
    return account


def connect(session: Session, provider: str, values: dict[str, Any]) -> tuple[Connection, bool]:
    """Create or change the connection to ``provider``; True when it was created.

    A new connection without a ``secret`` gets one made here (for the generic format; for
    Stripe, paste the secret Stripe made). A change keeps the secret unless one is sent.
    """
    _known(provider)
    row = _find(session, provider)
    errors: list[FieldError] = []
    secret = _secret(provider, values.get("secret"), errors)
    account = None
    if row is None or values.get("account") is not None:
        account = _account(session, values.get("account"), errors)
    method = values.get("method")
    if method is not None and method not in METHODS:
        errors.append(FieldError("method", f"One of {', '.join(METHODS)}.", "invalid"))
    active = values.get("active")
    if active is not None and not isinstance(active, bool):
        errors.append(FieldError("active", "true or false."))
    if errors:
        raise ValidationFailed(errors)
    if row is None:
        assert account is not None
        made = None if secret else _new_secret()
        row = PaymentProvider(
            provider=provider,
            secret=secret or made,
            key=secrets.token_urlsafe(24),
            account_id=account.id,
            method=method or "card",
            active=True if active is None else active,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            raise Conflict(f"{PROVIDERS[provider]} was just connected; reload.") from None
        audit.record(
            session,
            "payment_provider.connected",
            target_type="payment_provider",
            target_id=row.id,
            after={"provider": provider, "account": account.code, "method": row.method},
        )
        return _shown(session, row, made), True
    changes: dict[str, Any] = {}
    if account is not None:
        changes["account_id"] = account.id
    if method is not None:
        changes["method"] = method
    if active is not None:
        changes["active"] = active
    audit.apply_changes(
        session, row, changes, action="payment_provider.updated", target_type="payment_provider"
    )
    if secret is not None and secret != row.secret:
        row.secret = secret
        session.flush()
        audit.record(
            session,
            "payment_provider.secret_changed",
            target_type="payment_provider",
            target_id=row.id,
        )
    return _shown(session, row), False


def rotate_secret(session: Session, provider: str) -> Connection:
    """A new secret for the generic format; the old one stops working at once."""
    row = get(session, provider).row
    if provider == "stripe":
        raise Conflict(
            "Stripe makes the signing secret: roll it on the webhook endpoint in Stripe's "
            "dashboard, then save the new one here.",
            code="secret_made_by_provider",
        )
    made = _new_secret()
    row.secret = made
    session.flush()
    audit.record(
        session,
        "payment_provider.secret_rotated",
        target_type="payment_provider",
        target_id=row.id,
    )
    return _shown(session, row, made)


def disconnect(session: Session, provider: str) -> None:
    """Its callback URL stops working; the events it delivered stay in the log."""
    row = get(session, provider).row
    audit.record(
        session,
        "payment_provider.disconnected",
        target_type="payment_provider",
        target_id=row.id,
        before={"provider": provider},
    )
    session.delete(row)
    session.flush()
