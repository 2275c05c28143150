"""The customer portal: what a client member sees of the customer they are linked to
(what is due, invoices, quotes, credit notes, payments, each document and its PDF).

Supplier members find the page their documents will fill once purchases arrive; a
member not linked to a party yet is told so. Staff have no portal: every page answers
404 for them. The party comes from the member's link on each request, so a changed link
takes effect at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Query, Request, Response

from comptoir.identity.roles import PORTAL_ROLES, Role
from comptoir.identity.service import party_links
from comptoir.identity.service.party_links import LinkedParty
from comptoir.kit.context import current_origin
from comptoir.kit.errors import Conflict, NotFound, ValidationFailed
from comptoir.kit.money import plain_decimal, to_minor
from comptoir.sales.service import documents, payments, portal, quotes
from comptoir.sales.views.public import STATUS_NAMES
from comptoir.web.formatting import group_digits, page_formats
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    PostedForm,
    Visitor,
    failed_form,
    notice,
    parse_id,
    redirect,
    render,
    web_router,
)

if TYPE_CHECKING:
    from comptoir.sales.models import SalesDocument

router = web_router()

PAGE_SIZE = 50
BASE = "/portal"
# The lists of documents: path, kind, title.
LISTS: dict[str, tuple[documents.Kind, str]] = {
    "invoices": ("invoice", "Invoices"),
    "quotes": ("quote", "Quotes"),
    "credit-notes": ("credit_note", "Credit notes"),
}
KIND_TITLES = {"invoice": "Invoice", "quote": "Quote", "credit_note": "Credit note"}
PORTAL_NOTICES = {"joined": "Welcome aboard: you have joined."}
DOCUMENT_NOTICES = {
    "accepted": "Thank you: you accepted this quote. We have let the seller know.",
    "declined": "You declined this quote. We have let the seller know.",
}
NOT_HERE = "The portal is where customers and suppliers see their documents."

Cursor = Annotated[str | None, Query(max_length=200)]


def _price(value: Decimal, currency: str, money: Callable[..., str]) -> str:
    """A unit price as the document prints it: the currency's digits, more when it has them."""
    try:
        return money(to_minor(value, currency), currency)
    except ValueError:
        return group_digits(plain_decimal(value))


