"""Sending a quote, an invoice or a credit note by e-mail: the organization's template
filled with the document's values in the document's language, its PDF attached, one
message per recipient through the mail service, and the sending kept on the
document's timeline. Statuses are the caller's business: sending a quote does not
make it "sent" here; the quote and invoice services decide that."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from comptoir.identity.service import organizations
from comptoir.identity.service.addresses import normalize_email
from comptoir.kit import clock
from comptoir.kit.errors import FieldError, NotFound, ValidationFailed
from comptoir.kit.settings import Settings
from comptoir.mail import service as mail
from comptoir.parties.service import parties
from comptoir.sales.models import SalesDocument, SalesDocumentEvent
from comptoir.sales.service import documents, email_templates, pdf
from comptoir.sales.service.email_templates import BODY_LIMIT, SUBJECT_LIMIT

MAX_RECIPIENTS = 10
NO_ADDRESS = "The customer has no e-mail address; give one."
# A contact whose role says this receives the invoices when the customer has no address.
_BILLING_ROLE = re.compile(r"bill|invoic|account|factur|compta", re.IGNORECASE)
_LINK = re.compile(r"https?://[^\s<]+")
# The document a preview of each template kind takes its values from.
_DOCUMENT_KINDS: dict[str, documents.Kind] = {
    "quote": "quote",
    "invoice": "invoice",
    "reminder": "invoice",
    "credit_note": "credit_note",
}


@dataclass(frozen=True)
class SentMail:
    """One sending: a queued message per recipient, in the order of ``recipients``."""

    recipients: tuple[str, ...]
    message_ids: tuple[uuid.UUID, ...]
    subject: str
    template: str

    def log_detail(self) -> dict[str, Any]:
        """What the document's timeline keeps of it."""
        return {
            "to": list(self.recipients),
            "subject": self.subject,
            "template": self.template,
            "mail_message_ids": [str(message_id) for message_id in self.message_ids],
        }


@dataclass(frozen=True)
class Composed:
    subject: str
    body_text: str
    body_html: str


def default_recipient(session: Session, party_id: uuid.UUID) -> str | None:
    """The customer's own address, else its billing contact's, else its first contact's
    with an address."""
    party = parties.get(session, party_id)
    if party.email:
        return party.email
    reachable = [c for c in parties.contacts_of(session, [party_id])[party_id] if c.email]
    billing = [contact for contact in reachable if _BILLING_ROLE.search(contact.role or "")]
    chosen = billing or reachable
    return chosen[0].email if chosen else None


def recipients(session: Session, party_id: uuid.UUID, to: Sequence[str] | None) -> list[str]:
    """The addresses checked and without repeats; the customer's own when none is given."""
    if to is None:
        found = default_recipient(session, party_id)
        if found is None:
            raise ValidationFailed.single("to", NO_ADDRESS, "no_address")
        return [found]
    if not to:
        raise ValidationFailed.single("to", "Give at least one address.", "required")
    if len(to) > MAX_RECIPIENTS:
        raise ValidationFailed.single("to", f"At most {MAX_RECIPIENTS} addresses.", "too_many")
    errors: list[FieldError] = []
    clean: list[str] = []
    for index, address in enumerate(to):
        try:
            clean.append(normalize_email(str(address), f"to[{index}]", reserved_domains=True))
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return list(dict.fromkeys(clean))


def merge_values(
    session: Session, document: SalesDocument, settings: Settings, *, on: date | None = None
) -> dict[str, str]:
    """Every merge field of ``document``, written the way its PDF writes them."""
    formats = pdf.Formats(document.language, document.currency)
    seller = document.seller or {}
    buyer = document.buyer or {}
    day = on or documents.today()
    overdue = (day - document.due_date).days if document.due_date else 0
    return {
        "customer_name": buyer.get("name") or parties.get(session, document.party_id).name,
        "company_name": seller.get("name") or organizations.get_current(session).legal_name,
        "document_number": document.number or "",
        "issue_date": formats.day(document.issue_date),
        "due_date": formats.day(document.due_date),
        "valid_until": formats.day(document.valid_until),
        "total": formats.money(document.gross),
        "amount_due": formats.money(documents.amount_due(document)),
        "days_overdue": str(max(overdue, 0)),
        "reference": document.reference or "",
        "portal_link": settings.base_url + documents.public_path(document),
    }


def _html(text: str) -> str:
    """The plain body as simple HTML: paragraphs, line breaks and clickable links."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        escaped = html.escape(block)
        linked = _LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return (
        '<!doctype html>\n<html><body style="font-family: sans-serif; line-height: 1.5">\n'
        + "\n".join(paragraphs)
        + "\n</body></html>\n"
    )


def compose(
    session: Session,
    *,
    kind: str,
    language: str | None,
    values: Mapping[str, str],
    subject: str | None = None,
    message: str | None = None,
    message_field: str = "message",
) -> Composed:
    """The mail of ``kind`` in ``language`` filled with ``values``; ``subject`` and
    ``message`` replace the template's, with the same merge fields."""
    template = email_templates.effective(session, kind, language)
    errors: list[FieldError] = []
    texts = {"subject": template.subject, message_field: template.body}
    for field, given, limit in (
        ("subject", subject, SUBJECT_LIMIT),
        (message_field, message, BODY_LIMIT),
    ):
        if given is not None:
            try:
                texts[field] = email_templates.check_text(given, field, limit)
            except ValidationFailed as exc:
                errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    filled_subject = " ".join(email_templates.fill(texts["subject"], values).split())
    if len(filled_subject) > SUBJECT_LIMIT:
        filled_subject = filled_subject[: SUBJECT_LIMIT - 1] + "…"
    body = email_templates.fill(texts[message_field], values)
    return Composed(filled_subject, body, _html(body))


