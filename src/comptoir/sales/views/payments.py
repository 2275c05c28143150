"""Payment pages: the list (customer, direction, dates), one payment with what it settled
and its unallocated credit put to open invoices; and the record-payment form that the
invoice and credit-note pages open in a dialog."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request, Response

from comptoir.kit.errors import DomainError, FieldError, ValidationFailed
from comptoir.kit.money import format_minor, parse_amount
from comptoir.ledger.service import accounts
from comptoir.parties.service import parties
from comptoir.sales.service import documents, payments
from comptoir.sales.views import common
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    PostedForm,
    Visitor,
    failed_form,
    notice,
    parse_id,
    redirect,
    web_router,
)

if TYPE_CHECKING:
    from comptoir.sales.models import Payment, SalesDocument

router = web_router()

PAYMENT_FIELDS = ("date", "amount", "method", "account", "reference")
ALLOCATE_FIELDS = ("invoice", "amount")
NOTICES = {"allocated": "The credit is allocated to the invoice."}
DIRECTION_LABELS = {"in": "Received", "out": "Refund"}
_ALLOCATION_ERROR = re.compile(r"allocations\[\d+\]\.(\w+)$")


# -- the record-payment form -------------------------------------------------------------


def left_to_settle(document: SalesDocument) -> int:
    """What a payment may settle: an invoice's amount due, a credit note's unused credit."""
    return document.gross - document.settled


def payment_form(session: Db, visitor: Visitor, document: SalesDocument) -> FormState:
    """The dialog's first values: today, all that is left, by bank transfer to the first
    bank account."""
    bank = common.bank_accounts(session)
    first = next((a for a in bank if a.subtype == "bank"), bank[0] if bank else None)
    return FormState(
        {
            "date": common.today(visitor).isoformat(),
            "amount": common.amount_text(left_to_settle(document), document.currency),
            "method": "bank_transfer",
            "account": first.code if first else "",
            "reference": "",
        }
    )


def typed_payment(form: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(form.get(name) or "").strip() for name in PAYMENT_FIELDS}


def _on_form(exc: ValidationFailed, field_of: Mapping[str, str]) -> ValidationFailed:
    """Errors of the one allocation the form makes (``allocations[0].amount``, or the
    allocations as a whole) land beside the field that holds it."""

    def moved(error: FieldError) -> FieldError:
        match = _ALLOCATION_ERROR.match(error.field)
        name = match.group(1) if match else error.field
        if name not in field_of:
            return error
        return FieldError(field_of[name], error.message, error.code)

    return ValidationFailed([moved(error) for error in exc.errors], exc.detail)


def record(
    session: Db, visitor: Visitor, document: SalesDocument, typed: dict[str, str]
) -> Payment:
    """A payment of an invoice (what is more than due stays as the customer's credit), or
    a refund of a credit note."""
    refund = document.kind == "credit_note"
    currency = document.currency
    amount_text = common.number_text(typed["amount"])
    if not amount_text:
        raise ValidationFailed.single("amount", "Give the amount.", "required")
    try:
        amount = parse_amount(amount_text, currency, "amount")
    except ValidationFailed:
        amount = 0
    left = left_to_settle(document)
    settles = amount if refund or left <= 0 else min(amount, left)
    allocations = (
        [
            {
                "credit_note" if refund else "invoice": str(document.id),
                "amount": format_minor(settles, currency),
            }
        ]
        if amount > 0
        else []
    )
    values = {
        "customer": str(document.party_id),
        "direction": "out" if refund else "in",
        "date": typed["date"] or None,
        "amount": amount_text,
        "currency": currency,
        "method": typed["method"] or None,
        "account": typed["account"] or None,
        "reference": typed["reference"] or None,
        "allocations": allocations,
    }
    try:
        return payments.record(session, values, actor_id=visitor.user.id)
    except ValidationFailed as exc:
        raise _on_form(exc, {"amount": "amount"}) from None


def payment_options(session: Db) -> dict[str, Any]:
    """The choices of the record-payment form."""
    return {
        "method_options": list(common.METHOD_LABELS.items()),
        "bank_options": [
            (account.code, f"{account.code} · {account.name}")
            for account in common.bank_accounts(session)
        ],
    }


# -- the pages ---------------------------------------------------------------------------


def _payment_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    payment: Payment,
    *,
    allocate_form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    allocations = payments.allocations_by_payment(session, [payment.id]).get(payment.id, [])
    settled = {
        allocation.id: documents.get(
            session,
            allocation.document_id,
            "invoice" if payment.direction == "in" else "credit_note",
        )
        for allocation in allocations
    }
    left = payment.amount - payment.allocated
    invoices = (
        common.open_invoices(session, payment.party_id, payment.currency)
        if payment.direction == "in" and left
        else []
    )
    return common.page(
        request,
        visitor,
        "sales/payment.html",
        {
            "payment": payment,
            "party": parties.get(session, payment.party_id),
            "account": accounts.get(session, payment.account_id),
            "allocations": allocations,
            "settled": settled,
            "left": left,
            "invoices": invoices,
            "invoice_options": common.invoice_options(invoices),
            "allocate_form": allocate_form or common.settle_form(invoices, left, payment.currency),
            "direction_labels": DIRECTION_LABELS,
            "notice": notice(request, NOTICES),
        },
        nav="payments",
        status_code=status_code,
    )


@router.get("/sales/payments")
def payments_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    customer: Annotated[str, Query(max_length=200)] = "",
    direction: Annotated[str, Query(max_length=3)] = "",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    visitor.require("payments:read")
    filters = {
        "customer": customer.strip(),
        "direction": direction if direction in DIRECTION_LABELS else "",
        "date_from": date_from.strip(),
        "date_to": date_to.strip(),
    }
    form = FormState(filters)
    party = common.customer_by_text(session, filters["customer"])
    if filters["customer"] and party is None:
        form.errors["customer"] = "No such customer: pick one from the list."
    for name in ("date_from", "date_to"):
        if filters[name] and common.day(filters[name]) is None:
            form.errors[name] = "A date such as 2026-01-31."
    page = payments.list_payments(
        session,
        payments.PaymentFilter(
            party_id=party.id if party else None,
            direction=filters["direction"] or None,
            date_from=common.day(filters["date_from"]),
            date_to=common.day(filters["date_to"]),
        ),
        limit=common.PAGE_SIZE,
        cursor=cursor,
    )
    kept = {name: value for name, value in filters.items() if value}
    return common.page(
        request,
        visitor,
        "sales/payments.html",
        {
            "rows": page.items,
            "customers_of": parties.by_ids(session, {p.party_id for p in page.items}),
            "form": form,
            "filtered": bool(kept),
            "customers": common.customer_options(session),
            "direction_labels": DIRECTION_LABELS,
            "first_page": cursor is None,
            "first_url": "/sales/payments" + (f"?{urlencode(kept)}" if kept else ""),
            "next_url": "/sales/payments?" + urlencode({**kept, "cursor": page.next_cursor})
            if page.next_cursor
            else None,
        },
        nav="payments",
    )


@router.get("/sales/payments/{payment_id}")
def payment_detail(
    request: Request, payment_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("payments:read")
    payment = payments.get(session, parse_id(payment_id, "No such payment."))
    return _payment_page(request, visitor, session, payment)


def _allocate(session: Db, visitor: Visitor, payment: Payment, typed: dict[str, str]) -> None:
    if not typed["invoice"]:
        raise ValidationFailed.single("invoice", "Choose an invoice.", "required")
    try:
        payments.allocate(
            session,
            payment.id,
            [{"invoice": typed["invoice"], "amount": common.number_text(typed["amount"])}],
            actor_id=visitor.user.id,
        )
    except ValidationFailed as exc:
        fields = {"amount": "amount", "invoice": "invoice", "allocations": "amount"}
        raise _on_form(exc, fields) from None


@router.post("/sales/payments/{payment_id}/allocate")
def allocate_payment(
    request: Request, payment_id: str, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require("payments:write")
    payment = payments.get(session, parse_id(payment_id, "No such payment."))
    typed = {name: str(form.get(name) or "").strip() for name in ALLOCATE_FIELDS}
    try:
        _allocate(session, visitor, payment, typed)
    except DomainError as exc:
        state = failed_form(session, exc, typed)
        current = payments.get(session, payment.id)
        return _payment_page(
            request, visitor, session, current, allocate_form=state, status_code=state.status
        )
    return redirect(f"/sales/payments/{payment.id}?notice=allocated")
