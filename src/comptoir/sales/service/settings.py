"""The organization's sales settings: number formats, quote rules, what invoices print."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir import printing
from comptoir.audit import service as audit
from comptoir.identity.service import organizations
from comptoir.kit.errors import FieldError, ValidationFailed
from comptoir.kit.identifiers import require_valid
from comptoir.kit.money import parse_amount
from comptoir.kit.tenancy import as_organization
from comptoir.ledger.service.organization import OrganizationFacts
from comptoir.sales.models import SalesSettings
from comptoir.sales.service import numbering

# France requires the late-payment penalty rate and the €40 recovery indemnity on every
# invoice between businesses (Code de commerce, articles L441-10 and D441-5).
FRENCH_LATE_PAYMENT_TERMS = (
    "Pénalités de retard : trois fois le taux d'intérêt légal. Indemnité forfaitaire pour "
    "frais de recouvrement : 40 €. Pas d'escompte pour paiement anticipé."
)
MAX_LOGO_BYTES = 512 * 1024
_TEXT_LIMITS = {"footer": 2000, "late_payment_terms": 2000, "bank_name": 100}
# Reminder days relative to the due date: from two months before to a year after.
MIN_REMINDER_OFFSET = -60
MAX_REMINDER_OFFSET = 365
MAX_REMINDERS = 10
_DAYS = re.compile(r"[+-]?[0-9]{1,4}")


def set_up(session: Session, organization: OrganizationFacts) -> None:
    """Give a new organization its settings row at once: created on a first read instead,
    a read request would have to write, which SQLite refuses to a reading transaction
    when another write came in since it began."""
    with as_organization(session, organization.id):
        get(session)


def get(session: Session) -> SalesSettings:
    """The settings row, created with the country's defaults the first time it is read."""
    found: SalesSettings | None = session.scalar(select(SalesSettings))
    if found is not None:
        return found
    organization = organizations.get_current(session)
    settings = SalesSettings(
        late_payment_terms=FRENCH_LATE_PAYMENT_TERMS if organization.country == "FR" else None
    )
    session.add(settings)
    session.flush()
    return settings


def _text(value: Any, field: str, errors: list[FieldError]) -> str | None:
    text = str(value or "").strip()
    if len(text) > _TEXT_LIMITS[field]:
        errors.append(FieldError(field, f"At most {_TEXT_LIMITS[field]} characters.", "too_long"))
    return text or None


def _offsets(value: Any, errors: list[FieldError]) -> list[int] | None:
    """Distinct whole days, sorted; a list, or text such as "-3, 7, 30" from a form."""
    field = "reminder_offsets"
    if isinstance(value, str):
        value = [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    if not isinstance(value, list):
        errors.append(FieldError(field, "A list of days relative to the due date."))
        return None
    days: set[int] = set()
    for item in value:
        if isinstance(item, str) and _DAYS.fullmatch(item):
            item = int(item)
        if isinstance(item, bool) or not isinstance(item, int):
            errors.append(FieldError(field, f"{item!s:.20} is not a whole number of days."))
            return None
        if not MIN_REMINDER_OFFSET <= item <= MAX_REMINDER_OFFSET:
            errors.append(
                FieldError(
                    field,
                    f"Days from {MIN_REMINDER_OFFSET} (before the due date) to "
                    f"{MAX_REMINDER_OFFSET} (after it); {item} is out of range.",
                    "out_of_range",
                )
            )
            return None
        if item in days:
            errors.append(FieldError(field, f"{item} appears twice.", "duplicate"))
            return None
        days.add(item)
    if len(days) > MAX_REMINDERS:
        errors.append(FieldError(field, f"At most {MAX_REMINDERS} reminders.", "too_many"))
        return None
    return sorted(days)


def update(session: Session, values: dict[str, Any]) -> SalesSettings:
    settings = get(session)
    organization = organizations.get_current(session)
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    for field in ("invoice_number_format", "credit_note_number_format", "quote_number_format"):
        if field in values:
            try:
                clean[field] = numbering.check_format(values[field], field)
            except ValidationFailed as exc:
                errors.extend(exc.errors)
    if "quote_validity_days" in values:
        days = values["quote_validity_days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
            errors.append(FieldError("quote_validity_days", "A number of days from 1 to 365."))
        else:
            clean["quote_validity_days"] = days
    if "quote_approval_threshold" in values:
        raw = values["quote_approval_threshold"]
        try:
            clean["quote_approval_threshold"] = (
                None
                if raw in (None, "")
                else parse_amount(raw, organization.base_currency, "quote_approval_threshold")
            )
        except ValidationFailed as exc:
            errors.extend(exc.errors)
        threshold = clean.get("quote_approval_threshold")
        if threshold is not None and threshold < 0:
            errors.append(FieldError("quote_approval_threshold", "Zero or more."))
    for field in _TEXT_LIMITS:
        if field in values:
            clean[field] = _text(values[field], field, errors)
    for field, kind in (("iban", "iban"), ("bic", "bic")):
        if field in values:
            text = str(values[field] or "").strip()
            try:
                clean[field] = require_valid(kind, text, field=field) if text else None
            except ValidationFailed as exc:
                errors.extend(exc.errors)
    if "reminders_enabled" in values:
        if isinstance(values["reminders_enabled"], bool):
            clean["reminders_enabled"] = values["reminders_enabled"]
        else:
            errors.append(FieldError("reminders_enabled", "true or false."))
    if "reminder_offsets" in values:
        offsets = _offsets(values["reminder_offsets"], errors)
        if offsets is not None:
            clean["reminder_offsets"] = offsets
    if errors:
        raise ValidationFailed(errors)
    before = {key: getattr(settings, key) for key in clean}
    for key, value in clean.items():
        setattr(settings, key, value)
    session.flush()
    audit.record(
        session,
        "sales_settings.updated",
        target_type="sales_settings",
        target_id=settings.id,
        before=before,
        after=clean,
    )
    return settings


def set_logo(session: Session, content: bytes) -> SalesSettings:
    """The logo printed on documents from now on: a PNG or JPEG image up to 512 KB."""
    if not content:
        raise ValidationFailed.single("logo", "Choose a PNG or JPEG image.", "required")
    if len(content) > MAX_LOGO_BYTES:
        raise ValidationFailed.single(
            "logo", f"At most {MAX_LOGO_BYTES // 1024} KB; use a smaller image.", "too_large"
        )
    try:
        content_type = printing.logo_content_type(content)
    except ValueError as exc:
        reason = str(exc)
        message = f"{reason[:1].upper()}{reason[1:]}."
        raise ValidationFailed.single("logo", message, "invalid_image") from None
    settings = get(session)
    settings.logo = content
    settings.logo_content_type = content_type
    session.flush()
    audit.record(
        session,
        "sales_settings.logo_changed",
        target_type="sales_settings",
        target_id=settings.id,
        after={"content_type": content_type, "bytes": len(content)},
    )
    return settings


def clear_logo(session: Session) -> SalesSettings:
    settings = get(session)
    if settings.logo is not None:
        settings.logo = settings.logo_content_type = None
        session.flush()
        audit.record(
            session,
            "sales_settings.logo_removed",
            target_type="sales_settings",
            target_id=settings.id,
        )
    return settings
