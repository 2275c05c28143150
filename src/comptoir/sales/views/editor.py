"""The document editor shared by quotes, invoices and credit notes: the customer, dates and
lines as typed, rows added or removed and products picked through HTMX, errors beside
their cells, and the live totals of the tax engine as the lines change."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Query, Request, Response

from comptoir.catalog.service import products
from comptoir.kit.errors import DomainError, FieldError, ValidationFailed
from comptoir.kit.money import plain_decimal
from comptoir.ledger.service import accounts
from comptoir.parties.service import parties
from comptoir.parties.service.parties import Party
from comptoir.parties.service.terms import PAYMENT_TERMS, due_date
from comptoir.sales.service import documents
from comptoir.sales.views import common
from comptoir.sales.views.common import KindPages
from comptoir.tax.service import rules, taxes
from comptoir.tax.service.calculation import Calculation
from comptoir.tax.service.documents import DocumentLine, calculate_document
from comptoir.web.templating import currency_choices
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    Visitor,
    failed_form,
    redirect,
    web_router,
)

if TYPE_CHECKING:
    from comptoir.sales.models import SalesDocument
    from comptoir.tax.models import Tax

router = web_router()

# Enough for any document typed by hand; longer ones come through the API.
MAX_FORM_LINES = 100
LINE_FIELDS = ("product", "description", "quantity", "unit", "unit_price", "discount_percent")
# Typed on a line or kept from a stored one: the revenue account the API may have set.
HIDDEN_LINE_FIELDS = ("account",)
HEADER_FIELDS = (
    "customer",
    "issue_date",
    "due_date",
    "valid_until",
    "currency",
    "payment_terms",
    "reference",
    "notes",
)
# Which header fields each kind shows and sends.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "invoice": ("due_date", "payment_terms"),
    "quote": ("valid_until", "payment_terms"),
    "credit_note": (),
}
_LINE_ERROR = re.compile(r"lines\[(\d+)\](?:\.(\w+))?$")


@dataclass
class TypedLine:
    values: dict[str, str]
    tax_codes: list[str] = field(default_factory=list)

    @property
    def filled(self) -> bool:
        return any(self.values[name] for name in ("product", "description", "quantity"))

    @property
    def priced(self) -> bool:
        return bool(self.values["quantity"] or self.values["unit_price"])


def blank_line(tax_codes: list[str]) -> TypedLine:
    return TypedLine(dict.fromkeys((*LINE_FIELDS, *HIDDEN_LINE_FIELDS), ""), list(tax_codes))


@dataclass
class TypedDocument:
    """The editor as typed, every value kept as text so that it can be shown again."""

    pages: KindPages
    values: dict[str, str]
    lines: list[TypedLine]
    action: str = "save"

    def form_values(self) -> dict[str, str]:
        """Values by field name, with a key for every place the service may point an error
        at (``lines``, ``lines.2``, ``lines.2.quantity``...), so that each lands beside its
        cell."""
        values = {**self.values, "lines": ""}
        for index, line in enumerate(self.lines):
            values[f"lines.{index}"] = ""
            values[f"lines.{index}.tax_codes"] = ",".join(line.tax_codes)
            for name, value in line.values.items():
                values[f"lines.{index}.{name}"] = value
        return values

    def filled_rows(self) -> list[int]:
        """Rows with something typed in; blank ones are spare rows, not lines."""
        return [index for index, line in enumerate(self.lines) if line.filled or line.priced]


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def typed_document(source: Any, pages: KindPages) -> TypedDocument:
    """The editor's fields from a posted form or an HTMX request's query."""
    values = {name: _text(source.get(name)) for name in HEADER_FIELDS}
    # Browsers send a textarea's lines as CRLF; stored notes use LF, as the API's do.
    values["notes"] = values["notes"].replace("\r\n", "\n")
    values["prices_include_tax"] = "on" if source.get("prices_include_tax") else ""
    indexes = set()
    for key in source:
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit():
            indexes.add(int(parts[1]))
    lines = []
    for index in sorted(indexes)[:MAX_FORM_LINES]:
        line = {
            name: _text(source.get(f"lines.{index}.{name}"))
            for name in (*LINE_FIELDS, *HIDDEN_LINE_FIELDS)
        }
        line["description"] = line["description"].replace("\r\n", "\n")
        codes = [_text(code) for code in source.getlist(f"lines.{index}.tax_codes")]
        lines.append(TypedLine(line, [code for code in codes if code]))
    return TypedDocument(pages, values, lines, _text(source.get("action")) or "save")


async def _typed_from_request(request: Request) -> TypedDocument:
    source = await request.form()
    return typed_document(source, common.KINDS.get(_text(source.get("kind")), common.INVOICES))


# The editor's fields, for the HTMX partials: posted (a long document would not fit in a
# URL), the form itself naming its kind.
TypedForm = Annotated[TypedDocument, Depends(_typed_from_request)]


def stored_document(session: Db, document: SalesDocument) -> TypedDocument:
    """A draft as the editor shows it."""
    party = parties.get(session, document.party_id)
    values = dict.fromkeys(HEADER_FIELDS, "")
    values.update(
        customer=common.party_label(party),
        issue_date=document.issue_date.isoformat(),
        due_date=document.due_date.isoformat() if document.due_date else "",
        valid_until=document.valid_until.isoformat() if document.valid_until else "",
        currency=document.currency,
        payment_terms=document.payment_terms or "",
        reference=document.reference or "",
        notes=document.notes or "",
        prices_include_tax="on" if document.prices_include_tax else "",
    )
    stored = documents.lines_of(session, document.id)
    products_used = {
        line.product_id: products.get(session, line.product_id)
        for line in stored
        if line.product_id is not None
    }
    codes = accounts.codes_of(session, {line.account_id for line in stored if line.account_id})
    lines = [
        TypedLine(
            {
                "product": (
                    f"{products_used[line.product_id].sku} · {products_used[line.product_id].name}"
                    if line.product_id is not None
                    else ""
                ),
                "description": line.description,
                "quantity": plain_decimal(line.quantity),
                "unit": line.unit or "",
                "unit_price": common.price_text(line.unit_price),
                "discount_percent": plain_decimal(line.discount_percent)
                if line.discount_percent
                else "",
                "account": codes.get(line.account_id, "") if line.account_id else "",
            },
            list(line.tax_codes or []),
        )
        for line in stored
    ]
    pages = common.KINDS[document.kind]
    return TypedDocument(pages, values, lines or [blank_line([])])


def new_document(
    session: Db, visitor: Visitor, pages: KindPages, customer: Party | None
) -> TypedDocument:
    values = dict.fromkeys(HEADER_FIELDS, "")
    values["issue_date"] = common.today(visitor).isoformat()
    values["prices_include_tax"] = ""
    if customer is not None:
        values["customer"] = common.party_label(customer)
    return TypedDocument(pages, values, [blank_line(default_taxes(session, visitor, customer))])


# -- what the services get ---------------------------------------------------------------


def service_values(
    typed: TypedDocument, rows: list[int], document: SalesDocument | None
) -> dict[str, Any]:
    """The editor as the services' values: blanks are "the customer's" (currency, terms)
    or "the product's" (description, price), and blank rows are not lines."""
    typed_values = typed.values
    if not typed_values["issue_date"]:
        raise ValidationFailed.single("issue_date", "Choose the date of the document.")
    values: dict[str, Any] = {
        "customer": common.first_word(typed_values["customer"]),
        "issue_date": typed_values["issue_date"],
        "currency": typed_values["currency"] or None,
        "prices_include_tax": bool(typed_values["prices_include_tax"]),
        "reference": typed_values["reference"],
        "notes": typed_values["notes"],
        "lines": [_line_values(typed.lines[row]) for row in rows],
    }
    for name in KIND_FIELDS[typed.pages.kind]:
        values[name] = typed_values[name] or None
    if document is not None:
        # The editor does not show the language; a change of customer would reset it.
        values["language"] = document.language
    return values


def _line_values(line: TypedLine) -> dict[str, Any]:
    typed = line.values
    return {
        "product": common.first_word(typed["product"]) or None,
        "description": typed["description"] or None,
        "unit": typed["unit"] or None,
        "quantity": common.number_text(typed["quantity"]) or "1",
        "unit_price": common.number_text(typed["unit_price"]) or None,
        "discount_percent": common.number_text(typed["discount_percent"]) or "0",
        "tax_codes": list(line.tax_codes),
        "account": typed["account"] or None,
    }


def on_form_rows(exc: ValidationFailed, rows: list[int]) -> ValidationFailed:
    """The service counts the lines it was given (``lines[1].quantity``); the editor also
    has blank rows in between (``lines.3.quantity``)."""

    def moved(error: FieldError) -> FieldError:
        match = _LINE_ERROR.match(error.field)
        if match is None or int(match.group(1)) >= len(rows):
            return error
        row = rows[int(match.group(1))]
        name = match.group(2)
        target = f"lines.{row}" if name is None or name == "account" else f"lines.{row}.{name}"
        return FieldError(target, error.message, error.code)

    return ValidationFailed([moved(error) for error in exc.errors], exc.detail)


# -- taxes and products ------------------------------------------------------------------


def default_taxes(session: Db, visitor: Visitor, customer: Party | None) -> list[str]:
    """The tax a new line starts with: what the tax engine picks for this customer, or for
    a business of the company's own country while no customer is chosen."""
    if customer is not None:
        try:
            lines, _ = documents.check_lines(
                session,
                [{"description": "-", "unit_price": "0"}],
                currency=visitor.organization.base_currency,
                prices_include_tax=False,
                party=customer,
            )
        except ValidationFailed:
            return []
        return list(lines[0]["tax_codes"])
    try:
        resolution = rules.resolve_sale(
            session,
            buyer_country=visitor.organization.country,
            buyer_is_business=True,
            category="standard",
            supply="services",
        )
    except ValidationFailed:
        return []
    return [resolution.tax.code]


