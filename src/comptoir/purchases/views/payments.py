"""Supplier payment pages: the list, recording a payment with what it settles among the
supplier's open bills, a payment's page, and the aged payables report."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request, Response

from comptoir.kit import ageing
from comptoir.kit.errors import DomainError, FieldError, ValidationFailed
from comptoir.kit.money import format_minor
from comptoir.kit.pagination import MAX_LIMIT
from comptoir.ledger.service import accounts
from comptoir.parties.service import parties
from comptoir.parties.service.parties import Party
from comptoir.purchases.service import bills, payables, supplier_payments
from comptoir.purchases.views import common
from comptoir.sales.views.common import METHOD_LABELS, bank_accounts, day, number_text, today
from comptoir.sales.views.reports import BUCKET_LABELS
from comptoir.web.templating import currency_choices
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
    from comptoir.purchases.models import PurchaseDocument, SupplierPayment

router = web_router()

BASE = "/purchases/payments"
NAV = "payments_out"
FIELDS = ("supplier", "date", "amount", "currency", "account", "method", "reference", "notes")
NOTICES = {
    "recorded": "The payment is recorded and settles the bills it names.",
    "allocated": "The advance is allocated to the bills.",
}
_ALLOCATION_ERROR = re.compile(r"allocations\[(\d+)\]\.(\w+)$")


@dataclass(frozen=True)
class CurrencyReport:
    currency: str
    rows: list[tuple[Party, ageing.AgedLine]]
    total: ageing.AgedLine


def supplier_options(session: Db) -> list[Party]:
    page = parties.list_parties(
        session, parties.PartyFilter(role="supplier"), limit=MAX_LIMIT, cursor=None
    )
    return sorted(page.items, key=lambda party: party.name.lower())


def open_bills(session: Db, party_id: uuid.UUID) -> list[PurchaseDocument]:
    """The supplier's posted bills with something left to pay, soonest due first."""
    found: list[PurchaseDocument] = []
    for status in bills.OPEN_BILL:
        page = bills.list_documents(
            session,
            bills.BillFilter(status=status, party_id=party_id),
            limit=MAX_LIMIT,
            cursor=None,
        )
        found.extend(page.items)
    return sorted(found, key=lambda bill: (bill.due_date or bill.issue_date, bill.issue_date))


def _supplier(session: Db, text: str) -> Party | None:
    try:
        party = parties.get(session, uuid.UUID(text)) if text else None
    except (ValueError, DomainError):
        return None
    return party if party is not None and party.is_supplier else None


def _form_page(
    request: Request, visitor: Visitor, session: Db, form: FormState, party: Party | None
) -> Response:
    rows = open_bills(session, party.id) if party else []
    return common.page(
        request,
        visitor,
        "purchases/payment_form.html",
        {
            "form": form,
            "party": party,
            "open_bills": rows,
            "amount_due": bills.amount_due,
            "is_overdue": bills.is_overdue,
            "suppliers": supplier_options(session),
            "method_options": list(METHOD_LABELS.items()),
            "bank_options": [(a.code, f"{a.code} · {a.name}") for a in bank_accounts(session)],
            "currency_options": currency_choices(form.value("currency")),
        },
        nav=NAV,
        status_code=form.status,
    )


