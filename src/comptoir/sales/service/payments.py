"""Payments received from customers, and refunds paid out to them: recorded with their
allocations to invoices (or, for refunds, to credit notes) in one transaction that posts
the bank entry and letters every settled receivable."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.identity.service import organizations
from comptoir.kit import clock
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.kit.money import format_minor, is_currency, parse_amount
from comptoir.kit.pagination import Page, keyset_page
from comptoir.ledger.service import accounts, rates
from comptoir.outbox import service as outbox
from comptoir.parties.service.parties import Party
from comptoir.sales.models import Allocation, Payment, SalesDocument
from comptoir.sales.service import documents, posting, settlements

METHODS = {
    "bank_transfer": "Bank transfer",
    "card": "Card",
    "cash": "Cash",
    "cheque": "Cheque",
    "direct_debit": "Direct debit",
    "mobile_money": "Mobile money",
    "online": "Online payment",
    "other": "Other",
}
MAX_ALLOCATIONS = 200


@dataclass(frozen=True)
class PaymentFilter:
    party_id: uuid.UUID | None = None
    direction: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def get(session: Session, payment_id: uuid.UUID) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("No such payment.")
    return payment


def payload(payment: Payment) -> dict[str, Any]:
    return {
        "id": str(payment.id),
        "customer_id": str(payment.party_id),
        "direction": payment.direction,
        "date": payment.date.isoformat(),
        "amount": payment.amount,
        "currency": payment.currency,
        "method": payment.method,
        "reference": payment.reference,
        "allocated": payment.allocated,
    }


def _settlements(
    session: Session,
    raw: object,
    party: Party,
    currency: str,
    direction: str,
    errors: list[FieldError],
) -> list[posting.Settlement]:
    """Allocations as the client sends them: ``[{invoice, amount}]`` for a payment
    received, ``[{credit_note, amount}]`` for a refund."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_ALLOCATIONS:
        errors.append(
            FieldError("allocations", f"A list of at most {MAX_ALLOCATIONS} allocations.")
        )
        return []
    key = "invoice" if direction == "in" else "credit_note"
    found: list[posting.Settlement] = []
    seen: set[uuid.UUID] = set()
    for index, item in enumerate(raw):
        prefix = f"allocations[{index}]"
        if not isinstance(item, dict):
            errors.append(FieldError(prefix, f"An object with {key} and amount."))
            continue
        try:
            amount = parse_amount(item.get("amount"), currency, f"{prefix}.amount")
            if amount <= 0:
                raise ValidationFailed.single(f"{prefix}.amount", "More than zero.")
            if direction == "in":
                document = settlements.open_invoice(
                    session, item.get("invoice"), party.id, f"{prefix}.invoice"
                )
                settlements.check_settles(document, amount, currency, f"{prefix}.invoice")
            else:
                document = _credit_note(session, item.get("credit_note"), party, f"{prefix}")
                left = document.gross - document.settled
                if document.currency != currency or amount > left:
                    raise ValidationFailed.single(
                        f"{prefix}.amount",
                        f"At most {format_minor(left, document.currency)} "
                        f"in {document.currency} is left on {document.number}.",
                        "exceeds_credit",
                    )
            if document.id in seen:
                raise ValidationFailed.single(
                    f"{prefix}.{key}", "Allocate to each document once.", "duplicate"
                )
            seen.add(document.id)
            found.append(posting.Settlement(document, amount))
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    return found


def _credit_note(session: Session, reference: object, party: Party, prefix: str) -> SalesDocument:
    document = documents.locked(session, str(reference or "").strip(), "credit_note")
    if document is None or document.party_id != party.id or document.status != "issued":
        raise ValidationFailed.single(
            f"{prefix}.credit_note", "No such issued credit note of this customer.", "not_found"
        )
    return document


