"""What every document page shows, whatever its kind: the customer, the lines with their
taxes and totals, what settled it (payments, credit notes) and its timeline."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import Request, Response

from comptoir.identity.service import accounts as users
from comptoir.kit.errors import DomainError, NotFound
from comptoir.parties.service import parties
from comptoir.sales.service import documents, mailing, payments, pdf, settlements
from comptoir.sales.views import common
from comptoir.tax.service import taxes
from comptoir.web.formatting import page_formats
from comptoir.web.websession import Db, Visitor, failed_form, redirect

if TYPE_CHECKING:
    from comptoir.sales.models import Allocation, SalesDocument, SalesDocumentEvent

T = TypeVar("T")


@dataclass(frozen=True)
class Step:
    """One step of the timeline as the page shows it."""

    kind: str
    label: str
    at: datetime
    actor: str | None
    note: str | None
    link: str | None
    link_text: str | None
    # E-mails: each address and how its delivery went (queued, sent, failed).
    deliveries: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Settlement:
    """What settled an invoice (a payment, a credit note), or what a credit note settled
    (an invoice, a refund)."""

    allocation: Allocation
    label: str
    link: str
    link_text: str


def _step(
    event: SalesDocumentEvent,
    detail: dict[str, Any] | None,
    document: SalesDocument,
    names: dict[uuid.UUID, str],
    money: Any,
) -> Step:
    found = detail or {}
    note = link = link_text = None
    amount = found.get("amount")
    if isinstance(amount, int):
        note = f"{money(amount, document.currency)} {document.currency}"
    if event.kind == "issued" and found.get("number"):
        note = f"as {found['number']}"
    if found.get("credit_note"):
        link_text = str(found["credit_note"])
    if event.kind == "payment" and found.get("payment_id"):
        link, link_text = f"/sales/payments/{found['payment_id']}", "the payment"
    if isinstance(found.get("to"), str):
        note = f"to {found['to']}"
    deliveries = tuple(
        (str(item.get("to", "")), str(item.get("status", "unknown")))
        for item in found.get("delivery", [])
        if isinstance(item, dict)
    )
    return Step(
        event.kind,
        common.EVENT_LABELS.get(event.kind, event.kind.replace("_", " ").capitalize()),
        event.at,
        names.get(event.actor_id) if event.actor_id else None,
        note,
        link,
        link_text,
        deliveries,
    )


def timeline(session: Db, document: SalesDocument, money: Any) -> list[Step]:
    """The document's steps, e-mails with how each delivery went."""
    events = documents.events_of(session, document.id)
    names = users.display_names(session, (event.actor_id for event in events))
    details = mailing.with_delivery(session, events)
    return [
        _step(event, detail, document, names, money)
        for event, detail in zip(events, details, strict=True)
    ]


def _settlement(session: Db, document: SalesDocument, allocation: Allocation) -> Settlement:
    if allocation.payment_id is not None:
        payment = payments.get(session, allocation.payment_id)
        method = common.METHOD_LABELS.get(payment.method, payment.method)
        label = "Refund" if payment.direction == "out" else "Payment"
        text = f"{method}{' · ' + payment.reference if payment.reference else ''}"
        return Settlement(allocation, label, f"/sales/payments/{payment.id}", text)
    if allocation.document_id == document.id:
        assert allocation.credit_note_id is not None
        note = documents.get(session, allocation.credit_note_id, "credit_note")
        return Settlement(
            allocation,
            "Credit note",
            f"{common.CREDIT_NOTES.base}/{note.id}",
            note.number or "Draft",
        )
    invoice = documents.get(session, allocation.document_id, "invoice")
    return Settlement(
        allocation, "Invoice", f"{common.INVOICES.base}/{invoice.id}", invoice.number or "Draft"
    )


def document_context(session: Db, visitor: Visitor, document: SalesDocument) -> dict[str, Any]:
    """The values every document page's template reads."""
    lines = documents.lines_of(session, document.id)
    calculation = documents.recalculate_stored(session, document, lines)[1]
    money = page_formats(visitor.organization)["money"]
    source = None
    if document.source_id is not None:
        try:
            source = documents.get(session, document.source_id, "invoice")
        except NotFound:
            source = documents.get(session, document.source_id, "quote")
    return {
        "document": document,
        "pages": common.KINDS[document.kind],
        "party": parties.get(session, document.party_id),
        "lines": lines,
        "calculation": calculation,
        "known_taxes": taxes.by_codes(session, {total.code for total in calculation.taxes}),
        "line_taxes": taxes.by_codes(session, {c for line in lines for c in line.tax_codes or []}),
        "settled_by": [
            _settlement(session, document, allocation)
            for allocation in settlements.allocations_of(session, document.id)
        ],
        "timeline": timeline(session, document, money),
        "source": source,
        "has_discount": any(line.discount_percent for line in lines),
    }


def pdf_response(session: Db, document: SalesDocument, *, download: bool) -> Response:
    """The document's PDF: inline for the preview the page frames, or as a download."""
    disposition = "attachment" if download else "inline"
    return Response(
        pdf.render_document(session, document),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'{disposition}; filename="{pdf.file_name(document)}"',
            "Cache-Control": "no-store",
            # The document's page shows this file in a frame: only that page may.
            "Content-Security-Policy": "frame-ancestors 'self'",
            "X-Frame-Options": "SAMEORIGIN",
        },
    )


@dataclass(frozen=True)
class PageActions:
    """The actions of one document's page, for one request: each runs a service step, then
    goes on with a notice, or, refused, shows the page again with the reason."""

    request: Request
    visitor: Visitor
    session: Db
    document: SalesDocument
    # The kind's page (``invoice_page``...): it takes ``alert``, ``status_code`` and the
    # state of each dialog it holds (``send_form``...) as keywords.
    show: Callable[..., Response]

    def run(
        self,
        action: Callable[[], T],
        then: str | Callable[[T], str],
        *,
        form: str | None = None,
        typed: dict[str, str] | None = None,
    ) -> Response:
        """``action``, then off to ``then`` (or to where ``then`` says for what the action
        made); see ``refused`` for ``form`` and ``typed``."""
        try:
            made = action()
        except DomainError as exc:
            return self.refused(exc, form=form, typed=typed)
        return redirect(then(made) if callable(then) else then)

    def refused(
        self, exc: DomainError, *, form: str | None = None, typed: dict[str, str] | None = None
    ) -> Response:
        """The page again, with why: in the dialog ``form`` that was being filled in with
        what was ``typed``, kept open, errors beside its fields; otherwise at the top."""
        state = failed_form(self.session, exc, typed or {})
        # Read again: what the refused step wrote is rolled back.
        kind = common.KINDS[self.document.kind].kind
        current = documents.get(self.session, self.document.id, kind)
        shown: dict[str, Any] = {form: state} if form else {"alert": state.alert}
        return self.show(
            self.request, self.visitor, self.session, current, status_code=state.status, **shown
        )
