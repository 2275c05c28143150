"""Sending invoices and credit notes by e-mail, over real SMTP, and the e-mail templates."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from comptoir.kit.db import Database
from comptoir.kit.tenancy import all_tenants
from comptoir.outbox.models import OutboxEvent
from comptoir.worker.runner import Worker
from tests.conftest import Account, register
from tests.mail.smtp import SmtpServer, settings, smtp
from tests.sales.helpers import customer, invoice, pay
from tests.sales.mailbox import pdf_of, received, text_of

__all__ = ["settings", "smtp"]


def send(client: TestClient, owner: Account, path: str, **body: Any) -> Any:
    return client.post(f"/api/v1/{path}/send", headers=owner.headers, json=body or None)


def events_of(database: Database, kind: str) -> list[OutboxEvent]:
    with database.unit_of_work() as session, all_tenants(session):
        return list(session.scalars(select(OutboxEvent).where(OutboxEvent.type == kind)))


def test_an_issued_invoice_arrives_with_its_pdf(
    client: TestClient, owner: Account, worker: Worker, smtp: SmtpServer, database: Database
) -> None:
    acme = customer(client, owner, name="Acme & Fils")
    issued = invoice(client, owner, acme["id"], due_date="2026-03-03")
    answer = send(client, owner, f"invoices/{issued['id']}")
    assert answer.status_code == 200, answer.text
    sent = answer.json()
    assert sent["document"]["status"] == "sent"
    assert sent["document"]["sent_at"] is not None
    assert sent["mail"]["to"] == ["ap@acme.test"]
    assert sent["mail"]["template"] == "invoice"
    [event] = [e for e in sent["document"]["timeline"] if e["kind"] == "sent"]
    assert event["detail"]["delivery"] == [{"to": "ap@acme.test", "status": "queued"}]
    assert smtp.inbox.messages == []  # nothing leaves before the commit and the worker

    worker.drain()
    [message] = smtp.inbox.to("ap@acme.test")
    # The customer is French (the organization's language): the French built-in text.
    assert message["Subject"] == "Facture F-2026-00001 de Owner Org SARL"
    text = text_of(message)
    assert "Bonjour Acme & Fils," in text
    assert "1\u202f200,00\xa0€" in text
    assert "3 mars 2026" in text
    # The portal link opens the invoice, without an account, and serves the same PDF.
    link = re.search(r"http://testserver(/d/[\w-]+)", text)
    assert link is not None
    anonymous = TestClient(client.app)
    assert anonymous.get(f"{link.group(1)}/pdf").content == pdf_of(message)[1]
    html = message.get_body(preferencelist=("html",))
    assert html is not None and "Acme &amp; Fils" in html.get_content()
    filename, content = pdf_of(message)
    assert filename == "F-2026-00001.pdf"
    stored = client.get(f"/api/v1/invoices/{issued['id']}/pdf", headers=owner.headers)
    assert content == stored.content
    detail = client.get(f"/api/v1/invoices/{issued['id']}", headers=owner.headers).json()
    [event] = [e for e in detail["timeline"] if e["kind"] == "sent"]
    assert event["detail"]["delivery"] == [{"to": "ap@acme.test", "status": "sent"}]
    assert event["detail"]["subject"] == message["Subject"]
    [emitted] = events_of(database, "invoice.sent")
    assert emitted.payload["id"] == issued["id"]
    assert emitted.payload["to"] == ["ap@acme.test"]
    assert emitted.payload["status"] == "sent"


def test_several_recipients_get_one_message_each_and_english_customers_english(
    client: TestClient, owner: Account, worker: Worker, smtp: SmtpServer
) -> None:
    globex = customer(client, owner, name="Globex", language="en", email="ar@globex.test")
    issued = invoice(client, owner, globex["id"], due_date="2026-03-03")
    answer = send(
        client,
        owner,
        f"invoices/{issued['id']}",
        to=["Boss@Globex.test", "ar@globex.test", "boss@globex.test"],
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["mail"]["to"] == ["boss@globex.test", "ar@globex.test"]
    assert len(answer.json()["mail"]["mail_message_ids"]) == 2
    worker.drain()
    assert sorted(m["To"] for m in received(smtp)) == ["ar@globex.test", "boss@globex.test"]
    message = received(smtp)[0]
    assert message["Subject"] == "Invoice F-2026-00001 from Owner Org SARL"
    assert "€1,200.00" in text_of(message)
    assert "due on March 3, 2026" in text_of(message)


def test_subject_and_message_replace_the_template_with_the_same_fields(
    client: TestClient, owner: Account, worker: Worker, smtp: SmtpServer
) -> None:
    acme = customer(client, owner)
    issued = invoice(client, owner, acme["id"])
    answer = send(
        client,
        owner,
        f"invoices/{issued['id']}",
        subject="Your bill {document_number}",
        message="Dear {customer_name}, pay {amount_due} please. {{not a field}}",
    )
    assert answer.status_code == 200, answer.text
    worker.drain()
    [message] = received(smtp)
    assert message["Subject"] == "Your bill F-2026-00001"
    assert text_of(message).strip() == "Dear Acme, pay 1\u202f200,00\xa0€ please. {not a field}"


def test_bad_sendings_are_refused_and_nothing_is_queued(
    client: TestClient, owner: Account, worker: Worker, smtp: SmtpServer
) -> None:
    acme = customer(client, owner)
    draft = invoice(client, owner, acme["id"], issue=False)
    refused = send(client, owner, f"invoices/{draft['id']}")
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_issued"
    assert "Issue the invoice before sending it" in refused.json()["detail"]

    mute = customer(client, owner, name="Mute", email=None)
    silent = invoice(client, owner, mute["id"])
    no_address = send(client, owner, f"invoices/{silent['id']}")
    assert no_address.status_code == 422
    assert no_address.json()["errors"][0]["field"] == "to"
    assert "no e-mail address" in no_address.json()["errors"][0]["message"]

    bad = send(client, owner, f"invoices/{silent['id']}", to=["ok@mute.test", "not-an-address"])
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["to[1]"]
    empty = send(client, owner, f"invoices/{silent['id']}", to=[])
    assert empty.status_code == 422
    unknown = send(client, owner, f"invoices/{silent['id']}", subject="Hi {client_name}")
    assert unknown.status_code == 422
    errors = {e["field"]: e["message"] for e in unknown.json()["errors"]}
    assert set(errors) == {"to", "subject"}  # every problem at once
    assert "{client_name}" in errors["subject"]
    sneaky = send(
        client, owner, f"invoices/{silent['id']}", to=["a@mute.test"], message="{total.__class__}"
    )
    assert sneaky.status_code == 422
    assert sneaky.json()["errors"][0]["field"] == "message"

    detail = client.get(f"/api/v1/invoices/{silent['id']}", headers=owner.headers).json()
    assert detail["status"] == "issued"
    assert detail["sent_at"] is None
    assert "sent" not in [e["kind"] for e in detail["timeline"]]
    worker.drain()
    assert received(smtp) == []


def test_a_customer_without_address_reaches_its_billing_contact(
    client: TestClient, owner: Account, worker: Worker, smtp: SmtpServer
) -> None:
    firm = customer(
        client,
        owner,
        name="Firm",
        email=None,
        contacts=[
            {"name": "Sales", "email": "sales@firm.test", "role": "Purchasing"},
            {"name": "Anne", "email": "compta@firm.test", "role": "Comptabilité"},
        ],
    )
    issued = invoice(client, owner, firm["id"])
    answer = send(client, owner, f"invoices/{issued['id']}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["mail"]["to"] == ["compta@firm.test"]


def test_resending_is_logged_again_and_a_paid_invoice_stays_paid(
    client: TestClient, owner: Account, worker: Worker, smtp: SmtpServer, database: Database
) -> None:
    acme = customer(client, owner)
    issued = invoice(client, owner, acme["id"])
    pay(client, owner, acme["id"], "400.00", [(issued["id"], "400.00")])
    first = send(client, owner, f"invoices/{issued['id']}")
    assert first.json()["document"]["status"] == "partially_paid"
    pay(client, owner, acme["id"], "800.00", [(issued["id"], "800.00")])
    again = send(client, owner, f"invoices/{issued['id']}", to=["other@acme.test"])
    assert again.status_code == 200
    assert again.json()["document"]["status"] == "paid"
    sent = [e for e in again.json()["document"]["timeline"] if e["kind"] == "sent"]
    assert [e["detail"]["to"] for e in sent] == [["ap@acme.test"], ["other@acme.test"]]
    assert len(events_of(database, "invoice.sent")) == 2
    worker.drain()
    assert sorted(m["To"] for m in received(smtp)) == ["ap@acme.test", "other@acme.test"]


def test_a_cancelled_invoice_is_not_sent(
    client: TestClient, owner: Account, worker: Worker, smtp: SmtpServer
) -> None:
    acme = customer(client, owner)
    issued = invoice(client, owner, acme["id"])
    assert (
        client.post(f"/api/v1/invoices/{issued['id']}/cancel", headers=owner.headers).status_code
        == 200
    )
    refused = send(client, owner, f"invoices/{issued['id']}")
    assert refused.status_code == 409
    assert refused.json()["code"] == "cancelled"


def test_a_credit_note_is_sent_and_keeps_its_status(
    client: TestClient, owner: Account, worker: Worker, smtp: SmtpServer, database: Database
) -> None:
    acme = customer(client, owner)
    issued = invoice(client, owner, acme["id"])
    cancelled = client.post(f"/api/v1/invoices/{issued['id']}/cancel", headers=owner.headers)
    note_id = next(
        d["id"]
        for d in client.get("/api/v1/credit-notes", headers=owner.headers).json()["items"]
        if d["status"] == "issued"
    )
    assert cancelled.status_code == 200
    answer = send(client, owner, f"credit-notes/{note_id}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["document"]["status"] == "issued"
    worker.drain()
    [message] = received(smtp)
    assert message["Subject"] == "Avoir AV-2026-00001 de Owner Org SARL"
    assert pdf_of(message)[0] == "AV-2026-00001.pdf"
    assert [e.payload["id"] for e in events_of(database, "credit_note.sent")] == [note_id]


def test_other_organizations_documents_are_not_found(
    client: TestClient, owner: Account, smtp: SmtpServer
) -> None:
    acme = customer(client, owner)
    issued = invoice(client, owner, acme["id"])
    other = register(client, "other@example.com")
    assert send(client, other, f"invoices/{issued['id']}").status_code == 404
    assert send(client, other, f"credit-notes/{issued['id']}").status_code == 404
    assert send(client, owner, f"credit-notes/{issued['id']}").status_code == 404
    preview = client.post(
        "/api/v1/sales/email-templates/invoice/preview",
        headers=other.headers,
        json={"document": issued["id"]},
    )
    assert preview.status_code == 422
    assert preview.json()["errors"][0]["field"] == "document"


def templates(client: TestClient, owner: Account) -> dict[tuple[str, str], dict[str, Any]]:
    listed = client.get("/api/v1/sales/email-templates", headers=owner.headers)
    assert listed.status_code == 200
    return {(t["kind"], t["language"]): t for t in listed.json()["items"]}


def test_an_organization_writes_its_own_templates(
    client: TestClient, owner: Account, worker: Worker, smtp: SmtpServer
) -> None:
    built_in = templates(client, owner)
    assert set(built_in) == {
        (kind, language)
        for kind in ("quote", "invoice", "credit_note", "reminder", "statement")
        for language in ("en", "fr")
    }
    assert not any(t["customized"] for t in built_in.values())
    fields = client.get("/api/v1/sales/email-templates", headers=owner.headers).json()
    assert "portal_link" in [f["name"] for f in fields["merge_fields"]]

    # The organization's language (French) unless the client names one.
    saved = client.put(
        "/api/v1/sales/email-templates/invoice",
        headers=owner.headers,
        json={"subject": "Votre facture {document_number}", "body": "À payer : {amount_due}."},
    )
    assert saved.status_code == 200, saved.text
    assert (saved.json()["language"], saved.json()["customized"]) == ("fr", True)
    german = client.put(
        "/api/v1/sales/email-templates/invoice?language=de",
        headers=owner.headers,
        json={"subject": "Rechnung {document_number}", "body": "Bitte zahlen: {total}"},
    )
    assert german.status_code == 200
    listed = templates(client, owner)
    assert listed[("invoice", "fr")]["subject"] == "Votre facture {document_number}"
    assert listed[("invoice", "de")]["customized"] is True
    assert listed[("quote", "de")]["customized"] is False  # English wording, as the fallback

    acme = customer(client, owner)
    issued = invoice(client, owner, acme["id"])
    send(client, owner, f"invoices/{issued['id']}")
    worker.drain()
    assert received(smtp)[-1]["Subject"] == "Votre facture F-2026-00001"
    assert text_of(received(smtp)[-1]).strip() == "À payer : 1\u202f200,00\xa0€."

    reset = client.delete("/api/v1/sales/email-templates/invoice", headers=owner.headers)
    assert reset.status_code == 204
    again = client.delete("/api/v1/sales/email-templates/invoice", headers=owner.headers)
    assert again.status_code == 204
    current = client.get("/api/v1/sales/email-templates/invoice", headers=owner.headers).json()
    assert current["customized"] is False
    assert current["subject"] == "Facture {document_number} de {company_name}"


def test_template_input_is_checked(client: TestClient, owner: Account) -> None:
    def put(kind: str, query: str = "", **body: Any) -> Any:
        return client.put(
            f"/api/v1/sales/email-templates/{kind}{query}", headers=owner.headers, json=body
        )

    unknown = put("invoice", subject="Hi {customer}", body="{due_date} {amount_due} {nope}")
    assert unknown.status_code == 422
    errors = {e["field"]: e for e in unknown.json()["errors"]}
    assert "{customer}" in errors["subject"]["message"]
    assert "{nope}" in errors["body"]["message"]
    assert errors["body"]["code"] == "unknown_merge_field"
    assert put("invoice", subject="x" * 301, body="b").status_code == 422
    assert put("invoice", subject="s", body="b" * 20_001).status_code == 422
    assert put("invoice", subject="   ", body="b").status_code == 422
    assert put("invoice", subject="two\nlines", body="b").status_code == 422
    assert put("invoice", "?language=zz-nope", subject="s", body="b").status_code == 422
    assert put("purchase_order", subject="s", body="b").status_code == 404
    assert put("invoice", subject="s", body="b", extra=1).status_code == 422
    long_body = put("invoice", subject="s", body="b" * 20_000)
    assert long_body.status_code == 200
    assert (
        client.get("/api/v1/sales/email-templates/nope", headers=owner.headers).status_code == 404
    )


def test_preview_fills_a_template_without_sending(
    client: TestClient, owner: Account, worker: Worker, smtp: SmtpServer
) -> None:
    sample = client.post(
        "/api/v1/sales/email-templates/reminder/preview?language=en", headers=owner.headers
    )
    assert sample.status_code == 200, sample.text
    assert sample.json()["subject"] == "Payment reminder: invoice F-2026-00042"
    assert "Example Customer" in sample.json()["body_text"]
    assert "Owner Org SARL" in sample.json()["body_text"]

    acme = customer(client, owner, name="<b>Acme</b>")
    issued = invoice(client, owner, acme["id"], due_date="2026-03-03")
    editing = client.post(
        "/api/v1/sales/email-templates/reminder/preview",
        headers=owner.headers,
        json={
            "document": issued["id"],
            "body": "{customer_name}: {amount_due} since {due_date}\n{portal_link}",
        },
    )
    assert editing.status_code == 200, editing.text
    preview = editing.json()
    assert preview["subject"] == "Relance : facture F-2026-00001"
    assert preview["body_text"].startswith("<b>Acme</b>: 1\u202f200,00\xa0€ since 3 mars 2026")
    assert "&lt;b&gt;Acme&lt;/b&gt;" in preview["body_html"]
    assert '<a href="http://testserver/d/' in preview["body_html"]
    bad = client.post(
        "/api/v1/sales/email-templates/reminder/preview",
        headers=owner.headers,
        json={"subject": "{oops}"},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "subject"
    statement = client.post(
        "/api/v1/sales/email-templates/statement/preview",
        headers=owner.headers,
        json={"document": issued["id"]},
    )
    assert statement.status_code == 422
    worker.drain()
    assert received(smtp) == []
