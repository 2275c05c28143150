"""Reading what the sales mail tests' SMTP server (``tests.mail.smtp``) received."""

from __future__ import annotations

import email.message

from tests.mail.smtp import SmtpServer


def text_of(message: email.message.EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


def pdf_of(message: email.message.EmailMessage) -> tuple[str | None, bytes]:
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    content: bytes = attachment.get_content()
    return attachment.get_filename(), content


def received(smtp: SmtpServer) -> list[email.message.EmailMessage]:
    """What reached the server, without the sign-up mail of the test's accounts."""
    return [m for m in smtp.inbox.messages if m["X-Comptoir-Kind"] != "email_verification"]
