"""Payments to suppliers, and refunds received from them: recorded with their allocations
to bills (or, for a refund, to supplier credit notes) in one transaction that posts the
bank entry and letters every settled payable line. What a payment does not settle is an
advance to the supplier, allocated to bills later."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.identity.service import organizations
from comptoir.kit.dates import checked_day, day_of
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.kit.money import format_minor, is_currency, parse_amount
from comptoir.kit.pagination import Page, keyset_page
from comptoir.ledger.service import accounts, rates
from comptoir.outbox import service as outbox
from comptoir.parties.service import parties
from comptoir.parties.service.parties import Party
from comptoir.purchases.models import PurchaseAllocation, PurchaseDocument, SupplierPayment
from comptoir.purchases.service import bills, posting, settlements
from comptoir.sales.service.payments import METHODS

MAX_ALLOCATIONS = 200
DIRECTIONS = {"out": "paid to the supplier", "in": "refunded by the supplier"}


@dataclass(frozen=True)
class PaymentFilter:
    party_id: uuid.UUID | None = None
    direction: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def get(session: Session, payment_id: uuid.UUID) -> SupplierPayment:
    payment = session.get(SupplierPayment, payment_id)
    if payment is None:
        raise NotFound("No such supplier payment.")
    return payment


def _locked(session: Session, payment_id: uuid.UUID) -> SupplierPayment:
    """The payment, its row locked and read afresh: what is left of it to allocate is
    changed by one allocation at a time."""
    payment = session.scalar(
        select(SupplierPayment)
        .where(SupplierPayment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if payment is None:
        raise NotFound("No such supplier payment.")
    return payment


def payload(payment: SupplierPayment) -> dict[str, Any]:
    return {
        "id": str(payment.id),
        "supplier_id": str(payment.party_id),
        "direction": payment.direction,
        "date": payment.date.isoformat(),
        "amount": payment.amount,
        "currency": payment.currency,
        "method": payment.method,
        "reference": payment.reference,
        "allocated": payment.allocated,
    }


def _credit_note(session: Session, reference: object, party: Party, field: str) -> PurchaseDocument:
    """A posted credit note of this supplier by id, locked as ``settlements.open_bill``
    locks a bill, or a field error."""
    try:
        document_id = uuid.UUID(str(reference).strip())
    except ValueError:
        raise ValidationFailed.single(field, "No such credit note of this supplier.") from None
    document = session.scalar(
        select(PurchaseDocument)
        .where(PurchaseDocument.id == document_id, PurchaseDocument.kind == "credit_note")
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if document is None or document.party_id != party.id or document.entry_id is None:
        raise ValidationFailed.single(
            field, "No such posted credit note of this supplier.", "not_found"
        )
    return document


def _settlements(
    session: Session,
    raw: object,
    party: Party,
    currency: str,
    direction: str,
    errors: list[FieldError],
) -> list[posting.Settlement]:
    """Allocations as the client sends them: ``[{bill, amount}]`` for a payment made,
    ``[{credit_note, amount}]`` for a refund received."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_ALLOCATIONS:
        errors.append(
            FieldError("allocations", f"A list of at most {MAX_ALLOCATIONS} allocations.")
        )
        return []
    key = "bill" if direction == "out" else "credit_note"
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
                raise ValidationFailed.single(f"{prefix}.amount", "More than zero.", "not_positive")
            if direction == "out":
                document = settlements.open_bill(
                    session, item.get("bill"), party.id, f"{prefix}.bill"
                )
                settlements.check_settles(document, amount, currency, f"{prefix}.bill")
            else:
                document = _credit_note(
                    session, item.get("credit_note"), party, f"{prefix}.credit_note"
                )
                left = bills.amount_due(document)
                if document.currency != currency or amount > left:
                    raise ValidationFailed.single(
                        f"{prefix}.amount",
                        f"At most {format_minor(left, document.currency)} "
                        f"in {document.currency} is left on this credit note.",
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


def _settle(
    session: Session,
    payment: SupplierPayment,
    found: Sequence[posting.Settlement],
    lines: Sequence[uuid.UUID],
    on: date,
    actor_id: uuid.UUID | None,
    *,
    advance: bool = False,
) -> None:
    """Allocate ``found`` on ``lines``: a line per settlement when the payment is
    recorded, or its one advance line (``advance``) when what was paid ahead is
    allocated."""
    for settlement, line_id in zip(found, lines, strict=True):
        settlements.record_allocation(
            session,
            settlement.document,
            settlement.amount,
            # Settled once both exist: an advance meets a bill on the bill's date at the
            # earliest, so that the aged payables never count one without the other.
            max(on, settlement.document.issue_date),
            payment_id=payment.id,
            settling_line=line_id,
            shared_rate=payment.exchange_rate if advance else None,
            actor_id=actor_id,
        )
    payment.allocated += sum(item.amount for item in found)


def record(
    session: Session, values: dict[str, Any], *, actor_id: uuid.UUID | None = None
) -> SupplierPayment:
    """Record a payment to a supplier (``direction`` out, the default) or a refund
    received from one (in)."""
    errors: list[FieldError] = []
    direction = values.get("direction") or "out"
    if direction not in DIRECTIONS:
        errors.append(
            FieldError("direction", "Either out (paid) or in (refunded by the supplier).")
        )
        direction = "out"
    party: Party | None = None
    try:
        party = bills.supplier(session, values.get("supplier"))
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    on = day_of(values.get("date"), "date", errors) or bills.today()
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
    bank: str | None = None
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
    if errors or party is None or bank is None or rate is None:
        raise ValidationFailed(errors)
    payment = SupplierPayment(
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
        created_by_id=actor_id,
    )
    session.add(payment)
    session.flush()
    entry_id, lines = posting.post_supplier_payment(
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
        payment_id=payment.id,
        actor_id=actor_id,
    )
    payment.entry_id = entry_id
    _settle(session, payment, found, lines, on, actor_id)
    session.flush()
    event = "supplier_payment.made" if direction == "out" else "supplier_payment.refunded"
    audit.record(
        session,
        event,
        target_type="supplier_payment",
        target_id=payment.id,
        after={
            "supplier": party.code,
            "amount": amount,
            "currency": currency,
            "allocated": payment.allocated,
        },
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
) -> SupplierPayment:
    """Settle open bills of the same supplier with what is left of a payment made (an
    advance): all the allocations or none."""
    payment = _locked(session, payment_id)
    if payment.direction != "out":
        raise Conflict(
            "Only a payment made to a supplier is allocated to bills.", code="supplier_refund"
        )
    day = checked_day(on, "date") or bills.today()
    if day < payment.date:
        raise ValidationFailed.single(
            "date", f"Not before the payment's date, {payment.date.isoformat()}.", "too_early"
        )
    # The supplier may be archived since: what was paid in advance still settles bills.
    party = parties.get(session, payment.party_id)
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed.single("allocations", "Allocate to at least one bill.", "required")
    errors: list[FieldError] = []
    found = _settlements(session, raw, party, payment.currency, "out", errors)
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
    assert payment.entry_id is not None
    advance_line = posting.payable_line_id(session, payment.entry_id, last=True)
    _settle(session, payment, found, [advance_line] * len(found), day, actor_id, advance=True)
    session.flush()
    audit.record(
        session,
        "supplier_payment.allocated",
        target_type="supplier_payment",
        target_id=payment.id,
        after={
            "allocations": [
                {"bill": str(item.document.id), "amount": item.amount} for item in found
            ],
            "allocated": payment.allocated,
        },
    )
    return payment


def allocations_by_payment(
    session: Session, payment_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[PurchaseAllocation]]:
    """What each payment settled, oldest first."""
    found: dict[uuid.UUID, list[PurchaseAllocation]] = {}
    if not payment_ids:
        return found
    for allocation in session.scalars(
        select(PurchaseAllocation)
        .where(PurchaseAllocation.payment_id.in_(payment_ids))
        .order_by(PurchaseAllocation.created_at, PurchaseAllocation.id)
    ):
        assert allocation.payment_id is not None
        found.setdefault(allocation.payment_id, []).append(allocation)
    return found


def list_payments(
    session: Session, filters: PaymentFilter, *, limit: int | None, cursor: str | None
) -> Page[SupplierPayment]:
    query = select(SupplierPayment)
    if filters.party_id is not None:
        query = query.where(SupplierPayment.party_id == filters.party_id)
    if filters.direction is not None:
        query = query.where(SupplierPayment.direction == filters.direction)
    if filters.date_from is not None:
        query = query.where(SupplierPayment.date >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(SupplierPayment.date <= filters.date_to)
    return keyset_page(session, query, SupplierPayment.id, limit=limit, cursor=cursor)


def payment_uses_party(session: Session, party_id: uuid.UUID) -> bool:
    return (
        session.scalar(
            select(SupplierPayment.id).where(SupplierPayment.party_id == party_id).limit(1)
        )
        is not None
    )
