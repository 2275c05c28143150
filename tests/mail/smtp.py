"""A real SMTP server (aiosmtpd) on a free local port, keeping what it receives, and the
fixtures that send a test's mail through it: ``from tests.mail.smtp import settings, smtp``."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from comptoir.kit.settings import Settings


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    fail_next: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.fail_next > 0:
            self.fail_next -= 1
            return "451 Temporary failure, try again"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def sending_through(settings: Settings, smtp: SmtpServer) -> Settings:
    """``settings`` that deliver to the local server, in clear (it has no TLS)."""
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_security": "none",
            "smtp_from": "Comptoir <noreply@comptoir.test>",
        }
    )


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer) -> Settings:
    """The app and the worker send through the local server."""
    return sending_through(settings, smtp)
