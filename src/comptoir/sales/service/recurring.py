"""Recurring invoices: a customer, lines and a schedule (every N weeks, months, quarters
or years from a start date, until an optional end date) from which the worker makes an
invoice on each date: a draft, an issued invoice, or one issued and e-mailed. Making
the invoices is in ``recurring_runs``; this module keeps the templates."""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.catalog.service import products
from comptoir.identity.service import organizations
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.kit.money import is_currency
from comptoir.kit.pagination import Page, keyset_page
from comptoir.parties.service import parties
from comptoir.parties.service.parties import Party
from comptoir.parties.service.terms import PAYMENT_TERMS
from comptoir.sales.models import RecurringInvoice
from comptoir.sales.service import documents

FREQUENCIES = {"weekly": 0, "monthly": 1, "quarterly": 3, "yearly": 12}
ACTIONS = ("draft", "issue", "issue_and_send")
MAX_INTERVAL = 52
Status = Literal["active", "paused", "ended"]
STATUSES = ("active", "paused", "ended")
_TEXT_LIMITS = {"name": 200, "reference": 100, "notes": 5000, "language": 20}
# Schedules run within these years: the dates after the last one stay computable.
EARLIEST, LATEST = date(1970, 1, 1), date(2199, 12, 31)


@dataclass(frozen=True)
class RecurringFilter:
    status: str | None = None
    party_id: uuid.UUID | None = None


def status_of(template: RecurringInvoice) -> Status:
    if template.next_date is None:
        return "ended"
    return "active" if template.active else "paused"


