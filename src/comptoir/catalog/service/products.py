"""Products and services: create, change, deactivate, delete while unused, list.

A product is what a document line is usually made of: its SKU, name, unit and price fill
the line; its tax category and accounts tell the tax engine and the ledger how to treat
it. Prices are exact decimals (up to six places) in the product's currency.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.catalog.models import Product
from comptoir.identity.service import organizations
from comptoir.kit import sequences
from comptoir.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from comptoir.kit.money import is_currency, parse_decimal, plain_decimal
from comptoir.kit.pagination import Page, check_limit
from comptoir.ledger.service import accounts
from comptoir.outbox import service as outbox
from comptoir.tax.service.taxes import PRODUCT_CATEGORIES

Kind = Literal["goods", "service"]
KINDS: tuple[Kind, ...] = ("goods", "service")
# What the columns hold: String(64) and ExactDecimal(18, 6).
MAX_PRICE = Decimal("999999999999.999999")
PRICE_PLACES = 6
_SKU = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TEXT_LIMITS = {"name": 200, "unit": 20, "description": 5000}
# The types of account a product's lines may post to: its sales to income; its purchases
# to an expense, or to an asset when they are stock or equipment.
INCOME_TYPES = ("income",)
EXPENSE_TYPES = ("expense", "asset")
ACCOUNT_TYPES = {"income_account": INCOME_TYPES, "expense_account": EXPENSE_TYPES}

# Whether something refers to a product, so that it must be deactivated rather than
# deleted. Empty for now: quotes, invoices, bills and stock register their checks here.
UsageCheck = Callable[[Session, uuid.UUID], bool]
USED_BY: list[UsageCheck] = []


class SkuTaken(ValidationFailed):
    """The SKU belongs to another product: a conflict with the catalog's state (409), told
    as a field error so that forms show it beside the SKU."""

    status = 409
    code = "sku_taken"
    title = "Conflict"

    def __init__(self, sku: str, other: str | None = None) -> None:
        message = f"{sku} is the SKU of {other}." if other else f"The SKU {sku} was just taken."
        super().__init__(FieldError("sku", message, "taken"))


@dataclass(frozen=True)
class ProductFilter:
    q: str | None = None
    active: bool | None = None
    kind: str | None = None


def _text(value: Any, field: str, errors: list[FieldError]) -> str | None:
    raw = "" if value is None else str(value)
    text = raw.strip() if field == "description" else " ".join(raw.split())
    if len(text) > _TEXT_LIMITS[field]:
        errors.append(FieldError(field, f"At most {_TEXT_LIMITS[field]} characters.", "too_long"))
    return text or None


def _account(
    session: Session, value: Any, field: str, errors: list[FieldError], kept: uuid.UUID | None
) -> uuid.UUID | None:
    """An account given by code or id: it must exist, be of a type the field allows and
    take postings (unless it is ``kept``, the one the product has: archiving an account
    does not make its products uneditable)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        account = accounts.resolve(session, str(value), field)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        return None
    allowed = ACCOUNT_TYPES[field]
    if account.type not in allowed:
        kinds = " or ".join(f"an {kind}" if kind[0] in "aeiou" else f"a {kind}" for kind in allowed)
        errors.append(
            FieldError(
                field,
                f"{account.code} is {'an' if account.type[0] in 'aeiou' else 'a'} "
                f"{account.type} account; choose {kinds} account.",
                "wrong_account_type",
            )
        )
        return None
    if (account.is_group or account.archived_at is not None) and account.id != kept:
        errors.append(
            FieldError(
                field,
                f"{account.code} is {'a heading' if account.is_group else 'archived'}: "
                "choose an account that takes postings.",
                "account_not_postable",
            )
        )
        return None
    return account.id


