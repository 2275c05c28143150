"""Parties as identity links portal members to them: a client to one customer, a supplier
to one supplier. ``comptoir.wiring`` connects these checks to identity's."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.identity.service.party_links import LinkedParty
from comptoir.kit.errors import NotFound
from comptoir.parties.models import Party
from comptoir.parties.service import parties

# A member is linked by choosing from a list: beyond this many parties, use the API.
MAX_CHOICES = 1000


def _role(kind: str) -> parties.Role:
    return "customer" if kind == "customer" else "supplier"


def linkable(session: Session, party_id: uuid.UUID, kind: str) -> LinkedParty | None:
    try:
        party = parties.get(session, party_id, _role(kind))
    except NotFound:
        return None
    return LinkedParty(party.id, party.code, party.name)


def choices(session: Session, kind: str) -> list[LinkedParty]:
    flag = Party.is_customer if _role(kind) == "customer" else Party.is_supplier
    found = session.scalars(
        select(Party)
        .where(flag.is_(True), Party.archived_at.is_(None))
        .order_by(Party.name, Party.id)
        .limit(MAX_CHOICES)
    )
    return [LinkedParty(party.id, party.code, party.name) for party in found]
