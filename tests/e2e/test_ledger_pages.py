"""The accounting pages in a real browser: entries with their live balance, posting and
reversing, the chart of accounts, the reports and their downloads, imports, read-only roles."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import PASSWORD, LiveServer, log_in, sign_up, unique_email

pytestmark = pytest.mark.e2e

NUMBER = r"[A-Z]{2}-\d{4}-\d{5}"


def api_headers(live_server: LiveServer, email: str) -> dict[str, str]:
    response = httpx.post(
        f"{live_server.url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def post_entry(live_server: LiveServer, headers: dict[str, str], lines: list[dict]) -> str:
    """An entry posted through the API, for pages that only need something in the books."""
    response = httpx.post(
        f"{live_server.url}/api/v1/journal-entries",
        headers=headers,
        json={"journal": "OD", "date": "2026-01-15", "post": True, "lines": lines},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["number"])


def fill_line(page: Page, number: int, account: str, debit: str = "", credit: str = "") -> None:
    page.get_by_label(f"Account, line {number}", exact=True).fill(account)
    if debit:
        page.get_by_label(f"Debit, line {number}", exact=True).fill(debit)
    if credit:
        page.get_by_label(f"Credit, line {number}", exact=True).fill(credit)


def test_an_entry_balances_as_it_is_typed_and_posts_with_its_number(page: Page) -> None:
    sign_up(page, unique_email("bookkeeper"), "Balance Live SARL")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Journal entries").click()
    page.get_by_role("link", name="New entry").click()
    expect(page.get_by_label("Journal")).to_have_value(re.compile(".+"))
    page.get_by_label("Reference").fill("RCPT-1")

    balance = page.locator("#entry-balance")
    fill_line(page, 1, "512", debit="150")
    expect(balance).to_contain_text("Debits exceed credits by 150.00")
    expect(balance.locator(".live-balance")).to_have_class(re.compile("is-unbalanced"))
    fill_line(page, 2, "101", credit="100,50")
    expect(balance).to_contain_text("Debits exceed credits by 49.50")

    page.get_by_role("button", name="Add a line").click()
    expect(page.get_by_label("Account, line 3", exact=True)).to_be_focused()
    fill_line(page, 3, "108", credit="49.50")
    expect(balance).to_contain_text("Balanced")
    expect(balance.locator(".live-balance")).to_have_class(re.compile("is-balanced"))
    expect(balance).to_contain_text("150.00")

    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("The entry is posted and numbered.")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"OD-\d{4}-00001\s+Posted")
    )
    lines = page.get_by_role("table")
    expect(lines.get_by_role("row", name=re.compile("512 Banque"))).to_contain_text("150.00")
    expect(lines.get_by_role("row", name=re.compile("Total"))).to_contain_text("Balanced")

    page.get_by_role("link", name="Journal entries").first.click()
    expect(page.get_by_role("link", name=re.compile(r"OD-\d{4}-00001"))).to_be_visible()


def test_an_unbalanced_entry_is_refused_with_the_errors_beside_the_lines(page: Page) -> None:
    sign_up(page, unique_email("unbalanced"), "Off By One SARL")
    page.goto("/accounting/entries/new")
    fill_line(page, 1, "512", debit="100")
    fill_line(page, 2, "101", credit="90")
    page.get_by_role("button", name="Post", exact=True).click()

    expect(page).to_have_url(re.compile("/accounting/entries/new$"))
    error = page.locator("#f-lines-error")
    expect(error).to_contain_text("The entry is unbalanced: debits exceed by 10.00 EUR.")
    expect(page.get_by_role("table")).to_have_attribute("aria-describedby", "f-lines-error")
    expect(page.get_by_label("Debit, line 1", exact=True)).to_have_value("100")

    fill_line(page, 2, "999999", credit="100")
    page.get_by_label("Debit, line 1", exact=True).fill("1O0")
    page.get_by_role("button", name="Post", exact=True).click()
    account = page.get_by_label("Account, line 2", exact=True)
    expect(account).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#line-1-account-error")).to_contain_text("No account '999999'")
    expect(page.locator("#line-0-debit-error")).to_contain_text("not a number")
    expect(page.get_by_role("alert").first).to_contain_text("Please correct the 2 fields")


def test_a_posted_entry_is_reversed_and_both_are_linked(page: Page) -> None:
    sign_up(page, unique_email("reverser"), "Second Thoughts SARL")
    page.goto("/accounting/entries/new")
    page.get_by_label("Reference").fill("WRONG-1")
    fill_line(page, 1, "607", debit="80")
    fill_line(page, 2, "512", credit="80")
    page.get_by_role("button", name="Post", exact=True).click()
    original = page.locator("h1 .entry-number").inner_text()

    reverse = page.get_by_role("region", name="Reverse this entry")
    expect(reverse.get_by_label("Date of the reversal")).to_have_value(
        re.compile(r"\d{4}-\d\d-\d\d")
    )
    reverse.get_by_role("button", name="Reverse").click()

    expect(page.get_by_role("status")).to_contain_text("The reversal is posted")
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"OD-\d{4}-00002"))
    expect(page.get_by_role("note")).to_contain_text(f"This entry reverses {original}")
    expect(page.get_by_role("row", name=re.compile("607"))).to_contain_text("80.00")
    page.get_by_role("link", name=original).click()
    expect(page.get_by_role("note")).to_contain_text("Reversed by OD-")
    expect(page.get_by_role("region", name="Reverse this entry")).to_have_count(0)


def test_the_chart_is_searched_live_and_a_duplicate_code_is_refused(
    page: Page, live_server: LiveServer
) -> None:
    email = unique_email("charter")
    sign_up(page, email, "Chart Keeper SARL")
    page.goto("/accounting/accounts")
    table = page.locator("#accounts-table")
    expect(table).to_contain_text("Capital")
    page.get_by_label("Search").fill("banque")
    expect(table).not_to_contain_text("Capital")
    expect(table.get_by_role("link", name=re.compile("512 Banque"))).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/accounting/accounts?q=banque&type=")

    page.get_by_role("link", name="New account").click()
    page.get_by_label("Code", exact=True).fill("512")
    page.get_by_label("Name", exact=True).fill("Banque bis")
    page.get_by_label("Type", exact=True).select_option("asset")
    page.get_by_role("button", name="Add the account").click()
    code = page.get_by_label("Code", exact=True)
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-code-error")).to_have_text("Account 512 already exists.")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Banque bis")

    code.fill("5121")
    page.get_by_label("Under the heading").select_option("51")
    page.get_by_role("button", name="Add the account").click()
    expect(page.get_by_role("status")).to_contain_text("The account is added to the chart.")
    row = page.get_by_role("row", name=re.compile("5121 Banque bis"))
    expect(row).to_be_visible()
    row.get_by_role("link", name="5121 Banque bis").click()
    expect(page.get_by_role("heading", name="5121 · Banque bis")).to_be_visible()

    page.goto("/accounting/accounts?q=512")
    page.get_by_role("row", name=re.compile("^512 Banque")).get_by_role("link", name="Edit").click()
    post_entry(
        live_server,
        api_headers(live_server, email),
        [{"account": "512", "debit": "5.00"}, {"account": "101", "credit": "5.00"}],
    )
    page.get_by_text("Delete…").click()
    page.get_by_role("button", name="Delete the account").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "This account has postings: archive it instead."
    )


def test_the_trial_balance_drills_down_to_the_ledger_and_downloads(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    email = unique_email("reporter")
    sign_up(page, email, "Figures SARL")
    headers = api_headers(live_server, email)
    post_entry(
        live_server,
        headers,
        [{"account": "512", "debit": "1200.00"}, {"account": "101", "credit": "1200.00"}],
    )
    post_entry(
        live_server,
        headers,
        [{"account": "607", "debit": "300.25"}, {"account": "512", "credit": "300.25"}],
    )

    page.goto("/accounting/trial-balance?date_from=2026-01-01&date_to=2026-12-31")
    expect(page.locator(".report-summary")).to_contain_text("Balanced")
    bank = page.get_by_role("row", name=re.compile("^512 Banque"))
    expect(bank).to_contain_text("1\u202f200.00")
    expect(bank).to_contain_text("300.25")
    expect(bank).to_contain_text("899.75")
    totals = page.get_by_role("row", name=re.compile("^Total"))
    expect(totals.locator("td").nth(2)).to_have_text("1\u202f500.25")
    expect(totals.locator("td").nth(3)).to_have_text("1\u202f500.25")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename == "trial-balance-2026-01-01-2026-12-31.csv"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    text = target.read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("Account,Name,Opening debit")
    assert "512,Banque,0.00,0.00,1200.00,300.25,899.75,0.00" in text
    assert text.splitlines()[-1] == ",Total,0.00,0.00,1500.25,1500.25,1200.00,1200.00"

    bank.get_by_role("link").click()
    expect(page.get_by_role("heading", name="512 · Banque")).to_be_visible()
    expect(page.get_by_label("From")).to_have_value("2026-01-01")
    ledger = page.get_by_role("table")
    expect(ledger.get_by_role("row", name=re.compile("Opening balance"))).to_contain_text("0.00")
    rows = ledger.locator("tbody tr")
    expect(rows.nth(1)).to_contain_text("1\u202f200.00 Dr")
    expect(rows.nth(2)).to_contain_text("899.75 Dr")
    expect(ledger.locator("tfoot")).to_contain_text("899.75")
    rows.nth(2).get_by_role("link", name=re.compile(NUMBER)).click()
    expect(page.get_by_role("row", name=re.compile("607"))).to_contain_text("300.25")


def test_opening_balances_report_bad_rows_then_post(page: Page, tmp_path: Path) -> None:
    sign_up(page, unique_email("opener"), "Fresh Start SARL")
    page.goto("/settings/organization")
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Books").click()
    section = page.get_by_role("region", name="Opening balances")
    section.get_by_label("Date").fill("2026-01-01")

    broken = tmp_path / "broken.csv"
    broken.write_text("account,debit,credit\n512,1000.00,\n999999,,400.00\n101,,abc\n")
    section.get_by_label("Or upload a CSV file").set_input_files(broken)
    section.get_by_role("button", name="Post the opening balances").click()
    expect(page.get_by_role("alert").first).to_contain_text("Some rows need fixing")
    report = page.get_by_role("table", name="Problems in the opening balances")
    expect(report.get_by_role("row", name=re.compile("^3 account"))).to_contain_text("No account")
    expect(report.get_by_role("row", name=re.compile("^4 credit"))).to_contain_text("not a number")

    section = page.get_by_role("region", name="Opening balances")
    unbalanced = tmp_path / "unbalanced.csv"
    unbalanced.write_text("account,debit,credit\n512,1000.00,\n101,,400.00\n")
    section.get_by_label("Or upload a CSV file").set_input_files(unbalanced)
    section.get_by_role("button", name="Post the opening balances").click()
    expect(page.get_by_role("alert").first).to_contain_text(
        "Opening balances do not balance: debits exceed by 600.00 EUR."
    )

    section = page.get_by_role("region", name="Opening balances")
    section.get_by_label("Or upload a CSV file").set_input_files(unbalanced)
    section.get_by_label("Send any difference to opening-balance equity").check()
    section.get_by_role("button", name="Post the opening balances").click()
    expect(page.get_by_role("status")).to_contain_text("The opening balances are posted")
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"AN-2026-00001"))
    expect(page.get_by_role("row", name=re.compile("^Total"))).to_contain_text("1\u202f000.00")


def test_a_viewer_reads_the_books_but_cannot_write(
    page: Page, new_context: Callable[..., BrowserContext], live_server: LiveServer
) -> None:
    owner = unique_email("owner")
    sign_up(page, owner, "Look Dont Touch SARL")
    headers = api_headers(live_server, owner)
    number = post_entry(
        live_server,
        headers,
        [{"account": "512", "debit": "10.00"}, {"account": "101", "credit": "10.00"}],
    )
    viewer = unique_email("viewer")
    invitation = httpx.post(
        f"{live_server.url}/api/v1/invitations",
        headers=headers,
        json={"email": viewer, "role": "viewer"},
    )
    assert invitation.status_code == 201, invitation.text
    token = invitation.json()["accept_url"].rsplit("/", 1)[1]
    accepted = httpx.post(
        f"{live_server.url}/api/v1/invitations/{token}/accept",
        json={"password": PASSWORD, "name": "Val Viewer"},
    )
    assert accepted.status_code == 200, accepted.text

    reader = new_context().new_page()
    log_in(reader, viewer)
    expect(reader.locator(".eyebrow")).to_have_text("Look Dont Touch SARL · Viewer")
    reader.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Journal entries"
    ).click()
    expect(reader.get_by_role("link", name=number)).to_be_visible()
    expect(reader.get_by_role("link", name="New entry")).to_have_count(0)
    reader.get_by_role("link", name=number).click()
    expect(reader.get_by_role("heading", level=1)).to_contain_text(number)
    expect(reader.get_by_role("region", name="Reverse this entry")).to_have_count(0)
    reader.goto("/accounting/accounts")
    expect(reader.get_by_role("link", name="New account")).to_have_count(0)
    expect(reader.get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)
    expect(reader.get_by_role("button", name=re.compile("^Archive"))).to_have_count(0)
    reader.goto("/settings/books")
    expect(reader.get_by_role("region", name="Lock date")).to_have_count(0)

    response = reader.goto("/accounting/entries/new")
    assert response is not None
    assert response.status == 403
    expect(reader.get_by_role("heading", name="You don't have access to this page")).to_be_visible()
    csrf = next(c["value"] for c in reader.context.cookies() if c["name"] == "comptoir_csrf")
    refused = reader.request.post(
        "/accounting/accounts/new",
        form={"code": "999", "name": "Sneaky", "type": "asset", "csrf_token": csrf},
    )
    assert refused.status == 403
    assert "does not include it" in refused.text()


def test_the_accounting_pages_fit_a_phone(new_context: Callable[..., BrowserContext]) -> None:
    page = new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    ).new_page()
    sign_up(page, unique_email("pocket"), "Pocket Books SARL")
    for path in (
        "/accounting/entries/new",
        "/accounting/accounts",
        "/accounting/trial-balance",
        "/accounting/general-ledger?account=512",
        "/accounting/journals",
        "/accounting/exchange-rates",
        "/settings/books",
    ):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
