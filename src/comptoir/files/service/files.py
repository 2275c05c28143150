"""Stored files: keep what people upload, find it again, and hand it out by signed link.

A file belongs to something of another domain, named by ``owner_type``/``owner_id``
(``expense``, ``bill``), so that this domain knows none of their tables. The bytes go to a
:class:`~comptoir.files.service.storage.Storage` under a random key; the row here is the
only way to them: nothing is ever served by key, only by a link signed for one file of one
organization.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from comptoir.files.models import StoredFile as StoredFile
from comptoir.files.service import checks
from comptoir.files.service.storage import MissingObject, Storage
from comptoir.kit import clock
from comptoir.kit.errors import FieldError, Gone, NotFound, ValidationFailed
from comptoir.kit.tenancy import all_tenants, require_organization

log = logging.getLogger(__name__)

Variant = Literal["original", "thumbnail"]
VARIANTS: tuple[Variant, ...] = ("original", "thumbnail")
_OWNER_TYPE = re.compile(r"[a-z][a-z_]{0,29}")
_EXPIRES = re.compile(r"[0-9]{1,12}")


# -- bytes follow the transaction ---------------------------------------------------------


@dataclass
class _Pending:
    """Storage work that waits for the transaction: bytes of a new file are removed if it
    rolls back (no orphans), bytes of a deleted file only once it commits (no dangling rows)."""

    on_commit: list[tuple[Storage, str]] = field(default_factory=list)
    on_rollback: list[tuple[Storage, str]] = field(default_factory=list)

    def committed(self, session: Session) -> None:
        self._run(self.on_commit)

    def rolled_back(self, session: Session) -> None:
        self._run(self.on_rollback)

    def _run(self, removals: list[tuple[Storage, str]]) -> None:
        for storage, key in removals:
            # The transaction is over: a storage failure leaves an orphan to log, not an error.
            try:
                storage.delete(key)
            except Exception:
                log.exception("could not remove stored object %s", key)
        self.on_commit.clear()
        self.on_rollback.clear()


def _pending(session: Session) -> _Pending:
    pending = session.info.get("comptoir_files_pending")
    if not isinstance(pending, _Pending):
        pending = _Pending()
        session.info["comptoir_files_pending"] = pending
        event.listen(session, "after_commit", pending.committed)
        event.listen(session, "after_rollback", pending.rolled_back)
    return pending


# -- storing, listing, deleting ------------------------------------------------------------


def _new_key(organization_id: uuid.UUID) -> str:
    return f"{organization_id}/{secrets.token_hex(16)}"


def store(
    session: Session,
    storage: Storage,
    *,
    owner_type: str,
    owner_id: uuid.UUID | None,
    filename: str,
    content: bytes,
    uploaded_by: uuid.UUID | None,
) -> StoredFile:
    """Check ``content`` (JPEG, PNG or PDF, 1 byte to 10 MB) and keep it for the owner."""
    if not _OWNER_TYPE.fullmatch(owner_type):
        raise ValidationFailed(FieldError("owner_type", "Not a kind of owner.", "invalid"))
    kind = checks.identify(content)
    # Made before anything is stored: it decodes the image, the last check it must pass.
    small = checks.thumbnail(content) if kind.is_image else None
    organization_id = require_organization(session)
    pending = _pending(session)
    key = _new_key(organization_id)
    storage.put(key, content, kind.content_type)
    pending.on_rollback.append((storage, key))
    thumbnail_key = None
    if small is not None:
        thumbnail_key = _new_key(organization_id)
        storage.put(thumbnail_key, small, "image/jpeg")
        pending.on_rollback.append((storage, thumbnail_key))
    stored = StoredFile(
        owner_type=owner_type,
        owner_id=owner_id,
        filename=checks.safe_filename(filename, kind),
        content_type=kind.content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        storage_key=key,
        thumbnail_key=thumbnail_key,
        uploaded_by_id=uploaded_by,
        created_at=clock.now(),
    )
    session.add(stored)
    session.flush()
    return stored


def list_for(session: Session, owner_type: str, owner_id: uuid.UUID | None) -> list[StoredFile]:
    """The files of one owner, oldest first."""
    query = (
        select(StoredFile)
        .where(StoredFile.owner_type == owner_type, StoredFile.owner_id == owner_id)
        .order_by(StoredFile.created_at, StoredFile.id)
    )
    return list(session.scalars(query))


def counts_for(
    session: Session, owner_type: str, owner_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many files each of several owners has, in one query, for lists."""
    if not owner_ids:
        return {}
    rows = session.execute(
        select(StoredFile.owner_id, func.count())
        .where(StoredFile.owner_type == owner_type, StoredFile.owner_id.in_(owner_ids))
        .group_by(StoredFile.owner_id)
    ).all()
    return {owner_id: int(count) for owner_id, count in rows if owner_id is not None}


