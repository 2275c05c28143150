"""Quote pages: the list, the editor (the invoice editor's lines), and a quote's page with
its way to the customer and back: submit, approve or reject, send, record the customer's
answer, convert into an invoice, duplicate."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Query, Request, Response

from comptoir.identity.roles import Role
from comptoir.kit.errors import Conflict, DomainError
from comptoir.sales.service import quotes
from comptoir.sales.views import common, detail, editor, lists, mailing
from comptoir.sales.views.common import INVOICES, QUOTES, AppSettings
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
    web_router,
)

if TYPE_CHECKING:
    from comptoir.sales.models import SalesDocument

router = web_router()

NOTICES = {
    "created": "The quote is saved with its number. Send it when it is ready.",
    "saved": "The changes are saved.",
    "submitted": "The quote is submitted.",
    "approved": "The quote is approved: it can be sent.",
    "rejected": "The quote is sent back for changes.",
    "sent": "The quote is on its way to the customer.",
    "accepted": "The customer's acceptance is recorded.",
    "declined": "The customer's refusal is recorded.",
    "duplicated": "This is a copy: a new draft with the same customer and lines.",
}
LIST_NOTICES = {"deleted": "The quote is deleted."}


def _quote(session: Db, quote_id: str) -> SalesDocument:
    return quotes.get(session, parse_id(quote_id, "No such quote."))


def _editable(quote: SalesDocument) -> None:
    if quote.status not in quotes.EDITABLE:
        raise Conflict(
            f"This quote is {quote.status}; duplicate it to change the offer.",
            code="not_editable",
        )


def quote_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    quote: SalesDocument,
    *,
    alert: str | None = None,
    send_form: FormState | None = None,
    answer_form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    role = visitor.principal.role
    return common.page(
        request,
        visitor,
        "sales/document.html",
        {
            **detail.document_context(session, visitor, quote),
            "editable": quote.status in quotes.EDITABLE,
            "approver": role in {r.value for r in quotes.APPROVER_ROLES},
            "invoice": quotes.invoice_of(session, quote),
            "answer_form": answer_form or FormState(),
            "send_form": send_form or mailing.send_form(session, quote),
            "send_open": send_form is not None,
            "payment_open": False,
            "alert": alert,
            "notice": notice(request, NOTICES),
        },
        nav=QUOTES.nav,
        status_code=status_code,
    )


def _act(
    request: Request,
    visitor: Visitor,
    session: Db,
    quote: SalesDocument,
    action: Callable[[], Any],
    done: str,
    *,
    fields: dict[str, str] | None = None,
) -> Response:
    """Run one step of the quote's way; refused, the page says why (beside the answer's
    field when the step had one)."""
    try:
        action()
    except DomainError as exc:
        state = failed_form(session, exc, fields or {})
        current = quotes.get(session, quote.id)
        return quote_page(
            request,
            visitor,
            session,
            current,
            alert=None if fields and state.errors else state.alert,
            answer_form=state if fields else None,
            status_code=state.status,
        )
    return redirect(f"{QUOTES.path(quote)}?notice={done}")


@router.get("/sales/quotes")
def quotes_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    customer: Annotated[str, Query(max_length=200)] = "",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    sort: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    visitor.require(QUOTES.read)
    query = lists.ListQuery(q, status, customer, date_from, date_to, sort, cursor)
    return lists.list_page(request, visitor, session, QUOTES, query, notices=LIST_NOTICES)


@router.get("/sales/quotes/new")
def new_quote_page(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    customer: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    visitor.require(QUOTES.write)
    party = common.customer_by_text(session, customer)
    typed = editor.new_document(session, visitor, QUOTES, party)
    return editor.editor_page(request, visitor, session, typed, FormState(typed.form_values()))


@router.post("/sales/quotes/new")
def create_quote(
    request: Request, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require(QUOTES.write)
    typed = editor.typed_document(form, QUOTES)

    def create(values: dict[str, Any]) -> SalesDocument:
        return quotes.create(session, values, actor_id=visitor.user.id)

    return editor.save_document(request, visitor, session, typed, None, create)


@router.get("/sales/quotes/{quote_id}")
def quote_detail(request: Request, quote_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require(QUOTES.read)
    return quote_page(request, visitor, session, _quote(session, quote_id))


@router.get("/sales/quotes/{quote_id}/edit")
def edit_quote_page(
    request: Request, quote_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require(QUOTES.write)
    quote = _quote(session, quote_id)
    _editable(quote)
    typed = editor.stored_document(session, quote)
    return editor.editor_page(
        request, visitor, session, typed, FormState(typed.form_values()), quote
    )


@router.post("/sales/quotes/{quote_id}/edit")
def save_quote(
    request: Request, quote_id: str, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require(QUOTES.write)
    quote = _quote(session, quote_id)
    _editable(quote)
    typed = editor.typed_document(form, QUOTES)

    def update(values: dict[str, Any]) -> SalesDocument:
        return quotes.update(session, quote.id, values, actor_id=visitor.user.id)

    return editor.save_document(request, visitor, session, typed, quote, update=update)


@router.post("/sales/quotes/{quote_id}/delete")
def delete_quote(request: Request, quote_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require(QUOTES.write)
    quote = _quote(session, quote_id)
    try:
        quotes.delete(session, quote.id, actor_id=visitor.user.id)
    except DomainError as exc:
        state = failed_form(session, exc, {})
        return quote_page(
            request,
            visitor,
            session,
            quotes.get(session, quote.id),
            alert=state.alert,
            status_code=state.status,
        )
    return redirect(f"{QUOTES.base}?notice=deleted")


@router.post("/sales/quotes/{quote_id}/submit")
def submit_quote(request: Request, quote_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require(QUOTES.write)
    quote = _quote(session, quote_id)
    action = partial(quotes.submit, session, quote, actor_id=visitor.user.id)
    return _act(request, visitor, session, quote, action, "submitted")


@router.post("/sales/quotes/{quote_id}/approve")
def approve_quote(
    request: Request, quote_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require(QUOTES.write)
    quote = _quote(session, quote_id)
    role = Role(visitor.principal.role)
    action = partial(quotes.approve, session, quote, actor_id=visitor.user.id, role=role)
    return _act(request, visitor, session, quote, action, "approved")


@router.post("/sales/quotes/{quote_id}/reject")
def reject_quote(
    request: Request, quote_id: str, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require(QUOTES.write)
    quote = _quote(session, quote_id)
    reason = str(form.get("reason") or "")
    role = Role(visitor.principal.role)
    action = partial(quotes.reject, session, quote, reason, actor_id=visitor.user.id, role=role)
    return _act(request, visitor, session, quote, action, "rejected", fields={"reason": reason})


@router.post("/sales/quotes/{quote_id}/accept")
def accept_quote(
    request: Request, quote_id: str, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    """The customer said yes, on the phone or by letter: a member records it."""
    visitor.require(QUOTES.write)
    quote = _quote(session, quote_id)
    name = str(form.get("name") or "")
    action = partial(quotes.accept, session, quote, name=name, actor_id=visitor.user.id)
    return _act(request, visitor, session, quote, action, "accepted", fields={"name": name})


@router.post("/sales/quotes/{quote_id}/decline")
def decline_quote(
    request: Request, quote_id: str, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require(QUOTES.write)
    quote = _quote(session, quote_id)
    reason = str(form.get("reason") or "")
    action = partial(quotes.decline, session, quote, reason=reason, actor_id=visitor.user.id)
    return _act(request, visitor, session, quote, action, "declined", fields={"reason": reason})


@router.post("/sales/quotes/{quote_id}/convert")
def convert_quote(
    request: Request, quote_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    """The accepted quote becomes an invoice draft, opened for a last look."""
    visitor.require(QUOTES.write)
    visitor.require(INVOICES.write)
    quote = _quote(session, quote_id)
    try:
        invoice = quotes.convert(session, quote, actor_id=visitor.user.id)
    except DomainError as exc:
        state = failed_form(session, exc, {})
        return quote_page(
            request,
            visitor,
            session,
            quotes.get(session, quote.id),
            alert=state.alert,
            status_code=state.status,
        )
    return redirect(f"{INVOICES.path(invoice)}?notice=created")


@router.post("/sales/quotes/{quote_id}/duplicate")
def duplicate_quote(
    request: Request, quote_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require(QUOTES.write)
    quote = _quote(session, quote_id)
    copy = quotes.duplicate(session, quote, actor_id=visitor.user.id)
    return redirect(f"{QUOTES.path(copy)}?notice=duplicated")


@router.get("/sales/quotes/{quote_id}/send")
def send_page(request: Request, quote_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    """The send form on a page of its own, for browsers without the dialog."""
    visitor.require(QUOTES.write)
    quote = _quote(session, quote_id)
    return common.page(
        request,
        visitor,
        "sales/send_form.html",
        {"document": quote, "pages": QUOTES, "send_form": mailing.send_form(session, quote)},
        nav=QUOTES.nav,
    )


@router.post("/sales/quotes/{quote_id}/send")
def send_quote(
    request: Request,
    quote_id: str,
    visitor: CurrentVisitor,
    session: Db,
    form: PostedForm,
    settings: AppSettings,
) -> Response:
    visitor.require(QUOTES.write)
    quote = _quote(session, quote_id)
    typed = mailing.typed_send(form)
    try:
        mailing.send(
            typed,
            partial(quotes.send, session, quote, settings=settings, actor_id=visitor.user.id),
        )
    except DomainError as exc:
        state = failed_form(session, exc, typed)
        return quote_page(
            request,
            visitor,
            session,
            quotes.get(session, quote.id),
            send_form=state,
            status_code=state.status,
        )
    return redirect(f"{QUOTES.path(quote)}?notice=sent")


@router.get("/sales/quotes/{quote_id}/pdf")
def quote_pdf(
    quote_id: str, visitor: CurrentVisitor, session: Db, download: bool = False
) -> Response:
    visitor.require(QUOTES.read)
    return detail.pdf_response(session, _quote(session, quote_id), download=download)