@router.get(BASE)
def payments_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    supplier: Annotated[str, Query(max_length=60)] = "",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    visitor.require("payments:read")
    filters = {
        "supplier": supplier.strip(),
        "date_from": date_from.strip(),
        "date_to": date_to.strip(),
    }
    form = FormState(filters)
    party = _supplier(session, filters["supplier"])
    if filters["supplier"] and party is None:
        form.errors["supplier"] = "Pick a supplier from the list."
    for name in ("date_from", "date_to"):
        if filters[name] and day(filters[name]) is None:
            form.errors[name] = "A date such as 2026-01-31."
    page = supplier_payments.list_payments(
        session,
        supplier_payments.PaymentFilter(
            party_id=party.id if party else None,
            date_from=day(filters["date_from"]),
            date_to=day(filters["date_to"]),
        ),
        limit=common.PAGE_SIZE,
        cursor=cursor,
    )
    kept = {name: value for name, value in filters.items() if value}
    suppliers = supplier_options(session)
    return common.page(
        request,
        visitor,
        "purchases/payments.html",
        {
            "rows": page.items,
            "supplier_names": {
                p.id: p.name
                for p in parties.by_ids(session, {r.party_id for r in page.items}).values()
            },
            "supplier_options": [(str(p.id), p.name) for p in suppliers],
            "method_labels": METHOD_LABELS,
            "form": form,
            "filtered": bool(kept),
            "writer": visitor.can("payments:write"),
            "first_page": cursor is None,
            "first_url": BASE + (f"?{urlencode(kept)}" if kept else ""),
            "next_url": f"{BASE}?" + urlencode({**kept, "cursor": page.next_cursor})
            if page.next_cursor
            else None,
        },
        nav=NAV,
    )


@router.get(f"{BASE}/new")
def new_payment_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    supplier: Annotated[str, Query(max_length=60)] = "",
    bill: Annotated[str, Query(max_length=60)] = "",
) -> Response:
    visitor.require("payments:write")
    party = _supplier(session, supplier.strip())
    banks = bank_accounts(session)
    values = {
        "supplier": str(party.id) if party else "",
        "date": today(visitor).isoformat(),
        "currency": (party.currency if party else None) or visitor.organization.base_currency,
        "account": banks[0].code if banks else "",
        "method": "bank_transfer",
    }
    if party is not None:
        for row in open_bills(session, party.id):
            if str(row.id) == bill.strip():
                due = format_minor(bills.amount_due(row), row.currency)
                values[f"pay.{row.id}"] = due
                values["amount"] = due
                values["currency"] = row.currency
    return _form_page(request, visitor, session, FormState(values), party)


def _typed(form: PostedForm) -> dict[str, str]:
    values = {name: str(form.get(name) or "").strip() for name in FIELDS}
    for key in form:
        if key.startswith("pay.") and len(key) < 60:
            values[key] = str(form.get(key) or "").strip()
    return values


