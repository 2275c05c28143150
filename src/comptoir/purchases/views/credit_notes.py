"""Supplier credit note pages: the list, the form (the lines of a bill, optionally the bill
it corrects and a copy of that bill's lines), and a credit note's page where it is posted
and what is left of it applied to the supplier's open bills."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlencode

from fastapi import Query, Request, Response

from comptoir.identity.service import accounts as users
from comptoir.kit.errors import DomainError, FieldError, NotFound, ValidationFailed
from comptoir.kit.pagination import MAX_LIMIT
from comptoir.ledger.service import accounts
from comptoir.parties.service import parties
from comptoir.parties.service.terms import PAYMENT_TERMS
from comptoir.purchases.service import bill_lines, bills, credit_notes, settlements
from comptoir.purchases.views import bills as bill_views
from comptoir.purchases.views import common
from comptoir.purchases.views.payments import open_bills
from comptoir.sales.views.common import day, number_text, tax_options, today
from comptoir.tax.service import taxes
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
    from comptoir.purchases.models import PurchaseDocument

router = web_router()

BASE = "/purchases/credit-notes"
NAV = "credit_notes_in"
STATUS_FILTERS = [("draft", "Drafts"), ("posted", "Posted")]
NOTICES = {
    "created": "The credit note is saved as a draft. Post it when it is right.",
    "saved": "The changes are saved.",
    "posted": "The credit note is posted; against a bill, it settles what was due on it.",
    "applied": "The credit is applied to the bills.",
}
LIST_NOTICES = {"deleted": "The draft credit note is deleted."}
# Bills a credit note may correct: posted ones, settled or not.
CORRECTABLE = ("posted", "partially_paid", "paid")
_ALLOCATION_ERROR = re.compile(r"allocations\[(\d+)\]\.(\w+)$")


def _credit_note(
    session: Db, visitor: Visitor, credit_note_id: str, *, lock: bool = False
) -> PurchaseDocument:
    visitor.require("bills:read")
    return bills.get(
        session,
        parse_id(credit_note_id, "No such supplier credit note."),
        "credit_note",
        lock=lock,
    )


def correctable_bills(session: Db, party_id: uuid.UUID) -> list[PurchaseDocument]:
    """The supplier's posted bills, newest first: what a credit note may correct."""
    found: list[PurchaseDocument] = []
    for status in CORRECTABLE:
        found.extend(
            bills.list_documents(
                session,
                bills.BillFilter(status=status, party_id=party_id),
                limit=MAX_LIMIT,
                cursor=None,
            ).items
        )
    return sorted(found, key=lambda bill: (bill.issue_date, str(bill.id)), reverse=True)


def _bill_of(session: Db, text: str, party_id: uuid.UUID | None) -> PurchaseDocument | None:
    try:
        bill = bills.get(session, uuid.UUID(text), "bill") if text else None
    except (ValueError, NotFound):
        return None
    if bill is None or (party_id is not None and bill.party_id != party_id):
        return None
    return bill


def _party_id(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None


def _copied(session: Db, values: dict[str, str], bill: PurchaseDocument) -> dict[str, str]:
    """The form with the bill's supplier, currency, price mode and lines."""
    stored = bill_views.stored_values(session, bill)
    kept = {key: value for key, value in values.items() if not key.startswith("lines.")}
    kept.update({key: value for key, value in stored.items() if key.startswith("lines.")})
    for name in ("supplier", "currency", "prices_include_tax", "rows"):
        kept[name] = stored[name]
    kept["bill"] = str(bill.id)
    return kept


def _form_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    form: FormState,
    credit_note: PurchaseDocument | None = None,
) -> Response:
    rows = int(form.value("rows") or "0")
    used = {form.value(f"lines.{i}.tax_code") for i in range(rows)}
    party_id = _party_id(form.value("supplier"))
    source = (
        _bill_of(session, str(credit_note.source_id), None)
        if credit_note is not None and credit_note.source_id
        else None
    )
    return common.page(
        request,
        visitor,
        "purchases/credit_note_form.html",
        {
            "bill": credit_note,
            "form": form,
            "rows": range(rows),
            "suppliers": bill_views.supplier_options(session),
            "account_options": bill_views.account_options(session),
            "tax_options": tax_options(session, used - {""}),
            "terms_options": list(PAYMENT_TERMS.items()),
            "currency_options": currency_choices(form.value("currency")),
            "bill_options": [
                (str(bill.id), f"{bills.display_name(bill)} · {bill.issue_date.isoformat()}")
                for bill in correctable_bills(session, party_id)
            ]
            if party_id is not None and credit_note is None
            else [],
            "source": source,
            "form_base": BASE,
            "form_noun": "credit note",
            "form_list_name": "Supplier credit notes",
            "form_needed_for": "post",
        },
        nav=NAV,
        status_code=form.status,
    )


