"""Products and services to and from CSV files, with a per-row report of every problem."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.catalog.models import Product
from comptoir.catalog.service import products
from comptoir.kit import clock
from comptoir.kit.csvtext import read_import
from comptoir.kit.errors import Conflict, FieldError, ValidationFailed
from comptoir.kit.ids import new_id
from comptoir.kit.money import plain_decimal
from comptoir.outbox import service as outbox

MAX_ROWS = 10_000
# The file's columns, in the export's order; accounts are written and read as codes.
COLUMNS = (
    "sku",
    "name",
    "description",
    "kind",
    "unit",
    "unit_price",
    "currency",
    "tax_category",
    "income_account",
    "expense_account",
    "active",
)
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}


def export_csv(session: Session) -> str:
    """Every product, active or not, by name, in the import's columns: a file exported
    from one organization imports into another whose chart has the same account codes."""
    found = list(session.scalars(select(Product).order_by(func.lower(Product.name), Product.sku)))
    codes = products.account_codes(session, found)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for product in found:
        writer.writerow(
            [
                product.sku,
                product.name,
                product.description or "",
                product.kind,
                product.unit or "",
                plain_decimal(product.unit_price),
                product.currency,
                product.tax_category,
                codes.get(product.income_account_id, "") if product.income_account_id else "",
                codes.get(product.expense_account_id, "") if product.expense_account_id else "",
                "true" if product.active else "false",
            ]
        )
    return out.getvalue()


@dataclass
class ImportResult:
    rows: int
    products: list[Product] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)


def _active(text: str, number: int, errors: list[FieldError]) -> bool | None:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    errors.append(FieldError("active", "true or false (yes or no).", "invalid", number))
    return None


def import_csv(session: Session, text: str, *, dry_run: bool) -> ImportResult:
    """Check every row, report every problem with its row and column, and create the
    products only if there is none (all or nothing). A dry run checks and shows what would
    be created without creating anything. Empty cells of fields that cannot be empty
    (SKU, kind, price, currency, tax category) take a new product's defaults."""
    records = read_import(text, COLUMNS, MAX_ROWS)
    result = ImportResult(rows=len(records))
    skus_in_file: dict[str, int] = {}
    for number, record in records:
        values: dict[str, Any] = {column: value for column, value in record.items() if value}
        # An empty cell leaves the field empty; fields that cannot be empty take their
        # default. Only a missing income_account column gives the chart's sales account.
        if record.get("income_account") == "":
            values["income_account"] = None
        errors: list[FieldError] = []
        if "active" in values:
            values["active"] = _active(values["active"], number, errors)
        sku = str(values.get("sku") or "")
        if sku and sku in skus_in_file:
            errors.append(
                FieldError("sku", f"Also used on row {skus_in_file[sku]}.", "duplicate", number)
            )
        elif sku:
            skus_in_file[sku] = number
        try:
            clean = products.prepare_new(session, values)
        except ValidationFailed as exc:
            named = {error.field for error in errors}
            errors += [
                FieldError(e.field, e.message, e.code, number)
                for e in exc.errors
                if e.field not in named
            ]
            clean = {}
        if errors:
            result.errors += errors
            continue
        now = clock.now()
        # Ids and times set now, so that a dry run's preview shows products as they would be.
        result.products.append(Product(id=new_id(), created_at=now, updated_at=now, **clean))
    if result.errors or dry_run:
        return result
    try:
        for product in result.products:
            if not product.sku:
                product.sku = products.next_sku(session)
            session.add(product)
        session.flush()
    except IntegrityError:
        # A concurrent request took one of the file's SKUs after the check.
        raise Conflict("A SKU of the file was just taken; try again.", code="sku_taken") from None
    codes = products.account_codes(session, result.products)
    for product in result.products:
        outbox.emit(session, "product.created", products.payload(product, codes))
    audit.record(
        session, "products.imported", target_type="product", after={"count": len(result.products)}
    )
    return result
