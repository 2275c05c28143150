"""Day-to-day expenses entered from a receipt: one amount tax included, split by the tax
engine, booked to a category once approved.

An expense is a draft until submitted; the approval rules for its amount (in the base
currency) decide who approves it. Once approved (at once, or at its last step) it is
posted in the same transaction, in the purchases journal on the expense's date: the
category account takes the net, the tax's deductible account the tax, and the bank or cash
account (paid by the company: the expense is then ``paid``) or the employee payable
account (paid by an employee: ``posted`` until reimbursed) the amount. Nothing reaches the
ledger before approval.

Who sees what: members whose role may approve spending (owner, admin, accountant) and
viewers see every expense; other members (sales, warehouse) only those they entered or
paid themselves.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.identity.roles import ADMIN_ROLES, Role
from comptoir.identity.service import members, organizations
from comptoir.kit import clock, dates
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.kit.money import format_minor, is_currency, minor_unit_exponent, parse_amount
from comptoir.kit.pagination import Page, keyset_page
from comptoir.ledger.service import accounts, rates, settling
from comptoir.ledger.service.entries import EntryInput
from comptoir.outbox import service as outbox
from comptoir.parties.service import parties
from comptoir.purchases.models import Expense
from comptoir.purchases.service import approval_rules, approvals, bills, categories, inbox
from comptoir.tax.service import postings, taxes
from comptoir.tax.service.calculation import Calculation
from comptoir.tax.service.documents import DocumentLine, calculate_document

PAID_BY = ("company", "employee")
# No receipt comes near a billion; a larger figure is a typing slip.
MAX_AMOUNT = 10**9
_TEXT_LIMITS = {"supplier_name": 200, "description": 200, "project": 60, "note": 5000}
# Roles that see every expense: those who approve spending, and viewers who read all books.
SEES_ALL = frozenset(approval_rules.APPROVER_ROLES) | {Role.VIEWER}


@dataclass(frozen=True)
class Viewer:
    """Who is asking, for the visibility rule."""

    user_id: uuid.UUID
    role: Role

    @property
    def sees_all(self) -> bool:
        return self.role in SEES_ALL


@dataclass(frozen=True)
class ExpenseFilter:
    status: str | None = None
    mine: bool = False
    employee_id: uuid.UUID | None = None
    project: str | None = None
    category: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    pending_my_approval: bool = False


def _visible(query: Select[Expense], viewer: Viewer) -> Select[Expense]:
    if viewer.sees_all:
        return query
    return query.where(
        or_(Expense.created_by_id == viewer.user_id, Expense.employee_id == viewer.user_id)
    )


def get(
    session: Session, expense_id: uuid.UUID, viewer: Viewer, *, for_update: bool = False
) -> Expense:
    """One expense the viewer may see; any other answers 404, as if it did not exist.
    ``for_update`` locks its row, read afresh, until the transaction ends: two approvals
    of one step, or an edit racing a submission, are taken one after the other."""
    query = _visible(select(Expense).where(Expense.id == expense_id), viewer)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    expense = session.scalar(query)
    if expense is None:
        raise NotFound("No such expense.")
    return expense


def payload(expense: Expense, category_code: str) -> dict[str, Any]:
    """What outbox events carry; amounts in minor units of the expense's currency."""
    return {
        "id": str(expense.id),
        "status": expense.status,
        "date": expense.date.isoformat(),
        "supplier_id": str(expense.party_id) if expense.party_id else None,
        "supplier_name": expense.supplier_name,
        "amount": expense.gross,
        "net": expense.net,
        "tax": expense.tax,
        "currency": expense.currency,
        "category": category_code,
        "paid_by": expense.paid_by,
        "employee_id": str(expense.employee_id) if expense.employee_id else None,
        "project": expense.project,
        "rejection_reason": expense.rejection_reason,
    }


def _emit(session: Session, event: str, expense: Expense) -> None:
    code = accounts.get(session, expense.account_id).code
    outbox.emit(session, event, payload(expense, code))


# -- checking what a client sends ----------------------------------------------------------


def _text(values: dict[str, Any], field: str, errors: list[FieldError]) -> str | None:
    value = values.get(field)
    if value is not None and not isinstance(value, str):
        errors.append(FieldError(field, "Text.", "invalid"))
        return None
    text = (value or "").strip()
    if len(text) > _TEXT_LIMITS[field]:
        errors.append(FieldError(field, f"At most {_TEXT_LIMITS[field]} characters.", "too_long"))
    return text or None


