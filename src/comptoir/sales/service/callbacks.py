"""Payment-provider callbacks: a provider tells Comptoir that a customer paid an invoice.

A callback is believed only when its signature matches: HMAC-SHA256, keyed with the
connection's secret, of its timestamp and its raw body, and the timestamp is recent. Each
provider event is processed once: its id is written in the same transaction as the
payment, under a unique constraint, so replays and retries (even simultaneous ones)
create nothing twice. An event that needs nothing done, or that cannot be booked, is
recorded too, with why, and answered with success so that the provider stops retrying.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comptoir.kit import clock
from comptoir.kit.errors import Conflict, FieldError, NotFound, Unauthorized, ValidationFailed
from comptoir.kit.money import (
    MAX_MINOR_UNITS,
    format_minor,
    is_currency,
    minor_unit_exponent,
    parse_amount,
)
from comptoir.kit.pagination import Page, keyset_page
from comptoir.kit.tenancy import set_organization
from comptoir.sales.models import Payment, PaymentProvider, ProviderEvent, SalesDocument
from comptoir.sales.service import documents, payments, providers

TOLERANCE = timedelta(minutes=5)
SIGNATURE_HEADERS = {"generic": "Comptoir-Signature", "stripe": "Stripe-Signature"}
GENERIC_TYPES = ("payment.succeeded",)
STRIPE_TYPES = (
    "payment_intent.succeeded",
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
)
MAX_EVENT_ID = 200
MAX_EVENT_TYPE = 100
MAX_REFERENCE = 100
# Unix times from 1970 to 2242: anything else is not a timestamp a provider sends.
MAX_UNIX_TIME = 2**33


@dataclass(frozen=True)
class Charge:
    """Money a provider collected for an invoice."""

    invoice: str
    amount: int
    currency: str
    on: date
    reference: str | None
    # The provider's id of the money movement: one payment is recorded per id, even when
    # two kinds of events report it (a Stripe checkout session and its payment intent).
    payment_key: str


@dataclass(frozen=True)
class Incoming:
    event_id: str
    event_type: str
    charge: Charge | None
    # Why an event without a charge needs nothing done.
    ignored: str | None = None


@dataclass(frozen=True)
class Received:
    event_id: str
    # None for a duplicate: the first delivery's event is the one that counts.
    event: ProviderEvent | None


# -- signatures -----------------------------------------------------------------------------


def verify(secret: str, header: str | None, body: bytes, now: datetime, header_name: str) -> None:
    """``header`` is ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` (several v1
    while a secret is being rolled); Unauthorized unless one matches and t is recent."""
    timestamp: str | None = None
    signatures: list[bytes] = []
    for part in (header or "").split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = value
        elif name == "v1" and value:
            signatures.append(value.encode())
    if timestamp is None or not signatures:
        raise Unauthorized(
            f"Sign the callback: {header_name}: t=<unix time>,v1=<hex HMAC-SHA256>.",
            code="missing_signature",
        )
    if abs(now.timestamp() - int(timestamp)) > TOLERANCE.total_seconds():
        raise Unauthorized(
            "The signature's timestamp is more than 5 minutes away from now: an old "
            "capture, or a clock that is wrong.",
            code="stale_signature",
        )
    signed = timestamp.encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest().encode()
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        raise Unauthorized(
            "The signature does not match: check the secret and sign the raw body.",
            code="bad_signature",
        )


# -- parsing --------------------------------------------------------------------------------


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise ValidationFailed.single("body", "The body is not JSON.", "invalid_json") from None
    if not isinstance(data, dict):
        raise ValidationFailed.single("body", "The body is a JSON object.", "invalid_json")
    return data


def _envelope(data: dict[str, Any]) -> tuple[str, str]:
    event_id, event_type = data.get("id"), data.get("type")
    errors: list[FieldError] = []
    if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > MAX_EVENT_ID:
        errors.append(FieldError("id", f"The event's id: 1 to {MAX_EVENT_ID} characters."))
    if not isinstance(event_type, str) or not event_type or len(event_type) > MAX_EVENT_TYPE:
        errors.append(FieldError("type", f"The event's type: 1 to {MAX_EVENT_TYPE} characters."))
    if errors:
        raise ValidationFailed(errors)
    assert isinstance(event_id, str)
    assert isinstance(event_type, str)
    return event_id.strip(), event_type


def _invoice_reference(value: object, field: str, errors: list[FieldError]) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        errors.append(FieldError(field, "The invoice's id or number.", "required"))
        return ""
    return value.strip()


def _generic(data: dict[str, Any], event_id: str, event_type: str) -> Incoming:
    if event_type not in GENERIC_TYPES:
        return Incoming(event_id, event_type, None, f"Comptoir acts on {GENERIC_TYPES[0]} only.")
    payload = data.get("data")
    if not isinstance(payload, dict):
        raise ValidationFailed.single("data", "An object with invoice, amount and currency.")
    errors: list[FieldError] = []
    invoice = _invoice_reference(payload.get("invoice"), "data.invoice", errors)
    raw_currency = payload.get("currency")
    currency = raw_currency.strip().upper() if isinstance(raw_currency, str) else ""
    amount = 0
    if is_currency(currency):
        try:
            amount = parse_amount(payload.get("amount"), currency, "data.amount")
        except ValidationFailed as exc:
            errors.extend(exc.errors)
        else:
            if amount <= 0:
                errors.append(FieldError("data.amount", "More than zero.", "not_positive"))
    else:
        errors.append(FieldError("data.currency", "A currency code such as EUR."))
    on = documents.day_of(payload.get("date"), "data.date", errors)
    reference = payload.get("reference")
    if reference is not None and (not isinstance(reference, str) or len(reference) > MAX_REFERENCE):
        errors.append(FieldError("data.reference", f"Text of at most {MAX_REFERENCE} characters."))
    if errors:
        raise ValidationFailed(errors)
    charge = Charge(
        invoice=invoice,
        amount=amount,
        currency=currency,
        on=on or documents.today(),
        reference=(reference or "").strip() or None,
        payment_key=event_id,
    )
    return Incoming(event_id, event_type, charge)


# Stripe's own digits per currency (docs.stripe.com/currencies): mostly ISO 4217's, but ISK
# travels with two decimals (in hundredths, for backwards compatibility) although it has
# none, which would otherwise book a 5 ISK payment as 500.
STRIPE_ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"}
    | {"PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
STRIPE_THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


def from_stripe_units(amount: int, currency: str, field: str, errors: list[FieldError]) -> int:
    """Stripe's integer amount in Comptoir's minor units of ``currency``."""
    stripe_digits = (
        0 if currency in STRIPE_ZERO_DECIMAL else 3 if currency in STRIPE_THREE_DECIMAL else 2
    )
    shift = minor_unit_exponent(currency) - stripe_digits
    factor: int = 10 ** abs(shift)
    if shift >= 0:
        return amount * factor
    if amount % factor:
        errors.append(FieldError(field, f"Stripe sends {currency} in whole units.", "invalid"))
        return 0
    return amount // factor


def _stripe(data: dict[str, Any], event_id: str, event_type: str) -> Incoming:
    """Stripe's events: the amount in the currency's smallest unit, the invoice in the
    metadata Comptoir's payment links set (``metadata.invoice_id``)."""
    if event_type not in STRIPE_TYPES:
        return Incoming(event_id, event_type, None, f"Comptoir acts on {', '.join(STRIPE_TYPES)}.")
    payload = data.get("data")
    found = payload.get("object") if isinstance(payload, dict) else None
    if not isinstance(found, dict):
        raise ValidationFailed.single("data.object", "The event's object.")
    metadata = found.get("metadata")
    if not isinstance(metadata, dict) or not metadata.get("invoice_id"):
        return Incoming(
            event_id, event_type, None, "No metadata.invoice_id: not the payment of an invoice."
        )
    if event_type == "payment_intent.succeeded":
        amount_field, key = "amount_received", found.get("id")
    else:
        if found.get("payment_status") != "paid":
            return Incoming(event_id, event_type, None, "The checkout session is not paid yet.")
        amount_field, key = "amount_total", found.get("payment_intent") or found.get("id")
    errors: list[FieldError] = []
    invoice = _invoice_reference(metadata.get("invoice_id"), "data.object.metadata", errors)
    amount = found.get(amount_field)
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount < MAX_MINOR_UNITS:
        errors.append(FieldError(f"data.object.{amount_field}", "An amount in minor units."))
    raw_currency = found.get("currency")
    currency = raw_currency.upper() if isinstance(raw_currency, str) else ""
    if not is_currency(currency):
        errors.append(FieldError("data.object.currency", "A currency code such as eur."))
    if not isinstance(key, str) or not key or len(key) > MAX_EVENT_ID:
        errors.append(FieldError("data.object.id", "The payment's id."))
    created = data.get("created")
    if isinstance(created, bool) or not isinstance(created, int) or not 0 < created < MAX_UNIX_TIME:
        errors.append(FieldError("created", "The event's time (unix time)."))
    if not errors:
        assert isinstance(amount, int)
        amount = from_stripe_units(amount, currency, f"data.object.{amount_field}", errors)
    if errors:
        raise ValidationFailed(errors)
    assert isinstance(amount, int)
    assert isinstance(key, str)
    assert isinstance(created, int)
    if amount == 0:
        return Incoming(event_id, event_type, None, "Nothing was paid.")
    charge = Charge(
        invoice=invoice,
        amount=amount,
        currency=currency,
        on=datetime.fromtimestamp(created, UTC).date(),
        reference=key[:MAX_REFERENCE],
        payment_key=key,
    )
    return Incoming(event_id, event_type, charge)


PARSERS = {"generic": _generic, "stripe": _stripe}


def parse(provider: str, body: bytes) -> Incoming:
    """The event a (verified) body carries; 422 when it is not in the provider's format."""
    data = _json(body)
    event_id, event_type = _envelope(data)
    return PARSERS[provider](data, event_id, event_type)


# -- processing -----------------------------------------------------------------------------


def _issued_invoice(session: Session, reference: str) -> SalesDocument:
    found = documents.locked(session, reference, "invoice")
    if found is None or found.number is None:
        raise ValidationFailed.single("invoice", f"No issued invoice {reference}.", "not_found")
    return found


def _record(session: Session, connection: PaymentProvider, incoming: Incoming) -> Payment:
    """The payment, allocated to the invoice up to what is due on it; the rest (or all
    of it, when the invoice is no longer open) is credit on the customer's account."""
    charge = incoming.charge
    assert charge is not None
    invoice = _issued_invoice(session, charge.invoice)
    if invoice.currency != charge.currency:
        raise ValidationFailed.single(
            "currency",
            f"Invoice {invoice.number} is in {invoice.currency}, the payment in {charge.currency}.",
            "currency_mismatch",
        )
    due = documents.amount_due(invoice) if invoice.status in documents.OPEN_INVOICE else 0
    allocated = min(charge.amount, due)
    values = {
        "customer": str(invoice.party_id),
        "date": charge.on,
        "amount": format_minor(charge.amount, charge.currency),
        "currency": charge.currency,
        "method": connection.method,
        "account": str(connection.account_id),
        "reference": charge.reference,
        "notes": f"{providers.PROVIDERS[connection.provider]} event {incoming.event_id}",
        "allocations": [
            {"invoice": str(invoice.id), "amount": format_minor(allocated, charge.currency)}
        ]
        if allocated > 0
        else [],
    }
    return payments.record(
        session, values, provider=connection.provider, provider_event_id=charge.payment_key
    )


def _process(
    session: Session, connection: PaymentProvider, incoming: Incoming, event: ProviderEvent
) -> None:
    if incoming.charge is None:
        event.outcome, event.detail = "ignored", incoming.ignored
        session.flush()
        return
    try:
        with session.begin_nested():
            payment = _record(session, connection, incoming)
    except Conflict as exc:
        if exc.code != "duplicate_provider_event":
            raise
        event.outcome = "ignored"
        event.detail = "This payment was already recorded from another event."
    except ValidationFailed as exc:
        event.outcome, event.detail = "rejected", "; ".join(e.message for e in exc.errors)
    else:
        event.outcome, event.payment_id = "payment_recorded", payment.id
    session.flush()


def receive(
    session: Session, provider: str, key: str, body: bytes, signature: str | None
) -> Received:
    """Check, parse and process one callback, in the caller's transaction.

    404 for a key no active connection of ``provider`` has, 401 for a missing, wrong or
    old signature, 422 for a body not in the provider's format: nothing is written then.
    """
    connection = providers.by_key(session, key)
    if connection is None or connection.provider != provider or not connection.active:
        raise NotFound("No active payment provider connection has this key.", code="unknown_key")
    verify(connection.secret, signature, body, clock.now(), SIGNATURE_HEADERS[provider])
    set_organization(session, connection.organization_id)
    incoming = parse(provider, body)
    known = session.scalar(
        select(ProviderEvent.id).where(
            ProviderEvent.provider == provider, ProviderEvent.event_id == incoming.event_id
        )
    )
    if known is not None:
        return Received(incoming.event_id, None)
    event = ProviderEvent(
        provider=provider,
        event_id=incoming.event_id,
        event_type=incoming.event_type,
        outcome="received",
    )
    try:
        # A simultaneous delivery of the same event waits on the unique index here, then
        # fails once the first one commits: it is a duplicate like any later one.
        with session.begin_nested():
            session.add(event)
            session.flush()
    except IntegrityError:
        return Received(incoming.event_id, None)
    _process(session, connection, incoming, event)
    return Received(incoming.event_id, event)


def list_events(
    session: Session, provider: str | None, *, limit: int | None, cursor: str | None
) -> Page[ProviderEvent]:
    """What the provider (by default: every provider) delivered, newest first."""
    query = select(ProviderEvent)
    if provider is not None:
        query = query.where(ProviderEvent.provider == provider)
    return keyset_page(session, query, ProviderEvent.id, limit=limit, cursor=cursor)
