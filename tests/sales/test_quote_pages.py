"""The quote pages through the test client: the editor shared with invoices, sending (over
real SMTP), approval above the threshold, the customer's answer recorded by a member,
conversion into an invoice, duplicating, and other organizations' quotes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.worker.runner import Worker
from tests.conftest import Account, register
from tests.mail.smtp import SmtpServer, settings, smtp
from tests.parties.test_pages import web_login
from tests.sales.helpers import customer
from tests.sales.mailbox import received
from tests.sales.test_invoice_pages import THREE_LINES, _api, _editor, _error_beside, _total

__all__ = ["settings", "smtp"]


@pytest.fixture
def csrf(client: TestClient, owner: Account) -> str:
    return web_login(client, owner)


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _new_quote(client: TestClient, csrf: str, customer_text: str) -> str:
    """A quote of today (an older one would be past its validity), valid by the settings."""
    form = _editor(customer_text, THREE_LINES, kind="quote", valid_until="", issue_date=_today())
    created = client.post(
        "/sales/quotes/new", data={**form, "csrf_token": csrf}, follow_redirects=False
    )
    assert created.status_code == 303, created.text
    match = re.fullmatch(
        r"/sales/quotes/([0-9a-f-]{36})\?notice=created", created.headers["location"]
    )
    assert match, created.headers["location"]
    return match.group(1)


def _post(client: TestClient, csrf: str, path: str, **form: str) -> Any:
    return client.post(path, data={**form, "csrf_token": csrf}, follow_redirects=False)


def test_a_quote_is_written_sent_accepted_and_invoiced(
    client: TestClient, owner: Account, csrf: str, worker: Worker, smtp: SmtpServer
) -> None:
    assert "No quotes yet." in client.get("/sales/quotes").text
    acme = customer(client, owner, name="Acme")
    quote_id = _new_quote(client, csrf, f"{acme['code']} · Acme")
    saved = _api(client, owner, f"quotes/{quote_id}")
    assert saved["status"] == "draft" and saved["number"].startswith("D-")
    assert saved["totals"]["gross"] == "760.10"
    assert saved["valid_until"] is not None
    page = client.get(f"/sales/quotes/{quote_id}").text
    assert _total(page, "gross") == "760.10"
    assert "Submit for approval" in page and 'data-dialog="send-dialog"' in page
    assert 'id="f-valid_until"' in client.get(f"/sales/quotes/{quote_id}/edit").text

    sent = _post(
        client,
        csrf,
        f"/sales/quotes/{quote_id}/send",
        to="buyer@acme.test",
        subject="Our offer {document_number}",
        message="Hello,\n{portal_link}",
    )
    assert sent.headers["location"] == f"/sales/quotes/{quote_id}?notice=sent"
    assert _api(client, owner, f"quotes/{quote_id}")["status"] == "sent"
    worker.drain()
    [message] = received(smtp)
    assert message["To"] == "buyer@acme.test"
    assert message["Subject"] == f"Our offer {saved['number']}"

    answer = client.get(f"/sales/quotes/{quote_id}").text
    assert "The customer's answer" in answer
    accepted = _post(client, csrf, f"/sales/quotes/{quote_id}/accept", name="Jane Buyer")
    assert accepted.headers["location"] == f"/sales/quotes/{quote_id}?notice=accepted"
    assert "Accepted by Jane Buyer" in client.get(accepted.headers["location"]).text
    converted = _post(client, csrf, f"/sales/quotes/{quote_id}/convert")
    invoice_path = converted.headers["location"]
    assert re.fullmatch(r"/sales/invoices/[0-9a-f-]{36}\?notice=created", invoice_path)
    invoice_page = client.get(invoice_path).text
    assert "Made from quote" in invoice_page and saved["number"] in invoice_page
    assert _total(invoice_page, "gross") == "760.10"
    quote_page = client.get(f"/sales/quotes/{quote_id}").text
    assert "Invoice (draft)" in quote_page and "badge-doc-converted" in quote_page
    again = _post(client, csrf, f"/sales/quotes/{quote_id}/convert")
    assert again.status_code == 409
    assert "already converted" in again.text

    copy = _post(client, csrf, f"/sales/quotes/{quote_id}/duplicate")
    copy_id = copy.headers["location"].split("/")[3].split("?")[0]
    copied = _api(client, owner, f"quotes/{copy_id}")
    assert (copied["status"], copied["totals"]["gross"]) == ("draft", "760.10")
    assert copied["number"] != saved["number"]
    listed = client.get("/sales/quotes", params={"status": "converted"}).text
    assert saved["number"] in listed and copied["number"] not in listed


def test_a_quote_over_the_threshold_is_approved_or_sent_back(
    client: TestClient, owner: Account, csrf: str
) -> None:
    limit = client.patch(
        "/api/v1/sales/settings",
        headers=owner.headers,
        json={"quote_approval_threshold": "500.00"},
    )
    assert limit.status_code == 200, limit.text
    acme = customer(client, owner, name="Acme")
    quote_id = _new_quote(client, csrf, acme["code"])
    refused = _post(
        client, csrf, f"/sales/quotes/{quote_id}/send", to="buyer@acme.test", subject="", message=""
    )
    assert refused.status_code == 409
    assert "over the approval threshold" in refused.text
    assert _api(client, owner, f"quotes/{quote_id}")["status"] == "draft"

    _post(client, csrf, f"/sales/quotes/{quote_id}/submit")
    waiting = client.get(f"/sales/quotes/{quote_id}").text
    assert "badge-doc-submitted" in waiting and "Approve</button>" in waiting
    no_reason = client.post(
        f"/sales/quotes/{quote_id}/reject", data={"reason": " ", "csrf_token": csrf}
    )
    assert no_reason.status_code == 422
    assert _error_beside(no_reason.text, "reject-reason") == "Say what to change."
    _post(client, csrf, f"/sales/quotes/{quote_id}/reject", reason="Too cheap")
    rejected = client.get(f"/sales/quotes/{quote_id}").text
    assert "Sent back for changes: Too cheap" in rejected
    assert f'href="/sales/quotes/{quote_id}/edit"' in rejected

    revised = _editor(
        acme["code"], THREE_LINES[:1], kind="quote", valid_until="", issue_date=_today()
    )
    saved = _post(client, csrf, f"/sales/quotes/{quote_id}/edit", **revised)
    assert saved.headers["location"] == f"/sales/quotes/{quote_id}?notice=saved"
    _post(client, csrf, f"/sales/quotes/{quote_id}/submit")
    _post(client, csrf, f"/sales/quotes/{quote_id}/approve")
    assert _api(client, owner, f"quotes/{quote_id}")["status"] == "approved"
    assert client.get(f"/sales/quotes/{quote_id}/edit").status_code == 409


def test_a_refusal_is_recorded_and_other_organizations_quotes_are_not_found(
    client: TestClient, owner: Account, csrf: str
) -> None:
    acme = customer(client, owner, name="Acme")
    quote_id = _new_quote(client, csrf, acme["code"])
    _post(client, csrf, f"/sales/quotes/{quote_id}/send", to="buyer@acme.test")
    declined = _post(client, csrf, f"/sales/quotes/{quote_id}/decline", reason="Over budget")
    assert declined.headers["location"] == f"/sales/quotes/{quote_id}?notice=declined"
    assert "Declined" in client.get(declined.headers["location"]).text
    assert "Over budget" in client.get(declined.headers["location"]).text

    other = register(client, organization_name="Theirs SARL")
    theirs = client.post(
        "/api/v1/quotes",
        headers=other.headers,
        json={
            "customer": customer(client, other)["id"],
            "lines": [{"description": "Work", "unit_price": "10", "tax_codes": []}],
        },
    ).json()
    for path in ("", "/edit", "/pdf", "/send"):
        assert client.get(f"/sales/quotes/{theirs['id']}{path}").status_code == 404, path
    assert _post(client, csrf, f"/sales/quotes/{theirs['id']}/duplicate").status_code == 404