def _amount(value: object, currency: str, errors: list[FieldError]) -> int:
    try:
        amount = parse_amount(value, currency, "amount")
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        return 0
    if amount <= 0:
        errors.append(FieldError("amount", "More than zero.", "not_positive"))
    elif amount > MAX_AMOUNT * 10 ** minor_unit_exponent(currency):
        errors.append(FieldError("amount", f"At most {MAX_AMOUNT:,}.", "too_large"))
    return amount


def member_of(session: Session, reference: object, field: str = "employee") -> uuid.UUID:
    """A member of the organization by user id or e-mail address."""
    text = str(reference or "").strip().lower()
    found = next(
        (
            member.user.id
            for member in members.list_members(session)
            if text in (str(member.user.id), member.user.email.lower())
        ),
        None,
    )
    if found is None:
        raise ValidationFailed.single(field, "No such member.", "not_found")
    return found


def _employee(session: Session, reference: object, viewer: Viewer) -> uuid.UUID:
    """The member who paid: the viewer by default; an admin may name another member."""
    if reference in (None, ""):
        return viewer.user_id
    found = member_of(session, reference)
    if found != viewer.user_id and viewer.role not in ADMIN_ROLES:
        raise ValidationFailed.single(
            "employee", "Only an administrator records expenses for someone else.", "forbidden"
        )
    return found


def _split(
    session: Session, amount: int, currency: str, tax_code: str | None, errors: list[FieldError]
) -> Calculation | None:
    """Net and tax of a tax-included amount, from the tax engine: net + tax == amount."""
    try:
        return calculate_document(
            session,
            currency=currency,
            prices_include_tax=True,
            lines=[
                DocumentLine(
                    quantity="1",
                    unit_price=format_minor(amount, currency),
                    tax_codes=[tax_code] if tax_code else [],
                )
            ],
        )
    except ValidationFailed as exc:
        errors.extend(
            FieldError("tax_code" if "tax_codes" in e.field else e.field, e.message, e.code)
            for e in exc.errors
        )
        return None


def _tax_code(session: Session, value: object, errors: list[FieldError]) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        errors.append(FieldError("tax_code", "A tax code such as FR-20.", "invalid"))
        return None
    tax = taxes.by_code(session, value.strip())
    if tax is None or not tax.active:
        errors.append(FieldError("tax_code", "Unknown or disabled tax.", "unknown_tax"))
        return None
    return tax.code


def check(
    session: Session, values: dict[str, Any], viewer: Viewer, current: Expense | None = None
) -> dict[str, Any]:
    """Every field of a new expense, or of a changed one merged over what it holds."""
    errors: list[FieldError] = []
    fields: dict[str, Any] = {}
    base = organizations.get_current(session).base_currency
    given = set(values)

    if "date" in given or current is None:
        raw = values.get("date")
        fields["date"] = (
            clock.now().date() if raw in (None, "") else dates.day_of(raw, "date", errors)
        )
    if "supplier" in given:
        fields["party_id"] = None
        if values["supplier"] not in (None, ""):
            try:
                fields["party_id"] = bills.supplier(session, values["supplier"]).id
            except ValidationFailed as exc:
                errors.extend(exc.errors)
    for field in ("supplier_name", "description", "project", "note"):
        if field in given:
            fields[field] = _text(values, field, errors)
    description = fields.get("description", current.description if current else None)
    if not description:
        errors.append(FieldError("description", "Say what was bought.", "required"))

    currency = current.currency if current else base
    if values.get("currency") not in (None, ""):
        code = str(values["currency"]).strip().upper()
        if is_currency(code):
            currency = code
        else:
            errors.append(FieldError("currency", "A currency code such as EUR.", "invalid"))
    fields["currency"] = currency

    if "amount" in given or current is None:
        gross = _amount(values.get("amount"), currency, errors)
    else:
        gross = current.gross
        if currency != current.currency:
            errors.append(
                FieldError("amount", "Give the amount again in the new currency.", "required")
            )
    if "tax_code" in given:
        tax_code = _tax_code(session, values["tax_code"], errors)
    else:
        tax_code = _first(current) if current else None
    fields["tax_codes"] = [tax_code] if tax_code else []

    if "category" in given or current is None:
        try:
            fields["account_id"] = categories.resolve(session, values.get("category")).id
        except ValidationFailed as exc:
            errors.extend(exc.errors)

    paid_by = values.get("paid_by") if "paid_by" in given else None
    paid_by = paid_by or (current.paid_by if current else "company")
    if paid_by not in PAID_BY:
        errors.append(FieldError("paid_by", "Either company or employee.", "invalid"))
        paid_by = "company"
    fields["paid_by"] = paid_by
    if paid_by == "company":
        fields["employee_id"] = None
        if "account" in given or current is None or current.payment_account_id is None:
            try:
                fields["payment_account_id"] = accounts.bank_or_cash(
                    session, values.get("account")
                ).id
            except ValidationFailed as exc:
                errors.extend(exc.errors)
    else:
        fields["payment_account_id"] = None
        if "employee" in given or current is None or current.employee_id is None:
            try:
                fields["employee_id"] = _employee(session, values.get("employee"), viewer)
            except ValidationFailed as exc:
                errors.extend(exc.errors)

    calculation = None
    if gross > 0 and not errors:
        calculation = _split(session, gross, currency, tax_code, errors)
    day = fields.get("date") or (current.date if current else None)
    if not errors and day is not None:
        try:
            fields["exchange_rate"] = rates.find_rate(session, currency, base, day, "currency")
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors or calculation is None:
        raise ValidationFailed(errors)
    fields.update(net=calculation.net, tax=calculation.tax, gross=calculation.gross)
    return fields


