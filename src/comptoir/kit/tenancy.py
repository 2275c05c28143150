"""Tenancy in one place (DESIGN rule 6).

Every tenant-owned table mixes in :class:`TenantScoped`. The session carries the
current organization in ``session.info``; one ``do_orm_execute`` hook adds
``organization_id = :current`` to every ORM query touching such a table, and one
``before_flush`` hook stamps new rows and refuses rows of another organization.
A query on tenant data with no organization set fails loudly instead of leaking:
code that must see every tenant (the worker, log-in) says so with :func:`all_tenants`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ForeignKey, Uuid, event
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    sessionmaker,
    with_loader_criteria,
)

_TENANT = "comptoir_organization_id"
_ALL = "comptoir_all_tenants"


class TenantNotSet(RuntimeError):
    """Tenant data was queried with no organization chosen: a programming error."""


class TenantScoped:
    """Mixin for rows that belong to one organization."""

    __tenant_optional__ = False
    # False for a big table whose composite indexes all start with organization_id: one
    # more index to keep up on every write, and no query it would serve alone.
    __tenant_index__ = True

    @declared_attr
    def organization_id(cls) -> Mapped[uuid.UUID]:  # noqa: N805
        return mapped_column(
            Uuid(),
            ForeignKey("organizations.id", ondelete="CASCADE"),
            index=cls.__tenant_index__,
            nullable=cls.__tenant_optional__,
        )


def set_organization(session: Session, organization_id: uuid.UUID | None) -> None:
    session.info[_TENANT] = organization_id


def current_organization(session: Session) -> uuid.UUID | None:
    value = session.info.get(_TENANT)
    return value if isinstance(value, uuid.UUID) else None


def require_organization(session: Session) -> uuid.UUID:
    organization_id = current_organization(session)
    if organization_id is None:
        raise TenantNotSet("no organization is set on this session")
    return organization_id


@contextmanager
def all_tenants(session: Session) -> Iterator[None]:
    """Lift the filter inside the block, for system work that spans organizations."""
    previous = session.info.get(_ALL, False)
    session.info[_ALL] = True
    try:
        yield
    finally:
        session.info[_ALL] = previous


@contextmanager
def as_organization(session: Session, organization_id: uuid.UUID) -> Iterator[None]:
    previous = session.info.get(_TENANT)
    session.info[_TENANT] = organization_id
    try:
        yield
    finally:
        session.info[_TENANT] = previous


def _criteria(organization_id: uuid.UUID) -> Any:
    return with_loader_criteria(
        TenantScoped,
        lambda cls: cls.organization_id == organization_id,
        include_aliases=True,
    )


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.session.info.get(_ALL):
        return
    organization_id = current_organization(state.session)
    if organization_id is None:
        if any(issubclass(m.class_, TenantScoped) for m in state.all_mappers):
            raise TenantNotSet("tenant-owned data queried without an organization")
        return
    state.statement = state.statement.options(_criteria(organization_id))


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    organization_id = current_organization(session)
    system = bool(session.info.get(_ALL))
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TenantScoped):
            continue
        owner = obj.organization_id
        if owner is None:
            if organization_id is not None:
                obj.organization_id = organization_id
            elif not obj.__tenant_optional__:
                raise TenantNotSet(f"new {type(obj).__name__} has no organization")
        elif organization_id is not None and owner != organization_id and not system:
            raise TenantNotSet(
                f"{type(obj).__name__} belongs to another organization than the session's"
            )


def install(factory: sessionmaker[Session]) -> None:
    event.listen(factory, "do_orm_execute", _on_execute)
    event.listen(factory, "before_flush", _before_flush)
