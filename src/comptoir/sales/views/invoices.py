"""Invoice pages: the list, the editor of drafts, and an invoice's page with its timeline,
PDF preview and actions (issue, record a payment, send, credit, cancel, delete)."""

from __future__ import annotations

import uuid
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Query, Request, Response

from comptoir.kit.errors import NotFound
from comptoir.parties.service import parties
from comptoir.parties.service.parties import Party
from comptoir.sales.service import credit_notes, documents, issuing, sending
from comptoir.sales.views import common, detail, editor, lists, mailing, payments
from comptoir.sales.views.common import INVOICES, AppSettings
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    PostedForm,
    Visitor,
    notice,
    parse_id,
    web_router,
)

if TYPE_CHECKING:
    from comptoir.sales.models import SalesDocument

router = web_router()

NOTICES = {
    "created": "The draft is saved. Issue it when it is ready: it then gets its number.",
    "saved": "The changes are saved.",
    "issued": "The invoice is issued: numbered, posted to the books, its PDF stored.",
    "payment": "The payment is recorded.",
    "cancelled": "The invoice is cancelled by a credit note for all of it.",
    "sent": "The invoice is on its way to the customer.",
}
LIST_NOTICES = {"deleted": "The draft is deleted."}


def _invoice(session: Db, invoice_id: str) -> SalesDocument:
    return documents.get(session, parse_id(invoice_id, "No such invoice."), "invoice")


def invoice_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    invoice: SalesDocument,
    *,
    alert: str | None = None,
    payment_form: FormState | None = None,
    send_form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    """The invoice's page; a refused action shows it again with the reason, or with the
    dialog that was being filled in open and its errors beside the fields."""
    return common.page(
        request,
        visitor,
        "sales/document.html",
        {
            **detail.document_context(session, visitor, invoice),
            **payments.payment_options(session),
            "payment_form": payment_form or payments.payment_form(session, visitor, invoice),
            "payment_open": payment_form is not None,
            "send_form": send_form or mailing.send_form(session, invoice),
            "send_open": send_form is not None,
            "alert": alert,
            "notice": notice(request, NOTICES),
        },
        nav=INVOICES.nav,
        status_code=status_code,
    )


def _actions(
    request: Request, visitor: Visitor, session: Db, invoice: SalesDocument
) -> detail.PageActions:
    return detail.PageActions(request, visitor, session, invoice, invoice_page)


def _customer_from_query(session: Db, reference: str) -> Party | None:
    """The customer a "new invoice" link names, by id or code."""
    if not reference.strip():
        return None
    try:
        return parties.get(session, uuid.UUID(reference.strip()), "customer")
    except ValueError:
        return common.customer_by_text(session, reference)
    except NotFound:
        return None


# -- list and editor ---------------------------------------------------------------------


@router.get("/sales/invoices")
def invoices_page(
    request: Request, visitor: CurrentVisitor, session: Db, query: lists.Listed
) -> Response:
    visitor.require(INVOICES.read)
    return lists.list_page(request, visitor, session, INVOICES, query, notices=LIST_NOTICES)


@router.get("/sales/invoices/new")
def new_invoice_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    customer: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    visitor.require(INVOICES.write)
    party = _customer_from_query(session, customer)
    return editor.new_page(request, visitor, session, INVOICES, party)


