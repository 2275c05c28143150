"""The income statement and the balance sheet in a real browser, over a year of business:
figures, comparatives, a drill-down to the ledger lines and a download.

With ``COMPTOIR_SCREENSHOTS=<dir>`` both statements are saved as full-page screenshots
there, for a person to look at."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import Account
from tests.e2e.conftest import PASSWORD, LiveServer, sign_up, unique_email
from tests.reporting.scenario import french_year

pytestmark = pytest.mark.e2e


def _screenshot(page: Page, name: str) -> None:
    shots = os.environ.get("COMPTOIR_SCREENSHOTS")
    if not shots:
        return
    Path(shots).mkdir(parents=True, exist_ok=True)
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": height})
    page.screenshot(path=f"{shots}/{name}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def _books(live_server: LiveServer, email: str) -> None:
    """The scenario's year, posted through the API by the signed-up user."""
    with httpx.Client(base_url=live_server.url) as api:
        answer = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        owner = Account(email, PASSWORD, "", "", body["access_token"], body["refresh_token"])
        french_year(api, owner)  # type: ignore[arg-type]


def test_statements_show_compare_and_drill_down(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    email = unique_email("statements")
    sign_up(page, email, "Bilan Clair SARL")
    _books(live_server, email)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Income statement").click()
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("To").fill("2026-12-31")
    page.get_by_label("Compare with").select_option("previous_year")
    page.get_by_role("button", name="Show").click()
    table = page.locator("table.statement")
    result = table.get_by_role("row", name=re.compile("^Résultat de l'exercice"))
    expect(result).to_contain_text("1\u202f784.50")
    expect(result).to_contain_text("1\u202f920.00")
    expect(result).to_contain_text("-7.1 %")
    _screenshot(page, "income-statement")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="XLSX").click()
    assert download_info.value.suggested_filename == "income-statement-2026-01-01-2026-12-31.xlsx"

    table.get_by_role("row", name=re.compile("^Autres achats")).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Autres achats et charges externes")
    expect(page.locator("tfoot")).to_contain_text("345.50")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Balance sheet").click()
    page.get_by_label("As of").fill("2026-12-31")
    page.get_by_label("Compare with").select_option("previous_year")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".report-summary")).to_contain_text("Balanced")
    sheet = page.locator("table.statement")
    expect(sheet.get_by_role("row", name=re.compile("^Total actif [0-9]"))).to_contain_text(
        "21\u202f475.50"
    )
    expect(sheet.get_by_role("row", name=re.compile("^Total passif [0-9]"))).to_contain_text(
        "21\u202f475.50"
    )
    _screenshot(page, "balance-sheet")
    sheet.get_by_role("row", name=re.compile("^Emprunts et dettes auprès")).get_by_role(
        "link"
    ).click()
    expect(page.locator("tfoot")).to_contain_text("5\u202f000.00")