def _fill_from_product(
    session: Db, visitor: Visitor, typed: TypedDocument, row: int
) -> FormState | None:
    """The row's description, unit and price from the product picked, and its tax for this
    customer, as the services would fill them; each problem beside its cell."""
    line = typed.lines[row]
    reference = common.first_word(line.values["product"])
    if not reference:
        return None
    state = FormState(typed.form_values())
    include = bool(typed.values["prices_include_tax"])
    party = common.customer_by_text(session, typed.values["customer"])
    currency = currency_of(typed, party, visitor)
    try:
        # Without the customer: what the catalog says, whatever the tax rules.
        filled, _ = documents.check_lines(
            session,
            [{"product": reference}],
            currency=currency,
            prices_include_tax=include,
            party=None,
        )
    except ValidationFailed as exc:
        return _beside_row(state, exc, row)
    found = filled[0]
    line.values.update(
        description=found["description"],
        unit=found["unit"] or "",
        unit_price=common.price_text(Decimal(found["unit_price"])),
        account="",
    )
    state.values.update(typed.form_values())
    if party is None:
        return state
    try:
        taxed, _ = documents.check_lines(
            session,
            [{"product": reference}],
            currency=currency,
            prices_include_tax=include,
            party=party,
        )
    except ValidationFailed as exc:
        return _beside_row(state, exc, row)
    line.tax_codes = list(taxed[0]["tax_codes"])
    state.values.update(typed.form_values())
    return state