@router.post(f"{BASE}/new")
def record_payment(
    request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require("payments:write")
    values = _typed(form)
    party = _supplier(session, values["supplier"])
    if form.get("action") == "supplier" or party is None:
        # Choosing the supplier (without a script) shows their open bills.
        state = FormState(values)
        if party is None and form.get("action") != "supplier":
            state = FormState(values, {"supplier": "Choose a supplier."}, status=422)
        return _form_page(request, visitor, session, state, party)
    paid = [
        (key.removeprefix("pay."), number_text(value))
        for key, value in values.items()
        if key.startswith("pay.") and value
    ]
    sent: dict[str, Any] = {
        **{name: values[name] or None for name in FIELDS},
        "amount": number_text(values["amount"]),
        "allocations": [{"bill": bill_id, "amount": amount} for bill_id, amount in paid],
    }
    try:
        payment = supplier_payments.record(session, sent, actor_id=visitor.principal.user_id)
    except DomainError as exc:
        state = failed_form(session, _moved(exc, [bill_id for bill_id, _ in paid]), values)
        return _form_page(request, visitor, session, state, party)
    return redirect(f"{BASE}/{payment.id}?notice=recorded")


def _moved(exc: DomainError, bill_ids: list[str]) -> DomainError:
    """``allocations[i].amount`` errors beside the amount typed for that bill."""
    if not isinstance(exc, ValidationFailed):
        return exc
    errors = []
    for error in exc.errors:
        found = _ALLOCATION_ERROR.fullmatch(error.field)
        if found and int(found[1]) < len(bill_ids):
            errors.append(FieldError(f"pay.{bill_ids[int(found[1])]}", error.message, error.code))
        else:
            errors.append(error)
    return ValidationFailed(errors)


def _payment(session: Db, visitor: Visitor, payment_id: str) -> SupplierPayment:
    visitor.require("payments:read")
    return supplier_payments.get(session, parse_id(payment_id, "No such supplier payment."))


def payment_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    payment: SupplierPayment,
    *,
    allocate_form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    unallocated = payment.amount - payment.allocated
    cur = payment.currency
    allocatable = (
        [bill for bill in open_bills(session, payment.party_id) if bill.currency == cur]
        if payment.direction == "out" and unallocated > 0 and visitor.can("payments:write")
        else []
    )
    allocations = supplier_payments.allocations_by_payment(session, [payment.id]).get(
        payment.id, []
    )
    settled = bills.by_ids(session, {allocation.document_id for allocation in allocations})
    return common.page(
        request,
        visitor,
        "purchases/payment.html",
        {
            "payment": payment,
            "party": parties.get(session, payment.party_id),
            "allocations": [(a, settled.get(a.document_id)) for a in allocations],
            "account_code": accounts.codes_of(session, {payment.account_id}).get(
                payment.account_id, ""
            ),
            "method_labels": METHOD_LABELS,
            "unallocated": unallocated,
            "allocatable": allocatable,
            "amount_due": bills.amount_due,
            "is_overdue": bills.is_overdue,
            "allocate_form": allocate_form or FormState({"date": today(visitor).isoformat()}),
            "notice": notice(request, NOTICES),
        },
        nav=NAV,
        status_code=status_code,
    )


@router.get(f"{BASE}/{{supplier_payment_id}}")
def payment_detail(
    request: Request, supplier_payment_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    return payment_page(request, visitor, session, _payment(session, visitor, supplier_payment_id))


@router.post(f"{BASE}/{{supplier_payment_id}}/allocate")
def allocate_payment(
    request: Request,
    supplier_payment_id: str,
    visitor: CurrentVisitor,
    session: Db,
    form: PostedForm,
) -> Response:
    """Settle the supplier's open bills with what a payment left as an advance."""
    payment = _payment(session, visitor, supplier_payment_id)
    visitor.require("payments:write")
    values = {"date": str(form.get("date") or "").strip(), "allocations": ""}
    for key in form:
        if key.startswith("pay.") and len(key) < 60:
            values[key] = str(form.get(key) or "").strip()
    paid = [
        (key.removeprefix("pay."), number_text(value))
        for key, value in values.items()
        if key.startswith("pay.") and value
    ]
    try:
        on = day(values["date"])
        if values["date"] and on is None:
            raise ValidationFailed.single("date", "A date such as 2026-01-31.", "invalid")
        supplier_payments.allocate(
            session,
            payment.id,
            [{"bill": bill_id, "amount": amount} for bill_id, amount in paid],
            on=on,
            actor_id=visitor.principal.user_id,
        )
    except DomainError as exc:
        state = failed_form(session, _moved(exc, [bill_id for bill_id, _ in paid]), values)
        current = supplier_payments.get(session, payment.id)
        return payment_page(
            request, visitor, session, current, allocate_form=state, status_code=state.status
        )
    return redirect(f"{BASE}/{payment.id}?notice=allocated")


@router.get("/purchases/reports/aged-payables")
def aged_payables_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    as_of: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    visitor.require("reports:read")
    form = FormState({"as_of": as_of.strip()})
    on = day(as_of)
    if as_of.strip() and on is None:
        form.errors["as_of"] = "A date such as 2026-01-31."
    on = on or today(visitor)
    form.values["as_of"] = on.isoformat()
    lines = payables.aged_payables(session, on)
    suppliers = parties.by_ids(session, {line.party_id for line in lines})
    reports = []
    for currency in sorted({line.currency for line in lines}):
        rows = sorted(
            (line for line in lines if line.currency == currency),
            key=lambda line: suppliers[line.party_id].name.lower(),
        )
        reports.append(
            CurrencyReport(
                currency,
                [(suppliers[line.party_id], line) for line in rows],
                ageing.total_of(rows),
            )
        )
    return common.page(
        request,
        visitor,
        "purchases/aged_payables.html",
        {"form": form, "as_of": on, "reports": reports, "buckets": list(BUCKET_LABELS.items())},
        nav="aged_payables",
    )
