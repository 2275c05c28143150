"""Customers in a real browser: the form with its contacts (rows added with HTMX), an error
beside its field, the live search of the list, and editing."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import LiveServer, sign_up, unique_email
from tests.e2e.test_ledger_pages import api_headers

pytestmark = pytest.mark.e2e


def test_a_customer_with_contacts_found_by_search_and_edited(
    page: Page, live_server: LiveServer
) -> None:
    email = unique_email("seller")
    sign_up(page, email, "Clientèle SARL")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    expect(page.get_by_text("No customers yet.")).to_be_visible()
    page.get_by_role("link", name="New customer").first.click()

    page.get_by_label("Name", exact=True).fill("Boulangerie Paul")
    page.get_by_label("Phone", exact=False).first.fill("01 42 68 53 00")
    page.get_by_label("VAT number").fill("FR41303265045")
    page.get_by_label("Street address").first.fill("1 rue du Four")
    page.get_by_label("City").first.fill("Paris")
    page.get_by_label("Payment terms").select_option("net_45")
    page.get_by_label("Name, contact 1", exact=True).fill("Paul Martin")
    page.get_by_label("Role, contact 1", exact=True).fill("Gérant")
    page.get_by_label("E-mail, contact 1", exact=True).fill("paul@boulangerie.example")
    # A third row, added in place: what was typed stays, the new row takes the focus.
    page.get_by_role("button", name="Add a contact").click()
    expect(page.get_by_label("Name, contact 3", exact=True)).to_be_focused()
    expect(page.get_by_label("Name, contact 1", exact=True)).to_have_value("Paul Martin")
    page.get_by_label("Name, contact 3", exact=True).fill("Sophie Durand")
    page.get_by_label("Role, contact 3", exact=True).fill("Comptabilité")
    # The shipping address appears once asked for.
    expect(page.locator("#f-shipping_line1")).to_be_hidden()
    page.get_by_label("Ship to another address").check()
    page.locator("#f-shipping_line1").fill("Fournil, 3 impasse du Pain")
    page.get_by_role("button", name="Add the customer").click()

    vat = page.locator(".field", has=page.get_by_label("VAT number"))
    expect(vat.locator(".field-error")).to_contain_text("check digits")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Boulangerie Paul")
    expect(page.get_by_label("Name, contact 3", exact=True)).to_have_value("Sophie Durand")
    page.get_by_label("VAT number").fill("FR40303265045")
    page.get_by_role("button", name="Add the customer").click()

    expect(page.get_by_role("status")).to_contain_text("The customer is added.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Boulangerie Paul")
    expect(page.locator(".eyebrow")).to_contain_text("C00001")
    expect(page.get_by_text("+33 1 42 68 53 00")).to_be_visible()
    expect(page.get_by_text("45 days")).to_be_visible()
    contacts = page.get_by_role("region", name="Contacts")
    expect(contacts.locator(".person-name")).to_have_text(
        [re.compile("Paul Martin"), "Sophie Durand"]
    )
    expect(page.get_by_role("region", name="Shipping address")).to_contain_text("Fournil")

    other = httpx.post(
        f"{live_server.url}/api/v1/customers",
        headers=api_headers(live_server, email),
        json={"name": "Atelier Lumière", "billing_address": {"city": "Lyon"}},
    )
    assert other.status_code == 201, other.text

    page.get_by_role("link", name="Customers").first.click()
    rows = page.locator("#parties-table tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_label("Search").fill("boul")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=boul"))
    page.get_by_label("Search").fill("lyon")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Atelier Lumière")
    page.get_by_label("Search").fill("FR40303265045")
    expect(rows).to_have_count(1)
    page.get_by_role("link", name="Boulangerie Paul").click()

    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_label("Name, contact 2", exact=True)).to_have_value("Sophie Durand")
    page.get_by_label("Name", exact=True).fill("Boulangerie Paul & Fils")
    page.get_by_role("button", name="Remove contact 1").click()
    expect(page.get_by_label("Name, contact 1", exact=True)).to_have_value("Sophie Durand")
    page.get_by_label("Ship to another address").uncheck()
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_role("status")).to_contain_text("The changes are saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Boulangerie Paul & Fils")
    expect(contacts.locator(".person-name")).to_have_text(["Sophie Durand"])
    expect(page.get_by_role("region", name="Shipping address")).to_contain_text(
        "Goods go to the billing address."
    )


def test_the_customer_pages_fit_a_phone(new_context: Callable[..., BrowserContext]) -> None:
    page = new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    ).new_page()
    sign_up(page, unique_email("pocket"), "Pocket Clients SARL")
    page.goto("/sales/customers/new")
    page.get_by_label("Name", exact=True).fill("Pocket Customer")
    page.get_by_label("Name, contact 1", exact=True).fill("Pat")
    page.get_by_role("button", name="Add the customer").click()
    expect(page.get_by_role("status")).to_contain_text("The customer is added.")
    detail = page.url
    for path in ("/sales/customers", "/sales/customers/new", "/sales/customers/import", detail):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