def sample_values(session: Session, settings: Settings, language: str) -> dict[str, str]:
    """Made-up values in ``language``, for previewing a template without a document."""
    organization = organizations.get_current(session)
    formats = pdf.Formats(language, organization.base_currency)
    day = documents.today()
    return {
        "customer_name": "Example Customer",
        "company_name": organization.legal_name,
        "document_number": "F-2026-00042",
        "issue_date": formats.day(day),
        "due_date": formats.day(day + timedelta(days=30)),
        "valid_until": formats.day(day + timedelta(days=30)),
        "total": formats.money(123450),
        "amount_due": formats.money(123450),
        "days_overdue": "7",
        "reference": "PO-1234",
        "portal_link": f"{settings.base_url}/d/example",
    }


def preview(
    session: Session,
    settings: Settings,
    *,
    kind: str,
    language: str,
    subject: str | None = None,
    body: str | None = None,
    document_id: uuid.UUID | None = None,
) -> Composed:
    """The template of ``kind`` in ``language`` (or the ``subject`` and ``body`` being
    edited) filled with a document's values, or sample ones."""
    email_templates.require_kind(kind)
    if document_id is None:
        values = sample_values(session, settings, language)
    else:
        document = _document_for(session, kind, document_id)
        values = merge_values(session, document, settings)
    template = email_templates.get(session, kind, language)
    return compose(
        session,
        kind=kind,
        language=language,
        values=values,
        subject=template.subject if subject is None else subject,
        message=template.body if body is None else body,
        message_field="body",
    )


def _document_for(session: Session, kind: str, document_id: uuid.UUID) -> SalesDocument:
    document_kind = _DOCUMENT_KINDS.get(kind)
    if document_kind is None:
        raise ValidationFailed.single(
            "document", "A statement is about a customer, not one document.", "invalid"
        )
    try:
        return documents.get(session, document_id, document_kind)
    except NotFound:
        raise ValidationFailed.single(
            "document", f"No such {documents.KIND_NAMES[document_kind]}.", "not_found"
        ) from None


def queue(
    session: Session,
    *,
    kind: str,
    composed: Composed,
    to: Iterable[str],
    attachments: Sequence[mail.Attachment] = (),
) -> SentMail:
    """One message per address, answers going to the organization's own address."""
    organization = organizations.get_current(session)
    addresses = tuple(to)
    messages = [
        mail.queue_rendered(
            session,
            kind=kind,
            to=address,
            subject=composed.subject,
            body_text=composed.body_text,
            body_html=composed.body_html,
            attachments=attachments,
            organization_id=organization.id,
            reply_to=organization.email,
        )
        for address in addresses
    ]
    return SentMail(addresses, tuple(m.id for m in messages), composed.subject, kind)


def attachment(session: Session, document: SalesDocument) -> mail.Attachment:
    """The stored PDF of an issued document; a draft or a quote rendered now."""
    return (pdf.file_name(document), "application/pdf", pdf.render_document(session, document))


def send_document(
    session: Session,
    document: SalesDocument,
    *,
    settings: Settings,
    to: list[str] | None = None,
    subject: str | None = None,
    message: str | None = None,
    actor_id: uuid.UUID | None = None,
    template_kind: str | None = None,
) -> SentMail:
    """E-mail ``document`` with its PDF (see the module's docstring); logs "sent" on its
    timeline and stamps ``sent_at``. ``to`` defaults to the customer's address."""
    kind = email_templates.require_kind(template_kind or document.kind)
    errors: list[FieldError] = []
    addresses: list[str] = []
    try:
        addresses = recipients(session, document.party_id, to)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    try:
        composed = compose(
            session,
            kind=kind,
            language=document.language,
            values=merge_values(session, document, settings),
            subject=subject,
            message=message,
        )
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    sent = queue(
        session,
        kind=kind,
        composed=composed,
        to=addresses,
        attachments=[attachment(session, document)],
    )
    document.sent_at = clock.now()
    documents.log(session, document, "sent", actor_id=actor_id, detail=sent.log_detail())
    session.flush()
    return sent


def with_delivery(
    session: Session, events: Sequence[SalesDocumentEvent]
) -> list[dict[str, Any] | None]:
    """The events' details, those of mailings with each message's delivery status
    (queued, sent or failed) as the mail service knows it now."""
    ids = {
        uuid.UUID(value)
        for event in events
        for value in (event.detail or {}).get("mail_message_ids", [])
    }
    known = mail.statuses(session, ids)
    details: list[dict[str, Any] | None] = []
    for event in events:
        detail = event.detail
        if detail and "mail_message_ids" in detail:
            detail = {
                **detail,
                "delivery": [
                    {"to": address, "status": known.get(uuid.UUID(message_id), "unknown")}
                    for address, message_id in zip(
                        detail.get("to", []), detail["mail_message_ids"], strict=False
                    )
                ],
            }
        details.append(detail)
    return details
