"""/api/v1/expenses and /api/v1/expense-reimbursements."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from comptoir.files.views import FileStorage
from comptoir.identity.service import accounts as users
from comptoir.identity.service import members
from comptoir.identity.service.sessions import Principal
from comptoir.kit.errors import ValidationFailed
from comptoir.kit.money import format_minor
from comptoir.ledger.service import accounts
from comptoir.parties.service import parties
from comptoir.purchases.api import expense_schemas as schemas
from comptoir.purchases.models import STATUSES, Expense, ExpenseReimbursement
from comptoir.purchases.service import (
    approvals,
    categories,
    expenses,
    receipts,
    reimbursements,
)
from comptoir.server.deps import DbSession, require_scope
from comptoir.server.idempotency import IdempotencyGuard

router = APIRouter(prefix="/api/v1", tags=["expenses"])

Reader = Annotated[Principal, require_scope("expenses:read")]
Writer = Annotated[Principal, require_scope("expenses:write")]
# Money leaves the bank: the roles that record payments.
Payer = Annotated[Principal, require_scope("payments:write")]


def viewer_of(principal: Principal) -> expenses.Viewer:
    return expenses.Viewer(principal.user_id, principal.role)


def _names(session: DbSession) -> dict[uuid.UUID, str]:
    return {m.user.id: m.user.name or m.user.email for m in members.list_members(session)}


def _ref(user_id: uuid.UUID | None, names: dict[uuid.UUID, str]) -> schemas.Ref | None:
    if user_id is None:
        return None
    return schemas.Ref(id=user_id, name=names.get(user_id, "Former member"))


def expenses_out(session: DbSession, rows: Sequence[Expense]) -> list[schemas.ExpenseOut]:
    """Expenses as the API shows them, with what they point at found in a few queries."""
    names = _names(session)
    suppliers = parties.by_ids(session, {row.party_id for row in rows if row.party_id})
    account_ids = {row.account_id for row in rows} | {
        row.payment_account_id for row in rows if row.payment_account_id
    }
    found = {account_id: accounts.get(session, account_id) for account_id in account_ids}
    histories = approvals.histories(session, [row.id for row in rows])
    # Members who have left still have a name in the histories they wrote.
    names = (
        users.display_names(
            session, (item.actor_id for found in histories.values() for item in found)
        )
        | names
    )
    counts = receipts.counts(session, "expense", [row.id for row in rows])
    result = []
    for row in rows:
        money = row.currency
        category = found[row.account_id]
        supplier = suppliers.get(row.party_id) if row.party_id else None
        role = approvals.pending_role(row)
        result.append(
            schemas.ExpenseOut(
                id=row.id,
                status=row.status,
                date=row.date,
                supplier=schemas.Ref(id=supplier.id, name=supplier.name) if supplier else None,
                supplier_name=row.supplier_name,
                description=row.description,
                amount=format_minor(row.gross, money),
                net=format_minor(row.net, money),
                tax=format_minor(row.tax, money),
                currency=money,
                tax_code=row.tax_codes[0] if row.tax_codes else None,
                category=schemas.CategoryRef(code=category.code, name=category.name),
                paid_by=row.paid_by,
                account=found[row.payment_account_id].code if row.payment_account_id else None,
                employee=_ref(row.employee_id, names),
                project=row.project,
                note=row.note,
                approval=schemas.ApprovalOut(
                    steps=list(row.approval_steps or []),
                    done=row.approvals_done,
                    pending_role=role.value if role else None,
                    self_approved=row.self_approved,
                ),
                rejection_reason=row.rejection_reason,
                entry_id=row.entry_id,
                reimbursement_id=row.reimbursement_id,
                receipts=counts.get(row.id, 0),
                history=[
                    schemas.HistoryOut(
                        action=item.action,
                        step=item.step,
                        role=item.role,
                        actor=_ref(item.actor_id, names),
                        reason=item.reason,
                        at=item.at,
                    )
                    for item in histories.get(row.id, [])
                ],
                created_at=row.created_at,
            )
        )
    return result


def _one(session: DbSession, expense: Expense) -> schemas.ExpenseOut:
    return expenses_out(session, [expense])[0]


@router.get("/expenses", summary="Expenses")
def list_expenses(
    principal: Reader,
    session: DbSession,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    mine: bool = False,
    employee: uuid.UUID | None = None,
    project: Annotated[str | None, Query(max_length=60)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    pending_my_approval: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> schemas.ExpensePage:
    """Newest first. Owners, administrators, accountants and viewers see every expense;
    other members only those they entered or paid. `mine` keeps yours, `pending_my_approval`
    those waiting for your approval; `category` is a category key or an account code."""
    if status_ is not None and status_ not in STATUSES:
        raise ValidationFailed.single("status", f"One of {', '.join(STATUSES)}.")
    page = expenses.list_expenses(
        session,
        expenses.ExpenseFilter(
            status=status_,
            mine=mine,
            employee_id=employee,
            project=project,
            category=category,
            date_from=date_from,
            date_to=date_to,
            pending_my_approval=pending_my_approval,
        ),
        viewer_of(principal),
        limit=limit,
        cursor=cursor,
    )
    return schemas.ExpensePage(
        items=expenses_out(session, page.items), next_cursor=page.next_cursor
    )


@router.post(
    "/expenses",
    status_code=status.HTTP_201_CREATED,
    summary="Enter an expense",
    response_model=schemas.ExpenseOut,
)
def create_expense(
    body: schemas.ExpenseIn, principal: Writer, session: DbSession, guard: IdempotencyGuard
) -> Response:
    """A draft from a receipt: the amount tax included, split into net and tax by the tax
    engine (net + tax is exactly the amount). Submit it for approval next. Send
    `Idempotency-Key`: a retried request creates nothing twice."""

    def produce() -> schemas.ExpenseOut:
        values = body.model_dump(exclude_unset=True, mode="json")
        return _one(session, expenses.create(session, values, viewer_of(principal)))

    return guard.run(principal, body, produce, status_code=status.HTTP_201_CREATED)


@router.get("/expenses/categories", summary="Expense categories")
def list_categories(principal: Reader, session: DbSession) -> list[schemas.CategoryOut]:
    """Everyday categories (travel, meals, fuel...) with the account each books to in your
    chart, then every other expense account. Send either the `key` or the account's code
    as an expense's `category`."""
    return [
        schemas.CategoryOut(
            key=choice.key,
            label=choice.label,
            account=schemas.CategoryRef(code=choice.account.code, name=choice.account.name),
        )
        for choice in categories.categories(session)
    ]


