"""Named counters per organization (party codes, document numbers), handed out under a
row lock: concurrent callers wait for each other, so no two get the same number, and a
rolled-back transaction gives its numbers back."""

from __future__ import annotations

from sqlalchemy import PrimaryKeyConstraint, String
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from comptoir.kit.db import Base
from comptoir.kit.tenancy import TenantScoped, require_organization


class NumberSequence(TenantScoped, Base):
    __tablename__ = "number_sequences"
    __tenant_index__ = False
    __table_args__ = (PrimaryKeyConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(60))
    next_number: Mapped[int] = mapped_column(default=1)


def reserve(session: Session, name: str, count: int = 1) -> int:
    """The first of ``count`` consecutive numbers of the counter ``name`` (from 1). One
    upsert creates the counter or moves it on and locks its row until commit."""
    statement = (sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert)(
        NumberSequence
    ).values(organization_id=require_organization(session), name=name, next_number=1 + count)
    following = session.execute(
        statement.on_conflict_do_update(
            index_elements=[NumberSequence.organization_id, NumberSequence.name],
            set_={"next_number": NumberSequence.next_number + count},
        ).returning(NumberSequence.next_number)
    ).scalar_one()
    return int(following) - count
