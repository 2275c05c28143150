"""Quote pages: the list, the editor (the invoice editor's lines), and a quote's page with
its way to the customer and back: submit, approve or reject, send, record the customer's
answer, convert into an invoice, duplicate."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Query, Request, Response

from comptoir.identity.roles import Role
from comptoir.kit.errors import Conflict
from comptoir.sales.service import quotes
from comptoir.sales.views import common, detail, editor, lists, mailing
from comptoir.sales.views.common import INVOICES, QUOTES, AppSettings
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    PostedForm,
    Visitor,
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
    if answer_form is not None and not answer_form.errors:
        # The answer fields show no alert of their own: a refusal not about one of them
        # reads at the top.
        alert = answer_form.alert
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


def _actions(
    request: Request, visitor: Visitor, session: Db, quote: SalesDocument
) -> detail.PageActions:
    return detail.PageActions(request, visitor, session, quote, quote_page)


@router.get("/sales/quotes")
def quotes_page(
    request: Request, visitor: CurrentVisitor, session: Db, query: lists.Listed
) -> Response:
    visitor.require(QUOTES.read)
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
    return editor.new_page(request, visitor, session, QUOTES, party)


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
    return editor.edit_page(request, visitor, session, quote)


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
    return _actions(request, visitor, session, quote).run(
        partial(quotes.delete, session, quote.id, actor_id=visitor.user.id),
        f"{QUOTES.base}?notice=deleted",
    )


@router.post("/sales/quotes/{quote_id}/submit")
def submit_quote(request: Request, quote_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require(QUOTES.write)
    quote = _quote(session, quote_id)
    return _actions(request, visitor, session, quote).run(
        partial(quotes.submit, session, quote, actor_id=visitor.user.id),
        f"{QUOTES.path(quote)}?notice=submitted",
    )


@router.post("/sales/quotes/{quote_id}/approve")
def approve_quote(
    request: Request, quote_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require(QUOTES.write)
    quote = _quote(session, quote_id)
    role = Role(visitor.principal.role)
    return _actions(request, visitor, session, quote).run(
        partial(quotes.approve, session, quote, actor_id=visitor.user.id, role=role),
        f"{QUOTES.path(quote)}?notice=approved",
    )


def _answered(
    actions: detail.PageActions,
    form: PostedForm,
    field: str,
    step: Callable[[str], object],
    done: str,
) -> Response:
    """A step that takes what the member typed in one field (a reason, a name); refused,
    the page says why beside that field."""
    value = str(form.get(field) or "")
    return actions.run(
        partial(step, value),
        f"{QUOTES.path(actions.document)}?notice={done}",
        form="answer_form",
        typed={field: value},
    )


@router.post("/sales/quotes/{quote_id}/reject")
def reject_quote(
    request: Request, quote_id: str, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require(QUOTES.write)
    quote = _quote(session, quote_id)
    role = Role(visitor.principal.role)
    return _answered(
        _actions(request, visitor, session, quote),
        form,
        "reason",
        lambda reason: quotes.reject(session, quote, reason, actor_id=visitor.user.id, role=role),
        "rejected",
    )


@router.post("/sales/quotes/{quote_id}/accept")
def accept_quote(
    request: Request, quote_id: str, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    """The customer said yes, on the phone or by letter: a member records it."""
    visitor.require(QUOTES.write)
    quote = _quote(session, quote_id)
    return _answered(
        _actions(request, visitor, session, quote),
        form,
        "name",
        lambda name: quotes.accept(session, quote, name=name, actor_id=visitor.user.id),
        "accepted",
    )


@router.post("/sales/quotes/{quote_id}/decline")
def decline_quote(
    request: Request, quote_id: str, visitor: CurrentVisitor, session: Db, form: PostedForm
) -> Response:
    visitor.require(QUOTES.write)
    quote = _quote(session, quote_id)
    return _answered(
        _actions(request, visitor, session, quote),
        form,
        "reason",
        lambda reason: quotes.decline(session, quote, reason=reason, actor_id=visitor.user.id),
        "declined",
    )


@router.post("/sales/quotes/{quote_id}/convert")
def convert_quote(
    request: Request, quote_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    """The accepted quote becomes an invoice draft, opened for a last look."""
    visitor.require(QUOTES.write)
    visitor.require(INVOICES.write)
    quote = _quote(session, quote_id)
    return _actions(request, visitor, session, quote).run(
        partial(quotes.convert, session, quote, actor_id=visitor.user.id),
        lambda invoice: f"{INVOICES.path(invoice)}?notice=created",
    )


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
    visitor.require(QUOTES.write)
    return mailing.send_page(request, visitor, session, _quote(session, quote_id))


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
    deliver = partial(quotes.send, session, quote, settings=settings, actor_id=visitor.user.id)
    return mailing.send_document(_actions(request, visitor, session, quote), form, deliver)


@router.get("/sales/quotes/{quote_id}/pdf")
def quote_pdf(
    quote_id: str, visitor: CurrentVisitor, session: Db, download: bool = False
) -> Response:
    visitor.require(QUOTES.read)
    return detail.pdf_response(session, _quote(session, quote_id), download=download)
