"""Bill pages: the list, the form with its lines (the expense or asset account of each),
and a bill's page with its lines and totals, the duplicate warning, its approval, history,
receipts and the decisions the visitor may take on it."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request, Response

from comptoir.files.views import FileStorage
from comptoir.kit.errors import DomainError, FieldError, NotFound, ValidationFailed
from comptoir.kit.money import plain_decimal
from comptoir.kit.pagination import MAX_LIMIT
from comptoir.ledger.service import accounts
from comptoir.parties.service import parties
from comptoir.parties.service.terms import PAYMENT_TERMS
from comptoir.purchases.service import bill_lines, bills, receipts
from comptoir.purchases.views import common
from comptoir.purchases.views import receipts as receipt_views
from comptoir.sales.views.common import day, number_text, price_text, tax_options, today
from comptoir.server.deps import Config
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
    from comptoir.parties.service.parties import Party
    from comptoir.purchases.models import PurchaseDocument

router = web_router()

BASE = "/purchases/bills"
NAV = "bills"
HEADER = (
    "supplier",
    "supplier_number",
    "issue_date",
    "due_date",
    "payment_terms",
    "currency",
    "project",
    "notes",
)
LINE = ("description", "quantity", "unit_price", "tax_code", "account")
# Spare rows under the lines typed; "Add rows" gives this many more.
SPARE_ROWS = 3
MAX_FORM_LINES = 100
STATUS_FILTERS = [
    ("draft", "Drafts"),
    ("submitted", "Awaiting approval"),
    ("rejected", "Rejected"),
    ("posted", "Unpaid"),
    ("partially_paid", "Partly paid"),
    ("paid", "Paid"),
    ("cancelled", "Cancelled"),
]
NOTICES = {
    "created": "The bill is saved as a draft. Submit it when it is ready.",
    "saved": "The changes are saved.",
    "submitted": "The bill is submitted for approval.",
    "approved": "The bill is approved and posted.",
    "rejected": "The bill is sent back with your reason.",
    "receipt": "Receipt added.",
    "receipt-removed": "Receipt removed.",
}
LIST_NOTICES = {"deleted": "The draft bill is deleted."}
_LINE_ERROR = re.compile(r"lines\[(\d+)\](?:\.(\w+))?$")


def _bill(session: Db, visitor: Visitor, bill_id: str, *, lock: bool = False) -> PurchaseDocument:
    """The bill; with ``lock`` for a decision, so that two approvals never both post it."""
    visitor.require("bills:read")
    return bills.get(session, parse_id(bill_id, "No such bill."), lock=lock)


def supplier_options(session: Db) -> list[Party]:
    page = parties.list_parties(
        session, parties.PartyFilter(role="supplier"), limit=MAX_LIMIT, cursor=None
    )
    return sorted(page.items, key=lambda party: party.name.lower())


def account_options(session: Db) -> list[tuple[str, str]]:
    """What a bill's line may be booked to: an expense, or a fixed asset bought."""
    return [
        (account.code, f"{account.code} · {account.name}")
        for account in accounts.list_accounts(session, accounts.AccountFilter(postable_only=True))
        if account.type == "expense" or account.subtype == "fixed_asset"
    ]


# -- the form ------------------------------------------------------------------------------


def _row_count(values: dict[str, str]) -> int:
    return int(values.get("rows") or "0")


def typed(form: PostedForm) -> dict[str, str]:
    """The form as typed, every value as text, rows numbered from 0."""
    values = {name: str(form.get(name) or "").strip() for name in HEADER}
    values["notes"] = values["notes"].replace("\r\n", "\n")
    values["prices_include_tax"] = "on" if form.get("prices_include_tax") else ""
    raw = str(form.get("rows") or "0")
    rows = min(int(raw), MAX_FORM_LINES) if raw.isascii() and raw.isdigit() and len(raw) < 4 else 0
    for index in range(rows):
        for name in LINE:
            values[f"lines.{index}.{name}"] = str(form.get(f"lines.{index}.{name}") or "").strip()
    values["rows"] = str(rows)
    return values


def _filled(values: dict[str, str], index: int) -> bool:
    return any(values.get(f"lines.{index}.{name}") for name in ("description", "unit_price"))


