"""Customers and suppliers: create, change, archive, delete while unused, list, contacts.

One row per business whatever its roles: a supplier that also buys from you is one party
with both flags, one set of contacts and one address, as it is one company.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from babel import Locale, UnknownLocaleError
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.identity.service import organizations
from comptoir.identity.service.addresses import normalize_email
from comptoir.kit import clock, sequences
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.kit.identifiers import accept_vat, require_valid
from comptoir.kit.money import is_currency
from comptoir.kit.pagination import Page, keyset_page
from comptoir.ledger.service import entries
from comptoir.outbox import service as outbox
from comptoir.parties.models import Contact

# Re-exported: other domains name the type through this service, never the models.
from comptoir.parties.models import Party as Party
from comptoir.parties.service.terms import PAYMENT_TERMS

Role = Literal["customer", "supplier"]

MAX_CONTACTS = 50
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,29}")
_TEXT_LIMITS = {
    "name": 200,
    "website": 200,
    "billing_line1": 200,
    "billing_line2": 200,
    "billing_postal_code": 20,
    "billing_city": 100,
    "billing_region": 100,
    "shipping_line1": 200,
    "shipping_line2": 200,
    "shipping_postal_code": 20,
    "shipping_city": 100,
    "shipping_region": 100,
    "notes": 5000,
}
_CODE_PREFIX = {"customer": "C", "supplier": "S"}

# Whether something refers to a party, so that it must be archived rather than deleted.
# The ledger's lines are known here; documents (invoices, bills) add their own check.
UsageCheck = Callable[[Session, uuid.UUID], bool]
USED_BY: list[UsageCheck] = [entries.party_has_lines]


@dataclass(frozen=True)
class PartyFilter:
    role: Role | None = None
    q: str | None = None
    archived: bool = False
    country: str | None = None


def _text(value: Any, field: str, errors: list[FieldError]) -> str | None:
    text = " ".join(str(value or "").split()) if field != "notes" else str(value or "").strip()
    if len(text) > _TEXT_LIMITS[field]:
        errors.append(FieldError(field, f"At most {_TEXT_LIMITS[field]} characters.", "too_long"))
    return text or None


def _checked(errors: list[FieldError], check: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """``check(*args, **kw)``, its field errors added to ``errors`` instead of raised."""
    try:
        return check(*args, **kw)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        return None


def _company_number(value: str, country: str, field: str) -> str:
    """SIREN (9 digits) or SIRET (14) in France, TPIN in Zambia, as typed elsewhere."""
    if country == "FR":
        digits = re.sub(r"\D", "", value)
        return require_valid("siret" if len(digits) == 14 else "siren", value, field=field)
    if country == "ZM":
        return require_valid("tpin", value, field=field)
    text = " ".join(value.split())
    if len(text) > 40:
        raise ValidationFailed.single(field, "At most 40 characters.", "too_long")
    return text


def _language(value: str) -> str:
    try:
        return str(Locale.parse(value.strip().replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValidationFailed.single(
            "language", "Use a language code such as fr, en or fr_FR.", "invalid"
        ) from None


def validate_values(
    session: Session, values: dict[str, Any], current: Party | None
) -> dict[str, Any]:
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    if "country" in values:
        clean["country"] = _checked(
            errors, organizations.normalize_country, str(values["country"] or "")
        )
    country = clean.get("country") or (current.country if current else None) or ""
    for key, value in values.items():
        blank = value is None or (isinstance(value, str) and not value.strip())
        if key in _TEXT_LIMITS:
            clean[key] = _text(value, key, errors)
            if key == "name" and not clean[key]:
                errors.append(FieldError("name", "Give the party a name.", "required"))
        elif key == "code":
            text = str(value or "").strip()
            if not _CODE.fullmatch(text):
                errors.append(
                    FieldError("code", "1 to 30 letters, digits, dots, dashes.", "invalid")
                )
            elif (other := by_code(session, text)) is not None and other is not current:
                errors.append(FieldError("code", f"{text} is taken by {other.name}.", "duplicate"))
            clean[key] = text
        elif key == "kind":
            if value not in ("company", "individual"):
                errors.append(FieldError(key, "Either company or individual.", "invalid"))
            clean[key] = value
        elif key in ("is_customer", "is_supplier"):
            if not isinstance(value, bool):
                errors.append(FieldError(key, "true or false.", "invalid"))
            clean[key] = value
        elif key == "email":
            clean[key] = (
                None
                if blank
                else _checked(errors, normalize_email, str(value), reserved_domains=True)
            )
        elif key == "phone":
            clean[key] = (
                None
                if blank
                else _checked(errors, require_valid, "phone", str(value), country, field="phone")
            )
        elif key == "vat_number":
            clean[key] = (
                None if blank else _checked(errors, accept_vat, str(value), country, field=key)
            )
        elif key == "company_number":
            clean[key] = (
                None if blank else _checked(errors, _company_number, str(value), country, key)
            )
        elif key == "currency":
            code = str(value or "").strip().upper()
            if code and not is_currency(code):
                errors.append(FieldError(key, "A three-letter currency code, e.g. EUR.", "invalid"))
            clean[key] = code or None
        elif key == "language":
            clean[key] = None if blank else _checked(errors, _language, str(value))
        elif key == "payment_terms":
            if value not in PAYMENT_TERMS:
                errors.append(FieldError(key, f"One of {', '.join(PAYMENT_TERMS)}.", "invalid"))
            clean[key] = value
        elif key == "shipping_country":
            clean[key] = (
                None
                if blank
                else _checked(errors, organizations.normalize_country, str(value), key)
            )
    if errors:
        raise ValidationFailed(errors)
    return clean


def payload(party: Party) -> dict[str, Any]:
    """The party as events carry it to webhooks and automations."""
    return {
        "id": str(party.id),
        "code": party.code,
        "name": party.name,
        "kind": party.kind,
        "is_customer": party.is_customer,
        "is_supplier": party.is_supplier,
        "email": party.email,
        "phone": party.phone,
        "vat_number": party.vat_number,
        "company_number": party.company_number,
        "country": party.country,
        "currency": party.currency,
        "language": party.language,
        "payment_terms": party.payment_terms,
        "archived": party.archived_at is not None,
    }


def by_code(session: Session, code: str) -> Party | None:
    return session.scalar(select(Party).where(Party.code == code))


def get(session: Session, party_id: uuid.UUID, role: Role | None = None) -> Party:
    party = session.get(Party, party_id)
    if (
        party is None
        or (role == "customer" and not party.is_customer)
        or (role == "supplier" and not party.is_supplier)
    ):
        raise NotFound(f"No such {role or 'party'}.")
    return party


def next_code(session: Session, role: Role) -> str:
    """The next free generated code of the role, e.g. ``C00042``. The counter is locked
    until commit, so concurrent creations get different codes; codes typed by hand that
    it meets are skipped."""
    prefix = _CODE_PREFIX[role]
    while True:
        code = f"{prefix}{sequences.reserve(session, f'party_code:{prefix}'):05d}"
        if by_code(session, code) is None:
            return code


def create(
    session: Session, values: dict[str, Any], *, role: Role, actor_id: uuid.UUID | None = None
) -> Party:
    """A new customer or supplier. ``country`` defaults to the organization's, the code to
    the next free ``C00042`` (customers) or ``S00042`` (suppliers)."""
    values = dict(values)
    values.setdefault("country", organizations.get_current(session).country)
    values[f"is_{role}"] = True
    contacts = values.pop("contacts", None)
    values["name"] = values.get("name") or ""
    clean = _validate_with_contacts(session, values, contacts, None)
    if "code" not in clean:
        clean["code"] = next_code(session, role)
    party = Party(**clean)
    try:
        with session.begin_nested():
            session.add(party)
            session.flush()
    except IntegrityError:
        # A concurrent request took this code (typed by hand) after our check.
        raise Conflict(f"The code {clean['code']} was just taken; try again.") from None
    if contacts is not None:
        set_contacts(session, party, contacts)
    audit.record(
        session,
        f"{role}.created",
        target_type="party",
        target_id=party.id,
        after={"code": party.code, "name": party.name},
    )
    outbox.emit(session, f"{role}.created", payload(party))
    return party


def update(session: Session, party_id: uuid.UUID, values: dict[str, Any], *, role: Role) -> Party:
    party = get(session, party_id, role)
    values = dict(values)
    contacts = values.pop("contacts", None)
    clean = _validate_with_contacts(session, values, contacts, party)
    dropped = [flag for flag in ("is_customer", "is_supplier") if clean.get(flag) is False]
    customer = clean.get("is_customer", party.is_customer)
    if dropped and not (customer or clean.get("is_supplier", party.is_supplier)):
        raise ValidationFailed.single(dropped[0], "A party is a customer, a supplier or both.")
    audit.apply_changes(session, party, clean, action=f"{role}.updated", target_type="party")
    if contacts is not None:
        set_contacts(session, party, contacts)
    session.flush()
    outbox.emit(session, f"{role}.updated", payload(party))
    return party


def contacts_of(session: Session, party_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Contact]]:
    found: dict[uuid.UUID, list[Contact]] = {party_id: [] for party_id in party_ids}
    query = select(Contact).where(Contact.party_id.in_(party_ids)).order_by(Contact.position)
    for contact in session.scalars(query):
        found[contact.party_id].append(contact)
    return found


def check_contacts(contacts: list[dict[str, Any]], country: str) -> list[dict[str, Any]]:
    """The contacts cleaned (phones read by the rules of ``country``), or ValidationFailed
    naming every wrong field, e.g. ``contacts[2].email``."""
    if len(contacts) > MAX_CONTACTS:
        raise ValidationFailed.single("contacts", f"At most {MAX_CONTACTS} contacts.", "too_many")
    errors: list[FieldError] = []
    rows: list[dict[str, Any]] = []
    for index, contact in enumerate(contacts):
        where = f"contacts[{index}]"
        name = " ".join(str(contact.get("name") or "").split())
        if not name or len(name) > 200:
            errors.append(FieldError(f"{where}.name", "A name of 1 to 200 characters.", "invalid"))
        email = contact.get("email")
        phone = contact.get("phone")
        role = " ".join(str(contact.get("role") or "").split())
        if len(role) > 100:
            errors.append(FieldError(f"{where}.role", "At most 100 characters.", "too_long"))
        rows.append(
            {
                "name": name,
                "email": _checked(
                    errors, normalize_email, str(email), f"{where}.email", reserved_domains=True
                )
                if email
                else None,
                "phone": _checked(
                    errors, require_valid, "phone", str(phone), country, field=f"{where}.phone"
                )
                if phone
                else None,
                "role": role or None,
            }
        )
    if errors:
        raise ValidationFailed(errors)
    return rows


def _validate_with_contacts(
    session: Session,
    values: dict[str, Any],
    contacts: list[dict[str, Any]] | None,
    current: Party | None,
) -> dict[str, Any]:
    """``validate_values`` and ``check_contacts`` at once, so that a form shows every
    problem of the party and of its contacts in one answer."""
    errors: list[FieldError] = []
    clean: dict[str, Any] | None = _checked(errors, validate_values, session, values, current)
    if contacts is not None:
        country = (clean or {}).get("country") or (current.country if current else "")
        _checked(errors, check_contacts, contacts, country)
    if errors or clean is None:
        raise ValidationFailed(errors)
    return clean


def set_contacts(session: Session, party: Party, contacts: list[dict[str, Any]]) -> None:
    """The party's contacts become exactly these, in this order (the first is the main one)."""
    rows = check_contacts(contacts, party.country)
    session.execute(delete(Contact).where(Contact.party_id == party.id))
    session.add_all(
        Contact(party_id=party.id, position=index, **row) for index, row in enumerate(rows)
    )
    session.flush()