def validate_values(
    session: Session, values: dict[str, Any], current: Product | None
) -> dict[str, Any]:
    """The values as the model stores them, or every problem at once as field errors. A
    SKU taken by another product, when it is the only problem, is a :class:`SkuTaken`."""
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    taken: SkuTaken | None = None
    for key, value in values.items():
        if key in _TEXT_LIMITS:
            clean[key] = _text(value, key, errors)
            if key == "name" and not clean[key]:
                errors.append(FieldError("name", "Give the product a name.", "required"))
        elif key == "sku":
            text = str(value or "").strip()
            if not _SKU.fullmatch(text):
                errors.append(
                    FieldError(
                        "sku",
                        "1 to 64 letters, digits, dots, dashes or underscores, "
                        "starting with a letter or digit.",
                        "invalid",
                    )
                )
            elif (other := by_sku(session, text)) is not None and other is not current:
                taken = SkuTaken(text, other.name)
                errors.extend(taken.errors)
            clean[key] = text
        elif key == "kind":
            if value not in KINDS:
                errors.append(FieldError(key, "Either goods or service.", "invalid"))
            clean[key] = value
        elif key == "unit_price":
            try:
                clean[key] = parse_decimal(
                    value, key, minimum=Decimal(0), maximum=MAX_PRICE, places=PRICE_PLACES
                )
            except ValidationFailed as exc:
                errors.extend(exc.errors)
        elif key == "currency":
            code = str(value or "").strip().upper()
            if not is_currency(code):
                errors.append(FieldError(key, "A three-letter currency code, e.g. EUR.", "invalid"))
            clean[key] = code
        elif key == "tax_category":
            if value not in PRODUCT_CATEGORIES:
                errors.append(
                    FieldError(key, f"One of {', '.join(PRODUCT_CATEGORIES)}.", "invalid")
                )
            clean[key] = value
        elif key in ACCOUNT_TYPES:
            kept = getattr(current, f"{key}_id") if current is not None else None
            clean[f"{key}_id"] = _account(session, value, key, errors, kept)
        elif key == "active":
            if not isinstance(value, bool):
                errors.append(FieldError(key, "true or false.", "invalid"))
            clean[key] = value
    if taken is not None and errors == taken.errors:
        raise taken
    if errors:
        raise ValidationFailed(errors)
    return clean


def default_income_account(session: Session, kind: str = "service") -> uuid.UUID | None:
    """Where a product's sales go unless it says otherwise: the chart's sales account for
    its kind (706 for services, 707 for goods in the French chart), else its first sales
    account (4100 in the generic chart)."""
    account = accounts.default_sales_account(session, "goods" if kind == "goods" else "services")
    return account.id if account is not None else None


