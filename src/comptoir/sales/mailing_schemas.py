"""Request and response bodies of sending documents, e-mail templates and reminders."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from comptoir.sales.schemas import DocumentOut, Request
from comptoir.sales.service.email_templates import BODY_LIMIT, SUBJECT_LIMIT
from comptoir.sales.service.mailing import MAX_RECIPIENTS

MERGE_FIELDS_HELP = (
    "Merge fields such as {customer_name} are replaced by their values "
    "(GET /api/v1/sales/email-templates lists them); {{ and }} write a brace."
)


class SendIn(Request):
    to: list[str] | None = Field(
        default=None,
        max_length=MAX_RECIPIENTS,
        description="Addresses, one message each; defaults to the customer's e-mail "
        "(its own, else its billing contact's)",
    )
    subject: str | None = Field(
        default=None,
        max_length=SUBJECT_LIMIT,
        description="Replaces the template's subject. " + MERGE_FIELDS_HELP,
    )
    message: str | None = Field(
        default=None,
        max_length=BODY_LIMIT,
        description="Replaces the template's body. " + MERGE_FIELDS_HELP,
    )


class SentMailOut(BaseModel):
    to: list[str]
    subject: str
    template: str = Field(description="The template kind used")
    mail_message_ids: list[uuid.UUID] = Field(
        description="One queued message per address (GET /api/v1/mail/{id})"
    )


class SendOut(BaseModel):
    document: DocumentOut
    mail: SentMailOut


class MergeFieldOut(BaseModel):
    name: str
    description: str


class EmailTemplateOut(BaseModel):
    kind: str
    language: str
    subject: str
    body: str
    customized: bool = Field(description="false: the built-in wording")
    updated_at: datetime | None


class EmailTemplateList(BaseModel):
    items: list[EmailTemplateOut]
    merge_fields: list[MergeFieldOut]


class EmailTemplateIn(Request):
    subject: str = Field(max_length=SUBJECT_LIMIT, description=MERGE_FIELDS_HELP)
    body: str = Field(max_length=BODY_LIMIT, description="Plain text. " + MERGE_FIELDS_HELP)


class PreviewIn(Request):
    subject: str | None = Field(
        default=None, max_length=SUBJECT_LIMIT, description="Defaults to the saved template's"
    )
    body: str | None = Field(
        default=None, max_length=BODY_LIMIT, description="Defaults to the saved template's"
    )
    document: uuid.UUID | None = Field(
        default=None,
        description="A quote, invoice or credit note to take the values from; sample "
        "values otherwise",
    )


class PreviewOut(BaseModel):
    subject: str
    body_text: str
    body_html: str


class ReminderOut(BaseModel):
    offset_days: int = Field(description="Days from the due date: -3 is three days before")
    to: str | None
    sent_at: datetime
    mail_message_id: uuid.UUID | None
    status: str = Field(
        description="queued, sent or failed: the mail's delivery; no_address: the customer "
        "had no e-mail address, nothing was sent"
    )


class ReminderList(BaseModel):
    items: list[ReminderOut]
