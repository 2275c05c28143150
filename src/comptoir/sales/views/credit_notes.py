"""Credit note pages: the list, the editor of drafts (standalone, or trimming the lines of
the invoice it corrects), and a credit note's page: issue it, apply what is left of it to
another invoice, refund it, its PDF."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from fastapi import Request, Response

from comptoir.kit.errors import ValidationFailed
from comptoir.kit.money import parse_amount
from comptoir.sales.service import credit_notes, documents, sending
from comptoir.sales.views import common, detail, editor, lists, mailing, payments
from comptoir.sales.views.common import CREDIT_NOTES, AppSettings
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
    "sent": "The credit note is on its way to the customer.",
    "created": "The draft credit note is saved. Check its lines, then issue it.",
    "saved": "The changes are saved.",
    "issued": "The credit note is issued: numbered, posted, and set against its invoice.",
    "applied": "The credit is applied to the invoice.",
    "refunded": "The refund is recorded.",
}
LIST_NOTICES = {"deleted": "The draft is deleted."}
APPLY_FIELDS = ("invoice", "amount")


def _credit_note(session: Db, credit_note_id: str) -> SalesDocument:
    return documents.get(session, parse_id(credit_note_id, "No such credit note."), "credit_note")


def credit_note_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    note: SalesDocument,
    *,
    alert: str | None = None,
    apply_form: FormState | None = None,
    refund_form: FormState | None = None,
    send_form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    invoices = (
        common.open_invoices(session, note.party_id, note.currency)
        if note.status == "issued"
        else []
    )
    left = note.gross - note.settled
    return common.page(
        request,
        visitor,
        "sales/document.html",
        {
            **detail.document_context(session, visitor, note),
            **payments.payment_options(session),
            "credit_left": left,
            "invoice_options": common.invoice_options(invoices),
            "apply_form": apply_form or common.settle_form(invoices, left, note.currency),
            "payment_form": refund_form or payments.payment_form(session, visitor, note),
            "payment_open": False,
            "send_form": send_form or mailing.send_form(session, note),
            "send_open": send_form is not None,
            "alert": alert,
            "notice": notice(request, NOTICES),
        },
        nav=CREDIT_NOTES.nav,
        status_code=status_code,
    )


def _actions(
    request: Request, visitor: Visitor, session: Db, note: SalesDocument
) -> detail.PageActions:
    return detail.PageActions(request, visitor, session, note, credit_note_page)


@router.get("/sales/credit-notes")
def credit_notes_page(
    request: Request, visitor: CurrentVisitor, session: Db, query: lists.Listed
) -> Response:
    visitor.require(CREDIT_NOTES.read)
    return lists.list_page(request, visitor, session, CREDIT_NOTES, query, notices=LIST_NOTICES)


@router.get("/sales/credit-notes/new")
def new_credit_note_page(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require(CREDIT_NOTES.write)
    return editor.new_page(request, visitor, session, CREDIT_NOTES, None)


@router.post("/sales/credit-notes/new")
def create_credit_note(
    request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require(CREDIT_NOTES.write)
    typed = editor.typed_document(form, CREDIT_NOTES)

    def create(values: dict[str, Any]) -> SalesDocument:
        return credit_notes.create_draft(session, values, actor_id=visitor.user.id)

    return editor.save_document(request, visitor, session, typed, None, create)


@router.get("/sales/credit-notes/{credit_note_id}")
def credit_note_detail(
    request: Request, credit_note_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require(CREDIT_NOTES.read)
    return credit_note_page(request, visitor, session, _credit_note(session, credit_note_id))


@router.get("/sales/credit-notes/{credit_note_id}/edit")
def edit_credit_note_page(
    request: Request, credit_note_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require(CREDIT_NOTES.write)
    note = _credit_note(session, credit_note_id)
    documents.require_draft(note)
    return editor.edit_page(request, visitor, session, note, locked=note.source_id is not None)


@router.post("/sales/credit-notes/{credit_note_id}/edit")
def save_credit_note(
    request: Request, credit_note_id: str, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require(CREDIT_NOTES.write)
    note = _credit_note(session, credit_note_id)
    documents.require_draft(note)
    typed = editor.typed_document(form, CREDIT_NOTES)
    return editor.save_document(
        request, visitor, session, typed, note, locked=note.source_id is not None
    )


@router.post("/sales/credit-notes/{credit_note_id}/issue")
def issue_credit_note(
    request: Request, credit_note_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require(CREDIT_NOTES.write)
    note = _credit_note(session, credit_note_id)
    return _actions(request, visitor, session, note).run(
        partial(credit_notes.issue, session, note, actor_id=visitor.user.id),
        f"{CREDIT_NOTES.path(note)}?notice=issued",
    )


@router.post("/sales/credit-notes/{credit_note_id}/delete")
def delete_credit_note(
    request: Request, credit_note_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require(CREDIT_NOTES.write)
    note = _credit_note(session, credit_note_id)
    return _actions(request, visitor, session, note).run(
        partial(documents.delete_draft, session, note.id, "credit_note"),
        f"{CREDIT_NOTES.base}?notice=deleted",
    )


def _apply(session: Db, visitor: Visitor, note: SalesDocument, typed: dict[str, str]) -> None:
    if not typed["invoice"]:
        raise ValidationFailed.single("invoice", "Choose an invoice.", "required")
    amount = parse_amount(common.number_text(typed["amount"]), note.currency, "amount")
    credit_notes.apply(session, note, typed["invoice"], amount, actor_id=visitor.user.id)


@router.post("/sales/credit-notes/{credit_note_id}/apply")
def apply_credit_note(
    request: Request, credit_note_id: str, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require(CREDIT_NOTES.write)
    note = _credit_note(session, credit_note_id)
    typed = {name: str(form.get(name) or "").strip() for name in APPLY_FIELDS}
    return _actions(request, visitor, session, note).run(
        partial(_apply, session, visitor, note, typed),
        f"{CREDIT_NOTES.path(note)}?notice=applied",
        form="apply_form",
        typed=typed,
    )


@router.post("/sales/credit-notes/{credit_note_id}/refund")
def refund_credit_note(
    request: Request, credit_note_id: str, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require("payments:write")
    note = _credit_note(session, credit_note_id)
    typed = payments.typed_payment(form)
    return _actions(request, visitor, session, note).run(
        partial(payments.record, session, visitor, note, typed),
        f"{CREDIT_NOTES.path(note)}?notice=refunded",
        form="refund_form",
        typed=typed,
    )


@router.get("/sales/credit-notes/{credit_note_id}/send")
def send_page(
    request: Request, credit_note_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require(CREDIT_NOTES.write)
    return mailing.send_page(request, visitor, session, _credit_note(session, credit_note_id))


@router.post("/sales/credit-notes/{credit_note_id}/send")
def send_credit_note(
    request: Request,
    credit_note_id: str,
    visitor: CurrentVisitor,
    session: Db,
    form: PostedForm,
    settings: AppSettings,
) -> Response:
    visitor.require(CREDIT_NOTES.write)
    note = _credit_note(session, credit_note_id)
    deliver = partial(
        sending.send, session, note.id, "credit_note", settings=settings, actor_id=visitor.user.id
    )
    return mailing.send_document(_actions(request, visitor, session, note), form, deliver)


@router.get("/sales/credit-notes/{credit_note_id}/pdf")
def credit_note_pdf(
    credit_note_id: str, visitor: CurrentVisitor, session: Db, download: bool = False
) -> Response:
    visitor.require(CREDIT_NOTES.read)
    return detail.pdf_response(session, _credit_note(session, credit_note_id), download=download)