def _save(
    request: Request,
    visitor: Visitor,
    session: Db,
    form: PostedForm,
    credit_note: PurchaseDocument | None,
) -> Response:
    values = bill_views.typed(form)
    values["bill"] = str(form.get("bill") or "").strip() if credit_note is None else ""
    action = str(form.get("action") or "save")
    if action == "add_rows":
        state = FormState(bill_views.with_spare_rows(values))
        return _form_page(request, visitor, session, state, credit_note)
    if action in ("supplier", "copy"):
        bill = _bill_of(session, values["bill"], _party_id(values["supplier"]))
        if action == "copy" and bill is not None:
            return _form_page(request, visitor, session, FormState(_copied(session, values, bill)))
        errors = {}
        if action == "copy":
            errors["bill"] = "Choose the bill to copy the lines of."
        state = FormState(values, errors, status=422 if errors else 200)
        return _form_page(request, visitor, session, state, credit_note)
    sent, rows = bill_views.service_values(values)
    existing = credit_note.id if credit_note is not None else None
    try:
        if credit_note is None:
            sent["bill"] = values["bill"] or None
            credit_note = credit_notes.create_draft(
                session, sent, actor_id=visitor.principal.user_id
            )
            done = "created"
        else:
            bills.update_draft(session, credit_note, sent)
            done = "saved"
        if action == "post":
            credit_notes.post(session, credit_note, actor_id=visitor.principal.user_id)
            done = "posted"
    except DomainError as exc:
        # ``lines`` as a whole (too much credited on the bill) is shown above the lines.
        state = failed_form(session, bill_views.moved(exc, rows), {**values, "lines": ""})
        current = bills.get(session, existing, "credit_note") if existing is not None else None
        return _form_page(request, visitor, session, state, current)
    return redirect(f"{BASE}/{credit_note.id}?notice={done}")


# -- list -----------------------------------------------------------------------------------


@router.get(BASE)
def credit_notes_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    status: Annotated[str, Query(max_length=20)] = "",
    supplier: Annotated[str, Query(max_length=60)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    visitor.require("bills:read")
    filters = {
        "status": status if status in dict(STATUS_FILTERS) else "",
        "supplier": supplier.strip(),
    }
    form = FormState(filters)
    party_id = _party_id(filters["supplier"])
    if filters["supplier"] and party_id is None:
        form.errors["supplier"] = "Pick a supplier from the list."
    page = bills.list_documents(
        session,
        bills.BillFilter(kind="credit_note", status=filters["status"] or None, party_id=party_id),
        limit=common.PAGE_SIZE,
        cursor=cursor,
    )
    kept = {name: value for name, value in filters.items() if value}
    suppliers = bill_views.supplier_options(session)
    sources = bills.by_ids(session, {row.source_id for row in page.items if row.source_id})
    return common.page(
        request,
        visitor,
        "purchases/credit_notes.html",
        {
            "rows": page.items,
            "supplier_names": {
                party.id: party.name
                for party in parties.by_ids(session, {row.party_id for row in page.items}).values()
            },
            "sources": sources,
            "form": form,
            "status_options": STATUS_FILTERS,
            "supplier_options": [(str(party.id), party.name) for party in suppliers],
            "filtered": bool(kept),
            "writer": visitor.can("bills:write"),
            "left_of": bills.amount_due,
            "first_page": cursor is None,
            "first_url": BASE + (f"?{urlencode(kept)}" if kept else ""),
            "next_url": f"{BASE}?" + urlencode({**kept, "cursor": page.next_cursor})
            if page.next_cursor
            else None,
            "notice": notice(request, LIST_NOTICES),
        },
        nav=NAV,
    )


# -- new and edit ---------------------------------------------------------------------------


@router.get(f"{BASE}/new")
def new_credit_note_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    supplier: Annotated[str, Query(max_length=60)] = "",
    bill: Annotated[str, Query(max_length=60)] = "",
) -> Response:
    visitor.require("bills:write")
    values = {
        "supplier": supplier.strip(),
        "bill": "",
        "issue_date": today(visitor).isoformat(),
        "currency": "",
        "rows": "0",
    }
    corrected = _bill_of(session, bill.strip(), None)
    if corrected is not None and corrected.entry_id is not None:
        values = _copied(session, values, corrected)
    return _form_page(request, visitor, session, FormState(bill_views.with_spare_rows(values, 1)))