def _beside_row(state: FormState, exc: ValidationFailed, row: int) -> FormState:
    for error in exc.errors:
        match = _LINE_ERROR.match(error.field)
        name = match.group(2) if match and match.group(2) else "product"
        state.errors.setdefault(f"lines.{row}.{name}", error.message)
    return state


# -- live totals -------------------------------------------------------------------------


@dataclass
class LiveTotals:
    """The figures under the lines: what the tax engine makes of the lines typed so far."""

    currency: str
    calculation: Calculation | None
    # Typed row → that line's index in the calculation.
    rows: dict[int, int]
    problems: list[str]
    taxes: dict[str, Tax]
    due: date | None = None
    terms: str | None = None


def currency_of(typed: TypedDocument, party: Party | None, visitor: Visitor) -> str:
    chosen = typed.values["currency"].upper()
    return chosen or (party.currency if party else None) or visitor.organization.base_currency


def _problem(error: FieldError, rows: list[int]) -> str:
    match = _LINE_ERROR.match(error.field)
    if match is None:
        return error.message
    index = int(match.group(1))
    row = rows[index] + 1 if index < len(rows) else index + 1
    name = (match.group(2) or "").replace("_", " ")
    return f"Line {row}{', ' + name if name else ''}: {error.message}"


def live_totals(session: Db, visitor: Visitor, typed: TypedDocument) -> LiveTotals:
    party = common.customer_by_text(session, typed.values["customer"])
    currency = currency_of(typed, party, visitor)
    rows = [index for index, line in enumerate(typed.lines) if line.priced]
    totals = LiveTotals(currency, None, {}, [], {})
    if typed.pages.kind == "invoice":
        _due(typed, party, visitor, totals)
    if not rows:
        return totals
    try:
        totals.calculation = calculate_document(
            session,
            currency=currency,
            prices_include_tax=bool(typed.values["prices_include_tax"]),
            side="sale",
            lines=[
                DocumentLine(
                    common.number_text(typed.lines[row].values["quantity"]) or "1",
                    common.number_text(typed.lines[row].values["unit_price"]) or "0",
                    common.number_text(typed.lines[row].values["discount_percent"]) or "0",
                    typed.lines[row].tax_codes,
                )
                for row in rows
            ],
        )
    except ValidationFailed as exc:
        totals.problems = [_problem(error, rows) for error in exc.errors]
        return totals
    totals.rows = {row: index for index, row in enumerate(rows)}
    totals.taxes = taxes.by_codes(session, {total.code for total in totals.calculation.taxes})
    return totals