def by_ids(session: Session, party_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Party]:
    ids = set(party_ids)
    if not ids:
        return {}
    return {party.id: party for party in session.scalars(select(Party).where(Party.id.in_(ids)))}


def ids_matching(q: str) -> Select[Any]:
    """The ids of parties whose name or code contains ``q``, for other domains' searches."""
    pattern = f"%{q.strip().lower()}%"
    return select(Party.id).where(
        or_(func.lower(Party.name).like(pattern), func.lower(Party.code).like(pattern))
    )


def list_parties(
    session: Session, filters: PartyFilter, *, limit: int | None, cursor: str | None
) -> Page[Party]:
    query = select(Party)
    if filters.role == "customer":
        query = query.where(Party.is_customer.is_(True))
    elif filters.role == "supplier":
        query = query.where(Party.is_supplier.is_(True))
    query = query.where(
        Party.archived_at.is_not(None) if filters.archived else Party.archived_at.is_(None)
    )
    if filters.country:
        query = query.where(Party.country == filters.country.strip().upper())
    if filters.q and filters.q.strip():
        pattern = f"%{filters.q.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Party.name).like(pattern),
                func.lower(Party.code).like(pattern),
                func.lower(func.coalesce(Party.email, "")).like(pattern),
                func.lower(func.coalesce(Party.vat_number, "")).like(pattern),
                func.lower(func.coalesce(Party.billing_city, "")).like(pattern),
            )
        )
    return keyset_page(session, query, Party.id, limit=limit, cursor=cursor)


