"""The lines of a bill or a supplier credit note: what was bought, at what price and tax,
and the expense or fixed-asset account it is posted to, run through the tax engine's one
calculation so that the bill, the API and the ledger show the same cents."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from comptoir.catalog.service import products
from comptoir.kit.errors import FieldError, NotFound, ValidationFailed
from comptoir.kit.money import MAX_MINOR_UNITS
from comptoir.ledger.service import accounts
from comptoir.purchases.models import PurchaseDocumentLine
from comptoir.tax.service.calculation import Calculation
from comptoir.tax.service.documents import DocumentLine, calculate_document

MAX_LINES = 200
MAX_DESCRIPTION = 2000


def _text(value: object, field: str, errors: list[FieldError]) -> str | None:
    if value is not None and not isinstance(value, str):
        errors.append(FieldError(field, "A text.", "invalid"))
        return None
    text = (value or "").strip()
    if len(text) > MAX_DESCRIPTION:
        errors.append(FieldError(field, f"At most {MAX_DESCRIPTION} characters.", "too_long"))
    return text or None


def _product(session: Session, reference: object, field: str) -> Any:
    text = str(reference).strip()
    found: Any
    try:
        found = products.get(session, uuid.UUID(text))
    except ValueError:
        found = products.by_sku(session, text)
    except NotFound:
        found = None
    if found is None:
        raise ValidationFailed.single(field, "No such product.", "not_found")
    return found


def _account(session: Session, reference: object, field: str) -> uuid.UUID:
    """An account a purchase may be booked to: an expense, or a fixed asset bought."""
    try:
        account = accounts.resolve(session, str(reference), field)
    except (ValidationFailed, NotFound):
        raise ValidationFailed.single(field, "No such account.", "not_found") from None
    if account.is_group:
        raise ValidationFailed.single(
            field, f"{account.code} is a heading; choose an account under it.", "is_group"
        )
    if account.archived_at is not None:
        raise ValidationFailed.single(field, f"{account.code} is archived.", "archived")
    if account.type != "expense" and not (
        account.type == "asset" and account.subtype == "fixed_asset"
    ):
        raise ValidationFailed.single(
            field, f"{account.code} is neither an expense nor a fixed-asset account.", "type"
        )
    return account.id


def _line(session: Session, raw: object, index: int, errors: list[FieldError]) -> dict[str, Any]:
    prefix = f"lines[{index}]"
    line: dict[str, Any] = {
        "product_id": None,
        "description": "",
        "quantity": "0",
        "unit_price": "0",
        "discount_percent": "0",
        "tax_codes": [],
        "account_id": None,
    }
    if not isinstance(raw, dict):
        errors.append(FieldError(prefix, "Each line is an object.", "invalid"))
        return line
    product = None
    if raw.get("product") not in (None, ""):
        try:
            product = _product(session, raw["product"], f"{prefix}.product")
            line["product_id"] = product.id
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    description = _text(raw.get("description"), f"{prefix}.description", errors)
    if description is None and product is not None:
        description = product.name[:MAX_DESCRIPTION]
    if description is None:
        errors.append(FieldError(f"{prefix}.description", "Describe the line.", "required"))
    line["description"] = description or ""
    line["quantity"] = raw.get("quantity", "1")
    if raw.get("unit_price") in (None, ""):
        errors.append(FieldError(f"{prefix}.unit_price", "Give a unit price.", "required"))
    else:
        line["unit_price"] = raw["unit_price"]
    line["discount_percent"] = raw.get("discount_percent") or "0"
    codes = raw.get("tax_codes") or []
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        errors.append(FieldError(f"{prefix}.tax_codes", "A list of tax codes.", "invalid"))
        codes = []
    line["tax_codes"] = [code.strip() for code in codes]
    reference = raw.get("account")
    if reference in (None, "") and product is not None and product.expense_account_id:
        reference = str(product.expense_account_id)
    if reference in (None, ""):
        errors.append(
            FieldError(f"{prefix}.account", "Choose the expense or asset account.", "required")
        )
    else:
        try:
            line["account_id"] = _account(session, reference, f"{prefix}.account")
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    return line


def _calculate(
    session: Session, lines: list[dict[str, Any]], currency: str, prices_include_tax: bool
) -> Calculation:
    calculation = calculate_document(
        session,
        currency=currency,
        prices_include_tax=prices_include_tax,
        lines=[
            DocumentLine(
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                discount_percent=line["discount_percent"],
                tax_codes=line["tax_codes"],
            )
            for line in lines
        ],
    )
    if max(abs(calculation.gross), abs(calculation.net)) >= MAX_MINOR_UNITS or any(
        abs(result.gross) >= MAX_MINOR_UNITS for result in calculation.lines
    ):
        raise ValidationFailed.single("lines", "These amounts are too large.", "too_large")
    for line, result in zip(lines, calculation.lines, strict=True):
        line.update(net=result.net, tax=result.tax, gross=result.gross)
    return calculation


def check_lines(
    session: Session, raw_lines: object, *, currency: str, prices_include_tax: bool
) -> tuple[list[dict[str, Any]], Calculation]:
    """The lines as stored and their calculation; every problem as a ``lines[i].field``
    error."""
    if not isinstance(raw_lines, list):
        raise ValidationFailed.single("lines", "A list of lines.", "invalid")
    if len(raw_lines) > MAX_LINES:
        raise ValidationFailed.single("lines", f"At most {MAX_LINES} lines.", "too_many")
    errors: list[FieldError] = []
    lines = [_line(session, raw, index, errors) for index, raw in enumerate(raw_lines)]
    if errors:
        raise ValidationFailed(errors)
    calculation = _calculate(session, lines, currency, prices_include_tax)
    for line in lines:
        for field in ("quantity", "unit_price", "discount_percent"):
            line[field] = Decimal(str(line[field]).strip())
    return lines, calculation


def stored_values(line: PurchaseDocumentLine) -> dict[str, Any]:
    return {
        "product_id": line.product_id,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "discount_percent": line.discount_percent,
        "tax_codes": list(line.tax_codes or []),
        "account_id": line.account_id,
    }


def recalculate(
    session: Session,
    lines: list[PurchaseDocumentLine],
    currency: str,
    prices_include_tax: bool,
) -> tuple[list[dict[str, Any]], Calculation]:
    """Stored lines through the tax engine again: a currency or price mode changed, or
    the breakdown per tax the API shows."""
    values = [stored_values(line) for line in lines]
    return values, _calculate(session, values, currency, prices_include_tax)
