"""Quotes: the offer a customer accepts before anything is invoiced.

    draft ─submit─▶ submitted ─approve─▶ approved ─send─▶ sent ─┬─▶ accepted ─convert─▶ converted
      ▲                 │ reject                                ├─▶ declined
      └─── edit ── rejected                                     └─▶ expired

A quote is numbered from its own series when it is created, because customers cite it
from the first conversation. Submitting a quote whose total (in the base currency) is at
or under the organization's approval threshold approves it at once; above it, an owner
or an administrator approves or rejects it. Submitted, approved and sent quotes expire
once their validity date has passed: the worker marks them, and every action treats them
as expired from the first day after it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.identity.roles import ADMIN_ROLES, Role
from comptoir.identity.service import organizations
from comptoir.kit import clock
from comptoir.kit.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from comptoir.kit.settings import Settings
from comptoir.kit.tenancy import as_organization
from comptoir.ledger.service import rates
from comptoir.outbox import service as outbox
from comptoir.parties.service import parties
from comptoir.sales.models import SalesDocument
from comptoir.sales.service import documents, mailing, pdf, snapshots
from comptoir.sales.service import settings as sales_settings

# A rejected quote is edited back into a draft, as the one who wrote it revises the offer.
EDITABLE = ("draft", "rejected")
# The offer is out, or about to go out: past its validity it no longer holds.
EXPIRING = ("submitted", "approved", "sent")
APPROVER_ROLES = ADMIN_ROLES
MAX_NAME = 200
MAX_REASON = 2000
BATCH = 500


def status_of(document: SalesDocument, on: date | None = None) -> str:
    """The status as the customer and the API see it: expired as soon as the validity
    date has passed, even before the worker has marked it."""
    if document.kind == "quote" and document.status in EXPIRING and _past_validity(document, on):
        return "expired"
    return document.status


def _past_validity(document: SalesDocument, on: date | None = None) -> bool:
    return document.valid_until is not None and document.valid_until < (on or documents.today())


def get(session: Session, quote_id: uuid.UUID) -> SalesDocument:
    return documents.get(session, quote_id, "quote")


def invoice_of(session: Session, quote: SalesDocument) -> SalesDocument | None:
    """The invoice converted from this quote, if it still exists."""
    return session.scalars(
        select(SalesDocument).where(
            SalesDocument.kind == "invoice", SalesDocument.source_id == quote.id
        )
    ).first()


def _happened(
    session: Session,
    quote: SalesDocument,
    kind: str,
    *,
    actor_id: uuid.UUID | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One step: on the quote's timeline, in the audit trail, and as a ``quote.<kind>``
    event."""
    documents.log(session, quote, kind, actor_id=actor_id, detail=detail)
    audit.record(
        session,
        f"quote.{kind}",
        target_type="quote",
        target_id=quote.id,
        after={"status": quote.status, **(detail or {})},
    )
    outbox.emit(session, f"quote.{kind}", documents.payload(quote))


def _expire(session: Session, quote: SalesDocument) -> None:
    quote.status = "expired"
    detail = {"valid_until": quote.valid_until.isoformat() if quote.valid_until else None}
    _happened(session, quote, "expired", actor_id=None, detail=detail)
    session.flush()


def _require(quote: SalesDocument, session: Session, action: str, allowed: tuple[str, ...]) -> None:
    """Refuse a transition the quote's status does not allow, with a 409 that says why. A
    quote found past its validity is marked expired first, and that mark is kept.

    The quote's row stays locked until commit, so that two answers clicked at once, or two
    conversions, are taken one after the other and the second one is refused."""
    session.refresh(quote, with_for_update=True)
    if quote.status in EXPIRING and _past_validity(quote):
        _expire(session, quote)
        raise Conflict(
            f"This quote was valid until {quote.valid_until}; it has expired and can no "
            f"longer be {action}. Duplicate it to make a new offer.",
            code="quote_expired",
            keep_changes=True,
        )
    if quote.status not in allowed:
        wanted = " or ".join(allowed)
        raise Conflict(
            f"This quote is {quote.status}; only a {wanted} quote can be {action}.",
            code="invalid_transition",
        )


