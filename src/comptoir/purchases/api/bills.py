"""/api/v1/bills and /api/v1/supplier-credit-notes: drafts, approval, posting, credit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from comptoir.identity.service import accounts as users
from comptoir.identity.service.sessions import Principal
from comptoir.kit.money import format_minor, plain_decimal
from comptoir.ledger.service import accounts
from comptoir.parties.service import parties
from comptoir.parties.service.parties import Party
from comptoir.purchases import schemas as shared
from comptoir.purchases.api import bill_schemas as schemas
from comptoir.purchases.models import PurchaseDocument
from comptoir.purchases.service import approvals, bill_lines, bills, credit_notes, settlements
from comptoir.server.deps import DbSession, require_scope
from comptoir.server.idempotency import IdempotencyGuard
from comptoir.tax.service.calculation import TaxTotal

router = APIRouter(prefix="/api/v1")

Reader = Annotated[Principal, require_scope("bills:read")]
Writer = Annotated[Principal, require_scope("bills:write")]
BILLS: list[str | Enum] = ["bills"]
CREDIT_NOTES: list[str | Enum] = ["supplier credit notes"]


@dataclass(frozen=True)
class ListQuery:
    status: str | None
    supplier: uuid.UUID | None
    date_from: date | None
    date_to: date | None
    overdue: bool
    q: str | None
    limit: int
    cursor: str | None

    def filter(self, kind: bills.Kind) -> bills.BillFilter:
        return bills.BillFilter(
            kind=kind,
            status=self.status,
            party_id=self.supplier,
            date_from=self.date_from,
            date_to=self.date_to,
            overdue=self.overdue,
            q=self.q,
        )


def _list_query(
    status_filter: Annotated[
        str | None,
        Query(
            alias="status",
            max_length=20,
            description="draft, submitted, rejected, posted, partially_paid, paid, cancelled",
        ),
    ] = None,
    supplier: Annotated[uuid.UUID | None, Query(description="Supplier id")] = None,
    date_from: Annotated[date | None, Query(description="Supplier's date, from")] = None,
    date_to: Annotated[date | None, Query(description="Supplier's date, to")] = None,
    overdue: Annotated[bool, Query(description="Only posted bills past their due date")] = False,
    q: Annotated[
        str | None, Query(max_length=200, description="In the supplier's number and name")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ListQuery:
    return ListQuery(status_filter, supplier, date_from, date_to, overdue, q, limit, cursor)


Listing = Annotated[ListQuery, Depends(_list_query)]


def _values(body: schemas.BillFields) -> dict[str, Any]:
    values = body.model_dump(exclude_unset=True)
    if "lines" in values:
        values["lines"] = [line.model_dump(exclude_unset=True) for line in body.lines or []]
    return values


def _summary(
    document: PurchaseDocument, party: Party, duplicate: PurchaseDocument | None
) -> schemas.BillSummary:
    money = document.currency
    return schemas.BillSummary(
        id=document.id,
        kind=document.kind,
        status=document.status,
        overdue=bills.is_overdue(document),
        supplier=schemas.PartyRef(id=party.id, code=party.code, name=party.name),
        supplier_number=document.supplier_number,
        issue_date=document.issue_date,
        due_date=document.due_date,
        currency=money,
        net=format_minor(document.net, money),
        tax=format_minor(document.tax, money),
        gross=format_minor(document.gross, money),
        settled=format_minor(document.settled, money),
        amount_due=format_minor(bills.amount_due(document), money),
        duplicate_of=None
        if duplicate is None
        else schemas.DuplicateOut(
            id=duplicate.id,
            supplier_number=duplicate.supplier_number,
            issue_date=duplicate.issue_date,
        ),
        project=document.project,
        created_at=document.created_at,
    )


def _duplicates(
    session: DbSession, documents: list[PurchaseDocument]
) -> dict[uuid.UUID, PurchaseDocument]:
    return bills.by_ids(
        session, {d.duplicate_of_id for d in documents if d.duplicate_of_id is not None}
    )


def _history(session: DbSession, document: PurchaseDocument) -> list[shared.HistoryOut]:
    rows = bills.history(session, document.id)
    names = users.display_names(session, (row.actor_id for row in rows))
    return [
        shared.HistoryOut(
            action=row.action,
            step=row.step,
            role=row.role,
            actor=None
            if row.actor_id is None
            else shared.ActorOut(id=row.actor_id, name=names.get(row.actor_id)),
            reason=row.reason,
            at=row.at,
        )
        for row in rows
    ]


def _tax_out(total: TaxTotal, money: str) -> schemas.TaxOut:
    return schemas.TaxOut(
        code=total.code,
        rate=plain_decimal(total.rate),
        base=format_minor(total.base, money),
        amount=format_minor(total.amount, money),
    )


def _detail(session: DbSession, document: PurchaseDocument) -> schemas.BillOut:
    party = parties.get(session, document.party_id)
    duplicates = _duplicates(session, [document])
    lines = bills.lines_of(session, document.id)
    money = document.currency
    codes = accounts.codes_of(session, (line.account_id for line in lines))
    calculation = bill_lines.recalculate(
        session, lines, document.currency, document.prices_include_tax
    )[1]
    pending = approvals.pending_role(document)
    return schemas.BillOut(
        **_summary(
            document,
            party,
            duplicates.get(document.duplicate_of_id) if document.duplicate_of_id else None,
        ).model_dump(),
        payment_terms=document.payment_terms,
        exchange_rate=plain_decimal(document.exchange_rate),
        prices_include_tax=document.prices_include_tax,
        notes=document.notes,
        bill_id=document.source_id,
        lines=[
            schemas.BillLineOut(
                id=line.id,
                product_id=line.product_id,
                description=line.description,
                quantity=plain_decimal(line.quantity),
                unit_price=plain_decimal(line.unit_price),
                discount_percent=plain_decimal(line.discount_percent),
                tax_codes=list(line.tax_codes or []),
                account=codes.get(line.account_id, ""),
                account_id=line.account_id,
                net=format_minor(line.net, money),
                tax=format_minor(line.tax, money),
                gross=format_minor(line.gross, money),
            )
            for line in lines
        ],
        taxes=[_tax_out(total, money) for total in calculation.taxes if not total.self_assessed],
        self_assessed_taxes=[
            _tax_out(total, money) for total in calculation.taxes if total.self_assessed
        ],
        submitted_at=document.submitted_at,
        approval=shared.ApprovalOut(
            steps=list(document.approval_steps or []),
            done=document.approvals_done,
            pending_role=pending.value if pending is not None else None,
            self_approved=document.self_approved,
        ),
        rejection_reason=document.rejection_reason,
        posted_at=document.posted_at,
        paid_at=document.paid_at,
        entry_id=document.entry_id,
        allocations=[
            schemas.AllocationOut(
                id=allocation.id,
                date=allocation.date,
                amount=format_minor(allocation.amount, money),
                bill_id=allocation.document_id,
                payment_id=allocation.payment_id,
                credit_note_id=allocation.credit_note_id,
            )
            for allocation in settlements.allocations_of(session, document.id)
        ],
        history=_history(session, document),
        updated_at=document.updated_at,
    )


def _page(session: DbSession, kind: bills.Kind, query: ListQuery) -> schemas.BillPage:
    page = bills.list_documents(session, query.filter(kind), limit=query.limit, cursor=query.cursor)
    suppliers = parties.by_ids(session, {document.party_id for document in page.items})
    duplicates = _duplicates(session, page.items)
    return schemas.BillPage(
        items=[
            _summary(
                document,
                suppliers[document.party_id],
                duplicates.get(document.duplicate_of_id) if document.duplicate_of_id else None,
            )
            for document in page.items
        ],
        next_cursor=page.next_cursor,
    )


@router.get("/bills", summary="Supplier bills", tags=BILLS)
def list_bills(principal: Reader, session: DbSession, query: Listing) -> schemas.BillPage:
    """Newest first; filter by status, supplier, the supplier's date, overdue and text in
    the supplier's number or name; paginate with `next_cursor`."""
    return _page(session, "bill", query)


