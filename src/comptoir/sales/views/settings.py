"""Settings → Sales: number formats, quotes, what invoices print, payment reminders, and
the payment providers whose callbacks record payments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request, Response
from starlette.datastructures import UploadFile

from comptoir.kit.errors import DomainError, NotFound, ValidationFailed
from comptoir.kit.money import format_minor
from comptoir.kit.settings import Settings
from comptoir.sales.service import callbacks, payments, providers, settings
from comptoir.sales.views import common
from comptoir.web.formatting import page_formats
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    PostedForm,
    Visitor,
    discard,
    failed_form,
    notice,
    redirect,
    render,
    web_router,
)

router = web_router()

TEXT_FIELDS = (
    "invoice_number_format",
    "credit_note_number_format",
    "quote_number_format",
    "footer",
    "bank_name",
    "iban",
    "bic",
    "late_payment_terms",
)
PROVIDER_FIELDS = ("provider", "account", "method", "secret")
RECENT_EVENTS = 10
NOTICES = {
    "saved": "The sales settings are saved.",
    "connected": "The payment provider is connected. Give it the callback URL below.",
    "updated": "The payment provider's connection is saved.",
    "disconnected": "The payment provider is disconnected: its callback URL no longer works.",
    "logo_saved": "The logo is saved: documents print it from now on.",
    "logo_removed": "The logo is removed.",
}
OUTCOME_LABELS = {
    "payment_recorded": "Payment recorded",
    "ignored": "Ignored",
    "rejected": "Rejected",
}


def _settings_form(session: Db, visitor: Visitor) -> FormState:
    found = settings.get(session)
    values = {name: getattr(found, name) or "" for name in TEXT_FIELDS}
    threshold = found.quote_approval_threshold
    values["quote_validity_days"] = str(found.quote_validity_days)
    values["quote_approval_threshold"] = (
        "" if threshold is None else format_minor(threshold, visitor.organization.base_currency)
    )
    values["reminders_enabled"] = "on" if found.reminders_enabled else ""
    values["reminder_offsets"] = ", ".join(str(day) for day in found.reminder_offsets or [])
    return FormState(values)


def _page(
    request: Request,
    visitor: Visitor,
    session: Db,
    *,
    form: FormState | None = None,
    provider_form: FormState | None = None,
    secret: tuple[str, str] | None = None,
    logo_error: str | None = None,
) -> Response:
    connections = providers.list_connections(session) if visitor.can("payments:read") else []
    config: Settings = request.app.state.settings
    connected = {connection.row.provider for connection in connections}
    state = form or _settings_form(session, visitor)
    provider_state = provider_form or FormState(
        {
            "provider": next((p for p in providers.PROVIDERS if p not in connected), "generic"),
            "method": "card",
        }
    )
    status = max(state.status, provider_state.status, 422 if logo_error else 200)
    return render(
        request,
        "sales/settings_sales.html",
        {
            "section": "settings",
            "tab": "sales",
            "form": state,
            "provider_form": provider_state,
            "notice": notice(request, NOTICES),
            "connections": [
                (connection, providers.callback_url(config.base_url, connection.row))
                for connection in connections
            ],
            "events": callbacks.list_events(session, None, limit=RECENT_EVENTS, cursor=None).items
            if visitor.can("payments:read")
            else [],
            "provider_names": providers.PROVIDERS,
            "signature_headers": callbacks.SIGNATURE_HEADERS,
            "outcome_labels": OUTCOME_LABELS,
            "secret": secret,
            "secret_hint": providers.secret_hint,
            "has_logo": settings.get(session).logo is not None,
            "logo_error": logo_error,
            "accounts": common.bank_accounts(session),
            "methods": payments.METHODS,
            **page_formats(visitor.organization),
        },
        status_code=status,
    )


@router.get("/settings/sales")
def sales_settings_page(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("invoices:read")
    return _page(request, visitor, session)


def _typed(form: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(form.get(name) or "").strip() for name in names}


@router.post("/settings/sales")
def save_sales_settings(
    request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require("organization:write")
    typed = _typed(form, (*TEXT_FIELDS, "quote_validity_days", "quote_approval_threshold"))
    typed["reminder_offsets"] = str(form.get("reminder_offsets") or "")
    typed["reminders_enabled"] = "on" if form.get("reminders_enabled") else ""
    values: dict[str, Any] = dict(typed)
    days = typed["quote_validity_days"]
    values["quote_validity_days"] = int(days) if days.isascii() and days.isdigit() else days
    values["quote_approval_threshold"] = common.number_text(typed["quote_approval_threshold"])
    values["reminders_enabled"] = bool(typed["reminders_enabled"])
    try:
        settings.update(session, values)
    except ValidationFailed as exc:
        return _page(request, visitor, session, form=failed_form(session, exc, typed))
    return redirect("/settings/sales?notice=saved")


def _shown_secret(connection: providers.Connection) -> tuple[str, str] | None:
    if connection.secret is None:
        return None
    return providers.PROVIDERS[connection.row.provider], connection.secret


@router.post("/settings/sales/providers")
def connect_provider(
    request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require("organization:write")
    typed = _typed(form, PROVIDER_FIELDS)
    values: dict[str, Any] = {
        "account": typed["account"],
        "method": typed["method"] or None,
        "secret": typed["secret"] or None,
    }
    try:
        connection, created = providers.connect(session, typed["provider"], values)
    except DomainError as exc:
        # The secret typed is never written back into the page.
        state = failed_form(session, exc, {**typed, "secret": ""})
        if exc.status == 404:
            state.errors["provider"] = "Choose a provider."
        return _page(request, visitor, session, provider_form=state)
    shown = _shown_secret(connection)
    if shown is not None:
        return _page(request, visitor, session, secret=shown)
    return redirect(f"/settings/sales?notice={'connected' if created else 'updated'}#providers")


@router.post("/settings/sales/providers/{provider}/rotate")
def rotate_provider_secret(
    request: Request, provider: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("organization:write")
    connection = providers.rotate_secret(session, provider)
    return _page(request, visitor, session, secret=_shown_secret(connection))


@router.post("/settings/sales/providers/{provider}/delete")
def disconnect_provider(provider: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("organization:write")
    providers.disconnect(session, provider)
    return redirect("/settings/sales?notice=disconnected#providers")


@router.get("/settings/sales/logo")
def sales_logo(visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("invoices:read")
    found = settings.get(session)
    if found.logo is None:
        raise NotFound("No logo yet.")
    return Response(found.logo, media_type=found.logo_content_type)


@router.post("/settings/sales/logo")
def upload_logo(
    request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require("organization:write")
    upload = form.get("logo")
    content = b""
    if isinstance(upload, UploadFile) and upload.filename:
        content = upload.file.read(settings.MAX_LOGO_BYTES + 1)
    try:
        settings.set_logo(session, content)
    except ValidationFailed as exc:
        discard(session, exc)
        return _page(request, visitor, session, logo_error=exc.errors[0].message)
    return redirect("/settings/sales?notice=logo_saved#logo")


@router.post("/settings/sales/logo/delete")
def remove_logo(visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("organization:write")
    settings.clear_logo(session)
    return redirect("/settings/sales?notice=logo_removed#logo")
