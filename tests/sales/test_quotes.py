"""Quotes through the API and the public page: every transition and every refused one,
the approval threshold, sending with the PDF over real SMTP, the customer's answer at
the link, expiry by the worker and on read, duplicating, converting once."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date, timedelta
from typing import Any

import pypdf
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.tenancy import all_tenants, as_organization
from comptoir.mail import service as mail
from comptoir.mail.models import MailMessage
from comptoir.outbox.models import OutboxEvent
from comptoir.sales.service import documents, quotes
from comptoir.sales.service import settings as sales_settings
from comptoir.worker import registry
from comptoir.worker.runner import Worker, load_tasks
from tests.conftest import Account, register
from tests.identity.test_members import accept_new, bearer, invite
from tests.mail.smtp import SmtpServer, settings, smtp
from tests.sales.helpers import customer, invoice

# The fixtures that send this module's mail through a real local SMTP server.
__all__ = ["settings", "smtp"]

LINES = [
    {"description": "Consulting", "quantity": "2", "unit_price": "500.00", "tax_codes": ["FR-20"]}
]
Headers = dict[str, str]


def today() -> date:
    return clock.now().date()


def create(
    client: TestClient,
    headers: Headers,
    customer_id: str,
    lines: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    body = {"customer": customer_id, "lines": lines or LINES} | fields
    response = client.post("/api/v1/quotes", headers=headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def act(
    client: TestClient,
    headers: Headers,
    quote_id: str,
    action: str,
    body: dict[str, Any] | None = None,
    *,
    expect: int = 200,
) -> dict[str, Any]:
    response = client.post(f"/api/v1/quotes/{quote_id}/{action}", headers=headers, json=body)
    assert response.status_code == expect, (action, response.text)
    result: dict[str, Any] = response.json()
    return result


def refused(
    client: TestClient, headers: Headers, quote_id: str, action: str, code: str, **body: Any
) -> None:
    problem = act(client, headers, quote_id, action, body or None, expect=409)
    assert problem["code"] == code, problem


def send(client: TestClient, headers: Headers, quote_id: str, **body: Any) -> dict[str, Any]:
    return act(client, headers, quote_id, "send", body)


def fetch(client: TestClient, headers: Headers, quote_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/quotes/{quote_id}", headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def kinds(quote: dict[str, Any]) -> list[str]:
    return [event["kind"] for event in quote["timeline"]]


def set_threshold(database: Database, account: Account, amount: str | None) -> None:
    with (
        database.unit_of_work() as session,
        as_organization(session, uuid.UUID(account.organization_id)),
    ):
        sales_settings.update(session, {"quote_approval_threshold": amount})


def events(database: Database, prefix: str = "quote.") -> list[OutboxEvent]:
    with database.unit_of_work() as session, all_tenants(session):
        return list(
            session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.type.startswith(prefix))
                .order_by(OutboxEvent.occurred_at)
            )
        )


def member(client: TestClient, owner: Account, email: str, role: str) -> Headers:
    return bearer(accept_new(client, invite(client, owner, email, role=role)))


def sent_quote(
    client: TestClient, headers: Headers, customer_id: str, **fields: Any
) -> dict[str, Any]:
    created = create(client, headers, customer_id, **fields)
    return send(client, headers, created["id"])


def token_of(quote: dict[str, Any]) -> str:
    match = re.fullmatch(r"http://testserver/d/([A-Za-z0-9_\-]+)", quote["public_url"] or "")
    assert match, quote["public_url"]
    return match.group(1)


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


# -- drafting --------------------------------------------------------------------------------


def test_a_quote_is_numbered_and_valid_from_its_creation(
    client: TestClient, owner: Account, database: Database
) -> None:
    acme = customer(client, owner)
    first = create(client, owner.headers, acme["id"])
    year = today().year
    assert first["kind"] == "quote"
    assert first["number"] == f"D-{year}-00001"
    assert first["status"] == "draft"
    assert first["issue_date"] == today().isoformat()
    assert first["valid_until"] == (today() + timedelta(days=30)).isoformat()
    assert first["totals"] == {"net": "1000.00", "tax": "200.00", "gross": "1200.00"}
    assert first["approval"] is None
    assert first["acceptance"] is None
    assert first["public_url"] is None
    assert kinds(first) == ["created"]
    second = create(client, owner.headers, acme["id"], valid_until="2099-01-31")
    assert second["number"] == f"D-{year}-00002"
    assert second["valid_until"] == "2099-01-31"
    [created_event, _] = events(database)
    assert created_event.type == "quote.created"
    assert created_event.payload["number"] == f"D-{year}-00001"

    changed = client.patch(
        f"/api/v1/quotes/{first['id']}",
        headers=owner.headers,
        json={
            "notes": "Delivery in March",
            "lines": [{"description": "Audit", "quantity": "1", "unit_price": "300.00"}],
        },
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["totals"]["gross"] == "360.00"  # the tax engine chose FR-20
    assert changed.json()["number"] == f"D-{year}-00001"

    listed = client.get("/api/v1/quotes", headers=owner.headers, params={"sort": "number"})
    assert [item["number"] for item in listed.json()["items"]] == [
        f"D-{year}-00001",
        f"D-{year}-00002",
    ]
    assert listed.json()["items"][0]["valid_until"] == first["valid_until"]
    searched = client.get("/api/v1/quotes", headers=owner.headers, params={"q": "00002"})
    assert [item["id"] for item in searched.json()["items"]] == [second["id"]]
    drafts = client.get(
        "/api/v1/quotes", headers=owner.headers, params={"status": "draft", "limit": 1}
    ).json()
    assert len(drafts["items"]) == 1
    assert drafts["next_cursor"]

    deleted = client.delete(f"/api/v1/quotes/{second['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    assert client.get(f"/api/v1/quotes/{second['id']}", headers=owner.headers).status_code == 404
    # Quote numbers are not reused: a deleted draft leaves its number behind.
    assert create(client, owner.headers, acme["id"])["number"] == f"D-{year}-00003"
    # Invoices live elsewhere: a quote's id is not an invoice's.
    assert client.get(f"/api/v1/invoices/{first['id']}", headers=owner.headers).status_code == 404


def test_a_quote_without_threshold_is_approved_on_submission(
    client: TestClient, owner: Account, database: Database
) -> None:
    acme = customer(client, owner)
    quote = create(client, owner.headers, acme["id"])
    submitted = act(client, owner.headers, quote["id"], "submit")
    assert submitted["status"] == "approved"
    assert submitted["approval"]["automatic"] is True
    assert submitted["approval"]["approved_by_id"] is None
    assert submitted["approval"]["submitted_at"] is not None
    assert kinds(submitted) == ["created", "submitted", "approved"]
    assert submitted["timeline"][-1]["detail"] == {"automatic": True}
    assert [e.type for e in events(database)] == [
        "quote.created",
        "quote.submitted",
        "quote.approved",
    ]


def test_over_the_threshold_an_owner_or_admin_approves(
    client: TestClient, owner: Account, database: Database
) -> None:
    set_threshold(database, owner, "1000.00")
    seller = member(client, owner, "seller@example.net", "sales")
    admin = member(client, owner, "admin@example.net", "admin")
    acme = customer(client, owner)

    # Under the threshold, or at it exactly: approved at once.
    at = create(client, seller, acme["id"], [{**LINES[0], "unit_price": "416.67"}])
    assert at["totals"]["gross"] == "1000.01"
    under = create(client, seller, acme["id"], [{**LINES[0], "unit_price": "416.66"}])
    assert under["totals"]["gross"] == "999.98"
    assert act(client, seller, under["id"], "submit")["status"] == "approved"
    exact = create(
        client,
        seller,
        acme["id"],
        [{"description": "Exact", "unit_price": "1000.00", "tax_codes": []}],
    )
    assert exact["totals"]["gross"] == "1000.00"
    assert act(client, seller, exact["id"], "submit")["status"] == "approved"

    # Above it: waits for approval, which its author (sales) may not give.
    over = act(client, seller, at["id"], "submit")
    assert over["status"] == "submitted"
    assert over["approval"]["approved_at"] is None
    for action, body in (("approve", None), ("reject", {"reason": "Too cheap"})):
        problem = act(client, seller, at["id"], action, body, expect=403)
        assert problem["code"] == "approval_not_allowed"
    assert fetch(client, seller, at["id"])["status"] == "submitted"
    # Sending is for approved quotes only.
    refused(client, seller, at["id"], "send", "invalid_transition")

    approved = act(client, admin, at["id"], "approve")
    assert approved["status"] == "approved"
    assert approved["approval"]["automatic"] is False
    admin_id = next(
        m["user_id"]
        for m in client.get("/api/v1/members", headers=owner.headers).json()
        if m["email"] == "admin@example.net"
    )
    assert approved["approval"]["approved_by_id"] == admin_id
    assert kinds(approved) == ["created", "submitted", "approved"]
    refused(client, admin, at["id"], "approve", "invalid_transition")

    # An owner approves their own quote.
    own = create(client, owner.headers, acme["id"])
    assert act(client, owner.headers, own["id"], "submit")["status"] == "submitted"
    assert act(client, owner.headers, own["id"], "approve")["status"] == "approved"


def test_the_threshold_reads_the_total_in_the_base_currency(
    client: TestClient, owner: Account, database: Database
) -> None:
    set_threshold(database, owner, "1000.00")
    rate = client.post(
        "/api/v1/exchange-rates",
        headers=owner.headers,
        json={"base": "EUR", "quote": "USD", "date": "2026-01-01", "rate": "1.25"},
    )
    assert rate.status_code == 201, rate.text
    yankee = customer(client, owner, name="Yankee Inc", country="US", currency="USD")
    # 1200 USD is 960 EUR: under the threshold.
    quote = create(
        client, owner.headers, yankee["id"], issue_date="2026-06-01", valid_until="2099-01-01"
    )
    assert quote["currency"] == "USD"
    assert quote["totals"]["gross"] == "1200.00"
    submitted = act(client, owner.headers, quote["id"], "submit")
    assert submitted["status"] == "approved"
    assert submitted["exchange_rate"] == "0.8"
    # No rate on or before the quote's date: the total cannot be weighed.
    early = create(
        client, owner.headers, yankee["id"], issue_date="2025-06-01", valid_until="2099-01-01"
    )
    problem = act(client, owner.headers, early["id"], "submit", expect=422)
    assert problem["errors"][0]["field"] == "currency"
    assert problem["errors"][0]["code"] == "missing_exchange_rate"


def test_a_rejected_quote_is_revised_and_submitted_again(
    client: TestClient, owner: Account, database: Database
) -> None:
    set_threshold(database, owner, "100.00")
    acme = customer(client, owner)
    quote = create(client, owner.headers, acme["id"])
    act(client, owner.headers, quote["id"], "submit")
    problem = act(client, owner.headers, quote["id"], "reject", {"reason": "  "}, expect=422)
    assert problem["errors"][0]["field"] == "reason"
    assert act(client, owner.headers, quote["id"], "reject", {}, expect=422)["errors"]
    rejected = act(client, owner.headers, quote["id"], "reject", {"reason": "Discount 10%"})
    assert rejected["status"] == "rejected"
    assert rejected["approval"]["rejection_reason"] == "Discount 10%"
    assert rejected["timeline"][-1] == {
        "kind": "rejected",
        "at": rejected["timeline"][-1]["at"],
        "detail": {"reason": "Discount 10%"},
    }
    for action in ("approve", "reject", "send", "accept", "decline"):
        body = {"reason": "again"} if action == "reject" else {}
        refused(client, owner.headers, quote["id"], action, "invalid_transition", **body)

    revised = client.patch(
        f"/api/v1/quotes/{quote['id']}",
        headers=owner.headers,
        json={"lines": [{**LINES[0], "discount_percent": "10"}]},
    )
    assert revised.status_code == 200, revised.text
    assert revised.json()["status"] == "draft"
    assert revised.json()["totals"]["gross"] == "1080.00"
    assert kinds(revised.json())[-1] == "reopened"
    again = act(client, owner.headers, quote["id"], "submit")
    assert again["status"] == "submitted"
    assert again["approval"]["rejection_reason"] is None

    # A rejected quote can also simply be deleted.
    act(client, owner.headers, quote["id"], "reject", {"reason": "No"})
    assert client.delete(f"/api/v1/quotes/{quote['id']}", headers=owner.headers).status_code == 204


def test_wrong_transitions_answer_409(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner)
    headers = owner.headers
    draft = create(client, headers, acme["id"])
    for action in ("approve", "accept", "decline"):
        refused(client, headers, draft["id"], action, "invalid_transition")
    refused(client, headers, draft["id"], "reject", "invalid_transition", reason="No")
    refused(client, headers, draft["id"], "convert", "invalid_transition")

    approved = act(client, headers, draft["id"], "submit")
    assert approved["status"] == "approved"
    for action in ("submit", "approve", "accept", "decline", "convert"):
        refused(client, headers, draft["id"], action, "invalid_transition")
    changed = client.patch(f"/api/v1/quotes/{draft['id']}", headers=headers, json={"notes": "x"})
    assert changed.status_code == 409
    assert changed.json()["code"] == "not_a_draft"
    assert client.delete(f"/api/v1/quotes/{draft['id']}", headers=headers).status_code == 409

    sent = send(client, headers, draft["id"])
    assert sent["status"] == "sent"
    for action in ("submit", "approve", "convert"):
        refused(client, headers, draft["id"], action, "invalid_transition")
    accepted = act(client, headers, draft["id"], "accept", {"name": "Jane Buyer"})
    assert accepted["status"] == "accepted"
    for action in ("submit", "approve", "send", "accept", "decline"):
        refused(client, headers, draft["id"], action, "invalid_transition")
    assert client.delete(f"/api/v1/quotes/{draft['id']}", headers=headers).status_code == 409

    declined = sent_quote(client, headers, acme["id"])
    act(client, headers, declined["id"], "decline", {"reason": "Too expensive"})
    for action in ("accept", "decline", "send", "convert", "submit"):
        refused(client, headers, declined["id"], action, "invalid_transition")


# -- sending -----------------------------------------------------------------------------------


def test_sending_mails_the_quote_with_its_pdf(
    client: TestClient,
    owner: Account,
    database: Database,
    worker: Worker,
    smtp: SmtpServer,
) -> None:
    acme = customer(client, owner, email="buyer@acme.test", language="en")
    draft = create(client, owner.headers, acme["id"])
    preview = client.get(f"/api/v1/quotes/{draft['id']}/pdf", headers=owner.headers)
    assert preview.status_code == 200
    assert preview.headers["content-type"] == "application/pdf"
    assert "DRAFT" in pdf_text(preview.content)

    # No threshold: a draft goes out at once, submitted and approved on the way.
    sent = send(client, owner.headers, draft["id"])
    number = sent["number"]
    assert sent["status"] == "sent"
    assert sent["sent_at"] is not None
    assert kinds(sent) == ["created", "submitted", "approved", "sent"]
    assert sent["timeline"][-1]["detail"]["to"] == ["buyer@acme.test"]
    token = token_of(sent)

    stored = client.get(f"/api/v1/quotes/{draft['id']}/pdf", headers=owner.headers).content
    text = pdf_text(stored)
    assert "DRAFT" not in text
    assert number in text
    assert "Valid until" in text
    assert (today() + timedelta(days=30)).strftime("%B") in text

    with database.unit_of_work() as session, all_tenants(session):
        [message] = session.scalars(select(MailMessage).where(MailMessage.kind == "quote")).all()
        assert message.to_address == "buyer@acme.test"
        assert message.subject == f"Quote {number} from Owner Org SARL"
        assert f"http://testserver/d/{token}" in (message.body_text or "")
        [attached] = mail.attachments_of(session, message.id)
        assert attached.filename == f"{number}.pdf"
        assert attached.content_type == "application/pdf"
        assert attached.content == stored
    assert smtp.inbox.messages == []  # nothing leaves before the worker runs
    worker.drain()
    [received] = smtp.inbox.to("buyer@acme.test")
    assert received["Subject"] == f"Quote {number} from Owner Org SARL"
    [pdf_part] = list(received.iter_attachments())
    assert pdf_part.get_content() == stored

    # Sent again, to other people, in other words: still the same file, still sent.
    again = send(
        client,
        owner.headers,
        draft["id"],
        to=["Boss@Acme.test", "buyer@acme.test"],
        subject="Our offer {document_number}",
        message="Here it is: {portal_link}",
    )
    assert again["status"] == "sent"
    assert kinds(again)[-1] == "sent"
    assert again["timeline"][-1]["detail"]["to"] == ["boss@acme.test", "buyer@acme.test"]
    worker.drain()
    [boss] = smtp.inbox.to("boss@acme.test")
    assert boss["Subject"] == f"Our offer {number}"
    assert f"http://testserver/d/{token}" in boss.get_body(preferencelist=("plain",)).get_content()
    assert token_of(again) == token
    assert next(iter(boss.iter_attachments())).get_content() == stored
    assert [e.type for e in events(database, "quote.sent")] == ["quote.sent", "quote.sent"]
    assert events(database, "quote.sent")[-1].payload["to"] == [
        "boss@acme.test",
        "buyer@acme.test",
    ]


def test_sending_is_refused_when_it_cannot_go_out(
    client: TestClient, owner: Account, database: Database
) -> None:
    nomail = customer(client, owner, email=None)
    quote = create(client, owner.headers, nomail["id"])
    problem = act(client, owner.headers, quote["id"], "send", {}, expect=422)
    assert problem["errors"][0] == {
        "field": "to",
        "message": "The customer has no e-mail address; give one.",
        "code": "no_address",
    }
    # Nothing of the half-way approval was kept.
    assert fetch(client, owner.headers, quote["id"])["status"] == "draft"
    bad = act(client, owner.headers, quote["id"], "send", {"to": ["not an address"]}, expect=422)
    assert bad["errors"][0]["field"] == "to[0]"
    empty = client.post(
        "/api/v1/quotes", headers=owner.headers, json={"customer": nomail["id"], "lines": []}
    ).json()
    assert act(client, owner.headers, empty["id"], "submit", expect=422)["errors"][0] == {
        "field": "lines",
        "message": "Add at least one line first.",
        "code": "empty",
    }

    set_threshold(database, owner, "500.00")
    acme = customer(client, owner, name="Acme Two")
    big = create(client, owner.headers, acme["id"])
    refused(client, owner.headers, big["id"], "send", "approval_required")
    assert fetch(client, owner.headers, big["id"])["status"] == "draft"


# -- the customer's answer -----------------------------------------------------------------------


def test_a_member_records_the_answer_through_the_api(
    client: TestClient, owner: Account, database: Database
) -> None:
    acme = customer(client, owner)
    quote = sent_quote(client, owner.headers, acme["id"])
    accepted = act(client, owner.headers, quote["id"], "accept", {"name": "Jane Buyer"})
    assert accepted["status"] == "accepted"
    assert accepted["acceptance"]["name"] == "Jane Buyer"
    assert accepted["acceptance"]["ip"] is None
    assert accepted["timeline"][-1]["detail"] == {"name": "Jane Buyer", "by": "member"}
    too_long = sent_quote(client, owner.headers, acme["id"])
    problem = act(client, owner.headers, too_long["id"], "accept", {"name": "x" * 201}, expect=422)
    assert problem["errors"][0]["field"] == "name"

    declined = act(client, owner.headers, too_long["id"], "decline", {"reason": "Went elsewhere"})
    assert declined["status"] == "declined"
    assert declined["decline"]["reason"] == "Went elsewhere"
    assert declined["acceptance"] is None
    types = [e.type for e in events(database)]
    assert types.count("quote.accepted") == 1
    assert types.count("quote.declined") == 1


def test_the_customer_accepts_at_the_public_link(
    app: Any, client: TestClient, owner: Account, database: Database
) -> None:
    acme = customer(client, owner, name="Acme Buyers", language="en")
    quote = sent_quote(client, owner.headers, acme["id"], notes="Delivery within 2 weeks")
    token = token_of(quote)
    with TestClient(app, headers={"User-Agent": "CustomerBrowser/1.0"}) as browser:
        page = browser.get(f"/d/{token}")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        html = page.text
        assert quote["number"] in html
        assert "Owner Org SARL" in html
        assert "Acme Buyers" in html
        assert "Consulting" in html
        assert "€1,200.00" in html
        assert "Delivery within 2 weeks" in html
        assert "Awaiting your answer" in html
        assert f'action="/d/{token}/accept"' in html
        assert f'action="/d/{token}/decline"' in html
        browser.get(f"/d/{token}")  # a reload is not a second first view
        viewed = fetch(client, owner.headers, quote["id"])
        assert viewed["viewed_at"] is not None
        assert kinds(viewed).count("viewed") == 1

        download = browser.get(f"/d/{token}/pdf")
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/pdf"
        assert download.headers["content-disposition"].startswith("attachment")
        stored = client.get(f"/api/v1/quotes/{quote['id']}/pdf", headers=owner.headers)
        assert download.content == stored.content

        csrf = browser.cookies.get("comptoir_csrf")
        assert csrf
        forged = browser.post(f"/d/{token}/accept", data={"name": "Jane", "agree": "yes"})
        assert forged.status_code == 403
        missing = browser.post(
            f"/d/{token}/accept", data={"name": " ", "csrf_token": csrf}, follow_redirects=False
        )
        assert missing.status_code == 422
        assert "Type your full name to sign." in missing.text
        assert "Tick the box to accept the quote." in missing.text
        assert fetch(client, owner.headers, quote["id"])["status"] == "sent"

        done = browser.post(
            f"/d/{token}/accept",
            data={"name": "Jane Q. Buyer", "agree": "yes", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert done.headers["location"] == f"/d/{token}?notice=accepted"
        after = browser.get(done.headers["location"])
        assert "Thank you: you accepted this quote." in after.text
        assert "Accepted by <strong>Jane Q. Buyer</strong>" in after.text
        assert f'action="/d/{token}/accept"' not in after.text
        again = browser.post(
            f"/d/{token}/accept",
            data={"name": "Someone Else", "agree": "yes", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert again.status_code == 409
        assert "This quote is accepted" in again.text

    accepted = fetch(client, owner.headers, quote["id"])
    assert accepted["status"] == "accepted"
    assert accepted["acceptance"]["name"] == "Jane Q. Buyer"
    assert accepted["acceptance"]["ip"] == "testclient"
    assert accepted["acceptance"]["user_agent"] == "CustomerBrowser/1.0"
    assert accepted["timeline"][-1]["detail"] == {"name": "Jane Q. Buyer", "by": "customer"}
    [event] = events(database, "quote.accepted")
    assert event.payload["id"] == quote["id"]
    assert event.payload["status"] == "accepted"


def test_the_customer_declines_at_the_public_link(
    app: Any, client: TestClient, owner: Account, database: Database
) -> None:
    acme = customer(client, owner)
    quote = sent_quote(client, owner.headers, acme["id"])
    token = token_of(quote)
    with TestClient(app) as browser:
        browser.get(f"/d/{token}")
        csrf = browser.cookies.get("comptoir_csrf")
        too_long = browser.post(
            f"/d/{token}/decline", data={"reason": "x" * 2001, "csrf_token": csrf}
        )
        assert too_long.status_code == 422
        assert "At most 2000 characters." in too_long.text
        done = browser.post(
            f"/d/{token}/decline",
            data={"reason": "We chose another offer", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert done.status_code == 303
        page = browser.get(done.headers["location"])
        assert "You declined this quote." in page.text
        assert "We chose another offer" in page.text
    declined = fetch(client, owner.headers, quote["id"])
    assert declined["status"] == "declined"
    assert declined["decline"]["reason"] == "We chose another offer"
    assert declined["timeline"][-1]["detail"] == {
        "reason": "We chose another offer",
        "by": "customer",
    }
    assert len(events(database, "quote.declined")) == 1


def test_public_links_show_only_documents_that_went_out(
    app: Any, client: TestClient, owner: Account, database: Database
) -> None:
    acme = customer(client, owner)
    issued = invoice(client, owner, acme["id"])
    with (
        database.unit_of_work() as session,
        as_organization(session, uuid.UUID(owner.organization_id)),
    ):
        token = documents.public_path(documents.get(session, uuid.UUID(issued["id"]), "invoice"))
    with TestClient(app) as browser:
        for path in ("/d/nope", "/d/" + "A" * 43, "/d/" + "x" * 500, "/d/a%3Cscript%3E"):
            response = browser.get(path)
            assert response.status_code == 404, path
            assert response.headers["content-type"].startswith("text/html")
        missing = browser.get("/d/" + "A" * 43)
        assert "This link does not lead to a document." in missing.text
        assert browser.get("/d/" + "A" * 43 + "/pdf").status_code == 404

        page = browser.get(token)
        assert page.status_code == 200
        assert "F-2026-00001" in page.text
        assert "To pay" in page.text
        assert "Accept" not in page.text
        csrf = browser.cookies.get("comptoir_csrf")
        answer = browser.post(
            f"{token}/accept", data={"name": "Jane", "agree": "yes", "csrf_token": csrf}
        )
        assert answer.status_code == 404
    assert client.get(f"/api/v1/invoices/{issued['id']}", headers=owner.headers).status_code == 200


def test_members_previewing_the_page_are_not_the_customer(
    app: Any, client: TestClient, owner: Account
) -> None:
    acme = customer(client, owner)
    quote = sent_quote(client, owner.headers, acme["id"])
    token = token_of(quote)
    with TestClient(app) as browser:
        browser.get("/login")
        csrf = browser.cookies.get("comptoir_csrf")
        logged_in = browser.post(
            "/login",
            data={"email": owner.email, "password": owner.password, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert logged_in.status_code == 303
        page = browser.get(f"/d/{token}")
        assert page.status_code == 200
        assert "This is the page your customer sees" in page.text
        assert f'action="/d/{token}/accept"' not in page.text
        # Nor can a member post the customer's answer in the customer's name.
        csrf = browser.cookies.get("comptoir_csrf")
        for path, form in (
            ("accept", {"name": "Jane Customer", "agree": "yes"}),
            ("decline", {"reason": "Too dear"}),
        ):
            forged = browser.post(f"/d/{token}/{path}", data={**form, "csrf_token": csrf})
            assert forged.status_code == 403
    after = fetch(client, owner.headers, quote["id"])
    assert (after["viewed_at"], after["status"]) == (None, "sent")


# -- expiry ------------------------------------------------------------------------------------


def test_the_worker_expires_quotes_past_their_validity(
    client: TestClient, owner: Account, database: Database
) -> None:
    load_tasks()
    assert "sales.expire_quotes" in registry.periodic_tasks()
    acme = customer(client, owner)
    sent = sent_quote(client, owner.headers, acme["id"])
    approved = create(client, owner.headers, acme["id"])
    act(client, owner.headers, approved["id"], "submit")
    draft = create(client, owner.headers, acme["id"])
    accepted = sent_quote(client, owner.headers, acme["id"])
    act(client, owner.headers, accepted["id"], "accept", {})
    other = register(client, organization_name="Other SARL")
    theirs = sent_quote(client, other.headers, customer(client, other)["id"])

    def expire(on: date) -> int:
        with database.unit_of_work() as session, all_tenants(session):
            return quotes.expire_quotes(session, on=on)

    last_day = today() + timedelta(days=30)
    assert expire(last_day) == 0
    assert expire(last_day + timedelta(days=1)) == 3
    assert expire(last_day + timedelta(days=2)) == 0

    statuses = {
        q["id"]: q["status"]
        for q in client.get("/api/v1/quotes", headers=owner.headers).json()["items"]
    }
    assert statuses == {
        sent["id"]: "expired",
        approved["id"]: "expired",
        draft["id"]: "draft",
        accepted["id"]: "accepted",
    }
    expired = fetch(client, owner.headers, sent["id"])
    assert expired["timeline"][-1]["kind"] == "expired"
    assert expired["timeline"][-1]["detail"] == {"valid_until": last_day.isoformat()}
    assert fetch(client, other.headers, theirs["id"])["status"] == "expired"
    found = {(e.payload["id"], str(e.organization_id)) for e in events(database, "quote.expired")}
    assert found == {
        (sent["id"], owner.organization_id),
        (approved["id"], owner.organization_id),
        (theirs["id"], other.organization_id),
    }
    listed = client.get("/api/v1/quotes", headers=owner.headers, params={"status": "expired"})
    assert {q["id"] for q in listed.json()["items"]} == {sent["id"], approved["id"]}
    for action in ("send", "accept", "decline"):
        refused(client, owner.headers, sent["id"], action, "invalid_transition")


def test_a_quote_past_its_validity_is_expired_on_read(
    app: Any, client: TestClient, owner: Account, database: Database
) -> None:
    acme = customer(client, owner)
    # Sent 31 days ago with the usual 30 days of validity: yesterday was its last day.
    with clock.travel(-timedelta(days=31)):
        quote = sent_quote(client, owner.headers, acme["id"])
        other = sent_quote(client, owner.headers, acme["id"])
    headers = owner.headers
    assert quote["valid_until"] == (today() - timedelta(days=1)).isoformat()
    current = fetch(client, headers, quote["id"])
    assert current["status"] == "expired"
    summary = client.get("/api/v1/quotes", headers=headers).json()["items"]
    assert {item["status"] for item in summary} == {"expired"}
    # The worker has not run: the first action finds it expired, and that is kept.
    refused(client, headers, quote["id"], "accept", "quote_expired")
    stored = fetch(client, headers, quote["id"])
    assert kinds(stored)[-1] == "expired"
    listed = client.get("/api/v1/quotes", headers=headers, params={"status": "expired"})
    assert [item["id"] for item in listed.json()["items"]] == [quote["id"]]
    refused(client, headers, quote["id"], "decline", "invalid_transition")
    assert [e.payload["id"] for e in events(database, "quote.expired")] == [quote["id"]]

    with TestClient(app) as browser:
        page = browser.get(f"/d/{token_of(other)}")
        assert "This quote has expired" in page.text
        assert f'action="/d/{token_of(other)}/accept"' not in page.text
        csrf = browser.cookies.get("comptoir_csrf")
        late = browser.post(
            f"/d/{token_of(other)}/accept",
            data={"name": "Jane", "agree": "yes", "csrf_token": csrf},
        )
        assert late.status_code == 409
        assert "it has expired" in late.text
        assert "This quote has expired" in browser.get(f"/d/{token_of(quote)}").text
    assert fetch(client, headers, other["id"])["timeline"][-1]["kind"] == "expired"
    assert {e.payload["id"] for e in events(database, "quote.expired")} == {
        quote["id"],
        other["id"],
    }


def test_a_draft_past_its_validity_must_be_given_a_new_date(
    client: TestClient, owner: Account
) -> None:
    acme = customer(client, owner)
    quote = create(
        client, owner.headers, acme["id"], issue_date="2026-01-05", valid_until="2026-01-20"
    )
    assert quote["status"] == "draft"  # a draft does not expire: it is still being written
    for action in ("submit", "send"):
        problem = act(client, owner.headers, quote["id"], action, {}, expect=422)
        assert problem["errors"][0]["field"] == "valid_until"
        assert problem["errors"][0]["code"] == "past"
    client.patch(
        f"/api/v1/quotes/{quote['id']}",
        headers=owner.headers,
        json={"valid_until": (today() + timedelta(days=10)).isoformat()},
    )
    assert send(client, owner.headers, quote["id"])["status"] == "sent"


# -- duplicate and convert -----------------------------------------------------------------------


def test_duplicating_makes_a_fresh_draft(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner)
    original = create(
        client,
        owner.headers,
        acme["id"],
        [LINES[0], {"description": "Travel", "unit_price": "80.00", "discount_percent": "5"}],
        issue_date="2026-01-05",
        valid_until="2026-01-20",
        reference="PO-77",
        notes="Thanks",
    )
    copy = act(client, owner.headers, original["id"], "duplicate", expect=201)
    assert copy["id"] != original["id"]
    assert copy["number"] != original["number"]
    assert copy["status"] == "draft"
    assert copy["issue_date"] == today().isoformat()
    assert copy["valid_until"] == (today() + timedelta(days=30)).isoformat()
    assert copy["customer"] == original["customer"]
    assert (copy["reference"], copy["notes"]) == ("PO-77", "Thanks")
    assert copy["totals"] == original["totals"]
    strip = ("id",)
    assert [{k: v for k, v in line.items() if k not in strip} for line in copy["lines"]] == [
        {k: v for k, v in line.items() if k not in strip} for line in original["lines"]
    ]
    assert copy["timeline"][-1]["detail"] == {
        "source_id": original["id"],
        "source_number": original["number"],
    }
    assert copy["source_id"] is None

    declined = sent_quote(client, owner.headers, acme["id"])
    act(client, owner.headers, declined["id"], "decline", {})
    again = act(client, owner.headers, declined["id"], "duplicate", expect=201)
    assert again["status"] == "draft"
    replay = client.post(
        f"/api/v1/quotes/{declined['id']}/duplicate",
        headers={**owner.headers, "Idempotency-Key": "dup-1"},
    )
    repeat = client.post(
        f"/api/v1/quotes/{declined['id']}/duplicate",
        headers={**owner.headers, "Idempotency-Key": "dup-1"},
    )
    assert replay.status_code == repeat.status_code == 201
    assert replay.json()["id"] == repeat.json()["id"]


def test_an_accepted_quote_converts_once(
    client: TestClient, owner: Account, database: Database
) -> None:
    acme = customer(client, owner)
    quote = sent_quote(client, owner.headers, acme["id"], reference="PO-9")
    act(client, owner.headers, quote["id"], "accept", {"name": "Jane"})
    converted = act(client, owner.headers, quote["id"], "convert", expect=201)
    assert converted["kind"] == "invoice"
    assert converted["status"] == "draft"
    assert converted["number"] is None
    assert converted["source_id"] == quote["id"]
    assert converted["issue_date"] == today().isoformat()
    assert converted["reference"] == "PO-9"
    assert converted["totals"] == quote["totals"]
    assert [line["description"] for line in converted["lines"]] == ["Consulting"]
    after = fetch(client, owner.headers, quote["id"])
    assert after["status"] == "converted"
    assert after["invoice_id"] == converted["id"]
    assert after["timeline"][-1]["detail"] == {"invoice_id": converted["id"]}

    twice = act(client, owner.headers, quote["id"], "convert", expect=409)
    assert twice["code"] == "already_converted"
    assert converted["id"] in twice["detail"]
    invoices = client.get("/api/v1/invoices", headers=owner.headers).json()["items"]
    assert [i["id"] for i in invoices] == [converted["id"]]

    # The invoice draft was thrown away: the quote converts again.
    assert (
        client.delete(f"/api/v1/invoices/{converted['id']}", headers=owner.headers).status_code
        == 204
    )
    assert fetch(client, owner.headers, quote["id"])["invoice_id"] is None
    anew = act(client, owner.headers, quote["id"], "convert", expect=201)
    assert anew["source_id"] == quote["id"]
    assert [e.type for e in events(database, "quote.converted")] == [
        "quote.converted",
        "quote.converted",
    ]


def test_who_may_do_what(client: TestClient, owner: Account) -> None:
    acme = customer(client, owner)
    quote = sent_quote(client, owner.headers, acme["id"])
    act(client, owner.headers, quote["id"], "accept", {})
    accountant = member(client, owner, "books@example.net", "accountant")
    warehouse = member(client, owner, "stock@example.net", "warehouse")
    client_role = member(client, owner, "portal@example.net", "client")
    assert client.get(f"/api/v1/quotes/{quote['id']}", headers=accountant).status_code == 200
    assert client.get("/api/v1/quotes", headers=warehouse).status_code == 200
    assert client.get("/api/v1/quotes", headers=client_role).status_code == 403
    for headers in (accountant, warehouse):
        response = client.post("/api/v1/quotes", headers=headers, json={"customer": acme["id"]})
        assert response.status_code == 403
        assert response.json()["code"] == "insufficient_scope"
    # Whoever bills turns the accepted quote into an invoice.
    act(client, warehouse, quote["id"], "convert", expect=403)
    assert act(client, accountant, quote["id"], "convert", expect=201)["kind"] == "invoice"
    assert client.get("/api/v1/quotes", headers={}).status_code == 401


# -- other tenants and bad input -------------------------------------------------------------------


def test_another_organizations_quote_is_not_found_anywhere(
    client: TestClient, owner: Account
) -> None:
    other = register(client, organization_name="Theirs SARL")
    theirs = sent_quote(client, other.headers, customer(client, other)["id"])
    quote_id = theirs["id"]
    headers = owner.headers
    assert client.get(f"/api/v1/quotes/{quote_id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/quotes/{quote_id}/pdf", headers=headers).status_code == 404
    assert client.patch(f"/api/v1/quotes/{quote_id}", headers=headers, json={}).status_code == 404
    assert client.delete(f"/api/v1/quotes/{quote_id}", headers=headers).status_code == 404
    bodies = {"reject": {"reason": "No"}}
    for action in (
        "submit",
        "approve",
        "reject",
        "send",
        "accept",
        "decline",
        "convert",
        "duplicate",
    ):
        response = client.post(
            f"/api/v1/quotes/{quote_id}/{action}", headers=headers, json=bodies.get(action, {})
        )
        assert response.status_code == 404, (action, response.text)
        assert response.json()["code"] == "not_found"
    assert client.get("/api/v1/quotes", headers=headers).json()["items"] == []
    listed = client.get(
        "/api/v1/quotes", headers=headers, params={"customer": theirs["customer"]["id"]}
    )
    assert listed.json()["items"] == []
    # Their customer cannot be quoted either.
    response = client.post(
        "/api/v1/quotes", headers=headers, json={"customer": theirs["customer"]["id"]}
    )
    assert response.status_code == 422
    assert fetch(client, other.headers, quote_id)["status"] == "sent"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer": "nobody"}, "customer"),
        ({"lines": "many"}, "lines"),
        ({"lines": [{"description": "A", "unit_price": "1e30"}]}, "lines[0].unit_price"),
        ({"lines": [{"description": "A", "unit_price": "12", "quantity": "lots"}]}, None),
        ({"lines": [{"description": "A", "unit_price": 10**40}]}, None),
        ({"lines": [{"description": "A", "unit_price": "1", "discount_percent": "150"}]}, None),
        ({"lines": [{"description": "A", "unit_price": "1", "tax_codes": ["NOPE"]}]}, None),
        ({"valid_until": "2020-01-01", "issue_date": "2026-01-01"}, "valid_until"),
        ({"valid_until": "tomorrow"}, "valid_until"),
        ({"due_date": "2026-03-01"}, "due_date"),
        ({"currency": "XXXX"}, "currency"),
        ({"prices_include_tax": "yes"}, "prices_include_tax"),
        ({"notes": "x" * 5001}, "notes"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_quotes_are_refused_with_a_field_error(
    client: TestClient, owner: Account, body: dict[str, Any], field: str | None
) -> None:
    acme = customer(client, owner)
    response = client.post(
        "/api/v1/quotes", headers=owner.headers, json={"customer": acme["id"]} | body
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["errors"]
    if field is not None:
        assert any(e["field"].startswith(field) for e in problem["errors"]), problem
    assert client.get("/api/v1/quotes", headers=owner.headers).json()["items"] == []


def test_garbage_in_paths_and_queries_is_refused(client: TestClient, owner: Account) -> None:
    headers = owner.headers
    for path in ("/api/v1/quotes/not-a-uuid", "/api/v1/quotes/1/pdf"):
        response = client.get(path, headers=headers)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
    assert client.post("/api/v1/quotes/123/submit", headers=headers).status_code == 422
    for params in (
        {"status": "bogus"},
        {"sort": "colour"},
        {"limit": "0"},
        {"limit": "100000"},
        {"date_from": "yesterday"},
        {"customer": "acme"},
        {"cursor": "x" * 500},
    ):
        response = client.get("/api/v1/quotes", headers=headers, params=params)
        assert response.status_code == 422, (params, response.text)
    acme = customer(client, owner)
    quote = create(client, headers, acme["id"])
    for action, body in (
        ("reject", {"reason": 42}),
        ("send", {"to": "one@acme.test"}),
        ("send", {"to": [f"p{i}@acme.test" for i in range(11)]}),
        ("send", {"subject": "s" * 301}),
        ("accept", {"name": ["Jane"]}),
        ("decline", {"reason": "r" * 2001}),
    ):
        response = client.post(f"/api/v1/quotes/{quote['id']}/{action}", headers=headers, json=body)
        assert response.status_code == 422, (action, body, response.text)
    assert fetch(client, headers, quote["id"])["status"] == "draft"
