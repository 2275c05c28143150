"""Queueing and delivering e-mail.

Messages are rows written in the caller's transaction plus a ``mail.deliver`` job,
so a rolled-back request never sends mail. The worker delivers them over SMTP
when ``COMPTOIR_SMTP_HOST`` is set, and otherwise writes ``.eml`` files to the
data directory, which the "Sent mail" page lists.

A message has exactly one recipient: mail to several people is one message each, so
that each address has its own delivery status and retries, and fits ``to_address``.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.kit import clock
from comptoir.kit.errors import NotFound
from comptoir.kit.pagination import Page, keyset_page
from comptoir.kit.settings import Settings
from comptoir.mail.models import MailAttachment, MailMessage
from comptoir.outbox import service as outbox

DELIVER_JOB = "mail.deliver"
# (file name, MIME type such as "application/pdf", content)
Attachment = tuple[str, str, bytes]

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("comptoir.mail", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class MailTransport:
    """Where delivered mail goes: an SMTP server, or files under ``directory``."""

    directory: Path
    sender: str
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_security: str = "starttls"
    timeout: float = 15.0

    @classmethod
    def from_settings(cls, settings: Settings) -> MailTransport:
        return cls(
            directory=settings.data_dir / "mail",
            sender=settings.smtp_from,
            smtp_host=settings.smtp_host,
            smtp_port=settings.smtp_port,
            smtp_username=settings.smtp_username,
            smtp_password=(
                settings.smtp_password.get_secret_value() if settings.smtp_password else None
            ),
            smtp_security=settings.smtp_security,
            timeout=settings.smtp_timeout_seconds,
        )


def queue(
    session: Session,
    *,
    kind: str,
    to: str,
    subject: str,
    context: dict[str, Any],
    organization_id: uuid.UUID | None = None,
    sensitive: bool = False,
) -> MailMessage:
    """Render ``mail/templates/<kind>.txt|.html`` and queue the message for delivery."""
    values = {"subject": subject, **context}
    message = MailMessage(
        kind=kind,
        to_address=to,
        subject=subject,
        body_text=_templates.get_template(f"{kind}.txt").render(values),
        body_html=_templates.get_template(f"{kind}.html").render(values),
        sensitive=sensitive,
    )
    return _enqueue(session, message, organization_id)


def queue_rendered(
    session: Session,
    *,
    kind: str,
    to: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    attachments: Iterable[Attachment] = (),
    organization_id: uuid.UUID | None = None,
    reply_to: str | None = None,
) -> MailMessage:
    """Queue a message whose bodies the caller already wrote (a document e-mail from the
    organization's own template), with its files; ``reply_to`` is who answers reach."""
    message = MailMessage(
        kind=kind, to_address=to, subject=subject, body_text=body_text, body_html=body_html
    )
    files = [
        MailAttachment(filename=name, content_type=content_type, content=content)
        for name, content_type, content in attachments
    ]
    return _enqueue(session, message, organization_id, files=files, reply_to=reply_to)


def _enqueue(
    session: Session,
    message: MailMessage,
    organization_id: uuid.UUID | None,
    *,
    files: Sequence[MailAttachment] = (),
    reply_to: str | None = None,
) -> MailMessage:
    if organization_id is not None:
        message.organization_id = organization_id
    session.add(message)
    session.flush()
    for file in files:
        file.message_id = message.id
    session.add_all(files)
    job: dict[str, Any] = {"message_id": str(message.id)}
    # The delivery job carries the header: the message row has no column for it.
    if reply_to:
        job["reply_to"] = reply_to
    outbox.enqueue(session, DELIVER_JOB, job, organization_id=organization_id)
    session.flush()
    return message


def _build(
    message: MailMessage,
    sender: str,
    attachments: Sequence[MailAttachment] = (),
    reply_to: str | None = None,
) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    if reply_to:
        email["Reply-To"] = reply_to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(clock.now())
    email["Message-ID"] = message.message_id or make_msgid(domain="comptoir.local")
    email["X-Comptoir-Kind"] = message.kind
    email.set_content(message.body_text or "")
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return email


def attachments_of(session: Session, message_id: uuid.UUID) -> list[MailAttachment]:
    return list(
        session.scalars(
            select(MailAttachment)
            .where(MailAttachment.message_id == message_id)
            .order_by(MailAttachment.filename, MailAttachment.id)
        )
    )


def deliver(
    session: Session,
    message_id: uuid.UUID,
    transport: MailTransport,
    *,
    final_attempt: bool,
    reply_to: str | None = None,
) -> None:
    """Send one queued message; raises on failure so that the worker retries it."""
    message = session.get(MailMessage, message_id)
    if message is None or message.status == "sent":
        return
    message.attempts += 1
    message.message_id = message.message_id or make_msgid(domain="comptoir.local")
    email = _build(message, transport.sender, attachments_of(session, message.id), reply_to)
    try:
        if transport.smtp_host:
            _send_smtp(email, transport)
            message.transport = "smtp"
        else:
            message.eml_file = str(_write_eml(email, message, transport.directory))
            message.transport = "file"
    except (OSError, smtplib.SMTPException) as exc:
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if final_attempt:
            message.status = "failed"
        session.flush()
        raise
    message.status = "sent"
    message.sent_at = clock.now()
    message.last_error = None
    if message.sensitive and message.transport == "smtp":
        message.body_text = message.body_html = None
    session.flush()


def _send_smtp(email: EmailMessage, transport: MailTransport) -> None:
    host, port = transport.smtp_host or "", transport.smtp_port
    if transport.smtp_security == "ssl":
        with smtplib.SMTP_SSL(
            host, port, timeout=transport.timeout, context=ssl.create_default_context()
        ) as smtp:
            _login_and_send(smtp, email, transport)
        return
    with smtplib.SMTP(host, port, timeout=transport.timeout) as smtp:
        if transport.smtp_security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        _login_and_send(smtp, email, transport)


def _login_and_send(smtp: smtplib.SMTP, email: EmailMessage, transport: MailTransport) -> None:
    if transport.smtp_username:
        smtp.login(transport.smtp_username, transport.smtp_password or "")
    smtp.send_message(email)


def _write_eml(email: EmailMessage, message: MailMessage, directory: Path) -> Path:
    folder = directory / message.created_at.strftime("%Y-%m-%d")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{message.id}.eml"
    path.write_bytes(bytes(email))
    return path


def list_messages(session: Session, *, limit: int | None, cursor: str | None) -> Page[MailMessage]:
    """The current organization's messages, newest first."""
    return keyset_page(session, select(MailMessage), MailMessage.id, limit=limit, cursor=cursor)


def get_message(session: Session, message_id: uuid.UUID) -> MailMessage:
    message = session.get(MailMessage, message_id)
    if message is None:
        raise NotFound("No such message.")
    return message


def statuses(session: Session, message_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Delivery status (queued, sent or failed) of this organization's messages by id;
    unknown ids are left out."""
    wanted = set(message_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(MailMessage.id, MailMessage.status).where(MailMessage.id.in_(wanted))
    ).all()
    return {row.id: row.status for row in rows}


def raw_message(message: MailMessage) -> bytes | None:
    """The ``.eml`` as written to disk, when the message went to a file."""
    if message.eml_file and Path(message.eml_file).is_file():
        return Path(message.eml_file).read_bytes()
    return None