def _check_ready(session: Session, quote: SalesDocument) -> None:
    """What a quote needs before it goes for approval or to the customer."""
    if not documents.lines_of(session, quote.id):
        raise ValidationFailed.single("lines", "Add at least one line first.", "empty")
    party = parties.get(session, quote.party_id)
    if party.archived_at is not None:
        raise ValidationFailed.single(
            "customer", f"{party.name} is archived; restore it first.", "archived"
        )
    if _past_validity(quote):
        raise ValidationFailed.single(
            "valid_until",
            f"The validity date {quote.valid_until} has passed; set a later one.",
            "past",
        )


# -- drafting ------------------------------------------------------------------------------


def create(
    session: Session, values: dict[str, Any], *, actor_id: uuid.UUID | None
) -> SalesDocument:
    settings = sales_settings.get(session)
    return documents.create_draft(
        session, "quote", values, actor_id=actor_id, number_format=settings.quote_number_format
    )


def _reopen(session: Session, quote_id: uuid.UUID, actor_id: uuid.UUID | None) -> SalesDocument:
    """The quote, back in draft when it was rejected, so that it can be revised."""
    quote = get(session, quote_id)
    if quote.status == "rejected":
        quote.status = "draft"
        documents.log(session, quote, "reopened", actor_id=actor_id)
    return quote


def update(
    session: Session, quote_id: uuid.UUID, values: dict[str, Any], *, actor_id: uuid.UUID | None
) -> SalesDocument:
    _reopen(session, quote_id, actor_id)
    return documents.update_draft(session, quote_id, "quote", values)


def delete(session: Session, quote_id: uuid.UUID, *, actor_id: uuid.UUID | None) -> None:
    _reopen(session, quote_id, actor_id)
    documents.delete_draft(session, quote_id, "quote")


def _values(session: Session, quote: SalesDocument) -> dict[str, Any]:
    """The quote as a client would write it again: customer, terms and lines."""
    return {
        "customer": str(quote.party_id),
        "currency": quote.currency,
        "prices_include_tax": quote.prices_include_tax,
        "payment_terms": quote.payment_terms,
        "reference": quote.reference,
        "notes": quote.notes,
        "language": quote.language,
        "lines": [
            {
                "product": str(line.product_id) if line.product_id else None,
                "description": line.description,
                "quantity": str(line.quantity),
                "unit": line.unit,
                "unit_price": str(line.unit_price),
                "discount_percent": str(line.discount_percent),
                "tax_codes": list(line.tax_codes or []),
                "account": str(line.account_id) if line.account_id else None,
            }
            for line in documents.lines_of(session, quote.id)
        ],
    }


def duplicate(
    session: Session, quote: SalesDocument, *, actor_id: uuid.UUID | None
) -> SalesDocument:
    """A new draft with the same customer and lines, dated today with a fresh validity."""
    copy = create(session, _values(session, quote), actor_id=actor_id)
    documents.log(
        session,
        copy,
        "duplicated",
        actor_id=actor_id,
        detail={"source_id": str(quote.id), "source_number": quote.number},
    )
    return copy


# -- approval ------------------------------------------------------------------------------


def base_total(session: Session, quote: SalesDocument) -> int:
    """The quote's total in the base currency, at the rate of its date (kept on it)."""
    base = organizations.get_current(session).base_currency
    quote.exchange_rate = rates.find_rate(
        session, quote.currency, base, quote.issue_date, "currency"
    )
    return rates.convert(quote.gross, quote.currency, base, quote.exchange_rate)


def needs_approval(session: Session, quote: SalesDocument) -> bool:
    threshold = sales_settings.get(session).quote_approval_threshold
    return threshold is not None and base_total(session, quote) > threshold


