"""Receipts of bills and expenses on their pages: the thumbnails, the viewer, the upload
form (a phone's camera included) and the phone-sized page that only takes photos."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import Request, Response
from starlette.datastructures import UploadFile

from comptoir.files.service import files
from comptoir.files.views import FileStorage
from comptoir.kit.errors import (
    DomainError,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from comptoir.purchases.service import receipts
from comptoir.purchases.views import common
from comptoir.server.deps import Config
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    PostedForm,
    Visitor,
    failed_form,
    parse_id,
    redirect,
    web_router,
)

if TYPE_CHECKING:
    from comptoir.purchases.models import Expense, PurchaseDocument

router = web_router()


@dataclass(frozen=True)
class Owner:
    """Whose receipts a page shows: a bill or an expense, where it lives, who may add."""

    kind: str
    subject: Expense | PurchaseDocument
    base: str
    nav: str
    can_add: bool

    @property
    def owner_type(self) -> str:
        return "expense" if self.kind == "expenses" else "bill"

    @property
    def can_delete(self) -> bool:
        return self.can_add and self.subject.status in receipts.REMOVABLE


def expense_owner(expense: Expense, *, writer: bool) -> Owner:
    return Owner("expenses", expense, f"/purchases/expenses/{expense.id}", "expenses", writer)


def bill_owner(bill: PurchaseDocument, *, writer: bool) -> Owner:
    return Owner("bills", bill, f"/purchases/bills/{bill.id}", "bills", writer)


def posted_files(form: PostedForm) -> list[UploadFile]:
    """The files of the form's ``file`` input; an empty input sends one nameless part."""
    return [
        item
        for item in form.getlist("file")
        if isinstance(item, UploadFile) and (item.filename or item.size)
    ]


async def read_files(form: PostedForm) -> list[receipts.Upload]:
    return [
        receipts.Upload(item.filename or "receipt", await item.read())
        for item in posted_files(form)
    ]


def owner_of(session: Db, visitor: Visitor, kind: str, subject_id: str) -> Owner:
    """The bill or expense ``subject_id`` of the path's ``kind``, as the visitor may see it."""
    if kind == "expenses":
        visitor.require("expenses:read")
        expense = receipts.expense(
            session, parse_id(subject_id, "No such expense."), common.viewer(visitor)
        )
        return expense_owner(expense, writer=common.may_change(expense, visitor))
    if kind == "bills":
        visitor.require("bills:read")
        bill = receipts.bill(session, parse_id(subject_id, "No such bill."))
        return bill_owner(bill, writer=visitor.can("bills:write"))
    raise NotFound("No such page.")


def links(config: Config) -> receipts.Links:
    # Links without a host: the page opens them on whatever address it was reached by.
    return receipts.Links(config.secret_key, "")


def context(
    session: Db, config: Config, owner: Owner, form: FormState | None = None
) -> dict[str, Any]:
    """What a bill's or an expense's page shows of its receipts."""
    return {
        "receipts": receipts.list_receipts(session, owner.subject, links(config)),
        "receipt_form": form or FormState(),
        "owner": owner,
    }


def attach(
    session: Db,
    storage: FileStorage,
    visitor: Visitor,
    config: Config,
    owner: Owner,
    uploads: list[receipts.Upload],
) -> None:
    """Keep every file uploaded, or none: one bad file refuses the lot, beside the input."""
    try:
        receipts.attach(
            session,
            storage,
            owner.subject,
            uploads,
            actor_id=visitor.principal.user_id,
            links=links(config),
        )
    except ValidationFailed as exc:
        raise ValidationFailed(
            [FieldError("file", error.message, error.code) for error in exc.errors]
        ) from None


def _phone_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    config: Config,
    owner: Owner,
    *,
    form: FormState | None = None,
    added: bool = False,
) -> Response:
    return common.page(
        request,
        visitor,
        "purchases/receipts.html",
        {
            "subject": owner.subject,
            **context(session, config, owner, form),
            "notice": "Receipt added." if added else None,
        },
        nav=owner.nav,
        status_code=form.status if form else 200,
    )


def show_phone_page(
    request: Request, visitor: Visitor, session: Db, config: Config, owner: Owner
) -> Response:
    added = request.query_params.get("notice") == "added"
    return _phone_page(request, visitor, session, config, owner, added=added)


async def add(
    request: Request,
    visitor: Visitor,
    session: Db,
    config: Config,
    storage: FileStorage,
    form: PostedForm,
    owner: Owner,
) -> Response:
    if not owner.can_add:
        visitor.require(f"{owner.kind}:write")
        raise PermissionDenied("Only who entered it adds its receipts.")
    uploads = await read_files(form)
    try:
        attach(session, storage, visitor, config, owner, uploads)
    except DomainError as exc:
        state = failed_form(session, exc, {"file": ""})
        return _phone_page(request, visitor, session, config, owner, form=state)
    if form.get("back") == "page":
        return redirect(f"{owner.base}?notice=receipt#receipts")
    return redirect(f"{owner.base}/receipts?notice=added")


