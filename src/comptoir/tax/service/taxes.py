"""The organization's taxes: set up from its country's template, listed, added, changed,
and turned into the rules the calculation applies."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit.errors import FieldError, NotFound, ValidationFailed
from comptoir.kit.money import parse_decimal
from comptoir.kit.tenancy import as_organization
from comptoir.ledger.service import accounts
from comptoir.tax.models import Tax
from comptoir.tax.service import catalog
from comptoir.tax.service.calculation import TaxRule

_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._\-]{0,29}$")
# What a product can be taxed as; a tax may also be a levy or a turnover tax, which no
# product category asks for.
PRODUCT_CATEGORIES = (
    "standard",
    "reduced",
    "reduced_2",
    "reduced_3",
    "super_reduced",
    "parking",
    "zero",
    "exempt",
)
CATEGORIES = (*PRODUCT_CATEGORIES, "levy", "turnover")
TREATMENTS = (
    "domestic",
    "reverse_charge",
    "domestic_reverse_charge",
    "export",
    "zero_rated",
    "exempt",
    "disbursement",
    "levy",
)
SUPPLIES = ("any", "goods", "services")
# A reverse charge at a non-zero rate is VAT the buyer owes instead of the seller.
SELF_ASSESSED_TREATMENTS = frozenset({"reverse_charge", "domestic_reverse_charge"})
# The largest values the columns hold: Numeric(9, 6) and Numeric(18, 6).
MAX_RATE = Decimal("999.999999")
MAX_FIXED = Decimal("999999999999.999999")


def _account_id(session: Session, reference: str) -> uuid.UUID | None:
    """The account a template names: a code or ``subtype:<subtype>``; several separated by
    ``|`` name the first the chart has (``subtype:tax_self_assessed|subtype:tax_collected``)."""
    for choice in reference.split("|"):
        if choice.startswith("subtype:"):
            account = accounts.first_of_subtype(session, choice.removeprefix("subtype:"))
        else:
            account = accounts.by_code(session, choice) if choice else None
        if account is not None:
            return account.id
    return None


class NewOrganization(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def country(self) -> str: ...
    @property
    def region(self) -> str | None: ...


def set_up_taxes(session: Session, organization: NewOrganization) -> None:
    """Give a new organization its country's taxes; does nothing twice. Runs after the
    ledger has set up the chart, whose accounts the taxes point at."""
    with as_organization(session, organization.id):
        if session.scalar(select(Tax.id).limit(1)) is not None:
            return
        templates = catalog.templates_for(organization.country, organization.region)
        # A template names a handful of accounts, each many times: look each up once.
        references = {
            reference
            for template in templates
            for reference in (
                template.collected_account,
                template.deductible_account,
                template.pending_account,
            )
        }
        account_ids = {reference: _account_id(session, reference) for reference in references}
        for sequence, template in enumerate(templates):
            session.add(
                Tax(
                    code=template.code,
                    label=template.label,
                    kind=template.kind,
                    rate=template.rate,
                    category=template.category,
                    treatment=template.treatment,
                    supply=template.supply,
                    country=template.country or organization.country,
                    region=template.region or None,
                    exigibility=template.exigibility,
                    collected_account_id=account_ids[template.collected_account],
                    deductible_account_id=account_ids[template.deductible_account],
                    pending_account_id=account_ids[template.pending_account],
                    base_box=template.base_box or None,
                    return_box=template.return_box or None,
                    deductible_box=template.deductible_box or None,
                    mention=template.mention or None,
                    origin="template",
                    active=template.active,
                    sequence=10 + sequence,
                )
            )
        session.flush()


def list_taxes(session: Session, *, include_inactive: bool = True) -> list[Tax]:
    query = select(Tax).order_by(Tax.sequence, Tax.code)
    if not include_inactive:
        query = query.where(Tax.active.is_(True))
    return list(session.scalars(query))


def get(session: Session, tax_id: uuid.UUID) -> Tax:
    tax = session.get(Tax, tax_id)
    if tax is None:
        raise NotFound("No such tax.")
    return tax


def by_code(session: Session, code: str) -> Tax | None:
    return session.scalar(select(Tax).where(Tax.code == code))


def _decimal(value: Any, field: str, errors: list[FieldError], maximum: Decimal) -> Decimal | None:
    try:
        return parse_decimal(value, field, minimum=Decimal(0), maximum=maximum, places=6)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        return None


def _validate(session: Session, values: dict[str, Any], current: Tax | None) -> dict[str, Any]:
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key == "code":
            text = str(value or "").strip()
            if not _CODE.match(text):
                errors.append(FieldError(key, "1 to 30 letters, digits, dots, dashes.", "invalid"))
            elif (other := by_code(session, text)) is not None and other is not current:
                errors.append(FieldError(key, f"A tax {text} exists already.", "duplicate"))
            clean[key] = text
        elif key in {"label", "mention"}:
            text = str(value or "").strip()
            limit = 200 if key == "label" else 300
            if key == "label" and not text:
                errors.append(FieldError(key, "Give the tax a label.", "required"))
            elif len(text) > limit:
                errors.append(FieldError(key, f"At most {limit} characters.", "too_long"))
            clean[key] = text or None if key == "mention" else text
        elif key == "kind":
            if value not in ("percent", "fixed"):
                errors.append(FieldError(key, "Either percent or fixed.", "invalid"))
            clean[key] = value
        elif key == "rate":
            clean[key] = _decimal(value, key, errors, MAX_RATE)
        elif key == "amount":
            clean[key] = _decimal(value, key, errors, MAX_FIXED)
        elif key in {"category", "treatment", "supply", "exigibility"}:
            allowed = {
                "category": CATEGORIES,
                "treatment": TREATMENTS,
                "supply": SUPPLIES,
                "exigibility": ("invoice", "payment"),
            }[key]
            if value not in allowed:
                errors.append(FieldError(key, f"One of {', '.join(allowed)}.", "invalid"))
            clean[key] = value
        elif key in {"price_included", "compound", "active"}:
            if not isinstance(value, bool):
                errors.append(FieldError(key, "true or false.", "invalid"))
            clean[key] = value
        elif key in {"collected_account", "deductible_account", "pending_account"}:
            if value in (None, ""):
                clean[f"{key}_id"] = None
            else:
                try:
                    clean[f"{key}_id"] = accounts.resolve(session, str(value), key).id
                except ValidationFailed as exc:
                    errors.extend(exc.errors)
        elif key in {"base_box", "return_box", "deductible_box"}:
            text = str(value or "").strip()
            if len(text) > 10:
                errors.append(FieldError(key, "At most 10 characters.", "too_long"))
            clean[key] = text or None
        elif key == "sequence":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**6:
                errors.append(FieldError(key, "A whole number from 0.", "invalid"))
            clean[key] = value
    if errors:
        raise ValidationFailed(errors)
    return clean


def create(session: Session, values: dict[str, Any], *, actor_id: uuid.UUID | None = None) -> Tax:
    """An organization-defined tax (a local sales tax, a levy, a fixed amount per unit)."""
    missing = [
        FieldError(name, "Required.", "required")
        for name in ("code", "label")
        if not values.get(name)
    ]
    if values.get("kind", "percent") == "percent" and values.get("rate") is None:
        missing.append(FieldError("rate", "A percent tax needs a rate.", "required"))
    if values.get("kind") == "fixed" and values.get("amount") is None:
        missing.append(FieldError("amount", "A fixed tax needs an amount per unit.", "required"))
    try:
        clean = _validate(session, values, None)
    except ValidationFailed as exc:
        # Every problem at once: a form should not reveal its errors one submit at a time.
        named = {error.field for error in missing}
        raise ValidationFailed(
            missing + [error for error in exc.errors if error.field not in named]
        ) from None
    if missing:
        raise ValidationFailed(missing)
    if clean.get("collected_account_id") is None and "collected_account" not in values:
        clean["collected_account_id"] = _account_id(session, "subtype:tax_collected")
    if clean.get("deductible_account_id") is None and "deductible_account" not in values:
        clean["deductible_account_id"] = _account_id(session, "subtype:tax_deductible")
    tax = Tax(origin="custom", **clean)
    session.add(tax)
    session.flush()
    audit.record(
        session,
        "tax.created",
        target_type="tax",
        target_id=tax.id,
        after={"code": tax.code, "rate": str(tax.rate), "kind": tax.kind},
    )
    return tax


def update(session: Session, tax_id: uuid.UUID, values: dict[str, Any]) -> Tax:
    tax = get(session, tax_id)
    clean = _validate(session, values, tax)
    audit.apply_changes(session, tax, clean, action="tax.updated", target_type="tax")
    session.flush()
    return tax


def by_codes(session: Session, codes: Iterable[str]) -> dict[str, Tax]:
    """The taxes of these codes, in one query, for a whole document's lines."""
    wanted = {code.strip() for code in codes}
    return {tax.code: tax for tax in session.scalars(select(Tax).where(Tax.code.in_(wanted)))}


