"""A customer answers a quote at its link, in a real browser with JavaScript turned off:
the page works as plain HTML forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import PASSWORD, LiveServer, unique_email

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def _sent_quote(live_server: LiveServer, **customer: Any) -> dict[str, Any]:
    api = httpx.Client(base_url=live_server.url)
    registered = api.post(
        "/api/v1/auth/register",
        json={
            "email": unique_email("seller"),
            "password": PASSWORD,
            "organization_name": "Atelier Durand SARL",
            "country": "FR",
            "base_currency": "EUR",
            "name": "Claire Durand",
        },
    )
    assert registered.status_code == 201, registered.text
    headers = {"Authorization": f"Bearer {registered.json()['access_token']}"}
    party = api.post(
        "/api/v1/customers",
        headers=headers,
        json={"name": "Boulangerie Paul", "email": "paul@boulangerie.test", "country": "FR"}
        | customer,
    )
    assert party.status_code == 201, party.text
    quote = api.post(
        "/api/v1/quotes",
        headers=headers,
        json={
            "customer": party.json()["id"],
            "notes": "Installation within two weeks of your signature.",
            "lines": [
                {"description": "Oven servicing", "quantity": "2", "unit_price": "450.00"},
                {"description": "Spare parts", "unit_price": "120.00", "discount_percent": "10"},
            ],
        },
    )
    assert quote.status_code == 201, quote.text
    sent = api.post(f"/api/v1/quotes/{quote.json()['id']}/send", headers=headers, json={})
    assert sent.status_code == 200, sent.text
    result: dict[str, Any] = sent.json()
    result["headers"] = headers
    return result


def test_the_customer_accepts_without_javascript(
    new_context: Callable[..., BrowserContext], live_server: LiveServer
) -> None:
    quote = _sent_quote(live_server, language="en")
    page = new_context(java_script_enabled=False).new_page()
    page.goto(quote["public_url"])
    expect(page.get_by_role("heading", level=1)).to_have_text(quote["number"])
    expect(page.get_by_text("Awaiting your answer")).to_be_visible()
    expect(page.get_by_text("Oven servicing")).to_be_visible()
    expect(page.locator(".public-totals .is-grand")).to_contain_text("€1,209.60")
    page.get_by_role("button", name="Accept and sign").click()
    expect(page.get_by_text("Type your full name to sign.")).to_be_visible()
    expect(page.get_by_text("Tick the box to accept the quote.")).to_be_visible()

    page.get_by_label("Your full name").fill("Paul Martin")
    page.get_by_label("I accept this quote").check()
    page.get_by_role("button", name="Accept and sign").click()
    expect(page.get_by_role("status")).to_contain_text("you accepted this quote")
    expect(page.get_by_text("Accepted by Paul Martin on")).to_be_visible()
    expect(page.get_by_role("button", name="Accept and sign")).to_have_count(0)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename == f"{quote['number']}.pdf"

    stored = httpx.get(
        f"{live_server.url}/api/v1/quotes/{quote['id']}", headers=quote["headers"]
    ).json()
    assert stored["status"] == "accepted"
    assert stored["acceptance"]["name"] == "Paul Martin"
    assert stored["acceptance"]["ip"] == "127.0.0.1"
    assert "Chrome" in stored["acceptance"]["user_agent"]


def test_the_customer_declines_on_a_phone(
    new_context: Callable[..., BrowserContext], live_server: LiveServer
) -> None:
    quote = _sent_quote(live_server, language="fr")
    page = new_context(java_script_enabled=False, viewport=PHONE).new_page()
    page.goto(quote["public_url"])
    # The document speaks the customer's language, as its PDF does.
    expect(page.get_by_text("Total TTC")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    page.get_by_text("Decline this quote").click()
    page.get_by_label("Why?").fill("We found a closer supplier.")
    page.get_by_role("button", name="Decline the quote").click()
    expect(page.get_by_role("status")).to_contain_text("You declined this quote.")
    expect(page.get_by_text("We found a closer supplier.")).to_be_visible()
    stored = httpx.get(
        f"{live_server.url}/api/v1/quotes/{quote['id']}", headers=quote["headers"]
    ).json()
    assert stored["status"] == "declined"