def _due(typed: TypedDocument, party: Party | None, visitor: Visitor, totals: LiveTotals) -> None:
    """When the invoice falls due: the date typed, or the payment terms from the issue date."""
    chosen = common.day(typed.values["due_date"])
    if chosen is not None:
        totals.due = chosen
        return
    terms = typed.values["payment_terms"] or (party.payment_terms if party else None) or "net_30"
    if terms in PAYMENT_TERMS:
        totals.terms = PAYMENT_TERMS[terms]
        totals.due = due_date(
            common.day(typed.values["issue_date"]) or common.today(visitor), terms
        )


# -- the page ----------------------------------------------------------------------------


def _edit_lines(
    session: Db, visitor: Visitor, typed: TypedDocument, *, add: bool, remove: int | None
) -> int | None:
    """Add or remove a row; answers the row to focus (the new one)."""
    if remove is not None and 0 <= remove < len(typed.lines):
        del typed.lines[remove]
    party = common.customer_by_text(session, typed.values["customer"])
    if not typed.lines:
        typed.lines.append(blank_line(default_taxes(session, visitor, party)))
    if add and len(typed.lines) < MAX_FORM_LINES:
        typed.lines.append(blank_line(default_taxes(session, visitor, party)))
        return len(typed.lines) - 1
    return None


def _retax_blank_rows(session: Db, visitor: Visitor, typed: TypedDocument) -> list[int]:
    """Rows nothing was typed in yet take the tax of the customer just chosen; answers
    those rows."""
    party = common.customer_by_text(session, typed.values["customer"])
    codes = default_taxes(session, visitor, party)
    rows = [i for i, line in enumerate(typed.lines) if not line.filled and not line.priced]
    for row in rows:
        typed.lines[row].tax_codes = list(codes)
    return rows


def lines_context(
    session: Db,
    visitor: Visitor,
    typed: TypedDocument,
    form: FormState,
    focus: int | None = None,
) -> dict[str, Any]:
    used = {code for line in typed.lines for code in line.tax_codes}
    return {
        "typed": typed,
        "pages": typed.pages,
        "form": form,
        "max_lines": MAX_FORM_LINES,
        "focus": focus,
        "tax_options": common.tax_options(session, used, sale=True),
        "totals": live_totals(session, visitor, typed),
        "row_amounts": False,
    }


def editor_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    typed: TypedDocument,
    form: FormState,
    document: SalesDocument | None = None,
    *,
    focus: int | None = None,
    locked: bool = False,
) -> Response:
    """The editor; ``locked`` keeps the customer and currency of a credit note that
    corrects an invoice."""
    pages = typed.pages
    return common.page(
        request,
        visitor,
        "sales/document_form.html",
        {
            **lines_context(session, visitor, typed, form, focus),
            "document": document,
            "locked": locked,
            "kind_fields": KIND_FIELDS[pages.kind],
            "customers": common.customer_options(session),
            "products": common.product_options(session),
            "currency_options": currency_choices(typed.values["currency"] or None),
            "terms_options": list(PAYMENT_TERMS.items()),
        },
        nav=pages.nav,
        status_code=form.status,
    )


def new_page(
    request: Request, visitor: Visitor, session: Db, pages: KindPages, customer: Party | None
) -> Response:
    """The editor of a new document of ``pages``' kind, for ``customer`` when known."""
    typed = new_document(session, visitor, pages, customer)
    return editor_page(request, visitor, session, typed, FormState(typed.form_values()))


def edit_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    document: SalesDocument,
    *,
    locked: bool = False,
) -> Response:
    """The editor of a stored document, as it is."""
    typed = stored_document(session, document)
    state = FormState(typed.form_values())
    return editor_page(request, visitor, session, typed, state, document, locked=locked)