def record(
    session: Session,
    values: dict[str, Any],
    *,
    actor_id: uuid.UUID | None = None,
    provider: str | None = None,
    provider_event_id: str | None = None,
) -> Payment:
    """Record a payment received (``direction`` in, the default) or a refund (out)."""
    errors: list[FieldError] = []
    direction = values.get("direction") or "in"
    if direction not in ("in", "out"):
        errors.append(FieldError("direction", "Either in (received) or out (refund)."))
        direction = "in"
    party: Party | None = None
    try:
        party = documents.customer(session, values.get("customer"))
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    on = documents.day_of(values.get("date"), "date", errors) or documents.today()
    base = organizations.get_current(session).base_currency
    currency = str(values.get("currency") or (party.currency if party else None) or base)
    currency = currency.strip().upper()
    if not is_currency(currency):
        errors.append(FieldError("currency", "A currency code such as EUR.", "invalid"))
        currency = base
    amount = 0
    try:
        amount = parse_amount(values.get("amount"), currency, "amount")
        if amount <= 0:
            errors.append(FieldError("amount", "More than zero.", "not_positive"))
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    method = values.get("method") or "bank_transfer"
    if method not in METHODS:
        errors.append(FieldError("method", f"One of {', '.join(METHODS)}.", "invalid"))
        method = "other"
    bank = ""
    try:
        bank = accounts.bank_or_cash(session, values.get("account"), method, "account").code
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    reference = str(values.get("reference") or "").strip() or None
    if reference and len(reference) > 100:
        errors.append(FieldError("reference", "At most 100 characters.", "too_long"))
    notes = str(values.get("notes") or "").strip() or None
    if notes and len(notes) > 5000:
        errors.append(FieldError("notes", "At most 5000 characters.", "too_long"))
    found = (
        _settlements(session, values.get("allocations"), party, currency, direction, errors)
        if party is not None
        else []
    )
    if amount > 0 and sum(item.amount for item in found) > amount:
        errors.append(
            FieldError("allocations", "The allocations add up to more than the amount.", "exceeds")
        )
    rate = rates.find_rate(session, currency, base, on, "currency") if not errors else None
    if errors or party is None or rate is None:
        raise ValidationFailed(errors)
    payment = Payment(
        party_id=party.id,
        direction=direction,
        date=on,
        amount=amount,
        currency=currency,
        exchange_rate=rate,
        method=method,
        account_id=accounts.resolve(session, bank, "account").id,
        reference=reference,
        notes=notes,
        provider=provider,
        provider_event_id=provider_event_id,
        created_by_id=actor_id,
    )
    session.add(payment)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(
            "This provider event was already recorded.", code="duplicate_provider_event"
        ) from None
    entry_id, lines = posting.post_payment(
        session,
        party=party,
        direction=direction,
        on=on,
        amount=amount,
        currency=currency,
        rate=rate,
        bank_account=bank,
        settlements=found,
        reference=reference,
        actor_id=actor_id,
    )
    payment.entry_id = entry_id
    for settlement, line_id in zip(found, lines, strict=True):
        settlements.record_allocation(
            session,
            settlement.document,
            settlement.amount,
            on,
            payment_id=payment.id,
            settling_line=line_id,
            actor_id=actor_id,
        )
    payment.allocated = sum(item.amount for item in found)
    session.flush()
    event = "payment.received" if direction == "in" else "payment.refunded"
    audit.record(
        session,
        event,
        target_type="payment",
        target_id=payment.id,
        after={"customer": party.code, "amount": amount, "currency": currency},
    )
    outbox.emit(session, event, payload(payment))
    return payment


def allocate(
    session: Session,
    payment_id: uuid.UUID,
    raw: object,
    *,
    on: date | None = None,
    actor_id: uuid.UUID | None = None,
) -> Payment:
    """Use what is left of a payment received (credit on account) to settle invoices."""
    payment = get(session, payment_id)
    if payment.direction != "in":
        raise Conflict("Only a payment received can be allocated to invoices.", code="refund")
    party = documents.customer(session, str(payment.party_id))
    errors: list[FieldError] = []
    found = _settlements(session, raw, party, payment.currency, "in", errors)
    left = payment.amount - payment.allocated
    if not errors and sum(item.amount for item in found) > left:
        errors.append(
            FieldError(
                "allocations",
                f"Only {format_minor(left, payment.currency)} of this payment is unallocated.",
                "exceeds",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    if not found:
        raise ValidationFailed.single("allocations", "Allocate to at least one invoice.")
    assert payment.entry_id is not None
    credit_line = posting.receivable_line_id(session, payment.entry_id, last=True)
    for settlement in found:
        settlements.record_allocation(
            session,
            settlement.document,
            settlement.amount,
            on or clock.now().date(),
            payment_id=payment.id,
            settling_line=credit_line,
            actor_id=actor_id,
        )
    payment.allocated += sum(item.amount for item in found)
    session.flush()
    return payment


def allocations_by_payment(
    session: Session, payment_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Allocation]]:
    """What each payment settled, oldest first."""
    found: dict[uuid.UUID, list[Allocation]] = {}
    if not payment_ids:
        return found
    for allocation in session.scalars(
        select(Allocation)
        .where(Allocation.payment_id.in_(payment_ids))
        .order_by(Allocation.created_at, Allocation.id)
    ):
        assert allocation.payment_id is not None
        found.setdefault(allocation.payment_id, []).append(allocation)
    return found


def list_payments(
    session: Session, filters: PaymentFilter, *, limit: int | None, cursor: str | None
) -> Page[Payment]:
    query = select(Payment)
    if filters.party_id is not None:
        query = query.where(Payment.party_id == filters.party_id)
    if filters.direction is not None:
        query = query.where(Payment.direction == filters.direction)
    if filters.date_from is not None:
        query = query.where(Payment.date >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(Payment.date <= filters.date_to)
    return keyset_page(session, query, Payment.id, limit=limit, cursor=cursor)


def payment_uses_party(session: Session, party_id: uuid.UUID) -> bool:
    return (
        session.scalar(select(Payment.id).where(Payment.party_id == party_id).limit(1)) is not None
    )
