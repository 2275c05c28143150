"""Web pages of the catalog: Sales → Products & services (list, search, add, edit,
deactivate, delete, CSV import with a preview, CSV export)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Query, Request, Response
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from comptoir.catalog.service import products, transfer
from comptoir.kit.csvtext import decode_upload
from comptoir.kit.errors import DomainError, ValidationFailed
from comptoir.kit.money import currency_codes, minor_unit_exponent, plain_decimal, to_minor
from comptoir.ledger.service import accounts
from comptoir.tax.service.taxes import PRODUCT_CATEGORIES
from comptoir.web.formatting import group_digits, page_formats
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    PostedForm,
    Visitor,
    discard,
    failed_form,
    notice,
    parse_id,
    redirect,
    render,
    web_router,
)

if TYPE_CHECKING:
    from comptoir.catalog.models import Product

router = web_router()

PAGE_SIZE = 50
# Rows of a previewed file shown on the page; the import itself takes every row.
PREVIEW_ROWS = 200
# The text of a checked file travels back with the confirmation: at most what a form
# body may carry.
MAX_FILE_CHARS = 1_000_000
BASE = "/sales/products"

NOTICES = {
    "created": "The product is added.",
    "saved": "The product is saved.",
    "deactivated": "The product is deactivated: documents keep it, new ones are not offered it.",
    "reactivated": "The product is active again.",
    "deleted": "The product is deleted.",
    "imported": "The products of the file are imported.",
}
KIND_LABELS = {"service": "Service", "goods": "Goods"}
CATEGORY_LABELS = {
    "standard": "Standard rate",
    "reduced": "Reduced rate",
    "reduced_2": "Second reduced rate",
    "reduced_3": "Third reduced rate",
    "super_reduced": "Super-reduced rate",
    "parking": "Parking rate",
    "zero": "Zero rate",
    "exempt": "Exempt",
}
STATUS_FILTERS = {"active": True, "inactive": False, "all": None}
# The services name the valid values; beside a drop-down, "choose one" says it better.
CHOICE_MESSAGES = {
    "kind": "Choose goods or service.",
    "tax_category": "Choose a tax category.",
    "currency": "Choose a currency.",
}


def price_input(value: Decimal, currency: str) -> str:
    """A unit price as a form shows it: the currency's digits (12.50), more when it has
    them (0.125)."""
    try:
        to_minor(value, currency)
    except ValueError:
        return plain_decimal(value)
    return f"{value:.{minor_unit_exponent(currency)}f}"


def _page(
    request: Request,
    visitor: Visitor,
    template: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    formats = page_formats(visitor.organization)
    money = formats["money"]

    def price(product: Product) -> str:
        """The product's price as pages write money, with more digits when it has them."""
        try:
            return money(to_minor(product.unit_price, product.currency), product.currency)
        except ValueError:
            return group_digits(plain_decimal(product.unit_price))

    values = {
        "section": "sales",
        "subsection": "products",
        "kind_labels": KIND_LABELS,
        "category_labels": CATEGORY_LABELS,
        "price": price,
        **formats,
        **context,
    }
    return render(request, template, values, status_code=status_code)


# -- the list ----------------------------------------------------------------------------


@router.get(BASE)
def product_list(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str, Query(max_length=10)] = "active",
    kind: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    visitor.require("products:read")
    status = status if status in STATUS_FILTERS else "active"
    kind = kind if kind in KIND_LABELS else ""
    try:
        page = products.list_products(
            session,
            products.ProductFilter(q=q.strip() or None, active=STATUS_FILTERS[status], kind=kind),
            limit=PAGE_SIZE,
            cursor=cursor,
        )
    except ValidationFailed:
        # A cursor mangled by hand: start again from the first page.
        return redirect(f"{BASE}?{urlencode({'q': q, 'status': status, 'kind': kind})}")
    # The filters a link keeps: those that differ from the list's defaults.
    kept = {"q": q.strip(), "status": "" if status == "active" else status, "kind": kind}
    kept = {key: value for key, value in kept.items() if value}
    # The welcome of an empty catalog, not "no match" when every product is inactive.
    empty_catalog = (
        not page.items
        and cursor is None
        and not products.list_products(
            session, products.ProductFilter(), limit=1, cursor=None
        ).items
    )
    return _page(
        request,
        visitor,
        "catalog/list.html",
        {
            "rows": page.items,
            "empty_catalog": empty_catalog,
            "form": FormState({"q": q.strip(), "status": status, "kind": kind}),
            "filtered": bool(kept),
            "first_page": cursor is None,
            "first_url": f"{BASE}?{urlencode(kept)}" if kept else BASE,
            "next_url": f"{BASE}?{urlencode({**kept, 'cursor': page.next_cursor})}"
            if page.next_cursor
            else None,
            "notice": notice(request, NOTICES),
        },
    )


