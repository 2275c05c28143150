"""The web UI in a real browser: signing up, logging in, inviting and joining, and the guards."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import PASSWORD, LiveServer, log_in, log_out, sign_up, unique_email

pytestmark = pytest.mark.e2e


def invite(page: Page, email: str, role: str, company: str) -> str:
    """Invite from the members page, then read the link in the message under Sent mail."""
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Role", exact=True).select_option(role)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("the e-mail is queued")
    expect(page.get_by_role("cell", name=email, exact=True)).to_be_visible()
    page.get_by_role("link", name="Open Sent mail").click()
    page.get_by_role("link", name=f"Join {company} on Comptoir").first.click()
    expect(page.get_by_role("heading", name=f"Join {company} on Comptoir")).to_be_visible()
    href = page.locator(".mail-body a", has_text="/invitations/").get_attribute("href")
    assert href is not None
    return href


def test_sign_up_invite_and_join_as_accountant(
    page: Page, new_context: Callable[..., BrowserContext], live_server: LiveServer
) -> None:
    owner = unique_email("owner")
    invitee = unique_email("accountant")
    company = "Atelier Lovelace SAS"

    sign_up(page, owner, company)
    expect(page).to_have_url(f"{live_server.url}/?notice=welcome")
    expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()
    expect(page.locator(".topbar")).to_contain_text(company)

    log_out(page)
    log_in(page, owner)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()

    page.get_by_role("link", name="Settings", exact=True).first.click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Members").click()
    accept_url = invite(page, invitee, "accountant", company)
    assert accept_url.startswith(f"{live_server.url}/invitations/")

    guest = new_context().new_page()
    guest.goto(accept_url)
    expect(guest.get_by_role("heading", name=f"Join {company}")).to_be_visible()
    expect(guest.locator(".invite-summary")).to_contain_text("Accountant")
    expect(guest.locator(".invite-summary")).to_contain_text(invitee)
    guest.get_by_label("Your name").fill("Grace Hopper")
    guest.get_by_label("Choose a password").fill(PASSWORD)
    guest.get_by_role("button", name="Create account and join").click()

    expect(guest).to_have_url(f"{live_server.url}/?notice=joined")
    expect(guest.get_by_role("heading", name="Welcome, Grace")).to_be_visible()
    expect(guest.locator(".eyebrow")).to_have_text(f"{company} · Accountant")
    expect(guest.locator(".topbar")).to_contain_text(company)


def test_sign_up_errors_are_shown_beside_their_fields(page: Page) -> None:
    email = unique_email("typo")
    page.goto("/signup")
    page.get_by_label("Work e-mail").fill(email)
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Company name").fill("Typo SARL")
    # A value the list does not offer, as a tampered or stale form would send.
    page.get_by_label("Country").evaluate(
        "select => { select.add(new Option('Atlantis', 'XX')); select.value = 'XX'; }"
    )
    page.get_by_label("Base currency").select_option("EUR")
    page.get_by_role("button", name="Create account").click()

    password = page.get_by_label("Password", exact=True)
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_attribute("aria-describedby", re.compile("f-password-error"))
    expect(page.locator("#f-password-error")).to_have_text("Use at least 10 characters.")
    expect(password).to_have_value("")
    country = page.get_by_label("Country")
    expect(country).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-country-error")).to_contain_text("country code")
    expect(page.get_by_label("Work e-mail")).to_have_value(email)
    expect(page.get_by_label("Work e-mail")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert").first).to_contain_text("Please correct the 2 fields")


def test_a_wrong_password_is_refused_with_a_message(page: Page) -> None:
    email = unique_email("forgetful")
    sign_up(page, email, "Forgetful SARL")
    log_out(page)
    log_in(page, email, "not the right password")
    expect(page.get_by_role("alert")).to_contain_text("Wrong e-mail address or password.")
    expect(page.get_by_label("E-mail address")).to_have_value(email)
    expect(page.get_by_label("Password")).to_have_value("")


def test_forgot_password_answers_the_same_for_unknown_addresses(page: Page) -> None:
    known = unique_email("known")
    sign_up(page, known, "Known SARL")
    log_out(page)

    answers = []
    for address in (known, unique_email("nobody")):
        page.goto("/login")
        page.get_by_role("link", name="Forgot your password?").click()
        page.get_by_label("E-mail address").fill(address)
        page.get_by_role("button", name="Send the reset link").click()
        message = page.get_by_role("status")
        expect(message).to_contain_text("If an account exists for")
        answers.append(message.inner_text().replace(address, "<address>"))
    assert answers[0] == answers[1]


def test_a_post_without_the_csrf_token_is_refused(page: Page) -> None:
    page.goto("/login")
    response = page.request.post(
        "/login", form={"email": "someone@example.org", "password": PASSWORD}
    )
    assert response.status == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "This form has expired" in response.text()

    page.locator("input[name=csrf_token]").evaluate("input => { input.value = 'forged'; }")
    page.get_by_label("E-mail address").fill("someone@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="This form has expired")).to_be_visible()


def test_a_signed_out_visitor_is_sent_to_log_in_and_back(
    page: Page, live_server: LiveServer
) -> None:
    email = unique_email("returning")
    sign_up(page, email, "Returning SARL")
    log_out(page)
    page.goto("/settings/members")
    expect(page).to_have_url(f"{live_server.url}/login?next=%2Fsettings%2Fmembers")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/settings/members")
    expect(page.get_by_role("heading", name="Invite a teammate")).to_be_visible()


def test_the_dashboard_on_a_phone_collapses_the_navigation(
    new_context: Callable[..., BrowserContext],
) -> None:
    page = new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    ).new_page()
    sign_up(page, unique_email("mobile"), "Pocket SARL")

    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation).to_be_hidden()
    menu = page.locator("label.menu-button")
    expect(menu).to_be_visible()
    expect(page.get_by_role("heading", name="Get started")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    menu.click()
    expect(navigation).to_be_visible()
    expect(navigation.get_by_role("link", name="Settings", exact=True)).to_be_visible()


def test_an_owner_changes_a_role_in_place(
    page: Page, new_context: Callable[..., BrowserContext]
) -> None:
    company = "Role Play SARL"
    sign_up(page, unique_email("boss"), company)
    page.goto("/settings/members")
    teammate = unique_email("teammate")
    accept_url = invite(page, teammate, "sales", company)
    guest = new_context().new_page()
    guest.goto(accept_url)
    guest.get_by_label("Choose a password").fill(PASSWORD)
    guest.get_by_role("button", name="Create account and join").click()
    expect(guest.locator(".eyebrow")).to_have_text(f"{company} · Sales")

    page.goto("/settings/members")
    row = page.get_by_role("row", name=re.compile(re.escape(teammate)))
    row.get_by_label(re.compile("Role of")).select_option("viewer")
    row.get_by_role("button", name="Save").click()
    # HTMX swaps the row in place (the CSRF token travels in a header): no page load.
    expect(page.get_by_role("row", name=re.compile(re.escape(teammate)))).to_contain_text(
        "Role changed."
    )
    expect(page).to_have_url(re.compile(r"/settings/members$"))
    guest.reload()
    expect(guest.locator(".eyebrow")).to_have_text(f"{company} · Viewer")


@pytest.mark.e2e
def test_create_a_second_organization_and_switch_between_them(page: Page) -> None:
    sign_up(page, unique_email("multi"), "First Company SARL")
    page.locator("summary.user-menu-button").click()
    page.get_by_role("link", name="New organization").click()
    page.get_by_role("button", name="Create organization").click()
    expect(page.locator("#f-organization_name-error")).to_be_visible()
    page.get_by_label("Company name").fill("Lusaka Traders Ltd")
    page.get_by_label("Country").select_option("ZM")
    page.get_by_label("Base currency").select_option("ZMW")
    page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_text("Your new organization is ready")).to_be_visible()
    expect(page.get_by_label("Legal name")).to_have_value("Lusaka Traders Ltd")
    expect(page.get_by_label("Time zone")).to_have_value("Africa/Lusaka")
    page.get_by_label("Organization").select_option(label="First Company SARL")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("heading", name="Get started")).to_be_visible()
    page.goto("/settings/organization")
    expect(page.get_by_label("Legal name")).to_have_value("First Company SARL")
