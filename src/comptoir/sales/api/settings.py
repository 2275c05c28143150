"""/api/v1/sales/settings: number formats, quote rules, what invoices print, reminders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile, status

from comptoir.identity.service import organizations
from comptoir.identity.service.sessions import Principal
from comptoir.kit.errors import NotFound
from comptoir.kit.money import format_minor
from comptoir.sales import schemas
from comptoir.sales.service import settings
from comptoir.server.deps import DbSession, require_scope
from comptoir.server.openapi import file_responses, problem_responses

router = APIRouter(prefix="/api/v1", tags=["sales settings"])

# Staff who work with invoices read them; portal members (organization:read) must not.
Reader = Annotated[Principal, require_scope("invoices:read")]
Writer = Annotated[Principal, require_scope("organization:write")]


def settings_out(session: DbSession) -> schemas.SalesSettingsOut:
    found = settings.get(session)
    threshold = found.quote_approval_threshold
    currency = organizations.get_current(session).base_currency
    return schemas.SalesSettingsOut(
        invoice_number_format=found.invoice_number_format,
        credit_note_number_format=found.credit_note_number_format,
        quote_number_format=found.quote_number_format,
        quote_validity_days=found.quote_validity_days,
        quote_approval_threshold=None if threshold is None else format_minor(threshold, currency),
        footer=found.footer,
        bank_name=found.bank_name,
        iban=found.iban,
        bic=found.bic,
        late_payment_terms=found.late_payment_terms,
        reminders_enabled=found.reminders_enabled,
        reminder_offsets=list(found.reminder_offsets or []),
        has_logo=found.logo is not None,
    )


@router.get("/sales/settings", summary="The sales settings")
def get_settings(principal: Reader, session: DbSession) -> schemas.SalesSettingsOut:
    """Created with the country's defaults the first time they are read (in France, the
    late-payment terms the law asks invoices to print)."""
    return settings_out(session)


@router.patch("/sales/settings", summary="Change the sales settings")
def update_settings(
    body: schemas.SalesSettingsIn, principal: Writer, session: DbSession
) -> schemas.SalesSettingsOut:
    """Only the fields sent change; `null` clears a text. Number formats take `{YYYY}`,
    `{YY}`, `{MM}` and `{SEQ:05}` (the gap-free counter, zero-padded); they apply to
    documents issued from now on. `reminder_offsets` are days relative to the due date
    (-60 to 365, distinct, at most 10); reminders go out while an invoice is unpaid and
    `reminders_enabled` is true."""
    settings.update(session, body.model_dump(exclude_unset=True))
    return settings_out(session)


@router.get(
    "/sales/settings/logo",
    summary="The logo printed on documents",
    response_class=Response,
    responses=file_responses("image/png", "image/jpeg") | problem_responses(404),
)
def get_logo(principal: Reader, session: DbSession) -> Response:
    """The image as uploaded (PNG or JPEG); 404 when none was set."""
    found = settings.get(session)
    if found.logo is None:
        raise NotFound("No logo yet.")
    return Response(found.logo, media_type=found.logo_content_type)


@router.put("/sales/settings/logo", summary="Set the logo printed on documents")
async def put_logo(
    principal: Writer,
    session: DbSession,
    file: Annotated[UploadFile, File(description="A PNG or JPEG image, at most 512 KB")],
) -> schemas.SalesSettingsOut:
    """Send the image as the `file` field of a multipart form. It prints at the top left of
    quotes, invoices, credit notes and statements made from now on; PDFs already stored
    (issued invoices) keep what they were printed with."""
    settings.set_logo(session, await file.read(settings.MAX_LOGO_BYTES + 1))
    return settings_out(session)


@router.delete(
    "/sales/settings/logo",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove the logo",
)
def delete_logo(principal: Writer, session: DbSession) -> None:
    """Documents made from now on print without a logo; issued PDFs keep theirs."""
    settings.clear_logo(session)