def is_used(session: Session, party_id: uuid.UUID) -> bool:
    return any(check(session, party_id) for check in USED_BY)


def archive(session: Session, party_id: uuid.UUID, *, role: Role, archived: bool = True) -> Party:
    party = get(session, party_id, role)
    action = f"{role}.{'archived' if archived else 'restored'}"
    # Archiving an archived party changes nothing and tells nobody.
    if (party.archived_at is not None) != archived:
        audit.apply_changes(
            session,
            party,
            {"archived_at": clock.now() if archived else None},
            action=action,
            target_type="party",
        )
        outbox.emit(session, action, payload(party))
    session.flush()
    return party


def delete_party(session: Session, party_id: uuid.UUID, *, role: Role) -> None:
    """Only a party nothing refers to: one with documents or postings is archived instead."""
    party = get(session, party_id, role)
    if is_used(session, party.id):
        raise Conflict(
            f"{party.name} has documents or postings: archive it instead, so that they keep "
            "their customer or supplier."
        )
    audit.record(
        session,
        f"{role}.deleted",
        target_type="party",
        target_id=party.id,
        before={"code": party.code, "name": party.name},
    )
    deleted = payload(party)
    session.delete(party)
    session.flush()
    outbox.emit(session, f"{role}.deleted", deleted)
