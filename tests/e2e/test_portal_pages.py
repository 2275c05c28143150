"""The customer portal in a real browser: a client invited from the members page joins,
waits for their link, is linked to their customer from the same page, and then finds
that customer's invoice (and not another's), opens it and downloads its PDF."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import PASSWORD, LiveServer, log_in, log_out, sign_up, unique_email
from tests.e2e.test_ledger_pages import api_headers
from tests.e2e.test_web_flows import invite

pytestmark = pytest.mark.e2e


def _issued_invoice(
    live_server: LiveServer, headers: dict[str, str], customer: str, description: str
) -> dict[str, Any]:
    api = httpx.Client(base_url=live_server.url, headers=headers)
    party = api.post("/api/v1/customers", json={"name": customer, "country": "FR"})
    assert party.status_code == 201, party.text
    draft = api.post(
        "/api/v1/invoices",
        json={
            "customer": party.json()["id"],
            "lines": [
                {
                    "description": description,
                    "quantity": "3",
                    "unit_price": "120.00",
                    "tax_codes": ["FR-20"],
                }
            ],
        },
    )
    assert draft.status_code == 201, draft.text
    issued = api.post(f"/api/v1/invoices/{draft.json()['id']}/issue")
    assert issued.status_code == 200, issued.text
    result: dict[str, Any] = issued.json()
    return result


def test_a_client_joins_is_linked_and_finds_their_invoice(
    page: Page, new_context: Callable[..., BrowserContext], live_server: LiveServer
) -> None:
    owner = unique_email("owner")
    client = unique_email("client")
    company = "Fournil Lovelace SARL"
    sign_up(page, owner, company)
    headers = api_headers(live_server, owner)
    mine = _issued_invoice(live_server, headers, "Hôtel du Parc", "Breakfast pastries")
    theirs = _issued_invoice(live_server, headers, "Café Beta", "Wedding cake")

    page.goto("/settings/members")
    accept_url = invite(page, client, "client", company)

    guest = new_context().new_page()
    guest.goto(accept_url)
    expect(guest.locator(".invite-summary")).to_contain_text("Client (portal)")
    guest.get_by_label("Your name").fill("Paul Martin")
    guest.get_by_label("Choose a password").fill(PASSWORD)
    guest.get_by_role("button", name="Create account and join").click()
    expect(guest).to_have_url(f"{live_server.url}/portal?notice=joined")
    expect(guest.get_by_role("heading", name="Your portal is not ready yet")).to_be_visible()
    expect(guest.locator(".sidebar")).to_have_count(0)

    # The owner links the new member to their customer, from the members page.
    page.goto("/settings/members")
    row = page.locator("tr", has_text=client)
    row.get_by_label(re.compile("The customer .* sees in the portal")).select_option(
        label=f"Hôtel du Parc ({mine['customer']['code']})"
    )
    row.get_by_role("button", name="Link").click()
    expect(page.locator("tr", has_text=client)).to_contain_text("Portal link saved.")

    guest.reload()
    expect(guest.get_by_role("heading", name="Welcome, Paul")).to_be_visible()
    open_invoices = guest.locator("#open-invoices")
    expect(open_invoices).to_contain_text(mine["number"])
    expect(open_invoices).to_contain_text("432.00")
    expect(guest.get_by_text(theirs["number"])).to_have_count(0)
    if shots := os.environ.get("COMPTOIR_SCREENSHOTS"):
        Path(shots).mkdir(parents=True, exist_ok=True)
        guest.screenshot(path=f"{shots}/portal.png", full_page=True)

    guest.get_by_role("link", name=mine["number"], exact=True).click()
    expect(guest.get_by_role("heading", level=1)).to_contain_text(mine["number"])
    expect(guest.get_by_role("cell", name="Breakfast pastries")).to_be_visible()
    if shots:
        guest.screenshot(path=f"{shots}/portal-invoice.png", full_page=True)
    with guest.expect_download() as download:
        guest.get_by_role("link", name="Download the PDF").click()
    saved = download.value.path()
    assert Path(saved).read_bytes().startswith(b"%PDF")
    assert download.value.suggested_filename == f"{mine['number']}.pdf"

    # Another customer's invoice is not found; the staff pages are closed.
    for path, status in ((f"/portal/documents/{theirs['id']}", 404), ("/sales/customers", 403)):
        response = guest.goto(path)
        assert response is not None and response.status == status, path

    # Logging in again lands on the portal.
    guest.goto("/portal")
    log_out(guest)
    log_in(guest, client)
    expect(guest).to_have_url(f"{live_server.url}/portal")