def service_values(values: dict[str, str]) -> tuple[dict[str, Any], list[int]]:
    """What the bills service takes, and which form row each line came from."""
    rows = [index for index in range(_row_count(values)) if _filled(values, index)]
    sent: dict[str, Any] = {name: values[name] or None for name in HEADER}
    sent["supplier"] = values["supplier"]
    sent["prices_include_tax"] = bool(values.get("prices_include_tax"))
    sent["currency"] = values["currency"] or None
    sent["lines"] = [
        {
            "description": values[f"lines.{index}.description"],
            "quantity": number_text(values[f"lines.{index}.quantity"]) or "1",
            "unit_price": number_text(values[f"lines.{index}.unit_price"]),
            "tax_codes": [values[f"lines.{index}.tax_code"]]
            if values[f"lines.{index}.tax_code"]
            else [],
            "account": values[f"lines.{index}.account"],
        }
        for index in rows
    ]
    return sent, rows


def moved(exc: DomainError, rows: list[int]) -> DomainError:
    """The service's ``lines[i].field`` errors beside the form's cell of row ``rows[i]``."""
    if not isinstance(exc, ValidationFailed):
        return exc
    errors = []
    for error in exc.errors:
        found = _LINE_ERROR.fullmatch(error.field)
        if found is None:
            errors.append(error)
            continue
        index = int(found[1])
        row = rows[index] if index < len(rows) else index
        name = {"tax_codes": "tax_code", None: "description"}.get(found[2], found[2])
        errors.append(FieldError(f"lines.{row}.{name}", error.message, error.code))
    return ValidationFailed(errors)


def with_spare_rows(values: dict[str, str], spare: int = SPARE_ROWS) -> dict[str, str]:
    rows = _row_count(values)
    filled = [index for index in range(rows) if _filled(values, index)]
    kept: dict[str, str] = {
        key: value for key, value in values.items() if not key.startswith("lines.")
    }
    for new, old in enumerate(filled):
        for name in LINE:
            kept[f"lines.{new}.{name}"] = values.get(f"lines.{old}.{name}", "")
    for index in range(len(filled), len(filled) + spare):
        for name in LINE:
            kept[f"lines.{index}.{name}"] = ""
    kept["rows"] = str(min(len(filled) + spare, MAX_FORM_LINES))
    return kept


def stored_values(session: Db, bill: PurchaseDocument) -> dict[str, str]:
    values = {
        "supplier": str(bill.party_id),
        "supplier_number": bill.supplier_number or "",
        "issue_date": bill.issue_date.isoformat(),
        "due_date": bill.due_date.isoformat() if bill.due_date else "",
        "payment_terms": bill.payment_terms or "",
        "currency": bill.currency,
        "project": bill.project or "",
        "notes": bill.notes or "",
        "prices_include_tax": "on" if bill.prices_include_tax else "",
    }
    lines = bills.lines_of(session, bill.id)
    codes = accounts.codes_of(session, {line.account_id for line in lines})
    for index, line in enumerate(lines):
        values[f"lines.{index}.description"] = line.description
        values[f"lines.{index}.quantity"] = plain_decimal(line.quantity)
        values[f"lines.{index}.unit_price"] = price_text(line.unit_price)
        values[f"lines.{index}.tax_code"] = (line.tax_codes or [""])[0]
        values[f"lines.{index}.account"] = codes.get(line.account_id, "")
    values["rows"] = str(len(lines))
    return with_spare_rows(values, 2)


def _form_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    form: FormState,
    bill: PurchaseDocument | None = None,
) -> Response:
    used = {form.value(f"lines.{i}.tax_code") for i in range(_row_count(form.values))}
    return common.page(
        request,
        visitor,
        "purchases/bill_form.html",
        {
            "bill": bill,
            "form": form,
            "rows": range(_row_count(form.values)),
            "suppliers": supplier_options(session),
            "account_options": account_options(session),
            "tax_options": tax_options(session, used - {""}),
            "terms_options": list(PAYMENT_TERMS.items()),
            "currency_options": currency_choices(form.value("currency")),
        },
        nav=NAV,
        status_code=form.status,
    )