# -- the form ----------------------------------------------------------------------------


class ProductForm(BaseModel):
    sku: str = ""
    name: str = ""
    kind: str = ""
    unit: str = ""
    unit_price: str = ""
    currency: str = ""
    tax_category: str = ""
    income_account: str = ""
    expense_account: str = ""
    description: str = ""


def _price_typed(text: str) -> str:
    """A price as typed, made readable for the service: spaces between thousands dropped,
    and a lone decimal comma (``12,50``, as French users type it) made a point."""
    compact = "".join(text.split())
    if "," in compact and "." not in compact and compact.count(",") == 1:
        compact = compact.replace(",", ".")
    return compact


def _values(form: ProductForm, *, new: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": form.name,
        "kind": form.kind,
        "unit": form.unit,
        "unit_price": _price_typed(form.unit_price) or "0",
        "currency": form.currency,
        "tax_category": form.tax_category,
        "income_account": form.income_account or None,
        "expense_account": form.expense_account or None,
        "description": form.description,
    }
    # A new product's SKU may be left empty (the next free one is given); a saved one keeps
    # a SKU.
    if form.sku.strip() or not new:
        values["sku"] = form.sku
    return values


def _stored(product: Product, codes: dict[Any, str]) -> FormState:
    return FormState(
        {
            "sku": product.sku,
            "name": product.name,
            "kind": product.kind,
            "unit": product.unit or "",
            "unit_price": price_input(product.unit_price, product.currency),
            "currency": product.currency,
            "tax_category": product.tax_category,
            "income_account": codes.get(product.income_account_id, "")
            if product.income_account_id
            else "",
            "expense_account": codes.get(product.expense_account_id, "")
            if product.expense_account_id
            else "",
            "description": product.description or "",
        }
    )


def _account_options(session: Db, field: str, chosen: str) -> list[tuple[str, str]]:
    options = [
        (account.code, f"{account.code} · {account.name}")
        for account in products.account_choices(session, field)
    ]
    # An account chosen before it was archived stays offered, so that saving keeps it.
    if chosen and chosen not in {code for code, _ in options}:
        options.insert(0, (chosen, chosen))
    return options


def _explain_choices(state: FormState) -> FormState:
    for name, message in CHOICE_MESSAGES.items():
        if name in state.errors and not state.values.get(name):
            state.errors[name] = message
    return state


def _form_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    form: FormState,
    product: Product | None = None,
) -> Response:
    return _page(
        request,
        visitor,
        "catalog/form.html",
        {
            "form": form,
            "product": product,
            "kind_options": list(KIND_LABELS.items()),
            "category_options": [(c, CATEGORY_LABELS.get(c, c)) for c in PRODUCT_CATEGORIES],
            "currency_options": [(code, code) for code in sorted(currency_codes())],
            "income_options": _account_options(
                session, "income_account", form.value("income_account")
            ),
            "expense_options": _account_options(
                session, "expense_account", form.value("expense_account")
            ),
        },
        status_code=form.status,
    )