# -- create, change, delete ----------------------------------------------------------------


def create(session: Session, values: dict[str, Any], viewer: Viewer) -> Expense:
    expense = Expense(
        status="draft", created_by_id=viewer.user_id, **check(session, values, viewer)
    )
    session.add(expense)
    session.flush()
    approvals.record(session, "expense", expense.id, "created", actor_id=viewer.user_id)
    audit.record(
        session,
        "expense.created",
        target_type="expense",
        target_id=expense.id,
        after={"amount": expense.gross, "currency": expense.currency},
    )
    return expense


def update(
    session: Session, expense_id: uuid.UUID, values: dict[str, Any], viewer: Viewer
) -> Expense:
    """Change a draft, or a rejected expense (which goes back to draft)."""
    expense = get(session, expense_id, viewer, for_update=True)
    approvals.check_editable(expense, "expense")
    for key, value in check(session, values, viewer, expense).items():
        setattr(expense, key, value)
    session.flush()
    audit.record(
        session,
        "expense.updated",
        target_type="expense",
        target_id=expense.id,
        after={"amount": expense.gross, "currency": expense.currency},
    )
    return expense


def delete(session: Session, expense_id: uuid.UUID, viewer: Viewer) -> Expense:
    """Delete a draft; what was submitted stays, with its history. Returns the expense,
    gone from the session, for the caller to remove its receipts."""
    expense = get(session, expense_id, viewer, for_update=True)
    if expense.status != "draft":
        raise Conflict(
            f"This expense is {expense.status}; only a draft can be deleted.", code="not_a_draft"
        )
    session.delete(expense)
    session.flush()
    audit.record(session, "expense.deleted", target_type="expense", target_id=expense_id)
    return expense


# -- approval and posting ------------------------------------------------------------------


def base_amount(session: Session, expense: Expense) -> int:
    base = organizations.get_current(session).base_currency
    return rates.convert(expense.gross, expense.currency, base, expense.exchange_rate)


def employee_payable_code(session: Session) -> str:
    account = accounts.first_of_subtype(session, "employee_payable")
    if account is None:
        raise ValidationFailed.single(
            "paid_by",
            "The chart has no employee payable account (subtype employee_payable); add one "
            "under Accounting.",
            "no_account",
        )
    return account.code


def label_of(session: Session, expense: Expense) -> str:
    who = parties.get(session, expense.party_id).name if expense.party_id else None
    return " ".join(part for part in (who or expense.supplier_name, expense.description) if part)[
        :200
    ]


def _post(session: Session, expense: Expense, actor_id: uuid.UUID) -> None:
    """Book the approved expense: Dr category (net), Dr deductible tax, Cr bank or cash
    (paid) or Cr employee payable (posted, awaiting reimbursement)."""
    calculation = _split(session, expense.gross, expense.currency, _first(expense), [])
    assert calculation is not None
    if (calculation.net, calculation.tax) != (expense.net, expense.tax):
        raise Conflict(
            "The tax rate changed since this expense was submitted: reject it, so that it "
            "is saved again with the new split and resubmitted.",
            code="totals_changed",
        )
    if expense.paid_by == "company":
        assert expense.payment_account_id is not None
        counterpart = accounts.get(session, expense.payment_account_id).code
    else:
        counterpart = employee_payable_code(session)
    label = label_of(session, expense)
    # The supplier stays on the expense: on the bank or employee payable line it would
    # read as a debt to the supplier.
    entry_id = postings.post_document(
        session,
        calculation,
        [postings.DocumentLine(expense.account_id, expense.tax_codes or [])],
        side="purchase",
        counterpart_account=counterpart,
        party_id=None,
        exchange_rate=expense.exchange_rate,
        reverse=False,
        header=EntryInput(
            journal=settling.journal_code(session, "purchases"),
            date=expense.date,
            lines=(),
            description=label,
            source_type="expense",
            source_id=str(expense.id),
        ),
        actor_id=actor_id,
    )
    now = clock.now()
    expense.entry_id = entry_id
    expense.posted_at = now
    if expense.paid_by == "company":
        expense.status = "paid"
        expense.paid_at = now
    else:
        expense.status = "posted"
    approvals.record(session, "expense", expense.id, "posted", actor_id=actor_id)


