"""Pre-rendered mail with attachments, delivered over real SMTP and to .eml files."""

from __future__ import annotations

import email
import email.policy
import uuid
from pathlib import Path

from comptoir.kit.db import Database
from comptoir.kit.settings import Settings
from comptoir.kit.tenancy import all_tenants
from comptoir.mail import service as mail
from comptoir.worker.runner import Worker
from tests.mail.smtp import SmtpServer, sending_through, smtp

__all__ = ["smtp"]

PDF = b"%PDF-1.7\n" + bytes(range(256)) + b"\n%%EOF\n"


def queue_invoice_mail(database: Database, *, to: str, reply_to: str | None = None) -> uuid.UUID:
    with database.unit_of_work() as session:
        message = mail.queue_rendered(
            session,
            kind="invoice",
            to=to,
            subject="Invoice F-2026-00001",
            body_text="Please find our invoice attached.",
            body_html="<p>Please find our invoice attached.</p>",
            attachments=[
                ("F-2026-00001.pdf", "application/pdf", PDF),
                ("terms.txt", "text/plain", "Conditions générales".encode()),
            ],
            reply_to=reply_to,
        )
        return message.id


def test_the_pdf_arrives_attached_over_smtp(
    database: Database, settings: Settings, smtp: SmtpServer
) -> None:
    message_id = queue_invoice_mail(database, to="client@example.org", reply_to="billing@acme.fr")
    assert smtp.inbox.messages == []  # nothing leaves before the worker runs
    Worker(database, sending_through(settings, smtp), name="test").drain()

    [received] = smtp.inbox.to("client@example.org")
    assert received["Subject"] == "Invoice F-2026-00001"
    assert received["Reply-To"] == "billing@acme.fr"
    body = received.get_body(preferencelist=("plain",))
    assert body is not None and "invoice attached" in body.get_content()
    assert received.get_body(preferencelist=("html",)) is not None
    files = {part.get_filename(): part for part in received.iter_attachments()}
    assert set(files) == {"F-2026-00001.pdf", "terms.txt"}
    assert files["F-2026-00001.pdf"].get_content_type() == "application/pdf"
    assert files["F-2026-00001.pdf"].get_content() == PDF
    assert files["terms.txt"].get_payload(decode=True) == "Conditions générales".encode()
    with database.unit_of_work() as session, all_tenants(session):
        assert mail.statuses(session, [message_id, uuid.uuid4()]) == {message_id: "sent"}


def test_attachments_are_written_into_the_eml_file(
    database: Database, settings: Settings, worker: Worker
) -> None:
    message_id = queue_invoice_mail(database, to="client@example.org")
    with database.unit_of_work() as session, all_tenants(session):
        assert mail.statuses(session, [message_id]) == {message_id: "queued"}
    worker.drain()
    [written] = list(Path(settings.data_dir, "mail").rglob("*.eml"))
    parsed = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    assert parsed["Reply-To"] is None
    [pdf, _terms] = list(parsed.iter_attachments())
    assert pdf.get_filename() == "F-2026-00001.pdf"
    assert pdf.get_content() == PDF


def test_a_refused_message_keeps_its_attachments_for_the_retry(
    database: Database, settings: Settings, smtp: SmtpServer
) -> None:
    from datetime import timedelta

    from comptoir.kit import clock

    smtp.inbox.fail_next = 1
    queue_invoice_mail(database, to="client@example.org")
    worker = Worker(database, sending_through(settings, smtp), name="test")
    worker.drain()
    assert smtp.inbox.messages == []
    with clock.travel(timedelta(minutes=2)):
        worker.drain()
    [received] = smtp.inbox.to("client@example.org")
    assert len(list(received.iter_attachments())) == 2
