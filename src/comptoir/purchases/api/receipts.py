"""/api/v1/expenses/{id}/receipts and /api/v1/bills/{id}/receipts: the receipts of an
expense or a bill, uploaded as multipart `file` parts and opened by signed links."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status
from starlette.concurrency import run_in_threadpool

from comptoir.files.service.checks import MAX_BYTES
from comptoir.files.views import FileStorage
from comptoir.identity.service.sessions import Principal
from comptoir.purchases.api import expense_schemas as schemas
from comptoir.purchases.api.expenses import viewer_of
from comptoir.purchases.models import Approvable
from comptoir.purchases.service import receipts
from comptoir.server.deps import Config, DbSession, require_scope

router = APIRouter(prefix="/api/v1", tags=["receipts"])

ExpenseReader = Annotated[Principal, require_scope("expenses:read")]
ExpenseWriter = Annotated[Principal, require_scope("expenses:write")]
BillReader = Annotated[Principal, require_scope("bills:read")]
BillWriter = Annotated[Principal, require_scope("bills:write")]
# Optional to the framework, so that the document is looked up (404) before the upload is
# checked; the service refuses a request without files.
Files = Annotated[
    list[UploadFile],
    File(
        alias="file",
        description="One or several `file` parts: JPEG, PNG or PDF, at most 10 MB each",
    ),
]
NO_FILES: list[UploadFile] = []


def _links(config: Config) -> receipts.Links:
    return receipts.Links(secret=config.secret_key, base_url=config.base_url)


def _out(receipt: receipts.Receipt) -> schemas.ReceiptOut:
    return schemas.ReceiptOut(
        id=receipt.id,
        filename=receipt.filename,
        content_type=receipt.content_type,
        size=receipt.size,
        uploaded_at=receipt.uploaded_at,
        uploaded_by=receipt.uploaded_by_id,
        url=receipt.url,
        thumbnail_url=receipt.thumbnail_url,
        expires_at=receipt.expires_at,
    )


async def _uploads(parts: list[UploadFile]) -> list[receipts.Upload]:
    # One byte over the limit is enough for the files service to refuse it as too large.
    return [receipts.Upload(part.filename or "", await part.read(MAX_BYTES + 1)) for part in parts]


async def _attach(
    session: DbSession,
    storage: FileStorage,
    subject: Approvable,
    parts: list[UploadFile],
    principal: Principal,
    config: Config,
) -> list[schemas.ReceiptOut]:
    uploads = await _uploads(parts)
    # Checking, thumbnailing and storing 10 MB photos must not hold up the event loop.
    kept = await run_in_threadpool(
        receipts.attach,
        session,
        storage,
        subject,
        uploads,
        actor_id=principal.user_id,
        links=_links(config),
    )
    return [_out(item) for item in kept]


@router.get("/expenses/{expense_id}/receipts", summary="Receipts of an expense")
def list_expense_receipts(
    expense_id: uuid.UUID, principal: ExpenseReader, session: DbSession, config: Config
) -> list[schemas.ReceiptOut]:
    """Oldest first, each with links that open the file (and its thumbnail, for images)
    for 5 minutes without logging in."""
    expense = receipts.expense(session, expense_id, viewer_of(principal))
    return [_out(item) for item in receipts.list_receipts(session, expense, _links(config))]


@router.post(
    "/expenses/{expense_id}/receipts",
    status_code=status.HTTP_201_CREATED,
    summary="Attach receipts to an expense",
)
async def attach_expense_receipts(
    expense_id: uuid.UUID,
    principal: ExpenseWriter,
    session: DbSession,
    storage: FileStorage,
    config: Config,
    file: Files = NO_FILES,
) -> list[schemas.ReceiptOut]:
    """At any time, even once the expense is paid. The type is read from the content
    (a renamed program is refused with `unsupported_type`), an empty file is `empty`, a
    file over 10 MB `too_large`; one refused file refuses the whole request. A request
    carries at most 11 MiB in all (413 beyond): send large files one at a time."""
    expense = receipts.expense(session, expense_id, viewer_of(principal))
    return await _attach(session, storage, expense, file, principal, config)


@router.delete(
    "/expenses/{expense_id}/receipts/{file_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a receipt of an expense",
)
def delete_expense_receipt(
    expense_id: uuid.UUID,
    file_id: uuid.UUID,
    principal: ExpenseWriter,
    session: DbSession,
    storage: FileStorage,
) -> None:
    """While the expense is a draft, rejected or waiting for approval; once approved its
    receipts are kept as evidence of the entry (409 `receipt_kept`)."""
    expense = receipts.expense(session, expense_id, viewer_of(principal))
    receipts.remove(session, storage, expense, file_id)


@router.get("/bills/{bill_id}/receipts", summary="Receipts of a bill")
def list_bill_receipts(
    bill_id: uuid.UUID, principal: BillReader, session: DbSession, config: Config
) -> list[schemas.ReceiptOut]:
    """The supplier's bill as received (scan or PDF), oldest first, with 5-minute links."""
    bill = receipts.bill(session, bill_id)
    return [_out(item) for item in receipts.list_receipts(session, bill, _links(config))]


@router.post(
    "/bills/{bill_id}/receipts",
    status_code=status.HTTP_201_CREATED,
    summary="Attach files to a bill",
)
async def attach_bill_receipts(
    bill_id: uuid.UUID,
    principal: BillWriter,
    session: DbSession,
    storage: FileStorage,
    config: Config,
    file: Files = NO_FILES,
) -> list[schemas.ReceiptOut]:
    """As for expenses: JPEG, PNG or PDF, at most 10 MB each, checked by their content."""
    bill = receipts.bill(session, bill_id)
    return await _attach(session, storage, bill, file, principal, config)


@router.delete(
    "/bills/{bill_id}/receipts/{file_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a file of a bill",
)
def delete_bill_receipt(
    bill_id: uuid.UUID,
    file_id: uuid.UUID,
    principal: BillWriter,
    session: DbSession,
    storage: FileStorage,
) -> None:
    """While the bill is a draft, rejected or waiting for approval (409 `receipt_kept`
    after)."""
    bill = receipts.bill(session, bill_id)
    receipts.remove(session, storage, bill, file_id)
