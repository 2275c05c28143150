"""What Comptoir knows of each stored file; the bytes live in the storage."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.kit import clock
from comptoir.kit.db import Base, IdMixin
from comptoir.kit.tenancy import TenantScoped


class StoredFile(IdMixin, TenantScoped, Base):
    __tablename__ = "stored_files"
    __tenant_index__ = False
    __table_args__ = (
        UniqueConstraint("storage_key"),
        Index("ix_stored_files_owner", "organization_id", "owner_type", "owner_id"),
    )

    # What the file belongs to (``expense``, ``bill``): files know no domain's tables.
    owner_type: Mapped[str] = mapped_column(String(30))
    owner_id: Mapped[uuid.UUID | None]
    # The name it was uploaded under, made safe; never used as a path.
    filename: Mapped[str] = mapped_column(String(255))
    # Found from the content, not from the name or the browser's word.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # Where the storage keeps it: ``<organization id>/<random>``.
    storage_key: Mapped[str] = mapped_column(String(300))
    thumbnail_key: Mapped[str | None] = mapped_column(String(300))
    uploaded_by_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