@router.get("/expenses/suggestions", summary="Category and tax last used with a supplier")
def suggestions(
    principal: Reader,
    session: DbSession,
    supplier: uuid.UUID | None = None,
    supplier_name: Annotated[str | None, Query(max_length=200)] = None,
) -> schemas.SuggestionOut:
    """What the last expense of this supplier (by id, or by the name on the receipt,
    whatever its case) was booked to, for the form to fill in; nulls when none."""
    found = expenses.suggest(session, supplier, supplier_name)
    category = None
    if found.account_id is not None:
        account = accounts.get(session, found.account_id)
        category = schemas.CategoryRef(code=account.code, name=account.name)
    return schemas.SuggestionOut(category=category, tax_code=found.tax_code)


@router.get("/expenses/{expense_id}", summary="One expense")
def get_expense(expense_id: uuid.UUID, principal: Reader, session: DbSession) -> schemas.ExpenseOut:
    """With its approval progress and history; another member's expense answers 404 to
    those who see only their own."""
    return _one(session, expenses.get(session, expense_id, viewer_of(principal)))


@router.patch("/expenses/{expense_id}", summary="Change an expense")
def update_expense(
    expense_id: uuid.UUID, body: schemas.ExpenseUpdate, principal: Writer, session: DbSession
) -> schemas.ExpenseOut:
    """Only a draft or a rejected expense changes; a rejected one goes back to draft, to be
    submitted again."""
    values = body.model_dump(exclude_unset=True, mode="json")
    return _one(session, expenses.update(session, expense_id, values, viewer_of(principal)))


