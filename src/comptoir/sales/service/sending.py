"""Sending an issued invoice or credit note to the customer. An invoice goes from issued
to sent (one partly or wholly paid keeps its status); a credit note keeps "issued",
which is what applying and refunding it look for. Sending again is allowed: each
sending is logged on the timeline and emits ``invoice.sent`` or ``credit_note.sent``."""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy.orm import Session

from comptoir.audit import service as audit
from comptoir.kit.errors import Conflict
from comptoir.kit.settings import Settings
from comptoir.outbox import service as outbox
from comptoir.sales.models import SalesDocument
from comptoir.sales.service import documents, mailing
from comptoir.sales.service.mailing import SentMail


def send(
    session: Session,
    document_id: uuid.UUID,
    kind: Literal["invoice", "credit_note"],
    *,
    settings: Settings,
    to: list[str] | None = None,
    subject: str | None = None,
    message: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> tuple[SalesDocument, SentMail]:
    document = documents.get(session, document_id, kind)
    name = documents.KIND_NAMES[kind]
    if document.status == "draft":
        raise Conflict(f"Issue the {name} before sending it.", code="not_issued")
    if document.status == "cancelled":
        raise Conflict(f"This {name} is cancelled; it is not sent any more.", code="cancelled")
    sent = mailing.send_document(
        session,
        document,
        settings=settings,
        to=to,
        subject=subject,
        message=message,
        actor_id=actor_id,
    )
    if document.status == "issued" and kind == "invoice":
        document.status = "sent"
    session.flush()
    audit.record(
        session,
        f"{kind}.sent",
        target_type=kind,
        target_id=document.id,
        after={"to": list(sent.recipients), "subject": sent.subject},
    )
    outbox.emit(
        session, f"{kind}.sent", {**documents.payload(document), "to": list(sent.recipients)}
    )
    return document, sent