def add_months(start: date, months: int) -> date:
    """``start`` moved by whole months, its day clamped to the month's length: from
    January 31, one month is February 28 (or 29) and two months March 31."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last))


def following(template: RecurringInvoice, current: date) -> date:
    """The schedule's first date after ``current``; months count from the start date, so
    its day of the month comes back after a short month."""
    step = FREQUENCIES[template.frequency] * template.interval
    if step == 0:
        return current + timedelta(weeks=template.interval)
    start = template.start_date
    elapsed = (current.year - start.year) * 12 + current.month - start.month
    return add_months(start, elapsed - elapsed % step + step)


def advance(template: RecurringInvoice, current: date) -> None:
    """Move the schedule past ``current``; past the end date it ends."""
    upcoming = following(template, current)
    if template.end_date is not None and upcoming > template.end_date:
        template.next_date = None
        template.active = False
    else:
        template.next_date = upcoming


def get(session: Session, template_id: uuid.UUID) -> RecurringInvoice:
    template = session.get(RecurringInvoice, template_id)
    if template is None:
        raise NotFound("No such recurring invoice.")
    return template


def list_templates(
    session: Session, filters: RecurringFilter, *, limit: int | None, cursor: str | None
) -> Page[RecurringInvoice]:
    query = select(RecurringInvoice)
    if filters.status == "ended":
        query = query.where(RecurringInvoice.next_date.is_(None))
    elif filters.status in ("active", "paused"):
        query = query.where(
            RecurringInvoice.next_date.is_not(None),
            RecurringInvoice.active.is_(filters.status == "active"),
        )
    elif filters.status:
        raise ValidationFailed.single("status", f"One of {', '.join(STATUSES)}.", "invalid")
    if filters.party_id is not None:
        query = query.where(RecurringInvoice.party_id == filters.party_id)
    return keyset_page(session, query, RecurringInvoice.id, limit=limit, cursor=cursor)


def _text(values: dict[str, Any], field: str, errors: list[FieldError]) -> str | None:
    text = str(values.get(field) or "").strip()
    if len(text) > _TEXT_LIMITS[field]:
        errors.append(FieldError(field, f"At most {_TEXT_LIMITS[field]} characters.", "too_long"))
    return text or None


def _check(
    session: Session, values: dict[str, Any], current: RecurringInvoice | None
) -> dict[str, Any]:
    """The template's fields from ``values`` (all of them on create, those given on
    update), every problem named by its field."""
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    party: Party | None = None
    if "name" in values or current is None:
        clean["name"] = _text(values, "name", errors)
        if clean["name"] is None:
            errors.append(FieldError("name", "Name the recurring invoice.", "required"))
    if "customer" in values or current is None:
        try:
            party = documents.customer(session, values.get("customer"))
            clean["party_id"] = party.id
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if "currency" in values and values["currency"] not in (None, ""):
        code = str(values["currency"]).strip().upper()
        if is_currency(code):
            clean["currency"] = code
        else:
            errors.append(FieldError("currency", "A currency code such as EUR.", "invalid"))
    elif current is None:
        clean["currency"] = (party.currency if party else None) or organizations.get_current(
            session
        ).base_currency
    if values.get("prices_include_tax") is not None:
        if not isinstance(values["prices_include_tax"], bool):
            errors.append(FieldError("prices_include_tax", "true or false.", "invalid"))
        else:
            clean["prices_include_tax"] = values["prices_include_tax"]
    if "payment_terms" in values and values["payment_terms"] not in (None, ""):
        if values["payment_terms"] in PAYMENT_TERMS:
            clean["payment_terms"] = values["payment_terms"]
        else:
            errors.append(
                FieldError("payment_terms", f"One of {', '.join(PAYMENT_TERMS)}.", "invalid")
            )
    elif current is None:
        clean["payment_terms"] = party.payment_terms if party else None
    for field in ("reference", "notes", "language"):
        if field in values:
            clean[field] = _text(values, field, errors)
    if "frequency" in values or current is None:
        if values.get("frequency") in FREQUENCIES:
            clean["frequency"] = values["frequency"]
        else:
            errors.append(FieldError("frequency", f"One of {', '.join(FREQUENCIES)}.", "invalid"))
    if "interval" in values and values["interval"] is not None:
        interval = values["interval"]
        whole = isinstance(interval, int) and not isinstance(interval, bool)
        if not whole or not 1 <= interval <= MAX_INTERVAL:
            errors.append(FieldError("interval", f"A whole number, 1 to {MAX_INTERVAL}."))
        else:
            clean["interval"] = interval
    if "action" in values and values["action"] is not None:
        if values["action"] in ACTIONS:
            clean["action"] = values["action"]
        else:
            errors.append(FieldError("action", f"One of {', '.join(ACTIONS)}.", "invalid"))
    _check_dates(values, current, clean, errors)
    if party is None and current is not None:
        party = parties.get(session, current.party_id)
    if "lines" in values or current is None or "currency" in clean or "customer" in values:
        _check_lines(session, values, current, clean, party, errors)
    if errors:
        raise ValidationFailed(_unique(errors))
    return clean


def _check_dates(
    values: dict[str, Any],
    current: RecurringInvoice | None,
    clean: dict[str, Any],
    errors: list[FieldError],
) -> None:
    for field in ("start_date", "end_date", "next_date"):
        if field in values:
            day = documents.day_of(values[field], field, errors)
            if day is not None and not EARLIEST <= day <= LATEST:
                errors.append(FieldError(field, f"A date in {EARLIEST.year}-{LATEST.year}."))
                day = None
            clean[field] = day
    if current is None:
        if clean.get("start_date") is None:
            clean["start_date"] = documents.today()
        clean["next_date"] = clean["start_date"]
    elif "start_date" in values:
        if clean.get("start_date") is None:
            errors.append(FieldError("start_date", "Give the first date.", "required"))
        elif current.invoices_created:
            errors.append(
                FieldError(
                    "start_date",
                    "Invoices were already made on this schedule; change next_date instead.",
                    "already_started",
                )
            )
        elif "next_date" not in values:
            clean["next_date"] = clean["start_date"]
    if "next_date" in values and current is not None:
        if clean.get("next_date") is None:
            errors.append(FieldError("next_date", "Give the next date.", "required"))
        elif current.next_date is None:
            errors.append(
                FieldError(
                    "next_date", "This schedule has ended; make a new one.", "schedule_ended"
                )
            )
    start = clean.get("start_date") or (current.start_date if current else None)
    end = clean.get("end_date", current.end_date if current else None)
    upcoming = clean.get("next_date") or (current.next_date if current else None)
    if start is not None and end is not None and end < start:
        errors.append(FieldError("end_date", "On or after the start date.", "before_start"))
    elif start is not None and upcoming is not None and upcoming < start:
        errors.append(FieldError("next_date", "On or after the start date.", "before_start"))
    elif end is not None and upcoming is not None and upcoming > end:
        errors.append(FieldError("next_date", "On or before the end date.", "after_end"))


def _check_lines(
    session: Session,
    values: dict[str, Any],
    current: RecurringInvoice | None,
    clean: dict[str, Any],
    party: Party | None,
    errors: list[FieldError],
) -> None:
    raw = values.get("lines", current.lines if current else [])
    if not isinstance(raw, list) or not raw:
        errors.append(FieldError("lines", "Add at least one line.", "empty"))
        return
    currency = clean.get("currency") or (current.currency if current else "")
    include = clean.get(
        "prices_include_tax", current.prices_include_tax if current is not None else False
    )
    try:
        documents.check_lines(
            session, raw, currency=currency, prices_include_tax=include, party=party
        )
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        return
    if "lines" in values:
        # Kept as the client wrote them: a line naming a product but no price takes the
        # product's price of the day each invoice is made.
        clean["lines"] = [
            {key: value for key, value in line.items() if value is not None} for line in raw
        ]


def _unique(errors: list[FieldError]) -> list[FieldError]:
    found: dict[tuple[str, str], FieldError] = {}
    for error in errors:
        found.setdefault((error.field, error.message), error)
    return list(found.values())


def create(
    session: Session, values: dict[str, Any], *, actor_id: uuid.UUID | None = None
) -> RecurringInvoice:
    clean = _check(session, values, None)
    clean.setdefault("prices_include_tax", False)
    clean.setdefault("interval", 1)
    clean.setdefault("action", "draft")
    template = RecurringInvoice(created_by_id=actor_id, active=True, **clean)
    session.add(template)
    session.flush()
    audit.record(
        session,
        "recurring_invoice.created",
        target_type="recurring_invoice",
        target_id=template.id,
        after={"name": template.name, "frequency": template.frequency},
    )
    return template


def update(session: Session, template_id: uuid.UUID, values: dict[str, Any]) -> RecurringInvoice:
    template = get(session, template_id)
    clean = _check(session, values, template)
    before = {key: _plain(getattr(template, key)) for key in clean}
    for key, value in clean.items():
        setattr(template, key, value)
    session.flush()
    audit.record(
        session,
        "recurring_invoice.updated",
        target_type="recurring_invoice",
        target_id=template.id,
        before=before,
        after={key: _plain(value) for key, value in clean.items()},
    )
    return template


def template_uses_party(session: Session, party_id: uuid.UUID) -> bool:
    return (
        session.scalar(
            select(RecurringInvoice.id).where(RecurringInvoice.party_id == party_id).limit(1)
        )
        is not None
    )


def template_uses_product(session: Session, product_id: uuid.UUID) -> bool:
    """Lines name products by id or SKU, inside the JSON of the lines."""
    sku = products.get(session, product_id).sku
    return any(
        _names(line.get("product"), product_id, sku)
        for lines in session.scalars(select(RecurringInvoice.lines))
        for line in lines
        if isinstance(line, dict)
    )


def _names(reference: object, product_id: uuid.UUID, sku: str) -> bool:
    """Whether a line's ``product`` (an id or a SKU, read as ``documents`` reads it) is
    this product."""
    text = str(reference or "").strip()
    if not text:
        return False
    try:
        return uuid.UUID(text) == product_id
    except ValueError:
        return text == sku


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def delete(session: Session, template_id: uuid.UUID) -> None:
    """The invoices it made stay; they no longer point at it."""
    template = get(session, template_id)
    session.delete(template)
    session.flush()
    audit.record(
        session, "recurring_invoice.deleted", target_type="recurring_invoice", target_id=template_id
    )


def pause(session: Session, template_id: uuid.UUID) -> RecurringInvoice:
    template = get(session, template_id)
    if template.next_date is None:
        raise Conflict("This schedule has ended.", code="schedule_ended")
    template.active = False
    session.flush()
    audit.record(
        session, "recurring_invoice.paused", target_type="recurring_invoice", target_id=template.id
    )
    return template


def resume(session: Session, template_id: uuid.UUID) -> RecurringInvoice:
    """Active again from its next date: dates missed while paused are made at the next
    run (move ``next_date`` first to skip them)."""
    template = get(session, template_id)
    if template.next_date is None:
        raise Conflict("This schedule has ended; make a new one.", code="schedule_ended")
    template.active = True
    template.last_error = None
    session.flush()
    audit.record(
        session, "recurring_invoice.resumed", target_type="recurring_invoice", target_id=template.id
    )
    return template
