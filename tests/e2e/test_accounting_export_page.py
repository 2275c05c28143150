"""The exports page in a browser: pick a format and dates, download; an error beside its
field."""

from __future__ import annotations

import os

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, sign_up, unique_email
from tests.e2e.test_ledger_pages import api_headers, post_entry
from tests.e2e.test_sales_pages import _screenshot

pytestmark = pytest.mark.e2e


def test_pick_a_format_and_download(page: Page, live_server: LiveServer) -> None:
    email = unique_email("exports")
    sign_up(page, email, "Exports Étoile SARL")
    headers = api_headers(live_server, email)
    siren = httpx.patch(
        f"{live_server.url}/api/v1/organization", headers=headers, json={"siren": "732829320"}
    )
    assert siren.status_code == 200, siren.text
    post_entry(
        live_server,
        headers,
        [{"account": "626", "debit": "45.90"}, {"account": "512", "credit": "45.90"}],
    )
    page.goto("/accounting/exports")
    expect(page.get_by_role("heading", name="Exports to other accounting tools")).to_be_visible()
    page.get_by_label("Sage 100 (fixed width)").check()
    page.get_by_label("From").fill("2026-12-31")
    page.get_by_label("To", exact=True).fill("2026-01-01")
    page.get_by_role("button", name="Download").click()
    expect(page.get_by_text("The start date comes after the end date.")).to_be_visible()
    expect(page.get_by_label("Sage 100 (fixed width)")).to_be_checked()
    _screenshot(page, "accounting-exports-error")
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("To", exact=True).fill("2026-12-31")
    page.get_by_label("hledger journal").check()
    _screenshot(page, "accounting-exports")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    assert download.value.suggested_filename == "732829320_hledger_20260101_20261231.journal"
    content = download.value.path().read_text()
    assert "    Expenses:626 Frais postaux et de télécommunications  45.90 EUR" in content
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/accounting/exports")
    expect(page.get_by_label("Beancount ledger")).to_be_visible()
    shots = os.environ.get("COMPTOIR_SCREENSHOTS")
    if shots:
        page.screenshot(path=f"{shots}/accounting-exports-phone.png", full_page=True)