def viewer(
    request: Request, visitor: Visitor, session: Db, config: Config, owner: Owner, file_id: str
) -> Response:
    wanted = parse_id(file_id, "No such receipt.")
    items = receipts.list_receipts(session, owner.subject, links(config))
    found = next((item for item in items if item.id == wanted), None)
    if found is None:
        raise NotFound("No such receipt.")
    return common.page(
        request,
        visitor,
        "purchases/receipt.html",
        {"owner": owner, "receipt": found, "others": items},
        nav=owner.nav,
    )


def inline(session: Db, storage: FileStorage, owner: Owner, file_id: str) -> Response:
    """The file itself for the viewer's frame: signed links answer for any site, and a
    frame needs this page's own permission to show it."""
    stored = files.get(session, parse_id(file_id, "No such receipt."))
    if stored.owner_type != owner.owner_type or stored.owner_id != owner.subject.id:
        raise NotFound("No such receipt.")
    return Response(
        files.read(storage, stored),
        media_type=stored.content_type,
        headers={
            "Content-Disposition": "inline",
            "Cache-Control": "no-store",
            "Content-Security-Policy": "frame-ancestors 'self'",
            "X-Frame-Options": "SAMEORIGIN",
        },
    )


def remove(
    visitor: Visitor, session: Db, storage: FileStorage, owner: Owner, file_id: str
) -> Response:
    if not owner.can_add:
        visitor.require(f"{owner.kind}:write")
        raise PermissionDenied("Only who entered it removes its receipts.")
    receipts.remove(session, storage, owner.subject, parse_id(file_id, "No such receipt."))
    return redirect(f"{owner.base}?notice=receipt-removed#receipts")


# The same pages for expenses and bills, each under its own path and id.
EXPENSE = "/purchases/expenses/{expense_id}/receipts"
BILL = "/purchases/bills/{bill_id}/receipts"


@router.get(EXPENSE)
def expense_receipts_page(
    request: Request, expense_id: str, visitor: CurrentVisitor, session: Db, config: Config
) -> Response:
    owner = owner_of(session, visitor, "expenses", expense_id)
    return show_phone_page(request, visitor, session, config, owner)


@router.post(EXPENSE)
async def add_expense_receipts(
    request: Request,
    expense_id: str,
    visitor: CurrentVisitor,
    session: Db,
    config: Config,
    storage: FileStorage,
    form: PostedForm,
) -> Response:
    owner = owner_of(session, visitor, "expenses", expense_id)
    return await add(request, visitor, session, config, storage, form, owner)


@router.get(EXPENSE + "/{file_id}")
def expense_receipt(
    request: Request,
    expense_id: str,
    file_id: str,
    visitor: CurrentVisitor,
    session: Db,
    config: Config,
) -> Response:
    owner = owner_of(session, visitor, "expenses", expense_id)
    return viewer(request, visitor, session, config, owner, file_id)


@router.get(EXPENSE + "/{file_id}/inline")
def expense_receipt_file(
    expense_id: str, file_id: str, visitor: CurrentVisitor, session: Db, storage: FileStorage
) -> Response:
    return inline(session, storage, owner_of(session, visitor, "expenses", expense_id), file_id)


@router.post(EXPENSE + "/{file_id}/delete")
def delete_expense_receipt(
    expense_id: str, file_id: str, visitor: CurrentVisitor, session: Db, storage: FileStorage
) -> Response:
    owner = owner_of(session, visitor, "expenses", expense_id)
    return remove(visitor, session, storage, owner, file_id)


@router.get(BILL)
def bill_receipts_page(
    request: Request, bill_id: str, visitor: CurrentVisitor, session: Db, config: Config
) -> Response:
    owner = owner_of(session, visitor, "bills", bill_id)
    return show_phone_page(request, visitor, session, config, owner)


@router.post(BILL)
async def add_bill_receipts(
    request: Request,
    bill_id: str,
    visitor: CurrentVisitor,
    session: Db,
    config: Config,
    storage: FileStorage,
    form: PostedForm,
) -> Response:
    owner = owner_of(session, visitor, "bills", bill_id)
    return await add(request, visitor, session, config, storage, form, owner)


@router.get(BILL + "/{file_id}")
def bill_receipt(
    request: Request,
    bill_id: str,
    file_id: str,
    visitor: CurrentVisitor,
    session: Db,
    config: Config,
) -> Response:
    owner = owner_of(session, visitor, "bills", bill_id)
    return viewer(request, visitor, session, config, owner, file_id)


@router.get(BILL + "/{file_id}/inline")
def bill_receipt_file(
    bill_id: str, file_id: str, visitor: CurrentVisitor, session: Db, storage: FileStorage
) -> Response:
    return inline(session, storage, owner_of(session, visitor, "bills", bill_id), file_id)


@router.post(BILL + "/{file_id}/delete")
def delete_bill_receipt(
    bill_id: str, file_id: str, visitor: CurrentVisitor, session: Db, storage: FileStorage
) -> Response:
    return remove(visitor, session, storage, owner_of(session, visitor, "bills", bill_id), file_id)
