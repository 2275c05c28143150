"""The accounting hub, the year-end close and the accounting settings in a real browser.

With ``COMPTOIR_SCREENSHOTS=<dir>`` each page is saved there at desktop and phone sizes,
for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import Account
from tests.e2e.conftest import DESKTOP, PASSWORD, LiveServer, sign_up, unique_email
from tests.reporting.scenario import french_year

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


def _screenshots(page: Page, name: str) -> None:
    shots = os.environ.get("COMPTOIR_SCREENSHOTS")
    if not shots:
        return
    Path(shots).mkdir(parents=True, exist_ok=True)
    for size, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        # The sidebar is as tall as the window: the window grows to the page for the shot.
        height = max(viewport["height"], page.evaluate("document.documentElement.scrollHeight"))
        page.set_viewport_size({"width": viewport["width"], "height": height})
        page.screenshot(path=f"{shots}/{name}-{size}.png", full_page=True)
    page.set_viewport_size(DESKTOP)


def _books(live_server: LiveServer, email: str) -> None:
    with httpx.Client(base_url=live_server.url) as api:
        answer = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        owner = Account(email, PASSWORD, "", "", body["access_token"], body["refresh_token"])
        french_year(api, owner)  # type: ignore[arg-type]


def test_hub_close_and_settings(page: Page, live_server: LiveServer) -> None:
    email = unique_email("closing")
    sign_up(page, email, "Clôture Nette SARL")
    _books(live_server, email)

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Accounting", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Accounting", exact=True)).to_be_visible()
    # Latest first: 2026, then 2025.
    page.get_by_label("Fiscal year").select_option(index=1)
    page.get_by_role("button", name="Show").click()
    cards = page.get_by_role("region", name="Key figures")
    expect(cards).to_contain_text("1\u202f920.00")
    _screenshots(page, "hub")

    cards.get_by_role("link", name="Ready to close").click()
    expect(page.get_by_role("heading", name="Before closing")).to_be_visible()
    page.get_by_role("link", name="Close the year…").click()
    expect(page.get_by_text("cannot be reopened")).to_be_visible()
    _screenshots(page, "closing-confirm")
    page.get_by_role("button", name="Close the year").click()
    expect(page.get_by_text("The year is closed")).to_be_visible()
    expect(page.get_by_role("link", name="Opening entry AN-2026-00001")).to_be_visible()
    _screenshots(page, "closing-done")

    page.goto("/accounting/settings")
    page.get_by_role("textbox", name="Sales").fill("V-T")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_text("Use 1 to 10 upper-case letters or digits.")).to_be_visible()
    _screenshots(page, "settings")
