"""/api/v1/sales/settings: number formats, quote rules, what invoices print, reminders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from comptoir.identity.service import organizations
from comptoir.identity.service.sessions import Principal
from comptoir.kit.money import format_minor
from comptoir.sales import schemas
from comptoir.sales.service import settings
from comptoir.server.deps import DbSession, require_scope

router = APIRouter(prefix="/api/v1", tags=["sales settings"])

Reader = Annotated[Principal, require_scope("organization:read")]
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
