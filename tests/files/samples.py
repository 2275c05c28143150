"""Real files to upload: images drawn with Pillow, a small PDF, and a way to store them."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image
from sqlalchemy.orm import Session

from comptoir.files.models import StoredFile
from comptoir.files.service import files
from comptoir.files.service.storage import Storage
from comptoir.kit.db import Database
from comptoir.kit.tenancy import set_organization

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def noise(kind: str, size: tuple[int, int] = (300, 300)) -> bytes:
    """An image that compresses badly, so that cutting it leaves a header and half the data."""
    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, kind)
    return out.getvalue()


def image(kind: str = "PNG", size: tuple[int, int] = (800, 600), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "red" if mode != "1" else 1).save(out, kind)
    return out.getvalue()


@contextmanager
def tenant_session(database: Database, organization_id: str | uuid.UUID) -> Iterator[Session]:
    with database.unit_of_work() as session:
        set_organization(session, uuid.UUID(str(organization_id)))
        yield session


def store(
    database: Database,
    storage: Storage,
    organization_id: str | uuid.UUID,
    content: bytes,
    filename: str = "receipt.png",
) -> StoredFile:
    with tenant_session(database, organization_id) as session:
        stored = files.store(
            session,
            storage,
            owner_type="expense",
            owner_id=uuid.uuid4(),
            filename=filename,
            content=content,
            uploaded_by=None,
        )
        session.expunge(stored)
    return stored
