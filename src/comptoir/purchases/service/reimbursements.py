"""Paying employees back for the expenses they paid personally.

One reimbursement settles one or several posted expenses of one employee, in their
currency, from a bank or cash account: one entry debits the employee payable account once
per expense (at that expense's rate, so that each clears to the cent) and credits the bank
(at the day's rate; a difference is a realized exchange gain or loss). Each expense's
payable line is lettered with its reimbursement line, and the expenses become
``reimbursed``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.identity.service import organizations
from comptoir.kit import clock, dates
from comptoir.kit.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from comptoir.kit.pagination import Page, keyset_page
from comptoir.ledger.service import accounts, entries, matching, rates, settling
from comptoir.outbox import service as outbox
from comptoir.purchases.models import Expense, ExpenseReimbursement
from comptoir.purchases.service import approval_rules, approvals, expenses
from comptoir.sales.service.payments import METHODS

MAX_EXPENSES = 200


def _visible(
    query: Select[ExpenseReimbursement], viewer: expenses.Viewer
) -> Select[ExpenseReimbursement]:
    if viewer.sees_all:
        return query
    return query.where(ExpenseReimbursement.employee_id == viewer.user_id)


def get(
    session: Session, reimbursement_id: uuid.UUID, viewer: expenses.Viewer
) -> ExpenseReimbursement:
    found = session.scalar(
        _visible(
            select(ExpenseReimbursement).where(ExpenseReimbursement.id == reimbursement_id),
            viewer,
        )
    )
    if found is None:
        raise NotFound("No such reimbursement.")
    return found


def expenses_of(session: Session, reimbursement_id: uuid.UUID) -> list[Expense]:
    return list(
        session.scalars(
            select(Expense)
            .where(Expense.reimbursement_id == reimbursement_id)
            .order_by(Expense.date, Expense.id)
        )
    )


def list_reimbursements(
    session: Session,
    viewer: expenses.Viewer,
    *,
    employee_id: uuid.UUID | None,
    limit: int | None,
    cursor: str | None,
) -> Page[ExpenseReimbursement]:
    query = _visible(select(ExpenseReimbursement), viewer)
    if employee_id is not None:
        query = query.where(ExpenseReimbursement.employee_id == employee_id)
    return keyset_page(session, query, ExpenseReimbursement.id, limit=limit, cursor=cursor)


def _uuid(value: object, field: str, errors: list[FieldError]) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        errors.append(FieldError(field, "No such expense.", "not_found"))
        return None


def _open_expenses(
    session: Session, raw: object, employee_id: uuid.UUID | None, errors: list[FieldError]
) -> list[Expense]:
    """The expenses to settle: posted, paid by this employee, not reimbursed yet, in one
    currency; row-locked so that two reimbursements never pay one expense twice."""
    if not isinstance(raw, list) or not raw or len(raw) > MAX_EXPENSES:
        errors.append(
            FieldError("expenses", f"A list of 1 to {MAX_EXPENSES} expense ids.", "invalid")
        )
        return []
    wanted: list[uuid.UUID] = []
    for index, value in enumerate(raw):
        found = _uuid(value, f"expenses[{index}]", errors)
        if found is not None and found in wanted:
            errors.append(FieldError(f"expenses[{index}]", "Listed twice.", "duplicate"))
        elif found is not None:
            wanted.append(found)
    if errors:
        return []
    rows = {
        row.id: row
        for row in session.scalars(
            select(Expense)
            .where(Expense.id.in_(wanted))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    chosen: list[Expense] = []
    for index, expense_id in enumerate(wanted):
        field = f"expenses[{index}]"
        expense = rows.get(expense_id)
        if expense is None:
            errors.append(FieldError(field, "No such expense.", "not_found"))
        elif expense.paid_by != "employee" or expense.employee_id != employee_id:
            errors.append(FieldError(field, "Not an expense this employee paid.", "not_theirs"))
        elif expense.status != "posted":
            errors.append(
                FieldError(
                    field, f"This expense is {expense.status}, not awaiting reimbursement.", "state"
                )
            )
        else:
            chosen.append(expense)
    if len({expense.currency for expense in chosen}) > 1:
        errors.append(
            FieldError("expenses", "Reimburse expenses of one currency at a time.", "currencies")
        )
    return chosen


def _employee(session: Session, reference: object, errors: list[FieldError]) -> uuid.UUID | None:
    if reference in (None, ""):
        errors.append(FieldError("employee", "Say who is reimbursed.", "required"))
        return None
    try:
        return expenses.member_of(session, reference)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        return None


def _payable_line(session: Session, expense: Expense, payable_id: uuid.UUID) -> uuid.UUID:
    assert expense.entry_id is not None
    return next(
        line.id
        for line in entries.lines_of(session, expense.entry_id)
        if line.account_id == payable_id and line.credit > 0
    )


def _post(
    session: Session,
    reimbursement: ExpenseReimbursement,
    chosen: list[Expense],
    bank: str,
    payable: str,
    actor_id: uuid.UUID,
    rate: Decimal,
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Bank credit, one employee-payable debit per expense at the expense's own rate (so
    that each clears its line exactly) and the exchange difference, as any settlement."""
    payable_id = accounts.resolve(session, payable).id
    return settling.post(
        session,
        direction="out",
        on=reimbursement.date,
        amount=reimbursement.amount,
        currency=reimbursement.currency,
        rate=rate,
        bank_account=bank,
        counterpart=payable,
        party_id=None,
        parts=[
            settling.Part(
                expense.gross,
                expense.exchange_rate,
                expenses.label_of(session, expense) or "Expense reimbursed",
                closing_line=_payable_line(session, expense, payable_id),
            )
            for expense in chosen
        ],
        label="Expenses reimbursed",
        reference=reimbursement.reference,
        source_type="expense_reimbursement",
        source_id=str(reimbursement.id),
        actor_id=actor_id,
    )


