"""Reimbursement pages: the list, paying an employee back for the posted expenses they
paid personally (the employee first, then the expenses to settle, all in one currency),
and a reimbursement's page with the expenses it settled."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request, Response

from comptoir.identity.service import accounts as users
from comptoir.kit.errors import DomainError, FieldError, PermissionDenied, ValidationFailed
from comptoir.kit.pagination import MAX_LIMIT
from comptoir.ledger.service import accounts
from comptoir.purchases.service import approval_rules, expenses, reimbursements
from comptoir.purchases.views import common
from comptoir.purchases.views.expenses import category_labels
from comptoir.sales.views.common import METHOD_LABELS, bank_accounts, today
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
    from comptoir.purchases.models import Expense

router = web_router()

BASE = "/purchases/reimbursements"
NAV = "reimbursements"
FIELDS = ("employee", "date", "account", "method", "reference")
NOTICES = {"recorded": "The reimbursement is recorded and posted; its expenses are reimbursed."}
_EXPENSE_ERROR = re.compile(r"expenses\[(\d+)\]$")


@dataclass(frozen=True)
class Owed:
    """What the company owes one employee for the expenses they paid: totals by currency."""

    employee_id: uuid.UUID
    name: str
    expenses: list[Expense]
    totals: list[tuple[str, int]]


def may_reimburse(visitor: Visitor) -> bool:
    return visitor.principal.role in approval_rules.APPROVER_ROLES


def _require_reimburser(visitor: Visitor) -> None:
    visitor.require("expenses:read")
    if not may_reimburse(visitor):
        raise PermissionDenied("Only an owner, administrator or accountant reimburses.")


def owed(session: Db, visitor: Visitor) -> list[Owed]:
    """Every posted expense paid personally, by employee (by name), oldest first."""
    found: list[Expense] = []
    cursor = None
    while True:
        page = expenses.list_expenses(
            session,
            expenses.ExpenseFilter(status="posted"),
            common.viewer(visitor),
            limit=MAX_LIMIT,
            cursor=cursor,
        )
        found.extend(row for row in page.items if row.paid_by == "employee" and row.employee_id)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    by_employee: dict[uuid.UUID, list[Expense]] = defaultdict(list)
    for expense in found:
        assert expense.employee_id is not None
        by_employee[expense.employee_id].append(expense)
    names = users.display_names(session, set(by_employee))
    result = []
    for employee_id, rows in by_employee.items():
        totals: dict[str, int] = defaultdict(int)
        for row in rows:
            totals[row.currency] += row.gross
        result.append(
            Owed(
                employee_id,
                names.get(employee_id, "A former member"),
                sorted(rows, key=lambda row: (row.date, str(row.id))),
                sorted(totals.items()),
            )
        )
    return sorted(result, key=lambda item: item.name.lower())


def _form_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    form: FormState,
    *,
    chosen: list[str] | None = None,
    only: str = "",
) -> Response:
    """``chosen``: the expenses ticked; by default the one named by ``only`` (from its
    page) alone, otherwise all the member's expenses in the currency of the oldest."""
    everyone = owed(session, visitor)
    employee = next((o for o in everyone if str(o.employee_id) == form.value("employee")), None)
    if chosen is None and employee is not None:
        ids = [str(row.id) for row in employee.expenses]
        currency = employee.expenses[0].currency
        chosen = (
            [only]
            if only in ids
            else [str(row.id) for row in employee.expenses if row.currency == currency]
        )
    if employee is None and "expenses" in form.errors:
        # No list to show it beside: the member has nothing left to reimburse.
        errors = dict(form.errors)
        form = FormState(form.values, errors, errors.pop("expenses"), form.status)
    return common.page(
        request,
        visitor,
        "purchases/reimbursement_form.html",
        {
            "form": form,
            "owed": everyone,
            "employee": employee,
            "chosen": set(chosen or []),
            "category_names": category_labels(session),
            "method_options": list(METHOD_LABELS.items()),
            "bank_options": [(a.code, f"{a.code} · {a.name}") for a in bank_accounts(session)],
        },
        nav=NAV,
        status_code=form.status,
    )


