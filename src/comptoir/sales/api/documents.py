"""/api/v1/invoices and /api/v1/credit-notes: drafts, issuing, cancelling, PDF."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from comptoir.identity.service.sessions import Principal
from comptoir.kit.money import parse_amount
from comptoir.sales import schemas
from comptoir.sales.api.output import detail, summary
from comptoir.sales.service import credit_notes, documents, issuing, pdf
from comptoir.server.deps import DbSession, require_scope
from comptoir.server.idempotency import IdempotencyGuard

router = APIRouter(prefix="/api/v1")

InvoiceReader = Annotated[Principal, require_scope("invoices:read")]
InvoiceWriter = Annotated[Principal, require_scope("invoices:write")]
CreditReader = Annotated[Principal, require_scope("credit_notes:read")]
CreditWriter = Annotated[Principal, require_scope("credit_notes:write")]

StatusQuery = Annotated[
    str | None,
    Query(
        alias="status",
        max_length=20,
        description="draft, issued, sent, partially_paid, paid, cancelled; also open "
        "(issued, sent or partially paid) and overdue (open and past due)",
    ),
]
SortQuery = Annotated[
    str,
    Query(
        max_length=20,
        description="-created (default), issue_date, -issue_date, due_date, -due_date, "
        "number, -number, gross, -gross",
    ),
]


@dataclass(frozen=True)
class ListQuery:
    """The filters, sort and page every document list takes."""

    status: str | None
    customer: uuid.UUID | None
    date_from: date | None
    date_to: date | None
    q: str | None
    sort: str
    limit: int
    cursor: str | None

    def filter(self, kind: documents.Kind) -> documents.DocumentFilter:
        return documents.DocumentFilter(
            kind=kind,
            status=self.status,
            party_id=self.customer,
            date_from=self.date_from,
            date_to=self.date_to,
            q=self.q,
            sort=self.sort,
        )


def _list_query(
    status_filter: StatusQuery = None,
    customer: uuid.UUID | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    q: Annotated[
        str | None, Query(max_length=200, description="In number, reference, customer")
    ] = None,
    sort: SortQuery = "-created",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ListQuery:
    return ListQuery(status_filter, customer, date_from, date_to, q, sort, limit, cursor)


Listing = Annotated[ListQuery, Depends(_list_query)]


def draft_values(body: schemas.DocumentFields) -> dict[str, Any]:
    values = body.model_dump(exclude_unset=True)
    if "lines" in values and values["lines"] is None:
        values["lines"] = []
    if values.get("lines") is not None:
        values["lines"] = [line.model_dump(exclude_unset=True) for line in body.lines or []]
    return values


def _page(session: DbSession, kind: documents.Kind, query: ListQuery) -> schemas.DocumentPage:
    page = documents.list_documents(
        session, query.filter(kind), limit=query.limit, cursor=query.cursor
    )
    customers = documents.customers_of(session, page.items)
    return schemas.DocumentPage(
        items=[summary(document, customers[document.party_id]) for document in page.items],
        next_cursor=page.next_cursor,
    )


def pdf_response(session: DbSession, document: Any) -> Response:
    return Response(
        pdf.render_document(session, document),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{pdf.file_name(document)}"'},
    )


@router.get("/invoices", summary="Invoices", tags=["invoices"])
def list_invoices(
    principal: InvoiceReader, session: DbSession, query: Listing
) -> schemas.DocumentPage:
    """Filter by status, customer, issue-date range and text; sort; paginate with
    `next_cursor`."""
    return _page(session, "invoice", query)


@router.post(
    "/invoices",
    status_code=status.HTTP_201_CREATED,
    summary="Draft an invoice",
    tags=["invoices"],
    response_model=schemas.DocumentOut,
)
def create_invoice(
    body: schemas.InvoiceIn, principal: InvoiceWriter, session: DbSession, guard: IdempotencyGuard
) -> Response:
    """A draft: no number yet, freely editable and deletable. Currency, payment terms and
    language default from the customer; a line without `tax_codes` gets the tax the tax
    engine picks for this customer and the line's product. Totals come from the tax
    engine. Send `Idempotency-Key` to make retries safe."""

    def produce() -> schemas.DocumentOut:
        document = documents.create_draft(
            session, "invoice", draft_values(body), actor_id=principal.user_id
        )
        return detail(session, document)

    return guard.run(principal, body, produce, status_code=status.HTTP_201_CREATED)


@router.get("/invoices/{invoice_id}", summary="One invoice", tags=["invoices"])
def get_invoice(
    invoice_id: uuid.UUID, principal: InvoiceReader, session: DbSession
) -> schemas.DocumentOut:
    """With its lines, tax breakdown, settlements (payments and credit notes) and timeline."""
    return detail(session, documents.get(session, invoice_id, "invoice"))


@router.patch("/invoices/{invoice_id}", summary="Change a draft invoice", tags=["invoices"])
def update_invoice(
    invoice_id: uuid.UUID,
    body: schemas.InvoiceUpdate,
    principal: InvoiceWriter,
    session: DbSession,
) -> schemas.DocumentOut:
    """Only drafts change (409 `not_a_draft` otherwise). `lines`, when sent, replace all
    the lines."""
    document = documents.update_draft(session, invoice_id, "invoice", draft_values(body))
    return detail(session, document)


@router.delete(
    "/invoices/{invoice_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a draft invoice",
    tags=["invoices"],
)
def delete_invoice(invoice_id: uuid.UUID, principal: InvoiceWriter, session: DbSession) -> None:
    """Issued invoices are never deleted: cancel them with a credit note."""
    documents.delete_draft(session, invoice_id, "invoice")


@router.post(
    "/invoices/{invoice_id}/issue",
    summary="Issue an invoice",
    tags=["invoices"],
    response_model=schemas.DocumentOut,
)
def issue_invoice(
    invoice_id: uuid.UUID, principal: InvoiceWriter, session: DbSession, guard: IdempotencyGuard
) -> Response:
    """In one transaction: the next gap-free number of the series, the exchange rate of
    the issue date, the document frozen, the sales entry posted, the PDF stored. 409 when
    it is not a draft; 422 when the period is locked, a rate or an account is missing, or
    the date is before the last issued invoice's."""

    def produce() -> schemas.DocumentOut:
        document = documents.get(session, invoice_id, "invoice")
        issuing.issue(session, document, actor_id=principal.user_id)
        return detail(session, document)

    return guard.run(principal, None, produce)