def prepare_new(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """A new product's values, checked, with the defaults of what was left out: the
    organization's currency, a service at the standard rate priced 0, sales posted to the
    chart's sales account. The SKU is left out when none is given (see :func:`next_sku`)."""
    values = dict(values)
    if values.get("sku") is None or (isinstance(values["sku"], str) and not values["sku"].strip()):
        values.pop("sku", None)
    values["name"] = values.get("name") or ""
    for key, default in (("kind", "service"), ("unit_price", "0"), ("tax_category", "standard")):
        if values.get(key) is None:
            values[key] = default
    if not values.get("currency"):
        values["currency"] = organizations.get_current(session).base_currency
    clean = validate_values(session, values, None)
    if "income_account" not in values:
        clean["income_account_id"] = default_income_account(session, clean["kind"])
    clean.setdefault("active", True)
    return clean


def by_sku(session: Session, sku: str) -> Product | None:
    return session.scalar(select(Product).where(Product.sku == sku))


def get(session: Session, product_id: uuid.UUID) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("No such product.")
    return product


def next_sku(session: Session) -> str:
    """The next free generated SKU, ``P-00042``. The counter is locked until commit, so
    concurrent creations get different SKUs; SKUs typed by hand that it meets are skipped."""
    while True:
        sku = f"P-{sequences.reserve(session, 'product_sku'):05d}"
        if by_sku(session, sku) is None:
            return sku


def account_codes(session: Session, products: Iterable[Product]) -> dict[uuid.UUID, str]:
    """Codes of the accounts the products point at, for display, in one query."""
    return accounts.codes_of(
        session,
        {
            account_id
            for product in products
            for account_id in (product.income_account_id, product.expense_account_id)
            if account_id is not None
        },
    )


def payload(product: Product, codes: dict[uuid.UUID, str]) -> dict[str, Any]:
    """The product as events and the audit trail carry it: JSON values, accounts by code."""
    return {
        "id": str(product.id),
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "kind": product.kind,
        "unit": product.unit,
        "unit_price": plain_decimal(product.unit_price),
        "currency": product.currency,
        "tax_category": product.tax_category,
        "income_account": codes.get(product.income_account_id)
        if product.income_account_id
        else None,
        "expense_account": codes.get(product.expense_account_id)
        if product.expense_account_id
        else None,
        "active": product.active,
    }


def _emit(session: Session, event: str, product: Product) -> None:
    outbox.emit(session, event, payload(product, account_codes(session, [product])))


def save_new(session: Session, product: Product) -> None:
    """Insert a checked product; a SKU a concurrent request took after the check is a
    :class:`SkuTaken` (409) rather than a database error."""
    try:
        with session.begin_nested():
            session.add(product)
            session.flush()
    except IntegrityError:
        raise SkuTaken(product.sku) from None


def create(session: Session, values: dict[str, Any]) -> Product:
    """A new product or service; see :func:`prepare_new` for the defaults."""
    clean = prepare_new(session, values)
    if "sku" not in clean:
        clean["sku"] = next_sku(session)
    product = Product(**clean)
    save_new(session, product)
    audit.record(
        session,
        "product.created",
        target_type="product",
        target_id=product.id,
        after={"sku": product.sku, "name": product.name},
    )
    _emit(session, "product.created", product)
    return product


def update(session: Session, product_id: uuid.UUID, values: dict[str, Any]) -> Product:
    """Change the fields given; the others stay. A SKU, name, kind, price, currency or
    category cannot be emptied; accounts can (``None``)."""
    product = get(session, product_id)
    values = dict(values)
    for key in ("kind", "unit_price", "currency", "tax_category", "sku", "name", "active"):
        if key in values and values[key] is None:
            values[key] = ""
    clean = validate_values(session, values, product)
    action = "product.updated"
    if set(clean) == {"active"}:
        action = "product.reactivated" if clean["active"] else "product.deactivated"
    try:
        with session.begin_nested():
            changed = audit.apply_changes(
                session, product, clean, action=action, target_type="product"
            )
    except IntegrityError:
        raise SkuTaken(str(clean.get("sku"))) from None
    if changed:
        _emit(session, "product.updated", product)
    return product


def set_active(session: Session, product_id: uuid.UUID, active: bool) -> Product:
    """Deactivate (kept on the documents that use it, offered on no new one) or reactivate."""
    return update(session, product_id, {"active": active})


def is_used(session: Session, product_id: uuid.UUID) -> bool:
    return any(check(session, product_id) for check in USED_BY)


def delete(session: Session, product_id: uuid.UUID) -> None:
    """Only a product nothing refers to: one on documents is deactivated instead."""
    product = get(session, product_id)
    if is_used(session, product.id):
        raise Conflict(
            f"{product.name} is on documents: deactivate it instead, so that they keep it.",
            code="product_in_use",
        )
    data = payload(product, account_codes(session, [product]))
    audit.record(
        session,
        "product.deleted",
        target_type="product",
        target_id=product.id,
        before={"sku": product.sku, "name": product.name},
    )
    session.delete(product)
    session.flush()
    outbox.emit(session, "product.deleted", data)


# -- listing -----------------------------------------------------------------------------


def _encode_cursor(key: str, product_id: uuid.UUID) -> str:
    raw = product_id.bytes + key.encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if len(raw) < 17:
            raise ValueError("too short")
        return raw[16:].decode(), uuid.UUID(bytes=raw[:16])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed.single("cursor", "This cursor is not valid.") from None


def list_products(
    session: Session, filters: ProductFilter, *, limit: int | None, cursor: str | None
) -> Page[Product]:
    """By name whatever its case (then id, for names that repeat); ``cursor`` continues
    after the last product of the previous page, stable while products are added."""
    size = check_limit(limit)
    # The database lower-cases (SQLite only ASCII letters): the cursor keeps its value, so
    # that the next page compares like with like.
    key = func.lower(Product.name)
    query = select(Product, key)
    if filters.active is not None:
        query = query.where(Product.active.is_(filters.active))
    if filters.kind:
        query = query.where(Product.kind == filters.kind)
    if filters.q and filters.q.strip():
        needle = filters.q.strip().lower()
        query = query.where(
            or_(
                func.lower(Product.sku).contains(needle, autoescape=True),
                key.contains(needle, autoescape=True),
                func.lower(func.coalesce(Product.description, "")).contains(
                    needle, autoescape=True
                ),
            )
        )
    if cursor:
        name, after = _decode_cursor(cursor)
        query = query.where(or_(key > name, and_(key == name, Product.id > after)))
    rows = session.execute(query.order_by(key, Product.id).limit(size + 1)).all()
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if more and rows else None
    return Page(
        [row[0] for row in rows],
        _encode_cursor(str(last[1]), last[0].id) if last is not None else None,
    )


def account_choices(session: Session, field: str) -> list[Any]:
    """The accounts a form may offer for ``income_account`` or ``expense_account``: those
    of the allowed types that take postings, in code order."""
    allowed = ACCOUNT_TYPES[field]
    return [
        account
        for account in accounts.list_accounts(session, accounts.AccountFilter(postable_only=True))
        if account.type in allowed
    ]