@router.delete(
    "/expenses/{expense_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a draft expense",
)
def delete_expense(
    expense_id: uuid.UUID, principal: Writer, session: DbSession, storage: FileStorage
) -> None:
    """Only a draft; its receipts go with it."""
    expense = expenses.delete(session, expense_id, viewer_of(principal))
    receipts.remove_all(session, storage, "expense", expense.id)


@router.post("/expenses/{expense_id}/submit", summary="Submit an expense for approval")
def submit_expense(
    expense_id: uuid.UUID, principal: Writer, session: DbSession
) -> schemas.ExpenseOut:
    """The approval rules for its amount (in the base currency) decide who approves it;
    when they ask no approval it is approved and posted at once."""
    return _one(session, expenses.submit(session, expense_id, viewer_of(principal)))


@router.post("/expenses/{expense_id}/approve", summary="Approve an expense")
def approve_expense(
    expense_id: uuid.UUID, principal: Writer, session: DbSession
) -> schemas.ExpenseOut:
    """Approve the step waiting for your role. Nobody approves what they submitted, nor
    two steps of one expense, unless nobody else could (recorded as self-approved). The
    last approval posts the expense."""
    return _one(session, expenses.approve(session, expense_id, viewer_of(principal)))


@router.post("/expenses/{expense_id}/reject", summary="Reject an expense")
def reject_expense(
    expense_id: uuid.UUID, body: schemas.RejectIn, principal: Writer, session: DbSession
) -> schemas.ExpenseOut:
    """Whoever may approve the waiting step may reject it, with a reason the submitter
    reads; they may then correct it and submit it again."""
    return _one(session, expenses.reject(session, expense_id, body.reason, viewer_of(principal)))


def reimbursements_out(
    session: DbSession, rows: Sequence[ExpenseReimbursement]
) -> list[schemas.ReimbursementOut]:
    names = _names(session)
    result = []
    for row in rows:
        employee = _ref(row.employee_id, names)
        assert employee is not None
        result.append(
            schemas.ReimbursementOut(
                id=row.id,
                employee=employee,
                date=row.date,
                amount=format_minor(row.amount, row.currency),
                currency=row.currency,
                method=row.method,
                account=accounts.get(session, row.account_id).code,
                reference=row.reference,
                entry_id=row.entry_id,
                expenses=[item.id for item in reimbursements.expenses_of(session, row.id)],
                created_at=row.created_at,
            )
        )
    return result


@router.get("/expense-reimbursements", summary="Reimbursements of expenses")
def list_reimbursements(
    principal: Reader,
    session: DbSession,
    employee: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> schemas.ReimbursementPage:
    """Newest first; members who see only their own expenses see only their own
    reimbursements."""
    page = reimbursements.list_reimbursements(
        session, viewer_of(principal), employee_id=employee, limit=limit, cursor=cursor
    )
    return schemas.ReimbursementPage(
        items=reimbursements_out(session, page.items), next_cursor=page.next_cursor
    )


@router.post(
    "/expense-reimbursements",
    status_code=status.HTTP_201_CREATED,
    summary="Reimburse an employee",
    response_model=schemas.ReimbursementOut,
)
def create_reimbursement(
    body: schemas.ReimbursementIn, principal: Payer, session: DbSession, guard: IdempotencyGuard
) -> Response:
    """Pay a member back for posted expenses they paid, in one currency: one entry debits
    the employee payable account and credits the bank, each expense's payable line is
    lettered, and the expenses become `reimbursed`. Send `Idempotency-Key`."""

    def produce() -> schemas.ReimbursementOut:
        values = body.model_dump(exclude_unset=True, mode="json")
        row = reimbursements.record(session, values, viewer_of(principal))
        return reimbursements_out(session, [row])[0]

    return guard.run(principal, body, produce, status_code=status.HTTP_201_CREATED)


@router.get("/expense-reimbursements/{reimbursement_id}", summary="One reimbursement")
def get_reimbursement(
    reimbursement_id: uuid.UUID, principal: Reader, session: DbSession
) -> schemas.ReimbursementOut:
    """With the expenses it paid back and its bank entry."""
    row = reimbursements.get(session, reimbursement_id, viewer_of(principal))
    return reimbursements_out(session, [row])[0]
