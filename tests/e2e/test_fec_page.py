"""The FEC wizard in a browser: choose the year, check, download."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, sign_up, unique_email
from tests.e2e.test_ledger_pages import api_headers, post_entry
from tests.e2e.test_sales_pages import _screenshot

pytestmark = pytest.mark.e2e


def test_check_then_download(page: Page, live_server: LiveServer) -> None:
    email = unique_email("fec")
    sign_up(page, email, "Fichier Écritures SARL")
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
    page.goto("/accounting/fec")
    expect(page.get_by_role("heading", name="Import a FEC")).to_be_visible()
    page.get_by_label("Fiscal year", exact=True).select_option("2026-01-01")
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("passes every check: 2 lines, 1 entry")).to_be_visible()
    _screenshot(page, "fec-wizard")
    page.get_by_label("Separator").select_option("tab")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the FEC").click()
    assert download.value.suggested_filename == "732829320FEC20261231.txt"
    content = download.value.path().read_bytes().decode()
    assert content.startswith("JournalCode\tJournalLib\tEcritureNum")