@router.get(BASE)
def reimbursements_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    visitor.require("expenses:read")
    page = reimbursements.list_reimbursements(
        session, common.viewer(visitor), employee_id=None, limit=common.PAGE_SIZE, cursor=cursor
    )
    return common.page(
        request,
        visitor,
        "purchases/reimbursements.html",
        {
            "rows": page.items,
            "names": users.display_names(session, {row.employee_id for row in page.items}),
            "method_labels": METHOD_LABELS,
            "may_reimburse": may_reimburse(visitor),
            "waiting": sum(len(item.expenses) for item in owed(session, visitor))
            if may_reimburse(visitor)
            else 0,
            "first_page": cursor is None,
            "next_url": f"{BASE}?" + urlencode({"cursor": page.next_cursor})
            if page.next_cursor
            else None,
        },
        nav=NAV,
    )


@router.get(f"{BASE}/new")
def new_reimbursement_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    employee: Annotated[str, Query(max_length=60)] = "",
    expense: Annotated[str, Query(max_length=60)] = "",
) -> Response:
    _require_reimburser(visitor)
    banks = bank_accounts(session)
    values = {
        "employee": employee.strip(),
        "date": today(visitor).isoformat(),
        "account": banks[0].code if banks else "",
        "method": "bank_transfer",
    }
    everyone = owed(session, visitor)
    if not values["employee"] and len(everyone) == 1:
        values["employee"] = str(everyone[0].employee_id)
    return _form_page(request, visitor, session, FormState(values), only=expense.strip())


def _moved(exc: DomainError) -> DomainError:
    """The service's ``expenses[i]`` errors beside the list of tick boxes."""
    if not isinstance(exc, ValidationFailed):
        return exc
    errors = []
    for error in exc.errors:
        if _EXPENSE_ERROR.fullmatch(error.field):
            errors.append(FieldError("expenses", error.message, error.code))
        else:
            errors.append(error)
    return ValidationFailed(errors)


@router.post(f"{BASE}/new")
def record_reimbursement(
    request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    _require_reimburser(visitor)
    values = {name: str(form.get(name) or "").strip() for name in FIELDS}
    values["expenses"] = ""
    chosen = [str(value).strip() for value in form.getlist("expense") if str(value).strip()]
    if form.get("action") == "employee" or not values["employee"]:
        # Choosing the employee (without a script) shows what they are owed.
        state = FormState(values)
        if form.get("action") != "employee":
            state = FormState(values, {"employee": "Choose who is reimbursed."}, status=422)
        return _form_page(request, visitor, session, state)
    sent: dict[str, Any] = {
        **{name: values[name] or None for name in FIELDS},
        "expenses": chosen,
    }
    try:
        if not chosen:
            raise ValidationFailed.single("expenses", "Tick the expenses to reimburse.", "required")
        done = reimbursements.record(session, sent, common.viewer(visitor))
    except DomainError as exc:
        state = failed_form(session, _moved(exc), values)
        return _form_page(request, visitor, session, state, chosen=chosen)
    return redirect(f"{BASE}/{done.id}?notice=recorded")


@router.get(f"{BASE}/{{reimbursement_id}}")
def reimbursement_detail(
    request: Request, reimbursement_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("expenses:read")
    reimbursement = reimbursements.get(
        session,
        parse_id(reimbursement_id, "No such reimbursement."),
        common.viewer(visitor),
    )
    rows = reimbursements.expenses_of(session, reimbursement.id)
    return common.page(
        request,
        visitor,
        "purchases/reimbursement.html",
        {
            "reimbursement": reimbursement,
            "employee": users.display_names(session, {reimbursement.employee_id}).get(
                reimbursement.employee_id, "A former member"
            ),
            "rows": rows,
            "category_names": category_labels(session),
            "account_code": accounts.codes_of(session, {reimbursement.account_id}).get(
                reimbursement.account_id, ""
            ),
            "method_labels": METHOD_LABELS,
            "notice": notice(request, NOTICES),
        },
        nav=NAV,
    )
