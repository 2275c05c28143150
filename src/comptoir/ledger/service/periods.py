"""Fiscal years (from the organization's start month) and the lock date."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit.errors import Conflict, ValidationFailed
from comptoir.kit.ids import new_id
from comptoir.kit.tenancy import require_organization
from comptoir.ledger.models import FiscalYear, LedgerSettings
from comptoir.ledger.service import organization


def fiscal_year_bounds(on: date, start_month: int) -> tuple[date, date]:
    """First and last day of the fiscal year containing ``on``."""
    year = on.year if on.month >= start_month else on.year - 1
    return date(year, start_month, 1), date(year + 1, start_month, 1) - timedelta(days=1)


def fiscal_year_for(session: Session, on: date) -> FiscalYear:
    """The fiscal year row containing ``on``, created the first time it is needed.

    Concurrent first postings of a new year all insert it; the unique key keeps one and
    the others find it, instead of failing.
    """
    start, end = fiscal_year_bounds(on, organization.current(session).fiscal_year_start_month)
    year = session.scalar(select(FiscalYear).where(FiscalYear.start_date == start))
    if year is None:
        insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
        session.execute(
            insert(FiscalYear)
            .values(
                id=new_id(),
                organization_id=require_organization(session),
                start_date=start,
                end_date=end,
            )
            .on_conflict_do_nothing()
        )
        year = session.scalars(select(FiscalYear).where(FiscalYear.start_date == start)).one()
    return year


def settings(session: Session) -> LedgerSettings:
    row: LedgerSettings | None = session.scalar(select(LedgerSettings))
    if row is None:
        raise Conflict("This organization has no books yet.", code="no_books")
    return row


def lock_date(session: Session) -> date | None:
    return settings(session).lock_date


def settings_for_change(session: Session) -> LedgerSettings:
    """The settings row locked until the transaction ends, for what moves the lock date or
    closes a period (a year-end close, a VAT return filed): postings read the row with a
    shared lock (:class:`OpenPeriods`), so none slips into a period while it is closed, and
    two such changes run one after the other. Take it before any other ledger row."""
    row: LedgerSettings | None = session.scalar(
        select(LedgerSettings).with_for_update().execution_options(populate_existing=True)
    )
    if row is None:
        raise Conflict("This organization has no books yet.", code="no_books")
    return row


def check_lock_date(session: Session, value: date | None) -> None:
    """A closed year stays locked: the lock date may not move back into it."""
    latest = session.scalar(
        select(FiscalYear.end_date)
        .where(FiscalYear.closed_at.is_not(None))
        .order_by(FiscalYear.end_date.desc())
        .limit(1)
    )
    if latest is not None and (value is None or value < latest):
        raise ValidationFailed.single(
            "lock_date",
            f"The fiscal year ending {latest.isoformat()} is closed; the lock date cannot "
            "come before its end.",
            "before_closed_year",
        )


def set_lock_date(session: Session, value: date | None) -> LedgerSettings:
    """Refuse postings on or before ``value``. Moving it back needs no special right here
    (the scope ``entries:write`` guards it, and the audit trail records it), but never
    into a closed year."""
    check_lock_date(session, value)
    row = settings_for_change(session)
    before = row.lock_date
    row.lock_date = value
    session.flush()
    audit.record(
        session,
        "ledger.lock_date_changed",
        target_type="ledger",
        target_id=row.id,
        before={"lock_date": before},
        after={"lock_date": value},
    )
    return row


class OpenPeriods:
    """:func:`check_open` for the many dates of one batch: the lock date is read once and
    each fiscal year once, instead of two queries per entry."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # A shared lock on the settings row until the posting commits: a close or a VAT
        # filing (which lock the row for change) waits for it, and it waits for them, then
        # reads the lock date they leave (SQLite writers are serialised anyway).
        row = session.scalar(
            select(LedgerSettings)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        if row is None:
            raise Conflict("This organization has no books yet.", code="no_books")
        self.locked = row.lock_date
        self.start_month = organization.current(session).fiscal_year_start_month
        self.years: dict[date, FiscalYear] = {}

    def check(self, on: date, field: str = "date") -> FiscalYear:
        if self.locked is not None and on <= self.locked:
            raise ValidationFailed.single(
                field,
                f"The books are locked up to {self.locked.isoformat()}; choose a later date.",
                "period_locked",
            )
        start, _ = fiscal_year_bounds(on, self.start_month)
        year = self.years.get(start)
        if year is None:
            year = self.years[start] = fiscal_year_for(self.session, on)
        if year.closed_at is not None:
            raise ValidationFailed.single(
                field,
                f"The fiscal year starting {year.start_date.isoformat()} is closed.",
                "fiscal_year_closed",
            )
        return year


def check_open(session: Session, on: date, field: str = "date") -> FiscalYear:
    """The fiscal year ``on`` belongs to, if postings are allowed on that day."""
    return OpenPeriods(session).check(on, field)


def list_fiscal_years(session: Session) -> list[FiscalYear]:
    return list(session.scalars(select(FiscalYear).order_by(FiscalYear.start_date.desc())))
