"""The page of a quote, an invoice or a credit note at its public link (``/d/{token}``),
for a customer without an account: the document as its PDF shows it, the PDF itself, and
for a sent quote the forms to accept it (full name typed as signature) or decline it.

The page is built from the same printable document as the PDF, so that both show the
same words and figures. The customer's first visit is recorded; members of the seller's
organization previewing the page are not counted as the customer.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time
from fastapi import Request, Response

from comptoir.identity.roles import PORTAL_ROLES
from comptoir.identity.service import organizations
from comptoir.kit.context import current_origin
from comptoir.kit.errors import DomainError, PermissionDenied
from comptoir.sales.service import pdf, public, quotes
from comptoir.web.websession import (
    CommittingDb,
    Db,
    FormState,
    MaybeVisitor,
    PostedForm,
    Visitor,
    failed_form,
    notice,
    redirect,
    render,
    web_router,
)

if TYPE_CHECKING:
    from comptoir.sales.models import SalesDocument

router = web_router()

NOTICES = {
    "accepted": "Thank you: you accepted this quote. We have let the seller know.",
    "declined": "You declined this quote. We have let the seller know.",
}
KIND_NAMES = {"quote": "Quote", "invoice": "Invoice", "credit_note": "Credit note"}
# What each status means to the customer, by kind.
STATUS_NAMES = {
    "quote": {
        "sent": "Awaiting your answer",
        "accepted": "Accepted",
        "converted": "Accepted",
        "declined": "Declined",
        "expired": "Expired",
    },
    "invoice": {
        "issued": "To pay",
        "sent": "To pay",
        "partially_paid": "Partly paid",
        "paid": "Paid",
        "cancelled": "Cancelled",
    },
    "credit_note": {"issued": "Issued"},
}


def _is_staff(visitor: Visitor | None, document: SalesDocument) -> bool:
    """Whether the visitor works for the seller: their visit is a preview, and the answer
    is the customer's to give (staff record one from the quote's page, as themselves). A
    portal member of the seller is the customer."""
    return (
        visitor is not None
        and visitor.organization.id == document.organization_id
        and visitor.principal.role not in PORTAL_ROLES
    )


def _refuse_staff(visitor: Visitor | None, document: SalesDocument) -> None:
    if _is_staff(visitor, document):
        raise PermissionDenied(
            "Only the customer answers here. To record their answer, use the quote's page "
            "in Comptoir."
        )


def _moment(value: datetime | None, formats: pdf.Formats, timezone: str) -> str:
    """When the customer answered, in the document's language and the seller's time zone."""
    if value is None:
        return ""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = value.astimezone(zone)
    day = format_date(local, format="long", locale=formats.locale)
    return f"{day}, {format_time(local, format='short', locale=formats.locale)}"


def _page(
    request: Request,
    session: Db,
    token: str,
    document: SalesDocument,
    *,
    preview: bool,
    accept_form: FormState | None = None,
    decline_form: FormState | None = None,
) -> Response:
    status = quotes.status_of(document)
    answerable = document.kind == "quote" and status == "sent"
    failed = accept_form or decline_form
    formats = pdf.Formats(document.language, document.currency)
    timezone = organizations.get_current(session).timezone
    return render(
        request,
        "sales/public/document.html",
        {
            "document": document,
            "printed": pdf.build(session, document),
            "valid_until": formats.day(document.valid_until),
            "accepted_at": _moment(document.accepted_at, formats, timezone),
            "declined_at": _moment(document.declined_at, formats, timezone),
            "kind_name": KIND_NAMES[document.kind],
            "status": status,
            "status_name": STATUS_NAMES[document.kind].get(status, status.capitalize()),
            "answerable": answerable,
            # A refusal whose form is no longer shown (the quote expired meanwhile, or
            # was answered from another tab) is told at the top instead.
            "problem": failed.alert if failed is not None and not answerable else None,
            "preview": preview,
            "token": token,
            "accept_form": accept_form or FormState({"name": "", "agree": ""}),
            "decline_form": decline_form or FormState({"reason": ""}),
            "notice": notice(request, NOTICES),
        },
        status_code=failed.status if failed else 200,
    )


@router.get("/d/{token}")
def document_page(
    request: Request, token: str, session: CommittingDb, visitor: MaybeVisitor
) -> Response:
    document = public.open_document(session, token)
    preview = _is_staff(visitor, document)
    if not preview:
        public.record_view(session, document)
    return _page(request, session, token, document, preview=preview)


@router.get("/d/{token}/pdf")
def document_pdf(token: str, session: Db) -> Response:
    document = public.open_document(session, token)
    return Response(
        pdf.render_document(session, document),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{pdf.file_name(document)}"'},
    )


@router.post("/d/{token}/accept")
def accept_quote(
    request: Request, token: str, session: Db, form: PostedForm, visitor: MaybeVisitor
) -> Response:
    document = public.open_quote(session, token)
    _refuse_staff(visitor, document)
    values = {"name": str(form.get("name") or ""), "agree": str(form.get("agree") or "")}
    origin = current_origin()
    try:
        quotes.accept_online(
            session,
            document,
            name=values["name"],
            agreed=bool(values["agree"]),
            ip=origin.ip,
            user_agent=origin.user_agent,
        )
    except DomainError as exc:
        state = failed_form(session, exc, values)
        return _page(request, session, token, document, preview=False, accept_form=state)
    return redirect(f"/d/{token}?notice=accepted", request)


@router.post("/d/{token}/decline")
def decline_quote(
    request: Request, token: str, session: Db, form: PostedForm, visitor: MaybeVisitor
) -> Response:
    document = public.open_quote(session, token)
    _refuse_staff(visitor, document)
    values = {"reason": str(form.get("reason") or "")}
    try:
        quotes.decline(session, document, reason=values["reason"])
    except DomainError as exc:
        state = failed_form(session, exc, values)
        return _page(request, session, token, document, preview=False, decline_form=state)
    return redirect(f"/d/{token}?notice=declined", request)
