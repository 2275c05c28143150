"""Who to notify: the members of the current organization by role, for the rules of other
domains."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy.orm import Session

from comptoir.identity.roles import Role
from comptoir.identity.service import members


def with_roles(session: Session, roles: Collection[Role]) -> frozenset[uuid.UUID]:
    """User ids of the members holding one of ``roles``."""
    wanted = {Role(role).value for role in roles}
    return frozenset(
        m.user.id for m in members.list_members(session) if m.membership.role in wanted
    )