def _first(expense: Expense) -> str | None:
    return expense.tax_codes[0] if expense.tax_codes else None


def _approved(session: Session, expense: Expense, actor_id: uuid.UUID) -> None:
    _post(session, expense, actor_id)
    session.flush()
    _emit(session, "expense.approved", expense)


def submit(session: Session, expense_id: uuid.UUID, viewer: Viewer) -> Expense:
    """Send for approval; approved at once (and posted) when the rules ask no approval."""
    expense = get(session, expense_id, viewer, for_update=True)
    approved = approvals.submit(
        session,
        expense,
        "expense",
        amount=base_amount(session, expense),
        actor_id=viewer.user_id,
    )
    session.flush()
    _emit(session, "expense.submitted", expense)
    if approved:
        _approved(session, expense, viewer.user_id)
    return expense


def approve(session: Session, expense_id: uuid.UUID, viewer: Viewer) -> Expense:
    """Approve the pending step; the last approval posts the expense."""
    expense = get(session, expense_id, viewer, for_update=True)
    if approvals.approve(session, expense, "expense", actor_id=viewer.user_id):
        _approved(session, expense, viewer.user_id)
    return expense


def reject(session: Session, expense_id: uuid.UUID, reason: object, viewer: Viewer) -> Expense:
    expense = get(session, expense_id, viewer, for_update=True)
    approvals.reject(session, expense, "expense", actor_id=viewer.user_id, reason=reason)
    session.flush()
    _emit(session, "expense.rejected", expense)
    return expense


# -- lists and suggestions -----------------------------------------------------------------


def list_expenses(
    session: Session,
    filters: ExpenseFilter,
    viewer: Viewer,
    *,
    limit: int | None,
    cursor: str | None,
) -> Page[Expense]:
    query = _visible(select(Expense), viewer)
    if filters.status:
        query = query.where(Expense.status == filters.status)
    if filters.mine:
        query = query.where(
            or_(Expense.created_by_id == viewer.user_id, Expense.employee_id == viewer.user_id)
        )
    if filters.employee_id is not None:
        query = query.where(Expense.employee_id == filters.employee_id)
    if filters.project:
        query = query.where(Expense.project == filters.project.strip())
    if filters.category:
        try:
            account = categories.resolve(session, filters.category)
        except ValidationFailed:
            return Page([], None)
        query = query.where(Expense.account_id == account.id)
    if filters.date_from is not None:
        query = query.where(Expense.date >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(Expense.date <= filters.date_to)
    if filters.pending_my_approval:
        waiting = [
            item.id
            for item in inbox.pending_for(session, viewer.user_id)
            if item.subject_type == "expense"
        ]
        query = query.where(Expense.id.in_(waiting))
    return keyset_page(session, query, Expense.id, limit=limit, cursor=cursor)


@dataclass(frozen=True)
class Suggestion:
    account_id: uuid.UUID | None
    tax_code: str | None


def suggest(
    session: Session, supplier_id: uuid.UUID | None = None, supplier_name: str | None = None
) -> Suggestion:
    """The category and tax last used with this supplier (a party, or the same name on the
    receipt whatever its case), for the form to fill in."""
    query = select(Expense).order_by(Expense.date.desc(), Expense.id.desc()).limit(1)
    if supplier_id is not None:
        query = query.where(Expense.party_id == supplier_id)
    elif supplier_name and supplier_name.strip():
        query = query.where(func.lower(Expense.supplier_name) == supplier_name.strip().lower())
    else:
        return Suggestion(None, None)
    last = session.scalar(query)
    if last is None:
        return Suggestion(None, None)
    return Suggestion(last.account_id, _first(last))


def expense_uses_party(session: Session, party_id: uuid.UUID) -> bool:
    return (
        session.scalar(select(Expense.id).where(Expense.party_id == party_id).limit(1)) is not None
    )
