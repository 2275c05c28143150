"""Organizations: creation with sensible national defaults, profile validation and update."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.identity.models import Membership, Organization
from comptoir.identity.service.addresses import normalize_email
from comptoir.kit.errors import FieldError, NotFound, ValidationFailed
from comptoir.kit.identifiers import accept_vat, require_valid
from comptoir.kit.money import is_currency
from comptoir.kit.tenancy import all_tenants, as_organization, require_organization
from comptoir.outbox import service as outbox

# Countries spanning several time zones, where CLDR's first zone is not the one most
# businesses keep their books in.
_MAIN_ZONE = {
    "US": "America/New_York",
    "CA": "America/Toronto",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "RU": "Europe/Moscow",
    "MX": "America/Mexico_City",
    "ID": "Asia/Jakarta",
    "CD": "Africa/Kinshasa",
    "KZ": "Asia/Almaty",
    "AR": "America/Argentina/Buenos_Aires",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "CL": "America/Santiago",
    "NZ": "Pacific/Auckland",
}
_NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO"}


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """ISO 3166 alpha-2 codes with English names, sorted by name."""
    territories = Locale("en").territories
    codes = {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }
    return dict(sorted(codes.items(), key=lambda item: item[1]))


@lru_cache(maxsize=1)
def timezone_names() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


def default_locale(country: str) -> str:
    try:
        return str(Locale.parse(f"und_{country}"))
    except (UnknownLocaleError, ValueError):
        return "en"


def default_timezone(country: str) -> str:
    if country in _MAIN_ZONE:
        return _MAIN_ZONE[country]
    zones = get_global("territory_zones").get(country) or ["UTC"]
    return str(zones[0])


def normalize_country(value: str, field: str = "country") -> str:
    code = (value or "").strip().upper()
    if code not in country_names():
        raise ValidationFailed.single(field, "Use a two-letter ISO 3166 country code, e.g. FR.")
    return code


def normalize_currency(value: str, field: str = "base_currency") -> str:
    code = (value or "").strip().upper()
    if not is_currency(code):
        raise ValidationFailed.single(field, "Use a three-letter ISO 4217 currency code, e.g. EUR.")
    return code


@dataclass(frozen=True)
class ProfileChanges:
    """Fields of the profile to change; ``None`` leaves a field as it is, "" clears it."""

    values: dict[str, Any]


_TEXT_FIELDS = {
    "legal_name": 200,
    "address_line1": 200,
    "address_line2": 200,
    "postal_code": 20,
    "city": 100,
    "region": 100,
    "company_registration": 40,
    "phone": 40,
}


def _validate_profile(organization: Organization, values: dict[str, Any]) -> dict[str, Any]:
    """Check and normalize every given field, reporting all problems at once."""
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    country = organization.country
    if values.get("country") is not None:
        try:
            country = clean["country"] = normalize_country(values["country"])
        except ValidationFailed as exc:
            errors += exc.errors
    for name, size in _TEXT_FIELDS.items():
        if values.get(name) is None:
            continue
        text = str(values[name]).strip()
        if name == "legal_name" and not text:
            errors.append(FieldError(name, "The legal name is required."))
        elif len(text) > size:
            errors.append(FieldError(name, f"Use at most {size} characters."))
        else:
            clean[name] = text or None
    checks = {
        "base_currency": _check_currency,
        "fiscal_year_start_month": _check_month,
        "locale": _check_locale,
        "timezone": _check_timezone,
        "siren": _check_siren,
        "vat_number": lambda v: _check_vat(v, country),
        "tpin": _check_tpin,
        "email": _check_email,
    }
    for name, check in checks.items():
        if values.get(name) is None:
            continue
        try:
            clean[name] = check(values[name])
        except ValidationFailed as exc:
            errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    return clean


def _check_currency(value: Any) -> str:
    return normalize_currency(str(value))


def _check_month(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ValidationFailed.single("fiscal_year_start_month", "Use a month number, 1 to 12.")
    month = int(value)
    if not 1 <= month <= 12:
        raise ValidationFailed.single("fiscal_year_start_month", "Use a month number, 1 to 12.")
    return month


def _check_locale(value: Any) -> str:
    try:
        return str(Locale.parse(str(value).strip().replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValidationFailed.single("locale", "Unknown locale; use e.g. fr_FR or en.") from None


def _check_timezone(value: Any) -> str:
    zone = str(value).strip()
    if zone not in timezone_names():
        raise ValidationFailed.single("timezone", "Unknown time zone; use e.g. Europe/Paris.")
    return zone


def _check_siren(value: Any) -> str | None:
    text = str(value)
    return require_valid("siren", text, field="siren") if text.strip() else None


def _check_vat(value: Any, country: str) -> str | None:
    text = str(value)
    return accept_vat(text, country, field="vat_number") if text.strip() else None


def _check_email(value: Any) -> str | None:
    return normalize_email(str(value)) if str(value).strip() else None


def _check_tpin(value: Any) -> str | None:
    text = str(value)
    return require_valid("tpin", text, field="tpin") if text.strip() else None


def validate_new(legal_name: str, country: str, base_currency: str) -> tuple[str, str, str]:
    """Normalized name, country and currency of a new organization, or every problem at once."""
    errors: list[FieldError] = []
    name = (legal_name or "").strip()
    if not name:
        errors.append(FieldError("organization_name", "The organization's name is required."))
    elif len(name) > 200:
        errors.append(FieldError("organization_name", "Use at most 200 characters."))
    code = currency = ""
    try:
        code = normalize_country(country)
    except ValidationFailed as exc:
        errors += exc.errors
    try:
        currency = normalize_currency(base_currency)
    except ValidationFailed as exc:
        errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    return name, code, currency


# Called, in the creating transaction, for every new organization (the ledger sets up its
# books here); connected by comptoir.wiring so that identity never imports other domains.
ORGANIZATION_CREATED: list[Callable[[Session, Organization], None]] = []


def create_organization(
    session: Session, *, legal_name: str, country: str, base_currency: str
) -> Organization:
    name, code, currency = validate_new(legal_name, country, base_currency)
    organization = Organization(
        legal_name=name,
        country=code,
        base_currency=currency,
        locale=default_locale(code),
        timezone=default_timezone(code),
        fiscal_year_start_month=1,
    )
    session.add(organization)
    session.flush()
    for hook in ORGANIZATION_CREATED:
        hook(session, organization)
    return organization


def get_current(session: Session) -> Organization:
    organization = session.get(Organization, require_organization(session))
    if organization is None:
        raise NotFound("No such organization.")
    return organization


def update_profile(session: Session, values: dict[str, Any]) -> Organization:
    organization = get_current(session)
    clean = _validate_profile(organization, values)
    changed = audit.apply_changes(
        session, organization, clean, action="organization.updated", target_type="organization"
    )
    if not changed:
        return organization
    outbox.emit(
        session, "organization.updated", {"id": str(organization.id), "changed": sorted(changed)}
    )
    return organization


def organizations_of(session: Session, user_id: uuid.UUID) -> list[tuple[Organization, str]]:
    """Every organization the user belongs to, with the role held there."""
    with all_tenants(session):
        rows = session.execute(
            select(Organization, Membership.role)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == user_id)
            .order_by(Organization.legal_name)
        ).all()
    return [(org, role) for org, role in rows]


def create_for_user(
    session: Session, user_id: uuid.UUID, *, legal_name: str, country: str, base_currency: str
) -> Organization:
    """Another organization for a signed-in user, who becomes its owner."""
    organization = create_organization(
        session, legal_name=legal_name, country=country, base_currency=base_currency
    )
    with as_organization(session, organization.id):
        session.add(Membership(user_id=user_id, role="owner"))
        session.flush()
        audit.record(
            session,
            "organization.created",
            target_type="organization",
            target_id=organization.id,
            after={"legal_name": organization.legal_name},
        )
    return organization