def save_document(
    request: Request,
    visitor: Visitor,
    session: Db,
    typed: TypedDocument,
    document: SalesDocument | None,
    create: Callable[[dict[str, Any]], SalesDocument] | None = None,
    *,
    update: Callable[[dict[str, Any]], SalesDocument] | None = None,
    locked: bool = False,
) -> Response:
    """Change the draft (through ``update`` when its kind has its own), or ``create`` one;
    rows added or removed without HTMX land here too."""
    pages = typed.pages
    if typed.action == "add_line" or typed.action.startswith("remove-"):
        remove = typed.action.removeprefix("remove-")
        focus = _edit_lines(
            session,
            visitor,
            typed,
            add=typed.action == "add_line",
            remove=int(remove) if remove.isdigit() else None,
        )
        return editor_page(
            request,
            visitor,
            session,
            typed,
            FormState(typed.form_values()),
            document,
            focus=focus,
            locked=locked,
        )
    rows = typed.filled_rows()
    try:
        values = service_values(typed, rows, document)
        if document is None:
            assert create is not None, "a new document needs its kind's create"
            saved = create(values)
        elif update is not None:
            saved = update(values)
        else:
            saved = documents.update_draft(session, document.id, pages.kind, values)
    except ValidationFailed as exc:
        state = failed_form(session, on_form_rows(exc, rows), typed.form_values())
        _explain(state)
        current = documents.get(session, document.id, pages.kind) if document else None
        return editor_page(request, visitor, session, typed, state, current, locked=locked)
    except DomainError as exc:
        state = failed_form(session, exc, typed.form_values())
        current = documents.get(session, document.id, pages.kind) if document else None
        return editor_page(request, visitor, session, typed, state, current, locked=locked)
    return redirect(f"{pages.path(saved)}?notice={'created' if document is None else 'saved'}")


def _explain(state: FormState) -> None:
    """Beside a picker, "choose one" says more than "No such customer." when it is empty."""
    if "customer" in state.errors and not state.values.get("customer"):
        state.errors["customer"] = "Choose a customer."


# -- HTMX partials -----------------------------------------------------------------------


def _partial(
    request: Request, visitor: Visitor, template: str, context: Mapping[str, Any], pages: KindPages
) -> Response:
    return common.page(request, visitor, template, context, nav=pages.nav)


@router.post("/sales/editor/totals")
def editor_totals(
    request: Request, visitor: CurrentVisitor, session: Db, typed: TypedForm
) -> Response:
    """The live totals, asked for by HTMX as the lines are typed; each row's amount comes
    with them."""
    visitor.require(typed.pages.read)
    return _partial(
        request,
        visitor,
        "sales/_document_totals.html",
        {
            "typed": typed,
            "pages": typed.pages,
            "totals": live_totals(session, visitor, typed),
            "row_amounts": True,
        },
        typed.pages,
    )


@router.post("/sales/editor/lines")
def editor_lines(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    typed: TypedForm,
    add: bool = False,
    remove: Annotated[int | None, Query(ge=0, lt=MAX_FORM_LINES)] = None,
    fill: Annotated[int | None, Query(ge=0, lt=MAX_FORM_LINES)] = None,
) -> Response:
    """The lines again as typed, with a row more or less or a product's values filled
    in; the totals come with them."""
    visitor.require(typed.pages.write)
    state = None
    if fill is not None and fill < len(typed.lines):
        state = _fill_from_product(session, visitor, typed, fill)
    focus = _edit_lines(session, visitor, typed, add=add, remove=remove)
    form = state or FormState(typed.form_values())
    context = lines_context(session, visitor, typed, form, focus)
    return _partial(request, visitor, "sales/_document_lines.html", context, typed.pages)


@router.post("/sales/editor/taxes")
def editor_taxes(
    request: Request, visitor: CurrentVisitor, session: Db, typed: TypedForm
) -> Response:
    """The tax of the customer just chosen, for the rows still blank, swapped in place (out
    of band) so that nothing typed meanwhile in other cells is lost."""
    visitor.require(typed.pages.write)
    rows = _retax_blank_rows(session, visitor, typed)
    used = {code for line in typed.lines for code in line.tax_codes}
    return _partial(
        request,
        visitor,
        "sales/_line_taxes.html",
        {
            "typed": typed,
            "rows": rows,
            "form": FormState(typed.form_values()),
            "tax_options": common.tax_options(session, used, sale=True),
        },
        typed.pages,
    )


@router.get("/sales/editor/customers")
def editor_customers(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    customer: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The customer picker's choices for what is typed so far."""
    visitor.require("parties:read")
    text = customer if common.customer_by_text(session, customer) is None else ""
    return _partial(
        request,
        visitor,
        "sales/_customer_options.html",
        {"customers": common.customer_options(session, text)},
        common.INVOICES,
    )
