"""What the ledger needs to know of the current organization, read through identity's service."""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy.orm import Session

from comptoir.identity.service import organizations


class OrganizationFacts(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def country(self) -> str: ...
    @property
    def base_currency(self) -> str: ...
    @property
    def fiscal_year_start_month(self) -> int: ...
    @property
    def legal_name(self) -> str: ...


def current(session: Session) -> OrganizationFacts:
    return organizations.get_current(session)
