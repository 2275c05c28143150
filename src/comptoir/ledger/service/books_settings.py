"""Accounting settings in one place: the month fiscal years start, the lock date and the
codes of the default journal of each type. An update changes only what it names; each
change is audited by the service that owns it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.identity.service import organizations
from comptoir.kit.errors import Conflict, FieldError, ValidationFailed
from comptoir.ledger.models import Journal, JournalEntry
from comptoir.ledger.service import journals, organization, periods
from comptoir.ledger.service.vocabulary import JOURNAL_TYPES

_CODE = re.compile(r"^[A-Z0-9]{1,10}$")


@dataclass(frozen=True)
class BooksSettings:
    fiscal_year_start_month: int
    lock_date: date | None
    # The code of the default journal of each type (None: the chart has none).
    journals: dict[str, str | None]


def current(session: Session) -> BooksSettings:
    defaults = {kind: journals.by_type(session, kind) for kind in JOURNAL_TYPES}
    return BooksSettings(
        fiscal_year_start_month=organization.current(session).fiscal_year_start_month,
        lock_date=periods.lock_date(session),
        journals={kind: j.code if j else None for kind, j in defaults.items()},
    )


def _month(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 12:
        raise ValidationFailed.single("fiscal_year_start_month", "Use a month number, 1 to 12.")
    return value


def _renames(session: Session, wanted: Any) -> list[tuple[Journal, str]]:
    """The journals to rename to their new codes, every problem reported at once."""
    if not isinstance(wanted, dict):
        raise ValidationFailed.single("journals", "Give the codes by journal type.")
    errors: list[FieldError] = []
    renames: list[tuple[Journal, str]] = []
    taken: dict[str, str] = {}
    for kind, code in wanted.items():
        where = f"journals.{kind}"
        if kind not in JOURNAL_TYPES:
            errors.append(FieldError(where, f"Use one of {', '.join(JOURNAL_TYPES)}."))
            continue
        if not isinstance(code, str) or not _CODE.match(code):
            errors.append(
                FieldError(where, "Use 1 to 10 upper-case letters or digits.", "invalid_code")
            )
            continue
        journal = journals.by_type(session, kind)
        if journal is None:
            errors.append(FieldError(where, f"There is no {kind} journal.", "no_journal"))
            continue
        holder = session.scalar(select(Journal).where(Journal.code == code))
        if code in taken or (holder is not None and holder.id != journal.id):
            errors.append(FieldError(where, f"Another journal already uses {code}.", "duplicate"))
            continue
        taken[code] = kind
        if code != journal.code:
            renames.append((journal, code))
    if errors:
        raise ValidationFailed(errors)
    return renames


def update(session: Session, values: dict[str, Any]) -> BooksSettings:
    """Change the settings ``values`` names (``fiscal_year_start_month``, ``lock_date``,
    ``journals``); the others stay as they are. All or nothing."""
    errors: list[FieldError] = []
    month: int | None = None
    renames: list[tuple[Journal, str]] = []
    if "fiscal_year_start_month" in values:
        try:
            month = _month(values["fiscal_year_start_month"])
        except ValidationFailed as exc:
            errors += exc.errors
    if "lock_date" in values:
        try:
            periods.check_lock_date(session, values["lock_date"])
        except ValidationFailed as exc:
            errors += exc.errors
    if "journals" in values:
        try:
            renames = _renames(session, values["journals"])
        except ValidationFailed as exc:
            errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    if month is not None and month != organization.current(session).fiscal_year_start_month:
        if session.scalar(select(JournalEntry.id).where(JournalEntry.status == "posted").limit(1)):
            raise Conflict(
                "Entries are posted in fiscal years that start in the current month; the "
                "start month can no longer change.",
                code="entries_posted",
            )
        organizations.update_profile(session, {"fiscal_year_start_month": month})
    if "lock_date" in values and values["lock_date"] != periods.lock_date(session):
        periods.set_lock_date(session, values["lock_date"])
    for journal, code in renames:
        journals.update(session, journal.id, {"code": code})
    return current(session)
