"""Receipts of expenses and bills: the photos and scans that prove them, kept by the stored
files service (which checks each file's real type and size) and opened by signed links.

Receipts may be added at any time, even to a paid expense (the paper often arrives last);
they may be removed only while the document is a draft or rejected. Once submitted,
approvers decide on what they see, and once booked the receipt is part of the evidence
for the entry: it stays.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from comptoir.files.service import files
from comptoir.files.service.storage import Storage
from comptoir.kit import clock
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.purchases.models import Approvable, Expense, PurchaseDocument
from comptoir.purchases.service import bills, expenses

OwnerType = str
# Where a receipt may still be removed: once submitted, approvers decide on what they saw.
REMOVABLE = ("draft", "rejected")
MAX_FILES_PER_REQUEST = 10
# How long the links handed out with a list of receipts open the files.
LINK_SECONDS = 300


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


@dataclass(frozen=True)
class Receipt:
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime
    uploaded_by_id: uuid.UUID | None
    url: str
    thumbnail_url: str | None
    expires_at: datetime


@dataclass(frozen=True)
class Links:
    """What signing needs: the application's secret and the address links start with."""

    secret: str
    base_url: str


def expense(session: Session, expense_id: uuid.UUID, viewer: expenses.Viewer) -> Expense:
    return expenses.get(session, expense_id, viewer)


def bill(session: Session, bill_id: uuid.UUID) -> PurchaseDocument:
    return bills.get(session, bill_id)


def _owner_type(subject: Approvable) -> OwnerType:
    return "expense" if isinstance(subject, Expense) else "bill"


def _id(subject: Approvable) -> uuid.UUID:
    assert isinstance(subject, Expense | PurchaseDocument)
    return subject.id


def _signed(stored: files.StoredFile, links: Links) -> Receipt:
    expires = clock.now() + timedelta(seconds=LINK_SECONDS)
    return Receipt(
        id=stored.id,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        uploaded_at=stored.created_at,
        uploaded_by_id=stored.uploaded_by_id,
        url=files.signed_url(
            stored, secret=links.secret, base_url=links.base_url, expires_in=LINK_SECONDS
        ),
        thumbnail_url=files.signed_url(
            stored,
            secret=links.secret,
            base_url=links.base_url,
            expires_in=LINK_SECONDS,
            variant="thumbnail",
        )
        if stored.thumbnail_key
        else None,
        expires_at=expires,
    )


def list_receipts(session: Session, subject: Approvable, links: Links) -> list[Receipt]:
    """The receipts of an expense or a bill, oldest first, each with fresh links."""
    stored = files.list_for(session, _owner_type(subject), _id(subject))
    return [_signed(item, links) for item in stored]


def attach(
    session: Session,
    storage: Storage,
    subject: Approvable,
    uploads: Sequence[Upload],
    *,
    actor_id: uuid.UUID,
    links: Links,
) -> list[Receipt]:
    """Keep each uploaded file for the document, or none of them: one refused file refuses
    the request, its error beside ``file[i]``."""
    if not uploads:
        raise ValidationFailed.single("file", "Send at least one file.", "required")
    if len(uploads) > MAX_FILES_PER_REQUEST:
        raise ValidationFailed.single(
            "file", f"At most {MAX_FILES_PER_REQUEST} files at a time.", "too_many"
        )
    kept = []
    for index, upload in enumerate(uploads):
        try:
            kept.append(
                files.store(
                    session,
                    storage,
                    owner_type=_owner_type(subject),
                    owner_id=_id(subject),
                    filename=upload.filename,
                    content=upload.content,
                    uploaded_by=actor_id,
                )
            )
        except ValidationFailed as exc:
            field = "file" if len(uploads) == 1 else f"file[{index}]"
            raise ValidationFailed(
                [FieldError(field, error.message, error.code) for error in exc.errors]
            ) from None
    return [_signed(item, links) for item in kept]


def remove(session: Session, storage: Storage, subject: Approvable, file_id: uuid.UUID) -> None:
    if subject.status not in REMOVABLE:
        raise Conflict(
            f"This {_owner_type(subject)} is {subject.status}: its receipts are kept as "
            "evidence of the entry.",
            code="receipt_kept",
        )
    stored = files.get(session, file_id)
    if stored.owner_type != _owner_type(subject) or stored.owner_id != _id(subject):
        raise NotFound("No such receipt.")
    files.delete(session, storage, stored)


def remove_all(
    session: Session, storage: Storage, owner_type: OwnerType, owner_id: uuid.UUID
) -> None:
    """Forget the receipts of a document deleted as a draft."""
    for stored in files.list_for(session, owner_type, owner_id):
        files.delete(session, storage, stored)


def counts(
    session: Session, owner_type: OwnerType, owner_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    return files.counts_for(session, owner_type, owner_ids)