@router.get(f"{BASE}/new")
def new_product_page(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("products:write")
    income = products.default_income_account(session)
    codes = accounts.codes_of(session, [income] if income else [])
    form = FormState(
        {
            **ProductForm().model_dump(),
            "kind": "service",
            "currency": visitor.organization.base_currency,
            "tax_category": "standard",
            "income_account": codes.get(income, "") if income else "",
        }
    )
    return _form_page(request, visitor, session, form)


@router.post(f"{BASE}/new")
def create_product(
    request: Request, visitor: CurrentVisitor, session: Db, form: Annotated[ProductForm, Form()]
) -> Response:
    visitor.require("products:write")
    try:
        product = products.create(session, _values(form, new=True))
    except DomainError as exc:
        state = _explain_choices(failed_form(session, exc, form.model_dump()))
        return _form_page(request, visitor, session, state)
    return redirect(f"{BASE}/{product.id}?notice=created")


# -- CSV export and import ---------------------------------------------------------------


@router.get(f"{BASE}/export")
def export_products(visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("products:read")
    return Response(
        transfer.export_csv(session).encode(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="products.csv"',
            "Cache-Control": "no-store",
        },
    )


@dataclass(frozen=True)
class RowError:
    """One line of an import's error report."""

    row: int | None
    column: str
    message: str


def _import_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    *,
    form: FormState | None = None,
    errors: list[RowError] | None = None,
    result: transfer.ImportResult | None = None,
    text: str = "",
    status_code: int = 200,
) -> Response:
    shown = result.products[:PREVIEW_ROWS] if result else []
    return _page(
        request,
        visitor,
        "catalog/import.html",
        {
            "form": form or FormState({"file": ""}),
            "errors": errors or [],
            "result": result,
            "preview": shown,
            "codes": products.account_codes(session, shown),
            "text": text,
            "columns": transfer.COLUMNS,
        },
        status_code=status_code,
    )


@router.get(f"{BASE}/import")
def import_page(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("products:write")
    return _import_page(request, visitor, session)


@router.post(f"{BASE}/import")
def import_products(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    posted: PostedForm,
) -> Response:
    """First step (``action=check``): read the uploaded file, check every row and show
    what would be created, or every problem. Second step (``action=import``): the checked
    text, sent back with the confirmation, is imported, all rows or none."""
    visitor.require("products:write")
    action = posted.get("action")
    upload = posted.get("file")
    text = ""
    try:
        if action == "import":
            sent = posted.get("content")
            text = sent if isinstance(sent, str) else ""
        elif isinstance(upload, UploadFile) and upload.filename:
            text = decode_upload(upload.file.read())
        if not text.strip():
            raise ValidationFailed.single("file", "Choose a CSV file to import.", "required")
        if len(text) > MAX_FILE_CHARS:
            raise ValidationFailed.single("file", "At most 1 MB per file.", "too_large")
        result = transfer.import_csv(session, text, dry_run=action != "import")
    except DomainError as exc:
        state = failed_form(session, exc, {"file": ""})
        return _import_page(request, visitor, session, form=state, status_code=state.status)
    if result.errors:
        discard(session, ValidationFailed(result.errors))
        report = sorted(
            (RowError(e.row, e.field, e.message) for e in result.errors),
            key=lambda e: (e.row is None, e.row or 0),
        )
        state = FormState(
            {"file": ""},
            alert=f"The file has {len(report)} problem{'s' if len(report) != 1 else ''}; "
            "nothing was imported. Correct the file and check it again.",
            status=422,
        )
        return _import_page(request, visitor, session, form=state, errors=report, status_code=422)
    if action != "import":
        return _import_page(request, visitor, session, result=result, text=text)
    return redirect(f"{BASE}?notice=imported")


# -- one product -------------------------------------------------------------------------


def _detail_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    product: Product,
    *,
    alert: str | None = None,
    status_code: int = 200,
) -> Response:
    return _page(
        request,
        visitor,
        "catalog/detail.html",
        {
            "product": product,
            "accounts": {
                account_id: accounts.get(session, account_id)
                for account_id in (product.income_account_id, product.expense_account_id)
                if account_id is not None
            },
            "alert": alert,
            "notice": notice(request, NOTICES),
        },
        status_code=status_code,
    )


@router.get(f"{BASE}/{{product_id}}")
def product_page(
    request: Request, product_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("products:read")
    product = products.get(session, parse_id(product_id, "No such product."))
    return _detail_page(request, visitor, session, product)


@router.get(f"{BASE}/{{product_id}}/edit")
def edit_product_page(
    request: Request, product_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("products:write")
    product = products.get(session, parse_id(product_id, "No such product."))
    codes = products.account_codes(session, [product])
    return _form_page(request, visitor, session, _stored(product, codes), product)


@router.post(f"{BASE}/{{product_id}}/edit")
def save_product(
    request: Request,
    product_id: str,
    visitor: CurrentVisitor,
    session: Db,
    form: Annotated[ProductForm, Form()],
) -> Response:
    visitor.require("products:write")
    product = products.get(session, parse_id(product_id, "No such product."))
    try:
        products.update(session, product.id, _values(form, new=False))
    except DomainError as exc:
        state = _explain_choices(failed_form(session, exc, form.model_dump()))
        return _form_page(request, visitor, session, state, products.get(session, product.id))
    return redirect(f"{BASE}/{product.id}?notice=saved")


def _set_active(session: Db, product_id: str, active: bool) -> Response:
    product = products.set_active(session, parse_id(product_id, "No such product."), active)
    return redirect(f"{BASE}/{product.id}?notice={'reactivated' if active else 'deactivated'}")


@router.post(f"{BASE}/{{product_id}}/deactivate")
def deactivate_product(product_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("products:write")
    return _set_active(session, product_id, False)


@router.post(f"{BASE}/{{product_id}}/reactivate")
def reactivate_product(product_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("products:write")
    return _set_active(session, product_id, True)


@router.post(f"{BASE}/{{product_id}}/delete")
def delete_product(
    request: Request, product_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("products:write")
    product = products.get(session, parse_id(product_id, "No such product."))
    try:
        products.delete(session, product.id)
    except DomainError as exc:
        discard(session, exc)
        product = products.get(session, product.id)
        return _detail_page(
            request, visitor, session, product, alert=exc.detail, status_code=exc.status
        )
    return redirect(f"{BASE}?notice=deleted")
