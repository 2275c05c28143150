"""An expense in a real browser: a staff member enters it with a photo of the receipt and
submits it; the owner hears of it through the bell, opens it, approves it, and it is paid
and in the books.

With ``COMPTOIR_SCREENSHOTS=<dir>`` the expense form, the expense with its receipt, the
approvals inbox, the bills list and a bill are saved there, on a desktop and on a phone."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import PASSWORD, LiveServer, log_in, sign_up, unique_email

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
# Enough page loads for the worker (polling every 0.2 s) to turn the event into a
# notification, without waiting a fixed time.
BELL_RELOADS = 100


def _receipt_png() -> bytes:
    buffer = io.BytesIO()
    picture = Image.new("RGB", (300, 420), (250, 250, 245))
    for y in range(40, 400, 30):
        for x in range(30, 270):
            picture.putpixel((x, y), (60, 60, 60))
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def _screenshot(page: Page, name: str) -> None:
    shots = os.environ.get("COMPTOIR_SCREENSHOTS")
    if not shots:
        return
    Path(shots).mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 1280, "height": 800}
    page.screenshot(path=f"{shots}/{name}-{size['width']}.png", full_page=True)


def _both_sizes(page: Page, name: str) -> None:
    """The page as a desktop and as a phone show it."""
    if not os.environ.get("COMPTOIR_SCREENSHOTS"):
        return
    size = page.viewport_size or {"width": 1280, "height": 800}
    _screenshot(page, name)
    page.set_viewport_size(PHONE)
    _screenshot(page, name)
    page.set_viewport_size(size)


def _api(live_server: LiveServer, email: str) -> dict[str, str]:
    response = httpx.post(
        f"{live_server.url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _member(live_server: LiveServer, headers: dict[str, str], email: str, role: str) -> None:
    invitation = httpx.post(
        f"{live_server.url}/api/v1/invitations",
        headers=headers,
        json={"email": email, "role": role},
    )
    assert invitation.status_code == 201, invitation.text
    token = invitation.json()["accept_url"].rsplit("/", 1)[1]
    accepted = httpx.post(
        f"{live_server.url}/api/v1/invitations/{token}/accept",
        json={"password": PASSWORD, "name": "Sam Staff"},
    )
    assert accepted.status_code == 200, accepted.text


def _wait_for_bell(page: Page) -> None:
    """Reload until the notification is in: the worker delivers it a moment after."""
    bell = page.locator("#notification-bell .bell-count")
    for _ in range(BELL_RELOADS):
        if bell.count():
            return
        page.reload()
    raise AssertionError("no notification reached the bell")


def test_a_staff_expense_with_its_receipt_is_approved_from_the_bell(
    page: Page, new_context: Callable[..., BrowserContext], live_server: LiveServer
) -> None:
    owner = unique_email("owner")
    sign_up(page, owner, "Notes de Frais SARL")
    owner_api = _api(live_server, owner)
    staff = unique_email("staff")
    _member(live_server, owner_api, staff, "sales")

    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, staff)
    phone.goto("/purchases/expenses")
    expect(phone.get_by_text("No expenses yet.")).to_be_visible()
    phone.get_by_role("link", name="New expense").first.click()
    phone.get_by_label("Receipt: take a photo or choose a file").set_input_files(
        {"name": "taxi.png", "mimeType": "image/png", "buffer": _receipt_png()}
    )
    phone.get_by_label("Amount, tax included").fill("12,00")
    phone.get_by_label("Name on the receipt").fill("Taxi Bleu")
    phone.get_by_label("What for").fill("Taxi to the client")
    phone.get_by_label("Category").select_option("travel")
    phone.locator("#f-tax_code").select_option("FR-20")
    phone.set_viewport_size({"width": 1280, "height": 800})
    _both_sizes(phone, "expense-form")
    phone.get_by_role("button", name="Save and submit").click()
    expect(phone.get_by_role("status")).to_contain_text("submitted for approval")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Awaiting approval")
    expect(phone.get_by_role("img", name="Receipt taxi.png")).to_be_visible()
    # Whoever submitted it cannot approve it: someone else can.
    expect(phone.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)
    expense_url = phone.url.split("?")[0]
    _both_sizes(phone, "expense-detail-submitted")
    phone.get_by_role("link", name="Phone page").click()
    expect(phone.get_by_text("Take a photo of the receipt")).to_be_visible()
    _both_sizes(phone, "receipts-phone")

    _wait_for_bell(page)
    expect(page.locator("#notification-bell")).to_contain_text("1 unread")
    page.goto("/purchases/approvals")
    expect(page.get_by_role("row", name=re.compile("Taxi to the client"))).to_contain_text("1 of 1")
    _both_sizes(page, "approvals-inbox")
    page.locator("#notification-bell").click()
    item = page.get_by_role(
        "button", name=re.compile(r"^Unread: Expense of 12\.00 EUR .* to approve")
    )
    expect(item).to_be_visible()
    item.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Taxi to the client")
    assert page.url.split("?")[0] == expense_url
    page.get_by_role("link", name="Receipt taxi.png").first.click()
    expect(page.get_by_role("img", name="Receipt taxi.png")).to_be_visible()
    page.go_back()
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("The expense is approved.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Paid")
    _both_sizes(page, "expense-detail-approved")
    page.get_by_role("link", name="The journal entry").click()
    for account in ("625", "44566", "512"):
        expect(page.get_by_role("cell", name=re.compile(f"^{account}"))).not_to_have_count(0)

    expense_id = expense_url.rsplit("/", 1)[1]
    body = httpx.get(f"{live_server.url}/api/v1/expenses/{expense_id}", headers=owner_api).json()
    assert body["status"] == "paid"
    entry = httpx.get(
        f"{live_server.url}/api/v1/journal-entries/{body['entry_id']}", headers=owner_api
    ).json()
    lines = {line["account_code"]: (line["debit"], line["credit"]) for line in entry["lines"]}
    assert lines["625"][0] == "10.00"
    assert lines["44566"][0] == "2.00"
    assert lines["512"][1] == "12.00"

    phone.goto(expense_url)
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Paid")

    # The next receipt from the same taxi: its category and tax come from the last one.
    phone.goto("/purchases/expenses/new")
    phone.get_by_label("Name on the receipt").fill("taxi bleu")
    phone.get_by_label("Name on the receipt").press("Tab")
    expect(phone.locator("#f-category")).to_have_value("travel")
    expect(phone.locator("#f-tax_code")).to_have_value("FR-20")


def test_bills_look_right_on_a_desktop_and_a_phone(page: Page, live_server: LiveServer) -> None:
    owner = unique_email("buyer")
    sign_up(page, owner, "Achats Malins SARL")
    headers = _api(live_server, owner)
    made = httpx.post(
        f"{live_server.url}/api/v1/suppliers",
        headers=headers,
        json={"name": "Fournitures Martin", "country": "FR"},
    ).json()
    for number in ("FA-001", "fa-001"):
        created = httpx.post(
            f"{live_server.url}/api/v1/bills",
            headers=headers,
            json={
                "supplier": made["id"],
                "supplier_number": number,
                "issue_date": "2026-02-01",
                "lines": [
                    {
                        "description": "Paper",
                        "quantity": "10",
                        "unit_price": "4.50",
                        "tax_codes": ["FR-20"],
                        "account": "606",
                    },
                    {
                        "description": "Desk",
                        "quantity": "1",
                        "unit_price": "300",
                        "tax_codes": ["FR-20"],
                        "account": "606",
                    },
                ],
            },
        )
        assert created.status_code == 201, created.text
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Bills").click()
    expect(page.get_by_role("link", name="FA-001", exact=True)).to_be_visible()
    expect(page.get_by_text("Possible duplicate")).to_be_visible()
    _both_sizes(page, "bills-list")
    page.get_by_role("link", name="fa-001", exact=True).click()
    expect(page.get_by_role("note")).to_contain_text("Possible duplicate")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_role("status")).to_contain_text("submitted for approval")
    page.get_by_role("button", name="Approve your own bill").click()
    expect(page.get_by_role("status")).to_contain_text("approved and posted")
    expect(page.get_by_text("Amount due")).to_be_visible()
    _both_sizes(page, "bill-detail")