@router.post(
    "/invoices/{invoice_id}/cancel",
    summary="Cancel an invoice with a credit note",
    tags=["invoices"],
    response_model=schemas.DocumentOut,
)
def cancel_invoice(
    invoice_id: uuid.UUID, principal: InvoiceWriter, session: DbSession, guard: IdempotencyGuard
) -> Response:
    """Issues a credit note for the whole invoice, which settles it, and marks it
    cancelled. Refused (409) once anything was paid or credited: credit the rest and
    refund instead."""

    def produce() -> schemas.DocumentOut:
        document = documents.get(session, invoice_id, "invoice")
        credit_notes.cancel_invoice(session, document, actor_id=principal.user_id)
        return detail(session, document)

    return guard.run(principal, None, produce)


@router.get(
    "/invoices/{invoice_id}/pdf",
    summary="The invoice's PDF",
    tags=["invoices"],
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def invoice_pdf(invoice_id: uuid.UUID, principal: InvoiceReader, session: DbSession) -> Response:
    """The stored PDF of an issued invoice (the very file that was sent), or a draft's
    preview marked DRAFT."""
    return pdf_response(session, documents.get(session, invoice_id, "invoice"))


@router.get("/credit-notes", summary="Credit notes", tags=["credit notes"])
def list_credit_notes(
    principal: CreditReader, session: DbSession, query: Listing
) -> schemas.DocumentPage:
    """Filter by status, customer, issue-date range and text; sort; paginate with
    `next_cursor`."""
    return _page(session, "credit_note", query)


@router.post(
    "/credit-notes",
    status_code=status.HTTP_201_CREATED,
    summary="Draft a credit note",
    tags=["credit notes"],
    response_model=schemas.DocumentOut,
)
def create_credit_note(
    body: schemas.CreditNoteIn,
    principal: CreditWriter,
    session: DbSession,
    guard: IdempotencyGuard,
) -> Response:
    """Against an invoice (`invoice`: all its lines unless `lines` says which part) or
    standalone (`customer` and `lines`). Send `Idempotency-Key` to make retries safe."""

    def produce() -> schemas.DocumentOut:
        document = credit_notes.create_draft(
            session, draft_values(body), actor_id=principal.user_id
        )
        return detail(session, document)

    return guard.run(principal, body, produce, status_code=status.HTTP_201_CREATED)


@router.get("/credit-notes/{credit_note_id}", summary="One credit note", tags=["credit notes"])
def get_credit_note(
    credit_note_id: uuid.UUID, principal: CreditReader, session: DbSession
) -> schemas.DocumentOut:
    """With its lines, tax breakdown, the invoice it credits and what it settled."""
    return detail(session, documents.get(session, credit_note_id, "credit_note"))


@router.patch(
    "/credit-notes/{credit_note_id}", summary="Change a draft credit note", tags=["credit notes"]
)
def update_credit_note(
    credit_note_id: uuid.UUID,
    body: schemas.InvoiceUpdate,
    principal: CreditWriter,
    session: DbSession,
) -> schemas.DocumentOut:
    """Only drafts change (409 `not_a_draft` otherwise). `lines`, when sent, replace all
    the lines."""
    document = documents.update_draft(session, credit_note_id, "credit_note", draft_values(body))
    return detail(session, document)


@router.delete(
    "/credit-notes/{credit_note_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a draft credit note",
    tags=["credit notes"],
)
def delete_credit_note(
    credit_note_id: uuid.UUID, principal: CreditWriter, session: DbSession
) -> None:
    """Issued credit notes are never deleted (409): they are part of the books."""
    documents.delete_draft(session, credit_note_id, "credit_note")


@router.post(
    "/credit-notes/{credit_note_id}/issue",
    summary="Issue a credit note",
    tags=["credit notes"],
    response_model=schemas.DocumentOut,
)
def issue_credit_note(
    credit_note_id: uuid.UUID,
    principal: CreditWriter,
    session: DbSession,
    guard: IdempotencyGuard,
) -> Response:
    """Numbers it in its own gap-free series, posts the reversing entry and, against an
    invoice, settles what is still due on it; what is left is customer credit."""

    def produce() -> schemas.DocumentOut:
        document = documents.get(session, credit_note_id, "credit_note")
        credit_notes.issue(session, document, actor_id=principal.user_id)
        return detail(session, document)

    return guard.run(principal, None, produce)


@router.post(
    "/credit-notes/{credit_note_id}/apply",
    summary="Apply a credit note to an invoice",
    tags=["credit notes"],
    response_model=schemas.DocumentOut,
)
def apply_credit_note(
    credit_note_id: uuid.UUID,
    body: schemas.ApplyCreditIn,
    principal: CreditWriter,
    session: DbSession,
    guard: IdempotencyGuard,
) -> Response:
    """Use what is left of an issued credit note to settle another open invoice of the
    same customer and currency. Send `Idempotency-Key`: a retried request applies
    nothing twice."""

    def produce() -> schemas.DocumentOut:
        document = documents.get(session, credit_note_id, "credit_note")
        amount = parse_amount(body.amount, document.currency, "amount")
        credit_notes.apply(session, document, body.invoice, amount, actor_id=principal.user_id)
        return detail(session, document)

    return guard.run(principal, body, produce)


@router.get(
    "/credit-notes/{credit_note_id}/pdf",
    summary="The credit note's PDF",
    tags=["credit notes"],
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def credit_note_pdf(
    credit_note_id: uuid.UUID, principal: CreditReader, session: DbSession
) -> Response:
    """The stored PDF of an issued credit note (the very file that was sent), or a
    draft's preview marked DRAFT."""
    return pdf_response(session, documents.get(session, credit_note_id, "credit_note"))