@router.post(
    "/bills",
    status_code=status.HTTP_201_CREATED,
    summary="Enter a supplier bill",
    tags=BILLS,
    response_model=schemas.BillOut,
)
def create_bill(
    body: schemas.BillIn, principal: Writer, session: DbSession, guard: IdempotencyGuard
) -> Response:
    """A draft, editable until submitted. Currency and payment terms default from the
    supplier, the due date from the terms; totals come from the tax engine. Another bill
    of the supplier with the same number is flagged in `duplicate_of`, not refused. Send
    `Idempotency-Key` to make retries safe."""

    def produce() -> schemas.BillOut:
        document = bills.create_draft(session, "bill", _values(body), actor_id=principal.user_id)
        return _detail(session, document)

    return guard.run(principal, body, produce, status_code=status.HTTP_201_CREATED)


@router.get("/bills/{bill_id}", summary="One supplier bill", tags=BILLS)
def get_bill(bill_id: uuid.UUID, principal: Reader, session: DbSession) -> schemas.BillOut:
    """With its lines, tax breakdown, approval, settlements and history."""
    return _detail(session, bills.get(session, bill_id))


@router.patch("/bills/{bill_id}", summary="Change a draft or rejected bill", tags=BILLS)
def update_bill(
    bill_id: uuid.UUID, body: schemas.BillUpdate, principal: Writer, session: DbSession
) -> schemas.BillOut:
    """Only drafts and rejected bills change (409 `not_editable` otherwise); a rejected
    bill goes back to draft, to be submitted again. `lines`, when sent, replace all the
    lines."""
    document = bills.update_draft(session, bills.get(session, bill_id, lock=True), _values(body))
    return _detail(session, document)


