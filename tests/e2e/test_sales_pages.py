"""Invoices in a real browser: a customer, an invoice with three lines at two tax rates and
its live totals, issuing it, the record-payment dialog, and the downloaded PDF whose
totals are the page's.

With ``COMPTOIR_SCREENSHOTS=<dir>`` the editor and the paid invoice are saved as
full-page screenshots there, for a person to look at."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_up, unique_email

pytestmark = pytest.mark.e2e

# Three lines at 20 % and 10 %: 3 x 100.00 and 1 x 250.00 at 20 %, 2 x 45.50 at 10 %.
LINES = [
    ("Consulting, February", "3", "100", "FR-20"),
    ("Reference books", "2", "45,50", "FR-10"),
    ("Training day", "1", "250.00", "FR-20"),
]
EXPECTED = {"net": "641.00", "tax": "119.10", "gross": "760.10"}
EXPECTED_TAXES = {"FR-20": "110.00", "FR-10": "9.10"}


def _screenshot(page: Page, name: str) -> None:
    shots = os.environ.get("COMPTOIR_SCREENSHOTS")
    if not shots:
        return
    Path(shots).mkdir(parents=True, exist_ok=True)
    # As tall as the page, so that the sticky top bar stays on top of the picture.
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": height})
    page.screenshot(path=f"{shots}/{name}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def _amount(text: str) -> Decimal:
    """A printed amount (``760,10 €``, ``€1,200.00``, ``1 200.00``) as a number."""
    digits = re.sub(r"[^\d,.]", "", text)
    if "," in digits and (digits.rfind(",") > digits.rfind(".")):
        digits = digits.replace(".", "").replace(",", ".")
    return Decimal(digits.replace(",", ""))


def _printed(text: str, *labels: str) -> Decimal:
    """The amount the PDF prints after the first of ``labels`` found."""
    for label in labels:
        match = re.search(
            rf"{re.escape(label)}\s*([^\n]*?\d[\d\s.,\u202f\u00a0]*\d(?:\s?€)?)", text
        )
        if match:
            return _amount(match.group(1))
    raise AssertionError(f"none of {labels} in the PDF:\n{text}")


def test_an_invoice_is_written_issued_paid_and_its_pdf_matches_the_page(page: Page) -> None:
    sign_up(page, unique_email("invoicer"), "Facturation Directe SARL")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="New customer").first.click()
    page.get_by_label("Name", exact=True).fill("Brasserie du Port")
    page.get_by_label("Street address").first.fill("2 quai des Brumes")
    page.get_by_label("City").first.fill("Le Havre")
    page.get_by_role("button", name="Add the customer").click()
    expect(page.get_by_role("status")).to_contain_text("The customer is added.")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices").click()
    expect(page.get_by_text("No invoices yet.")).to_be_visible()
    page.get_by_role("link", name="New invoice").first.click()
    customer = page.get_by_label("Customer", exact=True)
    customer.fill("C00001 · Brasserie du Port")
    customer.press("Tab")
    for number, (description, quantity, price, tax) in enumerate(LINES, start=1):
        if number > 1:
            page.get_by_role("button", name="Add a line").click()
            expect(page.get_by_label(f"Product, line {number}", exact=True)).to_be_focused()
        page.get_by_label(f"Description, line {number}", exact=True).fill(description)
        page.get_by_label(f"Quantity, line {number}", exact=True).fill(quantity)
        page.get_by_label(f"Unit price, line {number}", exact=True).fill(price)
        page.get_by_label(f"Tax, line {number}", exact=True).select_option(tax)

    totals = page.locator("#document-totals")
    for name, amount in EXPECTED.items():
        expect(totals.locator(f'[data-total="{name}"]')).to_have_text(amount)
    for code, amount in EXPECTED_TAXES.items():
        expect(totals.locator(f'[data-tax="{code}"] dd')).to_have_text(amount)
    expect(page.locator("#line-1-net")).to_have_text("91.00")
    expect(page.get_by_label("Description, line 1", exact=True)).to_have_value(LINES[0][0])
    _screenshot(page, "invoice-editor")

    page.get_by_role("button", name="Save draft").last.click()
    expect(page.get_by_role("status")).to_contain_text("The draft is saved.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Draft invoice")
    page.get_by_role("button", name="Issue invoice").click()
    expect(page.get_by_role("status")).to_contain_text("The invoice is issued")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"F-\d{4}-00001\s+Issued"))
    number = page.locator("h1 .document-number").inner_text()
    # The PDF preview is framed by the page (a refused frame would show an error page).
    preview = page.locator("iframe.pdf-frame")
    expect(preview).to_have_attribute("src", re.compile(r"/sales/invoices/[0-9a-f-]+/pdf$"))
    frame = preview.element_handle().content_frame()
    assert frame is not None and frame.url.endswith("/pdf")

    page.get_by_role("link", name="Record payment").click()
    dialog = page.get_by_role("dialog", name="Record a payment")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Amount received, EUR")).to_have_value(EXPECTED["gross"])
    expect(dialog.get_by_label("Amount received, EUR")).to_be_focused()
    dialog.get_by_label("Reference").fill("VIR BRASSERIE 0042")
    dialog.get_by_role("button", name="Record payment").click()

    expect(page.get_by_role("status")).to_contain_text("The payment is recorded.")
    expect(heading).to_have_text(re.compile(rf"{number}\s+Paid"))
    expect(page.locator('[data-total="due"]')).to_have_text("0.00")
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline.locator(".timeline-label")).to_have_text(
        [
            "Created",
            re.compile(rf"Issued as {number}"),
            re.compile(r"Payment recorded 760\.10 EUR"),
            "Paid in full",
        ]
    )
    on_page = {
        name: Decimal(page.locator(f'[data-total="{name}"]').inner_text())
        for name in ("net", "tax", "gross")
    }
    assert on_page == {name: Decimal(amount) for name, amount in EXPECTED.items()}
    _screenshot(page, "invoice-detail")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename == f"{number}.pdf"
    reader = pypdf.PdfReader(download.value.path())
    text = "\n".join(sheet.extract_text() for sheet in reader.pages)
    assert number in text
    assert _printed(text, "Total HT", "Total excl. tax") == on_page["net"]
    assert _printed(text, "Total TTC", "Total incl. tax") == on_page["gross"]
    # The file stored when the invoice was issued: all of it was due then.
    assert _printed(text, "Net à payer", "Amount due") == on_page["gross"]
