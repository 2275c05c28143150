"""/api/v1/quotes: drafts, approval, sending, the customer's answer, conversion, PDF."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from comptoir.identity.service.sessions import Principal
from comptoir.kit.settings import Settings
from comptoir.sales import schemas
from comptoir.sales.api.documents import ListQuery, draft_values, pdf_response
from comptoir.sales.api.output import detail, quote_detail, quote_summary
from comptoir.sales.service import documents, quotes
from comptoir.server.deps import DbSession, get_settings, require_scope
from comptoir.server.idempotency import IdempotencyGuard

router = APIRouter(prefix="/api/v1", tags=["quotes"])

QuoteReader = Annotated[Principal, require_scope("quotes:read")]
QuoteWriter = Annotated[Principal, require_scope("quotes:write")]
InvoiceWriter = Annotated[Principal, require_scope("invoices:write")]
AppSettings = Annotated[Settings, Depends(get_settings)]
QuoteOut = schemas.QuoteOut


def _list_query(
    status_filter: Annotated[
        schemas.QuoteStatus | None,
        Query(alias="status", description="The stored status (see the quote statuses)"),
    ] = None,
    customer: uuid.UUID | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    q: Annotated[
        str | None, Query(max_length=200, description="In number, reference, customer")
    ] = None,
    sort: Annotated[
        str,
        Query(
            max_length=20,
            description="-created (default), issue_date, -issue_date, number, -number, "
            "gross, -gross",
        ),
    ] = "-created",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ListQuery:
    return ListQuery(status_filter, customer, date_from, date_to, q, sort, limit, cursor)


Listing = Annotated[ListQuery, Depends(_list_query)]


def _out(session: DbSession, settings: Settings, quote_id: uuid.UUID) -> QuoteOut:
    return quote_detail(session, quotes.get(session, quote_id), settings.base_url)


@router.get("/quotes", summary="Quotes")
def list_quotes(principal: QuoteReader, session: DbSession, query: Listing) -> schemas.QuotePage:
    """Filter by status, customer, issue-date range and text; sort; paginate with
    `next_cursor`. A quote past its validity shows `expired` at once; the `status` filter
    reads the stored status, which the worker brings up to date every hour."""
    page = documents.list_documents(
        session, query.filter("quote"), limit=query.limit, cursor=query.cursor
    )
    customers = documents.customers_of(session, page.items)
    return schemas.QuotePage(
        items=[quote_summary(quote, customers[quote.party_id]) for quote in page.items],
        next_cursor=page.next_cursor,
    )


@router.post(
    "/quotes",
    status_code=status.HTTP_201_CREATED,
    summary="Draft a quote",
    response_model=QuoteOut,
)
def create_quote(
    body: schemas.QuoteIn,
    principal: QuoteWriter,
    settings: AppSettings,
    session: DbSession,
    guard: IdempotencyGuard,
) -> Response:
    """A draft numbered at once from the quote series (`D-2026-00001`), valid for the
    organization's validity period unless `valid_until` says otherwise. Currency, payment
    terms and language default from the customer; lines take a product or free text, and
    the tax engine computes the totals. Send `Idempotency-Key` to make retries safe."""

    def produce() -> QuoteOut:
        quote = quotes.create(session, draft_values(body), actor_id=principal.user_id)
        return quote_detail(session, quote, settings.base_url)

    return guard.run(principal, body, produce, status_code=status.HTTP_201_CREATED)


@router.get("/quotes/{quote_id}", summary="One quote")
def get_quote(
    quote_id: uuid.UUID, principal: QuoteReader, settings: AppSettings, session: DbSession
) -> QuoteOut:
    """With its lines, tax breakdown, approval, the customer's answer, public link,
    invoice and timeline."""
    return _out(session, settings, quote_id)


@router.patch("/quotes/{quote_id}", summary="Change a draft or rejected quote")
def update_quote(
    quote_id: uuid.UUID,
    body: schemas.QuoteUpdate,
    principal: QuoteWriter,
    settings: AppSettings,
    session: DbSession,
) -> QuoteOut:
    """Drafts change freely; a rejected quote goes back to draft with the change, to be
    submitted again. Any other status answers 409 `not_a_draft`. `lines`, when sent,
    replace all the lines."""
    quotes.update(session, quote_id, draft_values(body), actor_id=principal.user_id)
    return _out(session, settings, quote_id)


@router.delete(
    "/quotes/{quote_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a draft or rejected quote",
)
def delete_quote(quote_id: uuid.UUID, principal: QuoteWriter, session: DbSession) -> None:
    """Its number is not reused. Quotes that went out stay, as the record of the offer."""
    quotes.delete(session, quote_id, actor_id=principal.user_id)


@router.post("/quotes/{quote_id}/submit", summary="Submit a quote for approval")
def submit_quote(
    quote_id: uuid.UUID, principal: QuoteWriter, settings: AppSettings, session: DbSession
) -> QuoteOut:
    """From draft or rejected. At or under the organization's approval threshold (its
    total in the base currency, at the rate of its date), or with no threshold, it is
    approved at once (`approval.automatic`); above it, it waits for an owner or an
    administrator. 422 without lines or past its validity; 409 from any other status."""
    quotes.submit(session, quotes.get(session, quote_id), actor_id=principal.user_id)
    return _out(session, settings, quote_id)


@router.post("/quotes/{quote_id}/approve", summary="Approve a submitted quote")
def approve_quote(
    quote_id: uuid.UUID, principal: QuoteWriter, settings: AppSettings, session: DbSession
) -> QuoteOut:
    """Owners and administrators only (403 `approval_not_allowed` for other roles, the
    submitter included). 409 unless it is submitted."""
    quote = quotes.get(session, quote_id)
    quotes.approve(session, quote, actor_id=principal.user_id, role=principal.role)
    return _out(session, settings, quote_id)


@router.post("/quotes/{quote_id}/reject", summary="Reject a submitted quote")
def reject_quote(
    quote_id: uuid.UUID,
    body: schemas.QuoteRejectIn,
    principal: QuoteWriter,
    settings: AppSettings,
    session: DbSession,
) -> QuoteOut:
    """Owners and administrators only, with the reason; its author edits it (which puts
    it back in draft) and submits it again."""
    quote = quotes.get(session, quote_id)
    quotes.reject(session, quote, body.reason, actor_id=principal.user_id, role=principal.role)
    return _out(session, settings, quote_id)


@router.post("/quotes/{quote_id}/send", summary="E-mail a quote to the customer")
def send_quote(
    quote_id: uuid.UUID,
    principal: QuoteWriter,
    settings: AppSettings,
    session: DbSession,
    body: schemas.QuoteSendIn | None = None,
) -> QuoteOut:
    """From approved; from draft when it needs no approval (it is submitted and approved
    on the way; 409 `approval_required` otherwise); from sent, to send it again. The
    e-mail carries the PDF and the link of the page where the customer accepts or
    declines it. The body is optional."""
    body = body or schemas.QuoteSendIn()
    quotes.send(
        session,
        quotes.get(session, quote_id),
        settings=settings,
        to=body.to,
        subject=body.subject,
        message=body.message,
        actor_id=principal.user_id,
    )
    return _out(session, settings, quote_id)


@router.post("/quotes/{quote_id}/accept", summary="Record the customer's acceptance")
def accept_quote(
    quote_id: uuid.UUID,
    principal: QuoteWriter,
    settings: AppSettings,
    session: DbSession,
    body: schemas.QuoteAcceptIn | None = None,
) -> QuoteOut:
    """When the customer said yes outside the quote's page; you are recorded as the one
    who entered it. Only a sent quote within its validity (409 `quote_expired` after).
    The body is optional."""
    body = body or schemas.QuoteAcceptIn()
    quote = quotes.get(session, quote_id)
    quotes.accept(session, quote, name=body.name, actor_id=principal.user_id)
    return _out(session, settings, quote_id)


@router.post("/quotes/{quote_id}/decline", summary="Record the customer's refusal")
def decline_quote(
    quote_id: uuid.UUID,
    principal: QuoteWriter,
    settings: AppSettings,
    session: DbSession,
    body: schemas.QuoteDeclineIn | None = None,
) -> QuoteOut:
    """Only a sent quote within its validity. The body is optional."""
    body = body or schemas.QuoteDeclineIn()
    quote = quotes.get(session, quote_id)
    quotes.decline(session, quote, reason=body.reason, actor_id=principal.user_id)
    return _out(session, settings, quote_id)


@router.post(
    "/quotes/{quote_id}/convert",
    status_code=status.HTTP_201_CREATED,
    summary="Turn an accepted quote into an invoice draft",
    response_model=schemas.DocumentOut,
)
def convert_quote(
    quote_id: uuid.UUID, principal: InvoiceWriter, session: DbSession, guard: IdempotencyGuard
) -> Response:
    """Answers the invoice draft: the quote's customer, terms and lines, dated today, its
    `source_id` the quote; the quote becomes `converted`. It takes `invoices:write`, as
    it makes an invoice: whoever bills (an accountant too) turns the accepted offer into
    one. A quote converts once: again, 409 `already_converted` naming the invoice."""

    def produce() -> schemas.DocumentOut:
        quote = quotes.get(session, quote_id)
        return detail(session, quotes.convert(session, quote, actor_id=principal.user_id))

    return guard.run(principal, None, produce, status_code=status.HTTP_201_CREATED)


@router.post(
    "/quotes/{quote_id}/duplicate",
    status_code=status.HTTP_201_CREATED,
    summary="Copy a quote into a new draft",
    response_model=QuoteOut,
)
def duplicate_quote(
    quote_id: uuid.UUID,
    principal: QuoteWriter,
    settings: AppSettings,
    session: DbSession,
    guard: IdempotencyGuard,
) -> Response:
    """Same customer, terms and lines; a new number, today's date and a fresh validity.
    Works from any status: the way to offer again after an expiry or a refusal."""

    def produce() -> QuoteOut:
        copy = quotes.duplicate(session, quotes.get(session, quote_id), actor_id=principal.user_id)
        return quote_detail(session, copy, settings.base_url)

    return guard.run(principal, None, produce, status_code=status.HTTP_201_CREATED)


@router.get(
    "/quotes/{quote_id}/pdf",
    summary="The quote's PDF",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def quote_pdf(quote_id: uuid.UUID, principal: QuoteReader, session: DbSession) -> Response:
    """The very file the customer received once it was sent; before, a rendering of the
    quote as it stands (marked DRAFT while it is a draft)."""
    return pdf_response(session, quotes.get(session, quote_id))