@router.delete(
    "/bills/{bill_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a draft bill",
    tags=BILLS,
)
def delete_bill(bill_id: uuid.UUID, principal: Writer, session: DbSession) -> None:
    """Only drafts; a posted bill is corrected with a supplier credit note."""
    bills.delete_draft(session, bills.get(session, bill_id, lock=True))


@router.post("/bills/{bill_id}/submit", summary="Submit a bill for approval", tags=BILLS)
def submit_bill(bill_id: uuid.UUID, principal: Writer, session: DbSession) -> schemas.BillOut:
    """Under the approval rules for its gross amount in the base currency. When no
    approval is needed the bill is posted at once (status `posted`); otherwise it waits
    for the first step's approvers (status `submitted`). 422 without a supplier number or
    lines, when the total is not more than zero, or when the period is closed or a rate or
    account is missing; 409 `totals_changed` when a tax rate changed since the bill was
    saved (save it again first)."""
    document = bills.submit(
        session, bills.get(session, bill_id, lock=True), actor_id=principal.user_id
    )
    return _detail(session, document)


@router.post("/bills/{bill_id}/approve", summary="Approve a bill's pending step", tags=BILLS)
def approve_bill(bill_id: uuid.UUID, principal: Writer, session: DbSession) -> schemas.BillOut:
    """As a member whose role may approve the step, who neither submitted the bill nor
    approved an earlier step (unless nobody else could: recorded as self-approved). The
    last approval posts the bill in the purchases journal. 403 when you may not approve
    it, 409 when it waits for no approval, 409 `totals_changed` when a tax rate changed
    since submission (reject it so that it is corrected and submitted again)."""
    document = bills.approve(
        session, bills.get(session, bill_id, lock=True), actor_id=principal.user_id
    )
    return _detail(session, document)


@router.post("/bills/{bill_id}/reject", summary="Reject a bill", tags=BILLS)
def reject_bill(
    bill_id: uuid.UUID, body: shared.RejectIn, principal: Writer, session: DbSession
) -> schemas.BillOut:
    """With a reason the submitter reads; they may correct the bill and submit it again."""
    document = bills.reject(
        session,
        bills.get(session, bill_id, lock=True),
        actor_id=principal.user_id,
        reason=body.reason,
    )
    return _detail(session, document)


@router.post(
    "/bills/{bill_id}/cancel",
    summary="Cancel a posted bill",
    tags=BILLS,
    response_model=schemas.BillOut,
)
def cancel_bill(
    bill_id: uuid.UUID,
    body: schemas.CancelIn,
    principal: Writer,
    session: DbSession,
    guard: IdempotencyGuard,
) -> Response:
    """A posted bill is never deleted: this enters and posts the supplier's credit note
    for all of it (its number in `supplier_number`), which settles it, and marks the bill
    `cancelled`. 409 when the bill is not posted or when part of it is paid or credited
    already."""

    def produce() -> schemas.BillOut:
        document = bills.get(session, bill_id, lock=True)
        credit_notes.cancel_bill(
            session, document, body.model_dump(exclude_unset=True), actor_id=principal.user_id
        )
        return _detail(session, document)

    return guard.run(principal, body, produce)


@router.get("/bills/{bill_id}/history", summary="A bill's history", tags=BILLS)
def bill_history(
    bill_id: uuid.UUID, principal: Reader, session: DbSession
) -> list[shared.HistoryOut]:
    """Every step, oldest first: created, submitted, approvals, rejections with their
    reason, posted, settlements."""
    return _history(session, bills.get(session, bill_id))


