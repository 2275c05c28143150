"""Settings → Taxes in a real browser: the live calculation preview (the API's figures),
disabling and enabling a tax, adding a custom one with errors beside their fields."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, sign_up, unique_email
from tests.e2e.test_ledger_pages import api_headers

pytestmark = pytest.mark.e2e


def test_the_calculator_previews_what_the_api_calculates(
    page: Page, live_server: LiveServer
) -> None:
    email = unique_email("taxes")
    sign_up(page, email, "Calculette SARL")
    page.goto("/settings/taxes")
    expect(page.get_by_role("heading", name="Try a calculation")).to_be_visible()
    preview = page.locator("#tax-preview")
    # The example line: 1 x 100 at 20 %.
    expect(preview.locator('[data-total="gross"]')).to_have_text("120.00")

    page.get_by_label("Unit price, line 1", exact=True).fill("19.99")
    page.get_by_label("Quantity, line 1", exact=True).fill("3")
    page.get_by_label("Quantity, line 2", exact=True).fill("7")
    page.get_by_label("Unit price, line 2", exact=True).fill("0.95")
    page.get_by_label("Discount %, line 2", exact=True).fill("10")
    page.get_by_label("Tax, line 2", exact=True).select_option("FR-5.5")
    page.get_by_label("Prices include tax").check()

    response = httpx.post(
        f"{live_server.url}/api/v1/tax/calculate",
        headers=api_headers(live_server, email),
        json={
            "currency": "EUR",
            "prices_include_tax": True,
            "lines": [
                {"quantity": "3", "unit_price": "19.99", "tax_codes": ["FR-20"]},
                {
                    "quantity": "7",
                    "unit_price": "0.95",
                    "discount_percent": "10",
                    "tax_codes": ["FR-5.5"],
                },
            ],
        },
    )
    assert response.status_code == 200, response.text
    totals = response.json()["totals"]
    expect(preview.locator('[data-total="gross"]')).to_have_text(totals["gross"])
    expect(preview.locator('[data-total="net"]')).to_have_text(totals["net"])
    expect(preview.locator('[data-total="tax"]')).to_have_text(totals["tax"])
    expect(preview.locator('[data-tax="FR-5.5"]')).to_be_visible()

    # A line the engine refuses says which line and what is wrong.
    page.get_by_label("Discount %, line 2", exact=True).fill("150")
    expect(preview).to_contain_text("Line 2, discount percent")


def test_disable_enable_and_add_a_tax(page: Page) -> None:
    sign_up(page, unique_email("taxes"), "Taxes Maison SARL")
    page.goto("/settings/taxes")
    row = page.locator("#tax-FR-2\\.1")
    row.get_by_role("button", name="Disable").click()
    expect(page.get_by_text("The tax is disabled")).to_be_visible()
    expect(page.locator("#tax-FR-2\\.1")).to_have_count(0)
    expect(page.get_by_label("Tax, line 1", exact=True).locator("option")).not_to_contain_text(
        ["FR-2.1 — 2.1 %"]
    )

    page.get_by_role("link", name="Show the 7 disabled taxes").click()
    page.locator("#tax-FR-2\\.1").get_by_role("button", name="Enable").click()
    expect(page.get_by_text("The tax is enabled")).to_be_visible()
    expect(page.locator("#tax-FR-2\\.1")).to_contain_text("2.1 %")

    page.get_by_label("Code").fill("ECO-DEEE")
    page.get_by_label("Label").fill("Éco-participation DEEE")
    page.get_by_label("Kind").select_option("fixed")
    page.get_by_label("Amount per unit (EUR)").fill("-3")
    page.get_by_role("button", name="Add the tax").click()
    amount = page.locator(".field", has=page.get_by_label("Amount per unit (EUR)"))
    expect(amount.locator(".field-error")).to_be_visible()
    expect(page.get_by_label("Code")).to_have_value("ECO-DEEE")

    page.get_by_label("Amount per unit (EUR)").fill("0.42")
    page.get_by_role("button", name="Add the tax").click()
    expect(page.get_by_text("The tax is added")).to_be_visible()
    added = page.locator("#tax-ECO-DEEE")
    expect(added).to_contain_text("0.42 EUR per unit")
    expect(added).to_contain_text("Yours")

    page.get_by_label("Per document").check()
    page.get_by_role("button", name="Save the rounding").click()
    expect(page.get_by_text("The rounding is saved")).to_be_visible()
    expect(page.get_by_label("Per document")).to_be_checked()
    expect(page.locator("#tax-preview")).to_contain_text("Rounded per document")