def _save(
    request: Request,
    visitor: Visitor,
    session: Db,
    form: PostedForm,
    bill: PurchaseDocument | None,
) -> Response:
    values = typed(form)
    action = str(form.get("action") or "save")
    if action == "add_rows":
        return _form_page(request, visitor, session, FormState(with_spare_rows(values)), bill)
    sent, rows = service_values(values)
    existing = bill.id if bill is not None else None
    try:
        if bill is None:
            bill = bills.create_draft(session, "bill", sent, actor_id=visitor.principal.user_id)
            done = "created"
        else:
            bills.update_draft(session, bill, sent)
            done = "saved"
        if action == "submit":
            bills.submit(session, bill, actor_id=visitor.principal.user_id)
            done = "submitted"
    except DomainError as exc:
        state = failed_form(session, moved(exc, rows), values)
        current = bills.get(session, existing) if existing is not None else None
        return _form_page(request, visitor, session, state, current)
    return redirect(f"{BASE}/{bill.id}?notice={done}")


# -- list -----------------------------------------------------------------------------------


@router.get(BASE)
def bills_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    supplier: Annotated[str, Query(max_length=60)] = "",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    overdue: Annotated[str, Query(max_length=5)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    visitor.require("bills:read")
    filters = {
        "q": q.strip(),
        "status": status if status in dict(STATUS_FILTERS) else "",
        "supplier": supplier.strip(),
        "date_from": date_from.strip(),
        "date_to": date_to.strip(),
        "overdue": "1" if overdue else "",
    }
    form = FormState(filters)
    party_id = None
    if filters["supplier"]:
        try:
            party_id = uuid.UUID(filters["supplier"])
        except ValueError:
            form.errors["supplier"] = "Pick a supplier from the list."
    for name in ("date_from", "date_to"):
        if filters[name] and day(filters[name]) is None:
            form.errors[name] = "A date such as 2026-01-31."
    page = bills.list_documents(
        session,
        bills.BillFilter(
            status=filters["status"] or None,
            party_id=party_id,
            date_from=day(filters["date_from"]),
            date_to=day(filters["date_to"]),
            overdue=bool(filters["overdue"]),
            q=filters["q"] or None,
        ),
        limit=common.PAGE_SIZE,
        cursor=cursor,
    )
    kept = {name: value for name, value in filters.items() if value}
    suppliers = supplier_options(session)
    return common.page(
        request,
        visitor,
        "purchases/bills.html",
        {
            "rows": page.items,
            "supplier_names": {
                party.id: party.name
                for party in parties.by_ids(session, {row.party_id for row in page.items}).values()
            },
            "receipt_counts": receipts.counts(session, "bill", [row.id for row in page.items]),
            "form": form,
            "status_options": STATUS_FILTERS,
            "supplier_options": [(str(party.id), party.name) for party in suppliers],
            "filtered": bool(kept),
            "writer": visitor.can("bills:write"),
            "is_overdue": bills.is_overdue,
            "amount_due": bills.amount_due,
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
def new_bill_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    supplier: Annotated[str, Query(max_length=60)] = "",
) -> Response:
    visitor.require("bills:write")
    values = {
        "supplier": supplier.strip(),
        "issue_date": today(visitor).isoformat(),
        "currency": "",
        "rows": "0",
    }
    return _form_page(request, visitor, session, FormState(with_spare_rows(values)))


@router.post(f"{BASE}/new")
def create_bill(
    request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require("bills:write")
    return _save(request, visitor, session, form, None)


@router.get(f"{BASE}/{{bill_id}}/edit")
def edit_bill_page(
    request: Request, bill_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    bill = _bill(session, visitor, bill_id)
    visitor.require("bills:write")
    return _form_page(request, visitor, session, FormState(stored_values(session, bill)), bill)


@router.post(f"{BASE}/{{bill_id}}/edit")
def update_bill(
    request: Request, bill_id: str, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    bill = _bill(session, visitor, bill_id)
    visitor.require("bills:write")
    return _save(request, visitor, session, form, bill)


# -- the bill's page and its actions --------------------------------------------------------


def bill_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    config: Config,
    bill: PurchaseDocument,
    *,
    alert: str | None = None,
    reject_form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    lines = bills.lines_of(session, bill.id)
    calculation = (
        bill_lines.recalculate(session, lines, bill.currency, bill.prices_include_tax)[1]
        if lines
        else None
    )
    duplicate = None
    if bill.duplicate_of_id is not None:
        try:
            duplicate = bills.get(session, bill.duplicate_of_id, "bill")
        except NotFound:
            duplicate = None
    owner = receipt_views.bill_owner(bill, writer=visitor.can("bills:write"))
    return common.page(
        request,
        visitor,
        "purchases/bill.html",
        {
            "bill": bill,
            "party": parties.get(session, bill.party_id),
            "lines": lines,
            "calculation": calculation,
            "known_taxes": taxes.by_codes(
                session, {total.code for total in calculation.taxes} if calculation else set()
            ),
            "account_codes": accounts.codes_of(session, {line.account_id for line in lines}),
            "duplicate": duplicate,
            "title": f"Bill {bill.supplier_number}" if bill.supplier_number else "Draft bill",
            "writer": visitor.can("bills:write"),
            "is_overdue": bills.is_overdue,
            "amount_due": bills.amount_due,
            **common.approval_context(session, visitor, bill),
            **receipt_views.context(session, config, owner),
            "reject_form": reject_form or FormState(),
            "reject_open": reject_form is not None,
            "alert": alert,
            "notice": notice(request, NOTICES),
        },
        nav=NAV,
        status_code=status_code,
    )


@router.get(f"{BASE}/{{bill_id}}")
def bill_detail(
    request: Request, bill_id: str, visitor: CurrentVisitor, session: Db, config: Config
) -> Response:
    return bill_page(request, visitor, session, config, _bill(session, visitor, bill_id))


def _act(
    request: Request,
    visitor: Visitor,
    session: Db,
    config: Config,
    bill: PurchaseDocument,
    action: Any,
    then: str,
    *,
    reject_values: dict[str, str] | None = None,
) -> Response:
    try:
        action()
    except DomainError as exc:
        state = failed_form(session, exc, reject_values or {})
        current = bills.get(session, bill.id)
        if reject_values is not None and isinstance(exc, ValidationFailed):
            return bill_page(
                request,
                visitor,
                session,
                config,
                current,
                reject_form=state,
                status_code=state.status,
            )
        return bill_page(
            request, visitor, session, config, current, alert=state.alert, status_code=state.status
        )
    return redirect(then)


@router.post(f"{BASE}/{{bill_id}}/submit")
def submit_bill(
    request: Request, bill_id: str, visitor: CurrentVisitor, session: Db, config: Config
) -> Response:
    bill = _bill(session, visitor, bill_id, lock=True)
    visitor.require("bills:write")
    return _act(
        request,
        visitor,
        session,
        config,
        bill,
        lambda: bills.submit(session, bill, actor_id=visitor.principal.user_id),
        f"{BASE}/{bill.id}?notice=submitted",
    )


@router.post(f"{BASE}/{{bill_id}}/approve")
def approve_bill(
    request: Request, bill_id: str, visitor: CurrentVisitor, session: Db, config: Config
) -> Response:
    bill = _bill(session, visitor, bill_id, lock=True)
    visitor.require("bills:write")
    return _act(
        request,
        visitor,
        session,
        config,
        bill,
        lambda: bills.approve(session, bill, actor_id=visitor.principal.user_id),
        f"{BASE}/{bill.id}?notice=approved",
    )


@router.post(f"{BASE}/{{bill_id}}/reject")
def reject_bill(
    request: Request,
    bill_id: str,
    visitor: CurrentVisitor,
    session: Db,
    config: Config,
    form: PostedForm,
) -> Response:
    bill = _bill(session, visitor, bill_id, lock=True)
    visitor.require("bills:write")
    reason = str(form.get("reason") or "")
    return _act(
        request,
        visitor,
        session,
        config,
        bill,
        lambda: bills.reject(session, bill, actor_id=visitor.principal.user_id, reason=reason),
        f"{BASE}/{bill.id}?notice=rejected",
        reject_values={"reason": reason},
    )


@router.post(f"{BASE}/{{bill_id}}/delete")
def delete_bill(
    request: Request,
    bill_id: str,
    visitor: CurrentVisitor,
    session: Db,
    config: Config,
    storage: FileStorage,
) -> Response:
    bill = _bill(session, visitor, bill_id)
    visitor.require("bills:write")
    bill_id_kept = bill.id

    def remove() -> None:
        bills.delete_draft(session, bill)
        receipts.remove_all(session, storage, "bill", bill_id_kept)

    return _act(request, visitor, session, config, bill, remove, f"{BASE}?notice=deleted")
