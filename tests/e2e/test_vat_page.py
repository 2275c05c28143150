"""The VAT return page in a real browser: a French quarter's boxes, a drill-down to the
lines behind a box, and filing with its confirmation.

With ``COMPTOIR_SCREENSHOTS=<dir>`` the page and the drill-down are saved as full-page
screenshots there, on a desktop and on a phone, for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.compliance.test_vat_return import _french_quarter
from tests.conftest import Account
from tests.e2e.conftest import PASSWORD, LiveServer, sign_up, unique_email

pytestmark = pytest.mark.e2e

SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


def _screenshots(page: Page, name: str) -> None:
    shots = os.environ.get("COMPTOIR_SCREENSHOTS")
    if not shots:
        return
    Path(shots).mkdir(parents=True, exist_ok=True)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=f"{shots}/{name}-{size}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def _books(live_server: LiveServer, email: str) -> None:
    with httpx.Client(base_url=live_server.url) as api:
        answer = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        owner = Account(email, PASSWORD, "", "", body["access_token"], body["refresh_token"])
        _french_quarter(api, owner)  # type: ignore[arg-type]


def test_the_return_drills_down_and_files(page: Page, live_server: LiveServer) -> None:
    email = unique_email("vat")
    sign_up(page, email, "TVA Claire SARL")
    _books(live_server, email)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="VAT return").click()
    page.get_by_label("Year").fill("2026")
    page.get_by_label("Period").select_option("Q1")
    page.get_by_role("button", name="Show").click()
    table = page.locator("table.vat-return")
    expect(table.get_by_role("row", name="08 Taux normal 20 %")).to_contain_text("180.00")
    expect(table).to_contain_text("153.10")
    _screenshots(page, "vat-return")

    table.get_by_role("link", name="180.00").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Box 08 · Taux normal 20 %")
    expect(page.locator("table.general-ledger")).to_contain_text("Dupont SARL")
    _screenshots(page, "vat-lines")

    page.get_by_role("link", name="VAT return").first.click()
    page.get_by_label("Year").fill("2026")
    page.get_by_label("Period").select_option("Q1")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("button", name="File the return").click()
    expect(page.locator(".field-error")).to_contain_text("Tick the box to confirm")
    page.get_by_label("Reference").fill("CA3 T1 2026")
    page.get_by_label("This return is final").check()
    page.get_by_role("button", name="File the return").click()
    expect(page.get_by_text("The return is filed")).to_be_visible()
    expect(page.locator("body")).to_contain_text("CA3 T1 2026")
