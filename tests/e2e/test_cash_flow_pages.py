"""The cash-flow statement and the changes in equity in a real browser, over a year of
business: figures, comparatives, the matrix, a drill-down and a download.

With ``COMPTOIR_SCREENSHOTS=<dir>`` both pages are saved on a desktop and a phone screen
there, for a person to look at."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, sign_up, unique_email
from tests.e2e.test_statement_pages import _books

pytestmark = pytest.mark.e2e


def _screenshots(page: Page, name: str) -> None:
    shots = os.environ.get("COMPTOIR_SCREENSHOTS")
    if not shots:
        return
    Path(shots).mkdir(parents=True, exist_ok=True)
    for label, width, height in (("desktop", 1280, 900), ("phone", 390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=f"{shots}/{name}-{label}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_cash_flow_and_equity_pages(page: Page, live_server: LiveServer) -> None:
    email = unique_email("cash-flow")
    sign_up(page, email, "Flux Clair SARL")
    _books(live_server, email)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cash flow").click()
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("To").fill("2026-12-31")
    page.get_by_label("Compare with").select_option("previous_year")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".report-summary")).to_contain_text("Ends at the cash balance")
    table = page.locator("table.statement")
    closing = table.get_by_role("row", name=re.compile("^Trésorerie à la clôture"))
    expect(closing).to_contain_text("19\u202f404.50")
    expect(closing).to_contain_text("12\u202f320.00")
    _screenshots(page, "cash-flow")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF").click()
    assert download_info.value.suggested_filename == "cash-flow-2026-01-01-2026-12-31.pdf"

    table.get_by_role("row", name=re.compile("^Émissions et remboursements")).get_by_role(
        "link"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Émissions et remboursements d'emprunts"
    )
    expect(page.locator("tfoot")).to_contain_text("5\u202f000.00")
    _screenshots(page, "cash-flow-lines")

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Changes in equity"
    ).click()
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("To").fill("2026-12-31")
    page.get_by_role("button", name="Show").click()
    matrix = page.locator("table.statement")
    expect(matrix.get_by_role("columnheader", name="Allocation")).to_be_visible()
    result = matrix.get_by_role("row", name=re.compile("^Résultat de l'exercice"))
    expect(result).to_contain_text("-1\u202f920.00")
    expect(result).to_contain_text("1\u202f784.50")
    _screenshots(page, "equity")
