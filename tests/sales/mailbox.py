"""A real SMTP server for the sales mail tests, and the settings that send through it.

Import both fixtures into a test module: ``from tests.sales.mailbox import settings, smtp``.
"""

from __future__ import annotations

import email.message
from collections.abc import Iterator

import pytest

from comptoir.kit.settings import Settings
from tests.mail.smtp import SmtpServer


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer) -> Settings:
    """The app and the worker send through the local server, in clear (it has no TLS)."""
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_security": "none",
            "smtp_from": "Comptoir <noreply@comptoir.test>",
        }
    )


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
