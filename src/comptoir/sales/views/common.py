"""What the sales pages share: where each kind of document lives, the layout values,
statuses and timeline steps as people read them, and numbers and dates as typed."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, Request, Response

from comptoir.catalog.service import products
from comptoir.kit import clock
from comptoir.kit.money import format_minor, plain_decimal
from comptoir.kit.pagination import MAX_LIMIT
from comptoir.kit.settings import Settings
from comptoir.ledger.service import accounts
from comptoir.parties.service import parties
from comptoir.parties.service.parties import Party
from comptoir.parties.service.terms import PAYMENT_TERMS
from comptoir.sales.service import documents, quotes
from comptoir.sales.service.payments import METHODS
from comptoir.server.deps import get_settings
from comptoir.tax.service import taxes
from comptoir.web.formatting import page_formats
from comptoir.web.websession import Db, FormState, Visitor, render

if TYPE_CHECKING:
    from comptoir.ledger.models import Account
    from comptoir.sales.models import SalesDocument

PAGE_SIZE = 50

AppSettings = Annotated[Settings, Depends(get_settings)]


@dataclass(frozen=True)
class KindPages:
    """Where the pages of one kind of document live, and how they name it."""

    kind: documents.Kind
    base: str
    name: str
    scope: str
    nav: str

    @property
    def title(self) -> str:
        return f"{self.name.capitalize()}s"

    @property
    def read(self) -> str:
        return f"{self.scope}:read"

    @property
    def write(self) -> str:
        return f"{self.scope}:write"

    def path(self, document: SalesDocument) -> str:
        return f"{self.base}/{document.id}"


INVOICES = KindPages("invoice", "/sales/invoices", "invoice", "invoices", "invoices")
CREDIT_NOTES = KindPages(
    "credit_note", "/sales/credit-notes", "credit note", "credit_notes", "credit_notes"
)
QUOTES = KindPages("quote", "/sales/quotes", "quote", "quotes", "quotes")
KINDS: dict[str, KindPages] = {pages.kind: pages for pages in (INVOICES, CREDIT_NOTES, QUOTES)}

STATUS_LABELS = {
    "draft": "Draft",
    "issued": "Issued",
    "sent": "Sent",
    "partially_paid": "Partly paid",
    "paid": "Paid",
    "cancelled": "Cancelled",
    "submitted": "Awaiting approval",
    "approved": "Approved",
    "rejected": "Rejected",
    "accepted": "Accepted",
    "declined": "Declined",
    "expired": "Expired",
    "converted": "Invoiced",
}
# What each step of a document's timeline reads as; unknown steps show their name.
EVENT_LABELS = {
    "created": "Created",
    "updated": "Changed",
    "issued": "Issued",
    "sent": "Sent",
    "viewed": "Viewed by the customer",
    "payment": "Payment recorded",
    "credited": "Credited",
    "paid": "Paid in full",
    "cancelled": "Cancelled",
    "reminded": "Reminder sent",
    "reminder_skipped": "Reminder not sent: no e-mail address",
    "reopened": "Reopened for changes",
    "overdue": "Became overdue",
    "submitted": "Submitted for approval",
    "approved": "Approved",
    "rejected": "Rejected",
    "accepted": "Accepted by the customer",
    "declined": "Declined by the customer",
    "converted": "Converted into an invoice",
    "duplicated": "Duplicated",
    "applied": "Applied to an invoice",
    "refunded": "Refunded",
}
METHOD_LABELS = METHODS


def today(visitor: Visitor) -> date:
    """Today where the company is: an invoice written late in Nouméa is not dated tomorrow."""
    try:
        zone = ZoneInfo(visitor.organization.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return clock.now().astimezone(zone).date()


def number_text(text: str) -> str:
    """A number as typed, made readable for the services: spaces between thousands dropped,
    and a lone decimal comma (``12,50``, as French users type it) made a point."""
    compact = "".join(text.split())
    if "," in compact and "." not in compact and compact.count(",") == 1:
        compact = compact.replace(",", ".")
    return compact


def price_text(value: Decimal) -> str:
    """A price as pages and the editor show it: at least the cents, more when stored."""
    cents = value.quantize(Decimal("0.01"))
    return f"{cents:.2f}" if cents == value else plain_decimal(value)


def day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def first_word(text: str) -> str:
    """``C00012 · Acme`` as picked from a list, or ``C00012`` as typed: codes hold no spaces."""
    parts = text.split()
    return parts[0] if parts else ""


def party_label(party: Party) -> str:
    return f"{party.code} · {party.name}"


def customer_by_text(session: Db, text: str) -> Party | None:
    """The customer a picker's text names by its code, if any."""
    found = parties.by_code(session, first_word(text)) if text.strip() else None
    return found if found is not None and found.is_customer else None