def _approve(
    session: Session, quote: SalesDocument, *, actor_id: uuid.UUID | None, automatic: bool
) -> None:
    quote.status = "approved"
    quote.approved_at = clock.now()
    quote.approved_by_id = None if automatic else actor_id
    detail = {"automatic": True} if automatic else None
    _happened(session, quote, "approved", actor_id=None if automatic else actor_id, detail=detail)


def _submit(
    session: Session, quote: SalesDocument, *, actor_id: uuid.UUID | None, sending: bool = False
) -> None:
    _check_ready(session, quote)
    approval = needs_approval(session, quote)
    if approval and sending:
        raise Conflict(
            "This quote's total is over the approval threshold; submit it for approval "
            "before sending it.",
            code="approval_required",
        )
    quote.status = "submitted"
    quote.submitted_at = clock.now()
    quote.approved_at = quote.approved_by_id = quote.rejection_reason = None
    _happened(session, quote, "submitted", actor_id=actor_id)
    if not approval:
        _approve(session, quote, actor_id=actor_id, automatic=True)


def submit(session: Session, quote: SalesDocument, *, actor_id: uuid.UUID | None) -> SalesDocument:
    """For approval; approved at once when the total is at or under the threshold."""
    _require(quote, session, "submitted", EDITABLE)
    _submit(session, quote, actor_id=actor_id)
    session.flush()
    return quote


def _require_approver(role: Role) -> None:
    # Owners and administrators set the threshold; they are the ones who may lift it,
    # their own quotes included. Anyone else, the submitter first, may not.
    if role not in APPROVER_ROLES:
        raise PermissionDenied(
            "Only an owner or an administrator can approve or reject quotes.",
            code="approval_not_allowed",
        )


def approve(
    session: Session, quote: SalesDocument, *, actor_id: uuid.UUID, role: Role
) -> SalesDocument:
    _require_approver(role)
    _require(quote, session, "approved", ("submitted",))
    _approve(session, quote, actor_id=actor_id, automatic=False)
    session.flush()
    return quote


def reject(
    session: Session, quote: SalesDocument, reason: str, *, actor_id: uuid.UUID, role: Role
) -> SalesDocument:
    _require_approver(role)
    text = reason.strip()
    if not text:
        raise ValidationFailed.single("reason", "Say what to change.", "required")
    if len(text) > MAX_REASON:
        raise ValidationFailed.single("reason", f"At most {MAX_REASON} characters.", "too_long")
    _require(quote, session, "rejected", ("submitted",))
    quote.status = "rejected"
    quote.rejection_reason = text
    _happened(session, quote, "rejected", actor_id=actor_id, detail={"reason": text})
    session.flush()
    return quote


# -- the customer's answer -----------------------------------------------------------------


def accept(
    session: Session,
    quote: SalesDocument,
    *,
    name: str | None,
    actor_id: uuid.UUID | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
) -> SalesDocument:
    """The customer's yes: typed on the public page (with the time, IP address and
    browser), or recorded by a member (``actor_id``) who heard it."""
    signature = (name or "").strip()
    if len(signature) > MAX_NAME:
        raise ValidationFailed.single("name", f"At most {MAX_NAME} characters.", "too_long")
    _require(quote, session, "accepted", ("sent",))
    quote.status = "accepted"
    quote.accepted_at = clock.now()
    quote.accepted_name = signature or None
    quote.accepted_ip = ip[:45] if ip else None
    quote.accepted_user_agent = user_agent[:500] if user_agent else None
    detail = {"name": quote.accepted_name, "by": "member" if actor_id else "customer"}
    _happened(session, quote, "accepted", actor_id=actor_id, detail=detail)
    session.flush()
    return quote


def accept_online(
    session: Session,
    quote: SalesDocument,
    *,
    name: str,
    agreed: bool,
    ip: str | None,
    user_agent: str | None,
) -> SalesDocument:
    """The customer's yes on the quote's page: their full name typed as signature and the
    box ticked, both required."""
    _require(quote, session, "accepted", ("sent",))
    errors = []
    if not name.strip():
        errors.append(FieldError("name", "Type your full name to sign.", "required"))
    if not agreed:
        errors.append(FieldError("agree", "Tick the box to accept the quote.", "required"))
    if errors:
        raise ValidationFailed(errors)
    return accept(session, quote, name=name, ip=ip, user_agent=user_agent)