@router.post("/sales/invoices/new")
def create_invoice(
    request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require(INVOICES.write)
    typed = editor.typed_document(form, INVOICES)

    def create(values: dict[str, Any]) -> SalesDocument:
        return documents.create_draft(session, "invoice", values, actor_id=visitor.user.id)

    return editor.save_document(request, visitor, session, typed, None, create)


@router.get("/sales/invoices/{invoice_id}")
def invoice_detail(
    request: Request, invoice_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require(INVOICES.read)
    return invoice_page(request, visitor, session, _invoice(session, invoice_id))


@router.get("/sales/invoices/{invoice_id}/edit")
def edit_invoice_page(
    request: Request, invoice_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require(INVOICES.write)
    invoice = _invoice(session, invoice_id)
    documents.require_draft(invoice)
    return editor.edit_page(request, visitor, session, invoice)


@router.post("/sales/invoices/{invoice_id}/edit")
def save_invoice(
    request: Request, invoice_id: str, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require(INVOICES.write)
    invoice = _invoice(session, invoice_id)
    documents.require_draft(invoice)
    typed = editor.typed_document(form, INVOICES)
    return editor.save_document(request, visitor, session, typed, invoice)


# -- actions -----------------------------------------------------------------------------


@router.post("/sales/invoices/{invoice_id}/issue")
def issue_invoice(
    request: Request, invoice_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require(INVOICES.write)
    invoice = _invoice(session, invoice_id)
    return _actions(request, visitor, session, invoice).run(
        partial(issuing.issue, session, invoice, actor_id=visitor.user.id),
        f"{INVOICES.path(invoice)}?notice=issued",
    )


@router.post("/sales/invoices/{invoice_id}/delete")
def delete_invoice(
    request: Request, invoice_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require(INVOICES.write)
    invoice = _invoice(session, invoice_id)
    return _actions(request, visitor, session, invoice).run(
        partial(documents.delete_draft, session, invoice.id, "invoice"),
        f"{INVOICES.base}?notice=deleted",
    )


@router.post("/sales/invoices/{invoice_id}/cancel")
def cancel_invoice(
    request: Request, invoice_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require(INVOICES.write)
    visitor.require("credit_notes:write")
    invoice = _invoice(session, invoice_id)
    return _actions(request, visitor, session, invoice).run(
        partial(credit_notes.cancel_invoice, session, invoice, actor_id=visitor.user.id),
        f"{INVOICES.path(invoice)}?notice=cancelled",
    )


@router.post("/sales/invoices/{invoice_id}/credit-note")
def credit_invoice(
    request: Request, invoice_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    """A draft credit note for the whole invoice, to trim to what is credited."""
    visitor.require("credit_notes:write")
    invoice = _invoice(session, invoice_id)
    return _actions(request, visitor, session, invoice).run(
        partial(
            credit_notes.create_draft,
            session,
            {"invoice": str(invoice.id)},
            actor_id=visitor.user.id,
        ),
        lambda note: f"{common.CREDIT_NOTES.path(note)}?notice=created",
    )


@router.get("/sales/invoices/{invoice_id}/payment")
def payment_page(
    request: Request, invoice_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    """The record-payment form on a page of its own, for browsers without the dialog."""
    visitor.require("payments:write")
    invoice = _invoice(session, invoice_id)
    return common.page(
        request,
        visitor,
        "sales/payment_form.html",
        {
            "document": invoice,
            "pages": INVOICES,
            "payment_form": payments.payment_form(session, visitor, invoice),
            **payments.payment_options(session),
        },
        nav=INVOICES.nav,
    )


@router.post("/sales/invoices/{invoice_id}/payment")
def record_payment(
    request: Request, invoice_id: str, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require("payments:write")
    invoice = _invoice(session, invoice_id)
    typed = payments.typed_payment(form)
    return _actions(request, visitor, session, invoice).run(
        partial(payments.record, session, visitor, invoice, typed),
        f"{INVOICES.path(invoice)}?notice=payment",
        form="payment_form",
        typed=typed,
    )


@router.get("/sales/invoices/{invoice_id}/send")
def send_page(request: Request, invoice_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require(INVOICES.write)
    return mailing.send_page(request, visitor, session, _invoice(session, invoice_id))


@router.post("/sales/invoices/{invoice_id}/send")
def send_invoice(
    request: Request,
    invoice_id: str,
    visitor: CurrentVisitor,
    session: Db,
    form: PostedForm,
    settings: AppSettings,
) -> Response:
    visitor.require(INVOICES.write)
    invoice = _invoice(session, invoice_id)
    deliver = partial(
        sending.send, session, invoice.id, "invoice", settings=settings, actor_id=visitor.user.id
    )
    return mailing.send_document(_actions(request, visitor, session, invoice), form, deliver)


@router.get("/sales/invoices/{invoice_id}/pdf")
def invoice_pdf(
    invoice_id: str, visitor: CurrentVisitor, session: Db, download: bool = False
) -> Response:
    visitor.require(INVOICES.read)
    return detail.pdf_response(session, _invoice(session, invoice_id), download=download)