def customer_options(session: Db, q: str = "") -> list[Party]:
    """Customers a picker offers: active ones, those matching ``q`` when given."""
    page = parties.list_parties(
        session,
        parties.PartyFilter(role="customer", q=q.strip() or None),
        limit=MAX_LIMIT,
        cursor=None,
    )
    return sorted(page.items, key=lambda party: party.name.lower())


def product_options(session: Db) -> list[Any]:
    page = products.list_products(
        session, products.ProductFilter(active=True), limit=MAX_LIMIT, cursor=None
    )
    return page.items


def tax_options(
    session: Db, keep: set[str] | None = None, *, sale: bool = False
) -> list[tuple[str, str]]:
    """The organization's active taxes, and any inactive one a document still uses; for a
    ``sale``, without the taxes only a buyer self-assesses."""
    wanted = keep or set()
    return [
        (tax.code, tax.label)
        for tax in taxes.list_taxes(session)
        if (tax.active or tax.code in wanted)
        and not (sale and taxes.is_self_assessed(tax) and tax.code not in wanted)
    ]


def open_invoices(session: Db, party_id: uuid.UUID, currency: str) -> list[SalesDocument]:
    """Unpaid invoices of a customer in one currency: what a credit may settle."""
    page = documents.list_documents(
        session,
        documents.DocumentFilter(kind="invoice", status="open", party_id=party_id),
        limit=MAX_LIMIT,
        cursor=None,
    )
    return [invoice for invoice in page.items if invoice.currency == currency]


def invoice_options(invoices: list[SalesDocument]) -> list[tuple[str, str]]:
    """Open invoices as a credit's picker offers them: number and amount due."""
    return [
        (str(invoice.id), f"{invoice.number} · due {_due_text(invoice)}") for invoice in invoices
    ]


def _due_text(invoice: SalesDocument) -> str:
    return amount_text(documents.amount_due(invoice), invoice.currency)


def settle_form(invoices: list[SalesDocument], left: int, currency: str) -> FormState:
    """A credit's picker first set to the first open invoice, for as much as both allow."""
    first = invoices[0] if invoices else None
    amount = min(left, documents.amount_due(first)) if first else left
    return FormState(
        {"invoice": str(first.id) if first else "", "amount": amount_text(amount, currency)}
    )


def bank_accounts(session: Db) -> list[Account]:
    """Where money comes in or goes out: the chart's bank and cash accounts."""
    return [
        account
        for account in accounts.list_accounts(session, accounts.AccountFilter(postable_only=True))
        if account.subtype in ("bank", "cash")
    ]


def amount_text(units: int, currency: str) -> str:
    """An amount as a form field holds it: plain digits, the currency's decimals."""
    return format_minor(units, currency)


def page(
    request: Request,
    visitor: Visitor,
    template: str,
    context: Mapping[str, Any],
    *,
    nav: str,
    status_code: int = 200,
) -> Response:
    values = {
        "section": "sales",
        "subsection": nav,
        "status_labels": STATUS_LABELS,
        "event_labels": EVENT_LABELS,
        "method_labels": METHOD_LABELS,
        "terms_labels": PAYMENT_TERMS,
        "plain": plain_decimal,
        "price": price_text,
        "is_overdue": documents.is_overdue,
        "status_of": quotes.status_of,
        "amount_due": documents.amount_due,
        "base_currency": visitor.organization.base_currency,
        **page_formats(visitor.organization),
        **context,
    }
    return render(request, template, values, status_code=status_code)