def _page(
    request: Request,
    visitor: Visitor,
    template: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    formats = page_formats(visitor.organization)
    values = {
        "kind_titles": KIND_TITLES,
        "status_label": _status_label,
        "overdue": documents.is_overdue,
        "amount_due": documents.amount_due,
        "methods": payments.METHODS,
        "lists": LISTS,
        "tab": "",
        **formats,
        "decimal": plain_decimal,
        "price": lambda value, currency: _price(value, currency, formats["money"]),
        **context,
    }
    return render(request, template, values, status_code=status_code)


def _status_label(document: SalesDocument) -> str:
    """The status in the customer's words, as on the document's public page."""
    if documents.is_overdue(document):
        return "Overdue"
    status = quotes.status_of(document)
    return STATUS_NAMES[document.kind].get(status, status.replace("_", " ").capitalize())


def _linked(visitor: Visitor, session: Db) -> LinkedParty | None:
    role = visitor.principal.role
    if role not in PORTAL_ROLES:
        raise NotFound(NOT_HERE)
    return party_links.find(session, role, party_links.party_of(session, visitor.user.id))


def _customer_or_page(request: Request, visitor: Visitor, session: Db) -> LinkedParty | Response:
    """The customer whose documents the pages show, or the page that stands instead: for a
    member not linked to a party, or for a supplier."""
    party = _linked(visitor, session)
    if party is not None and visitor.principal.role == Role.CLIENT:
        return party
    template = "sales/portal/unlinked.html" if party is None else "sales/portal/supplier.html"
    context = {"party": party, "notice": notice(request, PORTAL_NOTICES)}
    return _page(request, visitor, template, context)


def _customer(visitor: Visitor, session: Db) -> LinkedParty:
    """The customer, for the pages of one document: anyone else finds no such document."""
    party = _linked(visitor, session)
    if party is None or visitor.principal.role != Role.CLIENT:
        raise NotFound("No such document.")
    return party


@router.get(BASE)
def portal_home(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    party = _customer_or_page(request, visitor, session)
    if isinstance(party, Response):
        return party
    return _page(
        request,
        visitor,
        "sales/portal/home.html",
        {
            "party": party,
            "overview": portal.overview(session, party.id),
            "notice": notice(request, PORTAL_NOTICES),
        },
    )


def _document_list(
    request: Request, visitor: Visitor, session: Db, path: str, cursor: str | None
) -> Response:
    party = _customer_or_page(request, visitor, session)
    if isinstance(party, Response):
        return party
    kind, title = LISTS[path]
    page = portal.list_documents(session, party.id, kind, limit=PAGE_SIZE, cursor=cursor)
    return _page(
        request,
        visitor,
        "sales/portal/documents.html",
        {
            "party": party,
            "tab": path,
            "title": title,
            "kind": kind,
            "rows": page.items,
            "next_url": f"{BASE}/{path}?cursor={page.next_cursor}" if page.next_cursor else None,
            "first_page": cursor is None,
        },
    )


@router.get(f"{BASE}/invoices")
def portal_invoices(
    request: Request, visitor: CurrentVisitor, session: Db, cursor: Cursor = None
) -> Response:
    return _document_list(request, visitor, session, "invoices", cursor)


@router.get(f"{BASE}/quotes")
def portal_quotes(
    request: Request, visitor: CurrentVisitor, session: Db, cursor: Cursor = None
) -> Response:
    return _document_list(request, visitor, session, "quotes", cursor)


@router.get(f"{BASE}/credit-notes")
def portal_credit_notes(
    request: Request, visitor: CurrentVisitor, session: Db, cursor: Cursor = None
) -> Response:
    return _document_list(request, visitor, session, "credit-notes", cursor)


@router.get(f"{BASE}/payments")
def portal_payments(
    request: Request, visitor: CurrentVisitor, session: Db, cursor: Cursor = None
) -> Response:
    party = _customer_or_page(request, visitor, session)
    if isinstance(party, Response):
        return party
    page = portal.list_payments(session, party.id, limit=PAGE_SIZE, cursor=cursor)
    return _page(
        request,
        visitor,
        "sales/portal/payments.html",
        {
            "party": party,
            "tab": "payments",
            "rows": page.items,
            "next_url": f"{BASE}/payments?cursor={page.next_cursor}" if page.next_cursor else None,
            "first_page": cursor is None,
        },
    )


def _document_id(value: str) -> uuid.UUID:
    return parse_id(value, "No such document.")


def _document_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    party: LinkedParty,
    document_id: uuid.UUID,
    *,
    accept_form: FormState | None = None,
    decline_form: FormState | None = None,
) -> Response:
    view = portal.document_view(session, party.id, document_id)
    document = view.document
    tab = next(path for path, (kind, _) in LISTS.items() if kind == document.kind)
    answerable = document.kind == "quote" and quotes.status_of(document) == "sent"
    failed = accept_form or decline_form
    return _page(
        request,
        visitor,
        "sales/portal/document.html",
        {
            "party": party,
            "view": view,
            "document": document,
            "tab": tab,
            "answerable": answerable,
            # A refusal whose form is gone (the quote expired or was answered meanwhile)
            # is told at the top instead.
            "problem": failed.alert if failed is not None and not answerable else None,
            "accept_form": accept_form or FormState({"name": "", "agree": ""}),
            "decline_form": decline_form or FormState({"reason": ""}),
            "notice": notice(request, DOCUMENT_NOTICES),
        },
        status_code=failed.status if failed else 200,
    )


@router.get(f"{BASE}/documents/{{document_id}}")
def portal_document(
    request: Request, document_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    party = _customer(visitor, session)
    return _document_page(request, visitor, session, party, _document_id(document_id))


@router.post(f"{BASE}/documents/{{document_id}}/accept")
def portal_accept_quote(
    request: Request, document_id: str, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    party = _customer(visitor, session)
    quote_id = _document_id(document_id)
    values = {"name": str(form.get("name") or ""), "agree": str(form.get("agree") or "")}
    origin = current_origin()
    try:
        portal.accept_quote(
            session,
            party.id,
            quote_id,
            name=values["name"],
            agreed=bool(values["agree"]),
            ip=origin.ip,
            user_agent=origin.user_agent,
        )
    except (ValidationFailed, Conflict) as exc:
        state = failed_form(session, exc, values)
        return _document_page(request, visitor, session, party, quote_id, accept_form=state)
    return redirect(f"{BASE}/documents/{quote_id}?notice=accepted", request)


@router.post(f"{BASE}/documents/{{document_id}}/decline")
def portal_decline_quote(
    request: Request, document_id: str, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    party = _customer(visitor, session)
    quote_id = _document_id(document_id)
    values = {"reason": str(form.get("reason") or "")}
    try:
        portal.decline_quote(session, party.id, quote_id, reason=values["reason"])
    except (ValidationFailed, Conflict) as exc:
        state = failed_form(session, exc, values)
        return _document_page(request, visitor, session, party, quote_id, decline_form=state)
    return redirect(f"{BASE}/documents/{quote_id}?notice=declined", request)


@router.get(f"{BASE}/documents/{{document_id}}/pdf")
def portal_document_pdf(document_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    party = _customer(visitor, session)
    name, content = portal.document_pdf(session, party.id, _document_id(document_id))
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