def decline(
    session: Session,
    quote: SalesDocument,
    *,
    reason: str | None,
    actor_id: uuid.UUID | None = None,
) -> SalesDocument:
    text = (reason or "").strip()
    if len(text) > MAX_REASON:
        raise ValidationFailed.single("reason", f"At most {MAX_REASON} characters.", "too_long")
    _require(quote, session, "declined", ("sent",))
    quote.status = "declined"
    quote.declined_at = clock.now()
    quote.decline_reason = text or None
    detail = {"reason": quote.decline_reason, "by": "member" if actor_id else "customer"}
    _happened(session, quote, "declined", actor_id=actor_id, detail=detail)
    session.flush()
    return quote


# -- after the yes ---------------------------------------------------------------------------


def convert(session: Session, quote: SalesDocument, *, actor_id: uuid.UUID | None) -> SalesDocument:
    """An invoice draft with the quote's customer, terms and lines, pointing back at the
    quote. A quote converts once; if its invoice draft was deleted, it converts again."""
    _require(quote, session, "converted", ("accepted", "converted"))
    existing = invoice_of(session, quote)
    if existing is not None:
        raise Conflict(
            f"This quote was already converted to invoice {existing.number or 'draft'} "
            f"(id {existing.id}).",
            code="already_converted",
        )
    invoice = documents.create_draft(
        session, "invoice", _values(session, quote), actor_id=actor_id, source=quote
    )
    quote.status = "converted"
    _happened(
        session, quote, "converted", actor_id=actor_id, detail={"invoice_id": str(invoice.id)}
    )
    session.flush()
    return invoice


def send(
    session: Session,
    quote: SalesDocument,
    *,
    settings: Settings,
    to: list[str] | None = None,
    subject: str | None = None,
    message: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> mailing.SentMail:
    """E-mail the quote with its PDF and its public link. A draft that needs no approval
    passes submit and approval on the way; a sent quote is sent again. The first time,
    the seller and the buyer are frozen and the PDF is stored, so that what the customer
    accepts is the very file they received."""
    _require(quote, session, "sent", ("draft", "approved", "sent"))
    if quote.status == "draft":
        _submit(session, quote, actor_id=actor_id, sending=True)
    if quote.sent_at is None:
        quote.seller = snapshots.seller(session)
        quote.buyer = snapshots.buyer(parties.get(session, quote.party_id))
        session.flush()
        pdf.store(session, quote)
    sent = mailing.send_document(
        session,
        quote,
        settings=settings,
        to=to,
        subject=subject,
        message=message,
        actor_id=actor_id,
    )
    quote.status = "sent"
    audit.record(
        session,
        "quote.sent",
        target_type="quote",
        target_id=quote.id,
        after={"to": list(sent.recipients)},
    )
    outbox.emit(session, "quote.sent", {**documents.payload(quote), "to": list(sent.recipients)})
    session.flush()
    return sent


# -- expiry ----------------------------------------------------------------------------------


def expire_quotes(session: Session, on: date | None = None) -> int:
    """Mark expired every quote still out past its validity date, with a timeline entry
    and a ``quote.expired`` event. Runs across organizations (the worker's periodic task);
    returns how many quotes expired."""
    day = on or documents.today()
    expired = 0
    while True:
        batch = session.scalars(
            select(SalesDocument)
            .where(
                SalesDocument.kind == "quote",
                SalesDocument.status.in_(EXPIRING),
                SalesDocument.valid_until < day,
            )
            .order_by(SalesDocument.id)
            .limit(BATCH)
        ).all()
        if not batch:
            return expired
        for quote in batch:
            with as_organization(session, quote.organization_id):
                # Rows added here take their organization at flush time, inside _expire.
                _expire(session, quote)
            expired += 1
