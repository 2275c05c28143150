"""Settings → API & webhooks in a real browser: a token made and copied in the page works
against the live API; a webhook endpoint on a loopback receiver gets a signed test event,
which the delivery log then shows."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import LiveServer, sign_up, unique_email
from tests.e2e.test_sales_pages import _screenshot
from tests.webhooks.receiver import Receiver

TOKEN = re.compile(r"^cpt_[A-Za-z0-9_-]{40,}$")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver().running() as running:
        yield running


@pytest.fixture
def clipboard_page(new_context: Callable[..., BrowserContext]) -> Page:
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    return context.new_page()


def test_a_token_made_in_the_page_works_against_the_api(
    clipboard_page: Page, live_server: LiveServer
) -> None:
    page = clipboard_page
    sign_up(page, unique_email("tokens"), "Jetons SARL")
    page.goto("/settings/organization")
    page.get_by_role("link", name="API & webhooks").click()
    expect(page.get_by_role("heading", name="Your access tokens")).to_be_visible()

    page.get_by_label("Name").fill("Shop sync")
    page.get_by_label("Expires").select_option("90")
    page.get_by_label("invoices:read").check()
    page.get_by_label("parties:write").check()
    page.get_by_role("button", name="Create token").click()

    expect(page.get_by_text("Copy it now: it is shown only this once.")).to_be_visible()
    shown = page.locator("#new-token-value").inner_text().strip()
    assert TOKEN.match(shown)
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == shown
    _screenshot(page, "api-token-created")

    headers = {"Authorization": f"Bearer {copied}"}
    assert httpx.get(f"{live_server.url}/api/v1/invoices", headers=headers).status_code == 200
    customers = httpx.post(
        f"{live_server.url}/api/v1/customers",
        headers=headers,
        json={"name": "Made by a token", "code": "TOK1"},
    )
    assert customers.status_code == 201, customers.text
    refused = httpx.post(f"{live_server.url}/api/v1/invoices", headers=headers, json={})
    assert refused.status_code == 403

    page.reload()
    expect(page.get_by_role("link", name="Shop sync")).to_be_visible()
    expect(page.locator("#new-token-value")).to_have_count(0)
    assert copied not in page.content()

    page.get_by_role("link", name="Shop sync").click()
    expect(page.get_by_role("heading", name="Usage, last 30 days")).to_be_visible()
    # Counts are written by the server about once a second: load the page until they are.
    summary = page.get_by_text(re.compile(r"^3 requests, 1 answered with an error"))
    for _ in range(40):
        if summary.count():
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(summary).to_be_visible()
    expect(page.locator("rect.chart-bar")).to_have_count(30)
    _screenshot(page, "api-token-usage")

    page.get_by_text("Revoke", exact=True).click()
    page.get_by_role("button", name="Revoke the token").click()
    expect(page.get_by_text("The token is revoked")).to_be_visible()
    assert httpx.get(f"{live_server.url}/api/v1/invoices", headers=headers).status_code == 401


def test_a_webhook_endpoint_receives_a_test_event(
    page: Page, live_server: LiveServer, receiver: Receiver
) -> None:
    sign_up(page, unique_email("hooks"), "Crochets SARL")
    page.goto("/settings/api")
    page.get_by_role("link", name="Webhooks", exact=True).click()
    expect(page.get_by_role("heading", name="Add endpoint")).to_be_visible()

    page.get_by_label("Receiver URL").fill("not a url")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#f-url-error")).to_be_visible()

    page.get_by_label("Receiver URL").fill(receiver.url)
    page.get_by_label("Description").fill("Our shop")
    page.get_by_text("Choose events").click()
    page.get_by_label(re.compile(r"^customer\.created")).check()
    expect(page.get_by_label("Only the events ticked below")).to_be_checked()
    page.get_by_label(re.compile(r"^invoice\.issued")).check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_text("The endpoint is added.")).to_be_visible()

    page.get_by_text("Reveal", exact=True).click()
    secret = page.locator("#endpoint-secret").inner_text().strip()
    assert secret.startswith("whsec_")
    receiver.secrets.append(secret)

    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_text("A test event is on its way")).to_be_visible()
    [received] = receiver.wait_for(1)
    assert received.verified
    assert received.payload["type"] == "webhook.test"

    delivered = page.locator("details.delivery").filter(has_text="Delivered")
    for _ in range(40):
        if delivered.count():
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(delivered).to_have_count(1)
    delivered.locator("summary").click(position={"x": 20, "y": 10})
    expect(delivered.get_by_text(f"webhook-id: {received.webhook_id}")).to_be_visible()
    expect(delivered.get_by_text("HTTP 200")).to_be_visible()
    expect(page.get_by_text("100.00 %")).to_be_visible()
    _screenshot(page, "webhook-endpoint-log")