def get(session: Session, file_id: uuid.UUID) -> StoredFile:
    """One file of the current organization; another organization's answers 404."""
    stored = session.scalars(select(StoredFile).where(StoredFile.id == file_id)).first()
    if stored is None:
        raise NotFound("No such file.")
    return stored


def delete(session: Session, storage: Storage, stored: StoredFile) -> None:
    """Forget the file; its bytes and thumbnail go once the transaction commits."""
    pending = _pending(session)
    pending.on_commit.append((storage, stored.storage_key))
    if stored.thumbnail_key:
        pending.on_commit.append((storage, stored.thumbnail_key))
    session.delete(stored)
    session.flush()


def read(storage: Storage, stored: StoredFile, variant: Variant = "original") -> bytes:
    key = stored.storage_key if variant == "original" else stored.thumbnail_key
    if key is None:
        raise NotFound("This file has no thumbnail.")
    try:
        return storage.get(key)
    except MissingObject:
        log.error("stored file %s has lost its bytes (%s)", stored.id, key)
        raise NotFound("This file is no longer stored.") from None


# -- signed links -------------------------------------------------------------------------


def _signature(
    secret: str, organization_id: uuid.UUID, file_id: uuid.UUID, variant: str, expires: int
) -> str:
    message = f"{organization_id}|{file_id}|{variant}|{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_url(
    stored: StoredFile,
    *,
    secret: str,
    base_url: str,
    expires_in: int = 300,
    variant: Variant = "original",
) -> str:
    """A link anyone holding it can open for ``expires_in`` seconds, to this file only."""
    if variant == "thumbnail" and stored.thumbnail_key is None:
        raise NotFound("This file has no thumbnail.")
    expires = int(clock.now().timestamp()) + expires_in
    signature = _signature(secret, stored.organization_id, stored.id, variant, expires)
    return f"{base_url}/files/{stored.id}/{variant}?expires={expires}&signature={signature}"


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str
    filename: str
    # Seconds the link has left: no cache may keep the file longer than the link lives.
    max_age: int


def open_signed(
    session: Session,
    storage: Storage,
    *,
    secret: str,
    file_id: str,
    variant: str,
    expires: str,
    signature: str,
) -> Download:
    """The file a signed link points to. A wrong or tampered link, or one naming another
    organization's file, answers 404 alike; a genuine link past its time answers 410."""
    not_found = NotFound("This link does not lead to a file.")
    if variant not in VARIANTS or not _EXPIRES.fullmatch(expires):
        raise not_found
    try:
        key = uuid.UUID(file_id)
    except ValueError:
        raise not_found from None
    # The link carries no session: the signature, made for one organization, is the
    # capability, so the lookup spans organizations and the check below narrows it.
    with all_tenants(session):
        stored = session.get(StoredFile, key)
    if stored is None:
        raise not_found
    expected = _signature(secret, stored.organization_id, stored.id, variant, int(expires))
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise not_found
    remaining = int(expires) - int(clock.now().timestamp())
    if remaining <= 0:
        raise Gone("This link has expired. Open the file again from Comptoir for a new link.")
    if variant == "thumbnail":
        stem = stored.filename.rpartition(".")[0] or stored.filename
        return Download(
            read(storage, stored, "thumbnail"), "image/jpeg", f"{stem}-thumbnail.jpg", remaining
        )
    return Download(read(storage, stored), stored.content_type, stored.filename, remaining)
