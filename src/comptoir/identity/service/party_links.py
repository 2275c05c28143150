"""The party a portal member is linked to: the one customer (role client) or supplier (role
supplier) whose documents the portal shows them.

Identity comes before parties and cannot read them; ``comptoir.wiring`` connects the
parties service to ``PARTY_CHECKS`` and ``PARTY_CHOICES``. With nothing connected no
party is found, so no link can be made.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.identity.models import Membership
from comptoir.identity.roles import Role
from comptoir.kit.errors import ValidationFailed

# The kind of party each portal role is linked to.
PARTY_KINDS: dict[Role, str] = {Role.CLIENT: "customer", Role.SUPPLIER: "supplier"}


@dataclass(frozen=True)
class LinkedParty:
    id: uuid.UUID
    code: str
    name: str


# This organization's party with that id and kind ("customer" or "supplier"), or None.
PartyCheck = Callable[[Session, uuid.UUID, str], LinkedParty | None]
# This organization's parties of that kind that a member may be linked to, by name.
PartyChoices = Callable[[Session, str], list[LinkedParty]]

PARTY_CHECKS: list[PartyCheck] = []
PARTY_CHOICES: list[PartyChoices] = []


def find(session: Session, role: Role, party_id: uuid.UUID | None) -> LinkedParty | None:
    """The party if a member of ``role`` may be linked to it."""
    kind = PARTY_KINDS.get(role)
    if kind is None or party_id is None:
        return None
    for check in PARTY_CHECKS:
        found = check(session, party_id, kind)
        if found is not None:
            return found
    return None


def check(
    session: Session, role: Role, party_id: uuid.UUID | None, field: str = "party"
) -> uuid.UUID | None:
    """``party_id`` if a member of ``role`` may be linked to it; a field error otherwise."""
    if party_id is None:
        return None
    kind = PARTY_KINDS.get(role)
    if kind is None:
        raise ValidationFailed.single(
            field,
            "Only client and supplier (portal) members are linked to a party.",
            "not_portal_role",
        )
    if find(session, role, party_id) is None:
        raise ValidationFailed.single(field, f"No such {kind}.", "not_found")
    return party_id


def choices(session: Session, role: Role) -> list[LinkedParty]:
    kind = PARTY_KINDS.get(role)
    if kind is None:
        return []
    return [party for source in PARTY_CHOICES for party in source(session, kind)]


def party_of(session: Session, user_id: uuid.UUID) -> uuid.UUID | None:
    """The party the user's membership of the current organization is linked to."""
    return session.scalar(select(Membership.party_id).where(Membership.user_id == user_id))
