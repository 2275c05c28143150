"""Expense pages: the list by status, the form a phone can photograph a receipt from, and
an expense's page with its amounts, approval, history, receipts and the decisions the
visitor may take on it."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request, Response
from fastapi.responses import JSONResponse

from comptoir.files.views import FileStorage
from comptoir.identity.service import accounts as users
from comptoir.kit.errors import DomainError, PermissionDenied, ValidationFailed
from comptoir.kit.money import format_minor
from comptoir.kit.pagination import MAX_LIMIT
from comptoir.ledger.service import accounts
from comptoir.parties.service import parties
from comptoir.purchases.service import categories, expenses, receipts
from comptoir.purchases.views import common
from comptoir.purchases.views import receipts as receipt_views
from comptoir.sales.views.common import bank_accounts, day, number_text, tax_options, today
from comptoir.server.deps import Config
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
    from comptoir.purchases.models import Expense

router = web_router()

BASE = "/purchases/expenses"
NAV = "expenses"
FIELDS = (
    "date",
    "supplier",
    "supplier_name",
    "description",
    "amount",
    "currency",
    "tax_code",
    "category",
    "paid_by",
    "account",
    "project",
    "note",
)
STATUS_TABS = [
    ("", "All"),
    ("draft", "Drafts"),
    ("submitted", "Awaiting approval"),
    ("rejected", "Rejected"),
    ("posted", "To reimburse"),
    ("paid", "Paid"),
    ("reimbursed", "Reimbursed"),
]
NOTICES = {
    "created": "The expense is saved as a draft. Submit it when it is ready.",
    "saved": "The changes are saved.",
    "submitted": "The expense is submitted for approval.",
    "approved": "The expense is approved.",
    "rejected": "The expense is sent back with your reason.",
    "receipt": "Receipt added.",
    "receipt-removed": "Receipt removed.",
}
LIST_NOTICES = {"deleted": "The draft expense is deleted."}


def _expense(session: Db, visitor: Visitor, expense_id: str) -> Expense:
    visitor.require("expenses:read")
    return expenses.get(session, parse_id(expense_id, "No such expense."), common.viewer(visitor))


def supplier_options(session: Db) -> list[Party]:
    page = parties.list_parties(
        session, parties.PartyFilter(role="supplier"), limit=MAX_LIMIT, cursor=None
    )
    return sorted(page.items, key=lambda party: party.name.lower())


def category_options(session: Db) -> list[tuple[str, str]]:
    return [
        (choice.key or choice.account.code, f"{choice.label} · {choice.account.code}")
        for choice in categories.categories(session)
    ]


def category_value(session: Db, account_id: uuid.UUID | None) -> str:
    """The choice of the list that books to ``account_id``: its friendly category first."""
    for choice in categories.categories(session):
        if choice.account.id == account_id:
            return choice.key or choice.account.code
    return ""


def _form_values(source: Any) -> dict[str, str]:
    values = {name: str(source.get(name) or "").strip() for name in FIELDS}
    values["note"] = values["note"].replace("\r\n", "\n")
    return values


def _service_values(values: dict[str, str]) -> dict[str, Any]:
    sent: dict[str, Any] = dict(values)
    sent["amount"] = number_text(values["amount"])
    if sent["paid_by"] != "company":
        sent.pop("account")
    for name in ("supplier", "tax_code", "project", "note", "supplier_name"):
        sent[name] = sent[name] or None
    return sent


def _stored_form(session: Db, expense: Expense) -> FormState:
    return FormState(
        {
            "date": expense.date.isoformat(),
            "supplier": str(expense.party_id) if expense.party_id else "",
            "supplier_name": expense.supplier_name or "",
            "description": expense.description or "",
            "amount": format_minor(expense.gross, expense.currency),
            "currency": expense.currency,
            "tax_code": (expense.tax_codes or [""])[0],
            "category": category_value(session, expense.account_id),
            "paid_by": expense.paid_by,
            "account": accounts.codes_of(session, {expense.payment_account_id}).get(
                expense.payment_account_id, ""
            )
            if expense.payment_account_id
            else "",
            "project": expense.project or "",
            "note": expense.note or "",
        }
    )


def _form_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    form: FormState,
    expense: Expense | None = None,
) -> Response:
    banks = bank_accounts(session)
    return common.page(
        request,
        visitor,
        "purchases/expense_form.html",
        {
            "expense": expense,
            "form": form,
            "suppliers": supplier_options(session),
            "category_options": category_options(session),
            "tax_options": tax_options(session, set(form.value("tax_code").split())),
            "currency_options": currency_choices(form.value("currency")),
            "bank_options": [
                (account.code, f"{account.code} · {account.name}") for account in banks
            ],
        },
        nav=NAV,
        status_code=form.status,
    )


def _new_form(session: Db, visitor: Visitor) -> FormState:
    banks = bank_accounts(session)
    return FormState(
        {
            "date": today(visitor).isoformat(),
            "currency": visitor.organization.base_currency,
            "paid_by": "company",
            "account": banks[0].code if banks else "",
        }
    )


def _tab_url(kept: dict[str, str], status: str) -> str:
    """A status tab keeps the other filters; the first page of that status."""
    query = {name: value for name, value in kept.items() if name != "status"}
    if status:
        query["status"] = status
    return BASE + (f"?{urlencode(query)}" if query else "")


# -- list -----------------------------------------------------------------------------------


@router.get(BASE)
def expenses_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    status: Annotated[str, Query(max_length=20)] = "",
    mine: Annotated[str, Query(max_length=5)] = "",
    category: Annotated[str, Query(max_length=60)] = "",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    visitor.require("expenses:read")
    filters = {
        "status": status if status in dict(STATUS_TABS) else "",
        "mine": "1" if mine else "",
        "category": category.strip(),
        "date_from": date_from.strip(),
        "date_to": date_to.strip(),
    }
    form = FormState(filters)
    for name in ("date_from", "date_to"):
        if filters[name] and day(filters[name]) is None:
            form.errors[name] = "A date such as 2026-01-31."
    who = common.viewer(visitor)
    page = expenses.list_expenses(
        session,
        expenses.ExpenseFilter(
            status=filters["status"] or None,
            mine=bool(filters["mine"]),
            category=filters["category"] or None,
            date_from=day(filters["date_from"]),
            date_to=day(filters["date_to"]),
        ),
        who,
        limit=common.PAGE_SIZE,
        cursor=cursor,
    )
    rows = page.items
    kept = {name: value for name, value in filters.items() if value}
    supplier_ids = {row.party_id for row in rows if row.party_id}
    names = {party.id: party.name for party in parties.by_ids(session, supplier_ids).values()}
    return common.page(
        request,
        visitor,
        "purchases/expenses.html",
        {
            "rows": rows,
            "supplier_names": names,
            "category_names": category_labels(session),
            "receipt_counts": receipts.counts(session, "expense", [row.id for row in rows]),
            "form": form,
            "tabs": [(value, text, _tab_url(kept, value)) for value, text in STATUS_TABS],
            "category_options": category_options(session),
            "filtered": bool(kept),
            "sees_all": who.sees_all,
            "expense_labels": common.EXPENSE_STATUS_LABELS,
            "writer": visitor.can("expenses:write"),
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
def new_expense_page(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("expenses:write")
    return _form_page(request, visitor, session, _new_form(session, visitor))


@router.post(f"{BASE}/new")
async def create_expense(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    config: Config,
    storage: FileStorage,
    form: PostedForm,
) -> Response:
    visitor.require("expenses:write")
    values = _form_values(form)
    uploads = await receipt_views.read_files(form)
    who = common.viewer(visitor)
    try:
        expense = expenses.create(session, _service_values(values), who)
        if uploads:
            owner = receipt_views.expense_owner(expense, writer=True)
            receipt_views.attach(session, storage, visitor, config, owner, uploads)
        if form.get("action") == "submit":
            expenses.submit(session, expense.id, who)
    except DomainError as exc:
        state = failed_form(session, exc, {**values, "file": ""})
        return _form_page(request, visitor, session, state)
    done = "submitted" if form.get("action") == "submit" else "created"
    return redirect(f"{BASE}/{expense.id}?notice={done}")


@router.get(f"{BASE}/{{expense_id}}/edit")
def edit_expense_page(
    request: Request, expense_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    expense = _expense(session, visitor, expense_id)
    _check_changeable(expense, visitor)
    return _form_page(request, visitor, session, _stored_form(session, expense), expense)


def _check_changeable(expense: Expense, visitor: Visitor) -> None:
    if not common.may_change(expense, visitor):
        raise PermissionDenied("Only who entered this expense changes it.")


@router.post(f"{BASE}/{{expense_id}}/edit")
async def update_expense(
    request: Request,
    expense_id: str,
    visitor: CurrentVisitor,
    session: Db,
    config: Config,
    storage: FileStorage,
    form: PostedForm,
) -> Response:
    expense = _expense(session, visitor, expense_id)
    _check_changeable(expense, visitor)
    values = _form_values(form)
    uploads = await receipt_views.read_files(form)
    who = common.viewer(visitor)
    try:
        expenses.update(session, expense.id, _service_values(values), who)
        if uploads:
            owner = receipt_views.expense_owner(expense, writer=True)
            receipt_views.attach(session, storage, visitor, config, owner, uploads)
        if form.get("action") == "submit":
            expenses.submit(session, expense.id, who)
    except DomainError as exc:
        state = failed_form(session, exc, {**values, "file": ""})
        current = expenses.get(session, expense.id, who)
        return _form_page(request, visitor, session, state, current)
    done = "submitted" if form.get("action") == "submit" else "saved"
    return redirect(f"{BASE}/{expense.id}?notice={done}")


# -- the expense's page and its actions -----------------------------------------------------


def expense_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    config: Config,
    expense: Expense,
    *,
    alert: str | None = None,
    reject_form: FormState | None = None,
    receipt_form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    owner = receipt_views.expense_owner(expense, writer=common.may_change(expense, visitor))
    account_ids = {expense.account_id, expense.payment_account_id}
    return common.page(
        request,
        visitor,
        "purchases/expense.html",
        {
            "expense": expense,
            "supplier": parties.get(session, expense.party_id) if expense.party_id else None,
            "account_labels": accounts.codes_of(session, {a for a in account_ids if a}),
            "category_label": category_labels(session).get(expense.account_id, ""),
            "employee": users.display_names(session, {expense.employee_id}).get(expense.employee_id)
            if expense.employee_id
            else None,
            "submitter": users.display_names(session, {expense.created_by_id}).get(
                expense.created_by_id
            )
            if expense.created_by_id
            else None,
            **common.approval_context(session, visitor, expense),
            **receipt_views.context(session, config, owner, receipt_form),
            "may_change": common.may_change(expense, visitor),
            "expense_labels": common.EXPENSE_STATUS_LABELS,
            "reject_form": reject_form or FormState(),
            "reject_open": reject_form is not None,
            "alert": alert,
            "notice": notice(request, NOTICES),
        },
        nav=NAV,
        status_code=status_code,
    )


def category_labels(session: Db) -> dict[uuid.UUID, str]:
    """Each expense account as the category list names it (its friendly name first)."""
    labels: dict[uuid.UUID, str] = {}
    for choice in categories.categories(session):
        labels.setdefault(choice.account.id, choice.label)
    return labels


@router.get(f"{BASE}/suggestions")
def suggestions(
    visitor: CurrentVisitor,
    session: Db,
    supplier: Annotated[str, Query(max_length=60)] = "",
    supplier_name: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The category and tax last used with a supplier, for the form's script to pre-fill."""
    visitor.require("expenses:read")
    supplier_id = None
    if supplier.strip():
        try:
            supplier_id = uuid.UUID(supplier.strip())
        except ValueError:
            return JSONResponse({"category": None, "tax_code": None})
    found = expenses.suggest(session, supplier_id=supplier_id, supplier_name=supplier_name or None)
    return JSONResponse(
        {
            "category": category_value(session, found.account_id) or None
            if found.account_id
            else None,
            "tax_code": found.tax_code,
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get(f"{BASE}/{{expense_id}}")
def expense_detail(
    request: Request, expense_id: str, visitor: CurrentVisitor, session: Db, config: Config
) -> Response:
    expense = _expense(session, visitor, expense_id)
    return expense_page(request, visitor, session, config, expense)


def _act(
    request: Request,
    visitor: Visitor,
    session: Db,
    config: Config,
    expense: Expense,
    action: Any,
    done: str,
    *,
    reject_values: dict[str, str] | None = None,
) -> Response:
    try:
        action()
    except DomainError as exc:
        state = failed_form(session, exc, reject_values or {})
        current = expenses.get(session, expense.id, common.viewer(visitor))
        if reject_values is not None and isinstance(exc, ValidationFailed):
            return expense_page(
                request,
                visitor,
                session,
                config,
                current,
                reject_form=state,
                status_code=state.status,
            )
        return expense_page(
            request, visitor, session, config, current, alert=state.alert, status_code=state.status
        )
    return redirect(f"{BASE}/{expense.id}?notice={done}")


@router.post(f"{BASE}/{{expense_id}}/submit")
def submit_expense(
    request: Request, expense_id: str, visitor: CurrentVisitor, session: Db, config: Config
) -> Response:
    expense = _expense(session, visitor, expense_id)
    _check_changeable(expense, visitor)
    who = common.viewer(visitor)
    return _act(
        request,
        visitor,
        session,
        config,
        expense,
        lambda: expenses.submit(session, expense.id, who),
        "submitted",
    )


@router.post(f"{BASE}/{{expense_id}}/approve")
def approve_expense(
    request: Request, expense_id: str, visitor: CurrentVisitor, session: Db, config: Config
) -> Response:
    expense = _expense(session, visitor, expense_id)
    visitor.require("expenses:write")
    who = common.viewer(visitor)
    return _act(
        request,
        visitor,
        session,
        config,
        expense,
        lambda: expenses.approve(session, expense.id, who),
        "approved",
    )


@router.post(f"{BASE}/{{expense_id}}/reject")
def reject_expense(
    request: Request,
    expense_id: str,
    visitor: CurrentVisitor,
    session: Db,
    config: Config,
    form: PostedForm,
) -> Response:
    expense = _expense(session, visitor, expense_id)
    visitor.require("expenses:write")
    reason = str(form.get("reason") or "")
    who = common.viewer(visitor)
    return _act(
        request,
        visitor,
        session,
        config,
        expense,
        lambda: expenses.reject(session, expense.id, reason, who),
        "rejected",
        reject_values={"reason": reason},
    )


@router.post(f"{BASE}/{{expense_id}}/delete")
def delete_expense(
    request: Request,
    expense_id: str,
    visitor: CurrentVisitor,
    session: Db,
    config: Config,
    storage: FileStorage,
) -> Response:
    expense = _expense(session, visitor, expense_id)
    _check_changeable(expense, visitor)
    who = common.viewer(visitor)

    try:
        expenses.delete(session, expense.id, who)
        receipts.remove_all(session, storage, "expense", expense.id)
    except DomainError as exc:
        state = failed_form(session, exc, {})
        current = expenses.get(session, expense.id, who)
        return expense_page(
            request, visitor, session, config, current, alert=state.alert, status_code=state.status
        )
    return redirect(f"{BASE}?notice=deleted")
