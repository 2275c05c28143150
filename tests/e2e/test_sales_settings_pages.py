"""Settings → Sales in a real browser: an error beside its field, then saved; a payment
provider connected, its secret shown once, and a signed callback sent over HTTP to the
live server showing up as a payment recorded."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, sign_up, unique_email
from tests.e2e.test_ledger_pages import api_headers

pytestmark = pytest.mark.e2e


def _invoice(live_server: LiveServer, headers: dict[str, str]) -> dict:
    buyer = httpx.post(
        f"{live_server.url}/api/v1/customers", headers=headers, json={"name": "Acme"}
    ).json()
    draft = httpx.post(
        f"{live_server.url}/api/v1/invoices",
        headers=headers,
        json={
            "customer": buyer["id"],
            "lines": [{"description": "Work", "unit_price": "500.00", "tax_codes": ["FR-20"]}],
        },
    ).json()
    issued = httpx.post(f"{live_server.url}/api/v1/invoices/{draft['id']}/issue", headers=headers)
    assert issued.status_code == 200, issued.text
    result: dict = issued.json()
    return result


def test_sales_settings_and_a_payment_provider(page: Page, live_server: LiveServer) -> None:
    email = unique_email("sales-settings")
    sign_up(page, email, "Réglages SARL")
    page.goto("/settings/organization")
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Sales").click()
    expect(page.get_by_role("heading", name="Sales", exact=True)).to_be_visible()

    page.get_by_label("Send payment reminders").check()
    page.get_by_label("Days from the due date").fill("-3, 7, 7")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#f-reminder_offsets-error")).to_have_text("7 appears twice.")
    page.get_by_label("Days from the due date").fill("-3, 7, 30, 60")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("The sales settings are saved.")).to_be_visible()
    expect(page.get_by_label("Days from the due date")).to_have_value("-3, 7, 30, 60")

    page.get_by_label("Provider", exact=True).select_option("generic")
    page.get_by_label("Booked to").select_option("512")
    page.get_by_role("button", name="Save the connection").click()
    secret = page.locator("#new-secret").input_value()
    assert secret.startswith("whsec_")
    callback_url = page.locator("#url-generic").input_value()
    assert callback_url.startswith(f"{live_server.url}/api/v1/payments/callbacks/generic?key=")

    issued = _invoice(live_server, api_headers(live_server, email))
    body = json.dumps(
        {
            "id": "evt_e2e_1",
            "type": "payment.succeeded",
            "data": {"invoice": issued["number"], "amount": "600.00", "currency": "EUR"},
        }
    ).encode()
    timestamp = str(int(time.time()))
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    for _ in range(2):
        answer = httpx.post(
            callback_url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "Comptoir-Signature": f"t={timestamp},v1={mac}",
            },
        )
        assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "duplicate"

    page.goto("/settings/sales")
    expect(page.locator("#new-secret")).to_have_count(0)
    expect(page.get_by_text(secret)).to_have_count(0)
    recent = page.get_by_role("region", name="Recent callbacks")
    expect(recent.get_by_role("row")).to_have_count(2)
    expect(recent.get_by_role("link", name="Payment recorded")).to_be_visible()
    current = httpx.get(
        f"{live_server.url}/api/v1/invoices/{issued['id']}",
        headers=api_headers(live_server, email),
    ).json()
    assert current["status"] == "paid"