@router.get("/supplier-credit-notes", summary="Supplier credit notes", tags=CREDIT_NOTES)
def list_supplier_credit_notes(
    principal: Reader, session: DbSession, query: Listing
) -> schemas.BillPage:
    """Newest first, with the same filters as bills; `amount_due` is what is left to
    apply or to be refunded."""
    return _page(session, "credit_note", query)


@router.post(
    "/supplier-credit-notes",
    status_code=status.HTTP_201_CREATED,
    summary="Enter a supplier credit note",
    tags=CREDIT_NOTES,
    response_model=schemas.BillOut,
)
def create_supplier_credit_note(
    body: schemas.CreditNoteIn, principal: Writer, session: DbSession, guard: IdempotencyGuard
) -> Response:
    """Against a posted bill (`bill`: its supplier, currency and, unless `lines` says
    which part, its lines) or standalone (`supplier` and `lines`). Send
    `Idempotency-Key` to make retries safe."""

    def produce() -> schemas.BillOut:
        document = credit_notes.create_draft(session, _values(body), actor_id=principal.user_id)
        return _detail(session, document)

    return guard.run(principal, body, produce, status_code=status.HTTP_201_CREATED)


@router.get(
    "/supplier-credit-notes/{supplier_credit_note_id}",
    summary="One supplier credit note",
    tags=CREDIT_NOTES,
)
def get_supplier_credit_note(
    supplier_credit_note_id: uuid.UUID, principal: Reader, session: DbSession
) -> schemas.BillOut:
    """With its lines, tax breakdown, the bills it settled and its history."""
    return _detail(session, bills.get(session, supplier_credit_note_id, "credit_note"))


@router.patch(
    "/supplier-credit-notes/{supplier_credit_note_id}",
    summary="Change a draft supplier credit note",
    tags=CREDIT_NOTES,
)
def update_supplier_credit_note(
    supplier_credit_note_id: uuid.UUID,
    body: schemas.BillUpdate,
    principal: Writer,
    session: DbSession,
) -> schemas.BillOut:
    """Only drafts change (409 `not_editable` otherwise)."""
    document = bills.get(session, supplier_credit_note_id, "credit_note", lock=True)
    return _detail(session, bills.update_draft(session, document, _values(body)))


@router.delete(
    "/supplier-credit-notes/{supplier_credit_note_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a draft supplier credit note",
    tags=CREDIT_NOTES,
)
def delete_supplier_credit_note(
    supplier_credit_note_id: uuid.UUID, principal: Writer, session: DbSession
) -> None:
    """Only drafts; a posted one stays in the books."""
    bills.delete_draft(
        session, bills.get(session, supplier_credit_note_id, "credit_note", lock=True)
    )


@router.post(
    "/supplier-credit-notes/{supplier_credit_note_id}/post",
    summary="Post a supplier credit note",
    tags=CREDIT_NOTES,
    response_model=schemas.BillOut,
)
def post_supplier_credit_note(
    supplier_credit_note_id: uuid.UUID,
    principal: Writer,
    session: DbSession,
    guard: IdempotencyGuard,
) -> Response:
    """No approval: money comes back. Posts the mirror of the purchases entry and,
    against a bill, settles what is still due on it; the rest is credit with the
    supplier. 422 beyond what the bill has left to credit."""

    def produce() -> schemas.BillOut:
        document = bills.get(session, supplier_credit_note_id, "credit_note", lock=True)
        credit_notes.post(session, document, actor_id=principal.user_id)
        return _detail(session, document)

    return guard.run(principal, None, produce)


@router.post(
    "/supplier-credit-notes/{supplier_credit_note_id}/apply",
    summary="Apply a supplier credit note to bills",
    tags=CREDIT_NOTES,
    response_model=schemas.BillOut,
)
def apply_supplier_credit_note(
    supplier_credit_note_id: uuid.UUID,
    body: schemas.ApplyIn,
    principal: Writer,
    session: DbSession,
    guard: IdempotencyGuard,
) -> Response:
    """Use what is left of a posted credit note to settle open bills of the same supplier
    and currency (each by id or the supplier's number), all or none. Each settled bill's
    payable line is lettered with the credit note's; a bill settled in full is `paid`.
    Each application is dated `date` (default today), or the credit note's or the bill's
    date when later. Send `Idempotency-Key`: a retried request applies nothing twice."""

    def produce() -> schemas.BillOut:
        document = bills.get(session, supplier_credit_note_id, "credit_note", lock=True)
        credit_notes.apply(
            session,
            document,
            [item.model_dump() for item in body.allocations],
            on=body.date,
            actor_id=principal.user_id,
        )
        return _detail(session, document)

    return guard.run(principal, body, produce)
