"""Web pages of the tax engine: Settings → Taxes (the organization's taxes, enable and
disable, add a custom tax, rounding) and the calculation preview document forms embed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Form, Request, Response
from starlette.datastructures import FormData, QueryParams

from comptoir.kit.errors import DomainError, ValidationFailed
from comptoir.kit.money import currency_codes, plain_decimal
from comptoir.ledger.service import accounts
from comptoir.tax.models import Tax
from comptoir.tax.service import documents, taxes
from comptoir.tax.service.calculation import Calculation
from comptoir.web.formatting import page_formats
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    Visitor,
    discard,
    failed_form,
    notice,
    parse_id,
    redirect,
    render,
    web_router,
)

router = web_router()

# Rows of the calculator on the settings page; document forms bring their own lines.
CALCULATOR_LINES = 3
# A preview reads at most as many lines as a document may have.
MAX_PREVIEW_LINES = documents.MAX_LINES
LINE_FIELDS = ("quantity", "unit_price", "discount_percent")
TAX_FIELDS = (
    "code",
    "label",
    "kind",
    "rate",
    "amount",
    "collected_account",
    "deductible_account",
    "mention",
)
NOTICES = {
    "created": "The tax is added. It can be used on documents now.",
    "enabled": "The tax is enabled.",
    "disabled": "The tax is disabled: new documents cannot use it; existing ones keep it.",
    "rounding": "The rounding is saved. It applies to documents calculated from now on.",
}
TREATMENT_LABELS = {
    "domestic": "Domestic",
    "zero_rated": "Zero-rated",
    "reverse_charge": "Reverse charge (EU)",
    "domestic_reverse_charge": "Domestic reverse charge",
    "export": "Export",
    "exempt": "Exempt",
    "disbursement": "Disbursement",
    "levy": "Levy",
}


def _page(
    request: Request, visitor: Visitor, template: str, context: Mapping[str, Any], **kw: Any
) -> Response:
    values = {
        "section": "settings",
        "plain": plain_decimal,
        **page_formats(visitor.organization),
        **context,
    }
    return render(request, template, values, **kw)


def _rate_text(tax: Tax, currency: str) -> str:
    if tax.kind == "fixed":
        return f"{plain_decimal(tax.amount)} {currency} per unit"
    return f"{plain_decimal(tax.rate)} %"


# -- the calculation preview -------------------------------------------------------------


@dataclass
class PreviewLine:
    """A line as typed, and where it sits among the typed rows (blank rows are skipped)."""

    row: int
    quantity: str
    unit_price: str
    discount_percent: str
    tax_codes: list[str]


def typed_lines(fields: QueryParams | FormData) -> list[PreviewLine]:
    """The lines of a document form, named ``lines.<n>.quantity``, ``.unit_price``,
    ``.discount_percent`` and ``.tax_codes`` (repeatable); rows left blank are not lines."""
    rows: dict[int, dict[str, Any]] = {}
    for name, value in fields.multi_items():
        parts = name.split(".")
        if len(parts) != 3 or parts[0] != "lines" or not parts[1].isdigit():
            continue
        row = int(parts[1])
        if row >= MAX_PREVIEW_LINES:
            continue
        typed = rows.setdefault(row, {"tax_codes": []})
        if parts[2] == "tax_codes" and isinstance(value, str):
            if value.strip():
                typed["tax_codes"].append(value.strip())
        elif parts[2] in LINE_FIELDS and isinstance(value, str):
            typed[parts[2]] = value.strip()
    lines = []
    for row in sorted(rows):
        typed = rows[row]
        if not typed.get("quantity") and not typed.get("unit_price"):
            continue
        lines.append(
            PreviewLine(
                row,
                typed.get("quantity") or "1",
                typed.get("unit_price") or "0",
                typed.get("discount_percent") or "0",
                typed["tax_codes"],
            )
        )
    return lines


@dataclass
class Preview:
    currency: str
    calculation: Calculation | None
    # Typed row number → that line's index in the calculation.
    rows: dict[int, int]
    problems: list[str]


def _problem_text(field: str, message: str, lines: list[PreviewLine]) -> str:
    """``lines[2].quantity`` becomes "Line 3, quantity": the row the user sees."""
    if field.startswith("lines[") and "]" in field:
        index = int(field[6 : field.index("]")])
        rest = field[field.index("]") + 2 :].replace("_", " ")
        row = lines[index].row + 1 if index < len(lines) else index + 1
        return f"Line {row}, {rest}: {message}"
    return message


def preview(session: Db, fields: QueryParams | FormData, base_currency: str) -> Preview:
    lines = typed_lines(fields)
    currency = str(fields.get("currency") or base_currency).strip().upper()
    included = str(fields.get("prices_include_tax") or "") in ("on", "true", "1")
    if not lines:
        return Preview(currency, None, {}, [])
    try:
        result = documents.calculate_document(
            session,
            currency=currency,
            prices_include_tax=included,
            lines=[
                documents.DocumentLine(
                    line.quantity, line.unit_price, line.discount_percent, line.tax_codes
                )
                for line in lines
            ],
        )
    except ValidationFailed as exc:
        return Preview(
            currency, None, {}, [_problem_text(e.field, e.message, lines) for e in exc.errors]
        )
    return Preview(currency, result, {line.row: i for i, line in enumerate(lines)}, [])


@router.get("/taxes/preview")
def tax_preview(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    """The live totals of a document form, asked for by HTMX as lines are typed: the same
    calculation documents, the API and the ledger use."""
    visitor.require("taxes:read")
    return _page(
        request,
        visitor,
        "tax/_preview.html",
        {"preview": preview(session, request.query_params, visitor.organization.base_currency)},
    )


# -- settings ----------------------------------------------------------------------------


def _settings_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    *,
    tax_form: FormState | None = None,
    rounding_error: str | None = None,
    status_code: int = 200,
) -> Response:
    show_all = request.query_params.get("all") == "true"
    every = taxes.list_taxes(session)
    shown = every if show_all else [tax for tax in every if tax.active]
    active = [tax for tax in every if tax.active]
    base = visitor.organization.base_currency
    # The calculator starts with one line, so that the page shows what a preview looks like.
    example = {
        "currency": base,
        "lines.0.quantity": "1",
        "lines.0.unit_price": "100",
        "lines.0.tax_codes": active[0].code if active else "",
    }
    return _page(
        request,
        visitor,
        "tax/settings_taxes.html",
        {
            "taxes": shown,
            "disabled_count": len(every) - len(active),
            "show_all": show_all,
            "codes": taxes.account_codes(session, shown),
            "rate_text": lambda tax: _rate_text(tax, base),
            "treatment_labels": TREATMENT_LABELS,
            "rounding": documents.rounding_of(session),
            "tax_form": tax_form or FormState({"kind": "percent"}),
            "postable": accounts.list_accounts(session, accounts.AccountFilter(postable_only=True)),
            "active_taxes": active,
            "calculator_lines": CALCULATOR_LINES,
            "calculator": FormState(example),
            "currencies": currency_codes(),
            "preview": preview(session, QueryParams(example), base),
            "rounding_error": rounding_error,
            "notice": notice(request, NOTICES),
            "tab": "taxes",
        },
        status_code=status_code,
    )


@router.get("/settings/taxes")
def taxes_settings(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("taxes:read")
    return _settings_page(request, visitor, session)


@router.post("/settings/taxes/rounding")
def save_rounding(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    rounding: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    visitor.require("taxes:write")
    try:
        documents.set_rounding(session, rounding)
    except DomainError as exc:
        discard(session, exc)
        return _settings_page(
            request,
            visitor,
            session,
            rounding_error="Choose per line or per document.",
            status_code=exc.status,
        )
    return redirect("/settings/taxes?notice=rounding")


@router.post("/settings/taxes/new")
async def create_tax(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("taxes:write")
    form = await request.form()
    typed = {name: str(form.get(name) or "").strip() for name in TAX_FIELDS}
    flags = {name: form.get(name) == "on" for name in ("price_included", "compound")}
    values: dict[str, Any] = {name: value for name, value in typed.items() if value}
    values.setdefault("kind", "percent")
    values.update(flags)
    try:
        taxes.create(session, values, actor_id=visitor.user.id)
    except DomainError as exc:
        state = failed_form(
            session, exc, {**typed, **{k: "on" if v else "" for k, v in flags.items()}}
        )
        return _settings_page(request, visitor, session, tax_form=state, status_code=state.status)
    return redirect("/settings/taxes?notice=created")


def _set_active(session: Db, tax_id: str, active: bool, show_all: str) -> Response:
    taxes.update(session, parse_id(tax_id, "No such tax."), {"active": active})
    back = "&all=true" if show_all == "true" else ""
    return redirect(f"/settings/taxes?notice={'enabled' if active else 'disabled'}{back}")


@router.post("/settings/taxes/{tax_id}/enable")
def enable_tax(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    tax_id: str,
    show_all: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    visitor.require("taxes:write")
    return _set_active(session, tax_id, True, show_all)


@router.post("/settings/taxes/{tax_id}/disable")
def disable_tax(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    tax_id: str,
    show_all: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    visitor.require("taxes:write")
    return _set_active(session, tax_id, False, show_all)