def record(
    session: Session, values: dict[str, Any], viewer: expenses.Viewer
) -> ExpenseReimbursement:
    """Pay an employee back for some of their posted expenses, all in one entry. Money
    leaves the bank: only the roles that approve spending record it."""
    if viewer.role not in approval_rules.APPROVER_ROLES:
        raise PermissionDenied("Only an owner, administrator or accountant reimburses.")
    errors: list[FieldError] = []
    employee_id = _employee(session, values.get("employee"), errors)
    chosen = _open_expenses(session, values.get("expenses"), employee_id, errors)
    on = dates.day_of(values.get("date"), "date", errors) or clock.now().date()
    method = values.get("method") or "bank_transfer"
    if method not in METHODS:
        errors.append(FieldError("method", f"One of {', '.join(METHODS)}.", "invalid"))
    reference = str(values.get("reference") or "").strip() or None
    if reference and len(reference) > 100:
        errors.append(FieldError("reference", "At most 100 characters.", "too_long"))
    bank = None
    try:
        bank = accounts.bank_or_cash(session, values.get("account"), str(method), "account")
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    for expense in chosen:
        if expense.date > on:
            errors.append(
                FieldError("date", "On or after the date of every expense reimbursed.", "early")
            )
            break
    if errors or not chosen or bank is None or employee_id is None:
        raise ValidationFailed(errors)
    currency = chosen[0].currency
    base = organizations.get_current(session).base_currency
    rate = rates.find_rate(session, currency, base, on, "date")
    reimbursement = ExpenseReimbursement(
        employee_id=employee_id,
        date=on,
        amount=sum(expense.gross for expense in chosen),
        currency=currency,
        method=method,
        account_id=bank.id,
        reference=reference,
        created_by_id=viewer.user_id,
    )
    session.add(reimbursement)
    session.flush()
    payable = expenses.employee_payable_code(session)
    entry_id, lines = _post(
        session, reimbursement, chosen, bank.code, payable, viewer.user_id, rate
    )
    reimbursement.entry_id = entry_id
    payable_id = accounts.resolve(session, payable).id
    for expense, line_id in zip(chosen, lines, strict=True):
        matching.match(
            session,
            [_payable_line(session, expense, payable_id), line_id],
            on=on,
            actor_id=viewer.user_id,
        )
        expense.status = "reimbursed"
        expense.reimbursement_id = reimbursement.id
        expense.paid_at = clock.now()
        approvals.record(
            session,
            "expense",
            expense.id,
            "reimbursed",
            actor_id=viewer.user_id,
            detail={"reimbursement_id": str(reimbursement.id)},
        )
    session.flush()
    audit.record(
        session,
        "expense_reimbursement.recorded",
        target_type="expense_reimbursement",
        target_id=reimbursement.id,
        after={"amount": reimbursement.amount, "currency": currency, "expenses": len(chosen)},
    )
    outbox.emit(
        session,
        "expense.reimbursed",
        {
            "id": str(reimbursement.id),
            "employee_id": str(employee_id),
            "amount": reimbursement.amount,
            "currency": currency,
            "expense_ids": [str(expense.id) for expense in chosen],
        },
    )
    return reimbursement
