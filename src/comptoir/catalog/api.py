"""Product API: /api/v1/products, the catalog of products and services."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from comptoir.catalog import schemas
from comptoir.catalog.models import Product
from comptoir.catalog.service import products, transfer
from comptoir.identity.service.sessions import Principal
from comptoir.kit.csvtext import decode_upload
from comptoir.kit.errors import ValidationFailed
from comptoir.kit.money import plain_decimal
from comptoir.server.deps import DbSession, require_scope
from comptoir.server.idempotency import IdempotencyGuard

router = APIRouter(prefix="/api/v1", tags=["products"])

Reader = Annotated[Principal, require_scope("products:read")]
Writer = Annotated[Principal, require_scope("products:write")]
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def product_out(product: Product, codes: dict[uuid.UUID, str]) -> schemas.ProductOut:
    def code(account_id: uuid.UUID | None) -> str | None:
        return codes.get(account_id) if account_id else None

    return schemas.ProductOut(
        id=product.id,
        sku=product.sku or "",
        name=product.name,
        description=product.description,
        kind="goods" if product.kind == "goods" else "service",
        unit=product.unit,
        unit_price=plain_decimal(product.unit_price),
        currency=product.currency,
        tax_category=product.tax_category,
        income_account=code(product.income_account_id),
        expense_account=code(product.expense_account_id),
        active=bool(product.active),
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


def _one(session: DbSession, product: Product) -> schemas.ProductOut:
    return product_out(product, products.account_codes(session, [product]))


def _values(body: schemas.ProductFields) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True)


@router.get("/products", summary="Products and services")
def list_products(
    principal: Reader,
    session: DbSession,
    q: Annotated[
        str | None, Query(max_length=200, description="In the SKU, name and description")
    ] = None,
    active: Annotated[
        bool | None, Query(description="true: only active ones; false: only inactive ones")
    ] = None,
    kind: Annotated[schemas.Kind | None, Query(description="goods or service")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=2000, description="next_cursor of the previous page")
    ] = None,
) -> schemas.ProductPage:
    """The catalog by name (then id), active and inactive products alike unless `active`
    says which; page on with `cursor`."""
    page = products.list_products(
        session,
        products.ProductFilter(q=q, active=active, kind=kind),
        limit=limit,
        cursor=cursor,
    )
    codes = products.account_codes(session, page.items)
    return schemas.ProductPage(
        items=[product_out(product, codes) for product in page.items],
        next_cursor=page.next_cursor,
    )


@router.post(
    "/products",
    status_code=status.HTTP_201_CREATED,
    summary="Add a product or service",
    response_model=schemas.ProductOut,
    responses={409: {"description": "The SKU belongs to another product"}},
)
def create_product(
    body: schemas.ProductIn, principal: Writer, session: DbSession, guard: IdempotencyGuard
) -> Response:
    """Only `name` is required. `sku` defaults to the next free `P-00001`, `kind` to
    `service`, `unit_price` to `"0"`, `currency` to the organization's, `tax_category` to
    `standard`, `income_account` to the chart's first sales account. Accounts are codes
    (or ids) of the chart: income for sales, expense or asset for purchases. A SKU taken
    by another product answers 409 with a `sku` field error. Send `Idempotency-Key` to
    make retries safe."""

    def produce() -> schemas.ProductOut:
        return _one(session, products.create(session, _values(body)))

    return guard.run(principal, body, produce, status_code=status.HTTP_201_CREATED)


@router.get(
    "/products/export",
    summary="Products and services as CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_products(principal: Reader, session: DbSession) -> Response:
    """Every product, active or not, in the columns the import reads."""
    return Response(
        transfer.export_csv(session),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="products.csv"'},
    )


@router.post("/products/import", summary="Import products and services from CSV")
async def import_products(
    principal: Writer,
    session: DbSession,
    file: Annotated[UploadFile, File(description="CSV with a header row; see the docs")],
    dry_run: Annotated[bool, Query(description="Only check and preview")] = False,
) -> schemas.ImportOut:
    """Columns: `name` (required), `sku`, `description`, `kind`, `unit`, `unit_price`,
    `currency`, `tax_category`, `income_account`, `expense_account`, `active`; empty cells
    take a new product's defaults. Every problem is reported with its row and column;
    nothing is created unless every row is right. `dry_run=true` only checks and
    previews."""
    raw = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValidationFailed.single("file", "At most 5 MB.", "too_large")
    result = transfer.import_csv(session, decode_upload(raw), dry_run=dry_run)
    codes = products.account_codes(session, result.products) if dry_run else {}
    return schemas.ImportOut(
        dry_run=dry_run,
        rows=result.rows,
        created=0 if dry_run or result.errors else len(result.products),
        errors=[
            schemas.ImportRowError(row=e.row, column=e.field, message=e.message, code=e.code)
            for e in result.errors
        ],
        preview=[product_out(product, codes) for product in result.products] if dry_run else [],
    )


@router.get("/products/{product_id}", summary="One product or service")
def get_product(product_id: uuid.UUID, principal: Reader, session: DbSession) -> schemas.ProductOut:
    """404 for an unknown id or another organization's."""
    return _one(session, products.get(session, product_id))


@router.patch(
    "/products/{product_id}",
    summary="Change a product or service",
    responses={409: {"description": "The SKU belongs to another product"}},
)
def update_product(
    product_id: uuid.UUID, body: schemas.ProductUpdate, principal: Writer, session: DbSession
) -> schemas.ProductOut:
    """Fields left out stay as they are; `"income_account": null` or
    `"expense_account": null` removes the account. `"active": false` deactivates the
    product: documents that use it keep it, new ones are not offered it;
    `"active": true` restores it."""
    return _one(session, products.update(session, product_id, _values(body)))


@router.delete(
    "/products/{product_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an unused product or service",
    responses={409: {"description": "Documents use it: deactivate it instead"}},
)
def delete_product(product_id: uuid.UUID, principal: Writer, session: DbSession) -> Response:
    """409 once documents refer to it: deactivate it instead (`"active": false`)."""
    products.delete(session, product_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