def rules_for(
    found: dict[str, Tax], codes: Sequence[str], field: str = "tax_codes"
) -> list[TaxRule]:
    """The calculation's rules for one line's tax codes, among the taxes ``by_codes``
    found, in the order the taxes apply (their sequence); an unknown or disabled code is a
    field error naming it."""
    wanted = list(dict.fromkeys(code.strip() for code in codes))
    unknown = [code for code in wanted if code not in found or not found[code].active]
    if unknown:
        raise ValidationFailed.single(
            field, f"Unknown or disabled tax: {', '.join(unknown)}.", "unknown_tax"
        )
    ordered = sorted((found[code] for code in wanted), key=lambda tax: (tax.sequence, tax.code))
    return [rule_of(tax) for tax in ordered]


def is_self_assessed(tax: Tax) -> bool:
    """Whether the buyer accounts for this tax (due and deductible) rather than paying it to
    the seller: a reverse charge with a rate, used on purchases."""
    charged = tax.amount if tax.kind == "fixed" else tax.rate
    return tax.treatment in SELF_ASSESSED_TREATMENTS and bool(charged)


def rule_of(tax: Tax) -> TaxRule:
    return TaxRule(
        code=tax.code,
        rate=tax.rate,
        kind="fixed" if tax.kind == "fixed" else "percent",
        amount=tax.amount,
        compound=tax.compound,
        price_included=tax.price_included,
        self_assessed=is_self_assessed(tax),
    )


def account_codes(session: Session, tax_list: Sequence[Tax]) -> dict[uuid.UUID, str]:
    """Codes of the accounts the taxes point at, for display."""
    return accounts.codes_of(
        session,
        (
            account_id
            for tax in tax_list
            for account_id in (
                tax.collected_account_id,
                tax.deductible_account_id,
                tax.pending_account_id,
            )
            if account_id is not None
        ),
    )
