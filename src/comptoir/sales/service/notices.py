"""What sales events tell members in the notification centre: the kinds members choose
channels for, and the rules that pick recipients (connected in ``comptoir.wiring``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from comptoir.identity.roles import ADMIN_ROLES, Role
from comptoir.kit.errors import NotFound
from comptoir.kit.money import format_minor
from comptoir.notifications.service import recipients
from comptoir.notifications.service.registry import Event, EventKind, Notice, Rule
from comptoir.parties.service import parties
from comptoir.sales.service import documents

MONEY_ROLES = (*ADMIN_ROLES, Role.ACCOUNTANT)

KINDS = (
    EventKind(
        "payment.received",
        "Payment received",
        "A customer payment is recorded (for owners, administrators and accountants).",
    ),
    EventKind("quote.accepted", "Quote accepted", "A customer accepts a quote you created."),
    EventKind("quote.declined", "Quote declined", "A customer declines a quote you created."),
    EventKind(
        "invoice.overdue",
        "Invoice overdue",
        "An invoice you created, or any invoice if you administer the organization, "
        "passes its due date unpaid.",
    ),
)


def _customer_name(session: Session, event: Event) -> str:
    try:
        return parties.get(session, uuid.UUID(str(event.payload["customer_id"]))).name
    except (KeyError, ValueError, NotFound):
        return "a customer"


def _amount(event: Event, field: str) -> str:
    currency = str(event.payload["currency"])
    return f"{format_minor(int(event.payload[field]), currency)} {currency}"


def payment_received(session: Session, event: Event) -> Iterable[Notice]:
    yield Notice(
        # Those who follow the money; a viewer or a salesperson would only get noise.
        recipients.with_roles(session, MONEY_ROLES),
        f"Payment of {_amount(event, 'amount')} received from {_customer_name(session, event)}",
        link=f"/sales/payments/{event.payload['id']}",
    )


def _creator(session: Session, event: Event, kind: documents.Kind) -> uuid.UUID | None:
    try:
        return documents.get(session, uuid.UUID(str(event.payload["id"])), kind).created_by_id
    except (KeyError, ValueError, NotFound):
        return None


def quote_answered(session: Session, event: Event) -> Iterable[Notice]:
    creator = _creator(session, event, "quote")
    if creator is None:
        return
    verb = "accepted" if event.type == "quote.accepted" else "declined"
    number = event.payload.get("number") or "(draft)"
    yield Notice(
        frozenset({creator}),
        f"Quote {number} {verb} by {_customer_name(session, event)}",
        body=f"Amount {_amount(event, 'gross')}.",
        link=f"/sales/quotes/{event.payload['id']}",
    )


def invoice_overdue(session: Session, event: Event) -> Iterable[Notice]:
    creator = _creator(session, event, "invoice")
    who = recipients.with_roles(session, ADMIN_ROLES) | ({creator} if creator else set())
    yield Notice(
        frozenset(who),
        f"Invoice {event.payload.get('number')} to {_customer_name(session, event)} is overdue",
        body=f"{_amount(event, 'amount_due')} was due on {event.payload.get('due_date')}.",
        link=f"/sales/invoices/{event.payload['id']}",
    )


RULES: tuple[tuple[str, Rule], ...] = (
    ("payment.received", payment_received),
    ("quote.accepted", quote_answered),
    ("quote.declined", quote_answered),
    ("invoice.overdue", invoice_overdue),
)