@router.post(f"{BASE}/new")
def create_credit_note(
    request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require("bills:write")
    return _save(request, visitor, session, form, None)


@router.get(f"{BASE}/{{supplier_credit_note_id}}/edit")
def edit_credit_note_page(
    request: Request, supplier_credit_note_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    credit_note = _credit_note(session, visitor, supplier_credit_note_id)
    visitor.require("bills:write")
    values = {**bill_views.stored_values(session, credit_note), "bill": ""}
    return _form_page(request, visitor, session, FormState(values), credit_note)


@router.post(f"{BASE}/{{supplier_credit_note_id}}/edit")
def update_credit_note(
    request: Request,
    supplier_credit_note_id: str,
    visitor: CurrentVisitor,
    session: Db,
    form: PostedForm,
) -> Response:
    credit_note = _credit_note(session, visitor, supplier_credit_note_id)
    visitor.require("bills:write")
    return _save(request, visitor, session, form, credit_note)


# -- the credit note's page and its actions -------------------------------------------------


def credit_note_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    credit_note: PurchaseDocument,
    *,
    alert: str | None = None,
    apply_form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    lines = bills.lines_of(session, credit_note.id)
    calculation = None
    if lines:
        calculation = bill_lines.recalculate(
            session, lines, credit_note.currency, credit_note.prices_include_tax
        )[1]
    allocations = settlements.allocations_of(session, credit_note.id)
    settled = bills.by_ids(session, {a.document_id for a in allocations})
    left = bills.amount_due(credit_note)
    writer = visitor.can("bills:write")
    applicable = (
        [
            bill
            for bill in open_bills(session, credit_note.party_id)
            if bill.currency == credit_note.currency
        ]
        if writer and credit_note.entry_id is not None and left > 0
        else []
    )
    rows = bills.history(session, credit_note.id)
    names = users.display_names(session, {row.actor_id for row in rows})
    return common.page(
        request,
        visitor,
        "purchases/credit_note.html",
        {
            "credit_note": credit_note,
            "party": parties.get(session, credit_note.party_id),
            "lines": lines,
            "calculation": calculation,
            "known_taxes": taxes.by_codes(
                session, {total.code for total in calculation.taxes} if calculation else set()
            ),
            "account_codes": accounts.codes_of(session, {line.account_id for line in lines}),
            "source": _bill_of(session, str(credit_note.source_id), None)
            if credit_note.source_id
            else None,
            "allocations": [
                (allocation, settled.get(allocation.document_id))
                for allocation in allocations
                if allocation.credit_note_id == credit_note.id
            ],
            "left": left,
            "applicable": applicable,
            "amount_due": bills.amount_due,
            "is_overdue": bills.is_overdue,
            "apply_form": apply_form or FormState({"date": today(visitor).isoformat()}),
            "writer": writer,
            "timeline": common.history_steps(rows, names),
            "title": f"Credit note {credit_note.supplier_number}"
            if credit_note.supplier_number
            else "Draft credit note",
            "alert": alert,
            "notice": notice(request, NOTICES),
        },
        nav=NAV,
        status_code=status_code,
    )


@router.get(f"{BASE}/{{supplier_credit_note_id}}")
def credit_note_detail(
    request: Request, supplier_credit_note_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    return credit_note_page(
        request, visitor, session, _credit_note(session, visitor, supplier_credit_note_id)
    )


@router.post(f"{BASE}/{{supplier_credit_note_id}}/post")
def post_credit_note(
    request: Request, supplier_credit_note_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    credit_note = _credit_note(session, visitor, supplier_credit_note_id, lock=True)
    visitor.require("bills:write")
    try:
        credit_notes.post(session, credit_note, actor_id=visitor.principal.user_id)
    except DomainError as exc:
        state = failed_form(session, exc, {})
        current = bills.get(session, credit_note.id, "credit_note")
        return credit_note_page(
            request, visitor, session, current, alert=state.alert, status_code=state.status
        )
    return redirect(f"{BASE}/{credit_note.id}?notice=posted")


def _moved(exc: DomainError, bill_ids: list[str]) -> DomainError:
    """``allocations[i].*`` errors beside the amount typed for that bill."""
    if not isinstance(exc, ValidationFailed):
        return exc
    errors = []
    for error in exc.errors:
        found = _ALLOCATION_ERROR.fullmatch(error.field)
        if found and int(found[1]) < len(bill_ids):
            errors.append(FieldError(f"apply.{bill_ids[int(found[1])]}", error.message, error.code))
        else:
            errors.append(error)
    return ValidationFailed(errors)


@router.post(f"{BASE}/{{supplier_credit_note_id}}/apply")
def apply_credit_note(
    request: Request,
    supplier_credit_note_id: str,
    visitor: CurrentVisitor,
    session: Db,
    form: PostedForm,
) -> Response:
    credit_note = _credit_note(session, visitor, supplier_credit_note_id, lock=True)
    visitor.require("bills:write")
    values = {"date": str(form.get("date") or "").strip(), "allocations": ""}
    for key in form:
        if key.startswith("apply.") and len(key) < 60:
            values[key] = str(form.get(key) or "").strip()
    applied = [
        (key.removeprefix("apply."), number_text(value))
        for key, value in values.items()
        if key.startswith("apply.") and value
    ]
    try:
        on = day(values["date"])
        if values["date"] and on is None:
            raise ValidationFailed.single("date", "A date such as 2026-01-31.", "invalid")
        credit_notes.apply(
            session,
            credit_note,
            [{"bill": bill_id, "amount": amount} for bill_id, amount in applied],
            on=on,
            actor_id=visitor.principal.user_id,
        )
    except DomainError as exc:
        state = failed_form(session, _moved(exc, [bill_id for bill_id, _ in applied]), values)
        current = bills.get(session, credit_note.id, "credit_note")
        if isinstance(exc, ValidationFailed):
            return credit_note_page(
                request, visitor, session, current, apply_form=state, status_code=state.status
            )
        return credit_note_page(
            request, visitor, session, current, alert=state.alert, status_code=state.status
        )
    return redirect(f"{BASE}/{credit_note.id}?notice=applied")


@router.post(f"{BASE}/{{supplier_credit_note_id}}/delete")
def delete_credit_note(
    request: Request, supplier_credit_note_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    credit_note = _credit_note(session, visitor, supplier_credit_note_id)
    visitor.require("bills:write")
    try:
        bills.delete_draft(session, credit_note)
    except DomainError as exc:
        state = failed_form(session, exc, {})
        current = bills.get(session, credit_note.id, "credit_note")
        return credit_note_page(
            request, visitor, session, current, alert=state.alert, status_code=state.status
        )
    return redirect(f"{BASE}?notice=deleted")
