"""Sending invoices and credit notes by e-mail, the e-mail templates, the reminders log."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Response, status

from comptoir.identity.service.sessions import Principal
from comptoir.kit.settings import Settings
from comptoir.sales import mailing_schemas as schemas
from comptoir.sales.api.output import detail
from comptoir.sales.service import email_templates, mailing, reminders, sending
from comptoir.server.deps import DbSession, get_settings, require_scope
from comptoir.server.idempotency import IdempotencyGuard

router = APIRouter(prefix="/api/v1")

InvoiceReader = Annotated[Principal, require_scope("invoices:read")]
InvoiceWriter = Annotated[Principal, require_scope("invoices:write")]
CreditWriter = Annotated[Principal, require_scope("credit_notes:write")]
TemplateWriter = Annotated[Principal, require_scope("organization:write")]
AppSettings = Annotated[Settings, Depends(get_settings)]
SendBody = Annotated[schemas.SendIn | None, Body()]
LanguageQuery = Annotated[
    str | None,
    Query(max_length=20, description="en, fr...: defaults to the organization's language"),
]
TemplateKind = Annotated[
    str, Path(max_length=20, description="quote, invoice, credit_note, reminder or statement")
]


def _send(
    session: DbSession,
    settings: Settings,
    principal: Principal,
    document_id: uuid.UUID,
    kind: Literal["invoice", "credit_note"],
    body: schemas.SendIn | None,
) -> schemas.SendOut:
    given = body or schemas.SendIn()
    document, sent = sending.send(
        session,
        document_id,
        kind,
        settings=settings,
        to=given.to,
        subject=given.subject,
        message=given.message,
        actor_id=principal.user_id,
    )
    return schemas.SendOut(
        document=detail(session, document),
        mail=schemas.SentMailOut(
            to=list(sent.recipients),
            subject=sent.subject,
            template=sent.template,
            mail_message_ids=list(sent.message_ids),
        ),
    )


@router.post(
    "/invoices/{invoice_id}/send",
    summary="E-mail an invoice",
    tags=["invoices"],
    response_model=schemas.SendOut,
)
def send_invoice(
    invoice_id: uuid.UUID,
    principal: InvoiceWriter,
    session: DbSession,
    settings: AppSettings,
    guard: IdempotencyGuard,
    body: SendBody = None,
) -> Response:
    """Queues the invoice's e-mail with its stored PDF attached, one message per address,
    from the organization's invoice template (or `subject` and `message`) in the
    invoice's language. An issued invoice becomes `sent`; a partly paid or paid one keeps
    its status. Sending again is allowed. The timeline records each sending with its
    delivery status; `invoice.sent` is emitted. 409 `not_issued` for a draft, 422 when
    the customer has no e-mail address and `to` is not given."""
    return guard.run(
        principal, body, lambda: _send(session, settings, principal, invoice_id, "invoice", body)
    )


@router.post(
    "/credit-notes/{credit_note_id}/send",
    summary="E-mail a credit note",
    tags=["credit notes"],
    response_model=schemas.SendOut,
)
def send_credit_note(
    credit_note_id: uuid.UUID,
    principal: CreditWriter,
    session: DbSession,
    settings: AppSettings,
    guard: IdempotencyGuard,
    body: SendBody = None,
) -> Response:
    """Like sending an invoice; the credit note keeps its status. `credit_note.sent` is
    emitted."""
    return guard.run(
        principal,
        body,
        lambda: _send(session, settings, principal, credit_note_id, "credit_note", body),
    )


@router.get(
    "/invoices/{invoice_id}/reminders", summary="An invoice's payment reminders", tags=["invoices"]
)
def invoice_reminders(
    invoice_id: uuid.UUID, principal: InvoiceReader, session: DbSession
) -> schemas.ReminderList:
    """Each step of the reminder schedule dealt with for this invoice, oldest first, with
    the delivery status of its e-mail."""
    return schemas.ReminderList(
        items=[
            schemas.ReminderOut(
                offset_days=entry.offset_days,
                to=entry.to_address,
                sent_at=entry.sent_at,
                mail_message_id=entry.mail_message_id,
                status=entry.status,
            )
            for entry in reminders.log_of(session, invoice_id)
        ]
    )


def _template_out(template: email_templates.Template) -> schemas.EmailTemplateOut:
    return schemas.EmailTemplateOut(
        kind=template.kind,
        language=template.language,
        subject=template.subject,
        body=template.body,
        customized=template.customized,
        updated_at=template.updated_at,
    )


@router.get("/sales/email-templates", summary="E-mail templates", tags=["sales settings"])
def list_email_templates(principal: InvoiceReader, session: DbSession) -> schemas.EmailTemplateList:
    """Every kind (quote, invoice, credit_note, reminder, statement) in English, French and
    any language the organization wrote, with the merge fields they may use."""
    return schemas.EmailTemplateList(
        items=[_template_out(t) for t in email_templates.list_templates(session)],
        merge_fields=[
            schemas.MergeFieldOut(name=name, description=text)
            for name, text in email_templates.FIELDS.items()
        ],
    )


@router.get("/sales/email-templates/{kind}", summary="One e-mail template", tags=["sales settings"])
def get_email_template(
    kind: TemplateKind, principal: InvoiceReader, session: DbSession, language: LanguageQuery = None
) -> schemas.EmailTemplateOut:
    """The organization's wording in `language`, or the built-in one (`customized` false)."""
    chosen = email_templates.requested_language(session, language)
    return _template_out(email_templates.get(session, kind, chosen))


@router.put(
    "/sales/email-templates/{kind}", summary="Change an e-mail template", tags=["sales settings"]
)
def put_email_template(
    kind: TemplateKind,
    body: schemas.EmailTemplateIn,
    principal: TemplateWriter,
    session: DbSession,
    language: LanguageQuery = None,
) -> schemas.EmailTemplateOut:
    """Subject (one line, at most 300 characters) and plain-text body (at most 20,000).
    A merge field that does not exist is refused, naming it."""
    chosen = email_templates.requested_language(session, language)
    return _template_out(email_templates.save(session, kind, chosen, body.subject, body.body))


@router.delete(
    "/sales/email-templates/{kind}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Back to the built-in e-mail template",
    tags=["sales settings"],
)
def reset_email_template(
    kind: TemplateKind,
    principal: TemplateWriter,
    session: DbSession,
    language: LanguageQuery = None,
) -> None:
    """Forgets the organization's wording in `language`; nothing to do when it had none."""
    email_templates.reset(session, kind, email_templates.requested_language(session, language))


@router.post(
    "/sales/email-templates/{kind}/preview",
    summary="Preview an e-mail template",
    tags=["sales settings"],
)
def preview_email_template(
    kind: TemplateKind,
    principal: InvoiceReader,
    session: DbSession,
    settings: AppSettings,
    language: LanguageQuery = None,
    body: Annotated[schemas.PreviewIn | None, Body()] = None,
) -> schemas.PreviewOut:
    """The mail as a customer would get it: the saved template, or the `subject` and
    `body` being edited, filled from `document` or with sample values. Nothing is sent."""
    given = body or schemas.PreviewIn()
    composed = mailing.preview(
        session,
        settings,
        kind=kind,
        language=email_templates.requested_language(session, language),
        subject=given.subject,
        body=given.body,
        document_id=given.document,
    )
    return schemas.PreviewOut(
        subject=composed.subject, body_text=composed.body_text, body_html=composed.body_html
    )
