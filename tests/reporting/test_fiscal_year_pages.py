"""The accounting hub, the closing page and the accounting settings page."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, Account
from tests.identity.test_members import accept_new, invite
from tests.parties.test_pages import web_login
from tests.reporting.scenario import french_year

NARROW = "\u202f"


def test_the_hub_shows_the_year_and_links_each_statement(
    client: TestClient, owner: Account
) -> None:
    french_year(client, owner)
    web_login(client, owner)
    page = client.get("/accounting", params={"year": "2025-01-01"})
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    # 2025: audit 2000.00 of revenue, 80.00 of fees; 12 320.00 at the bank.
    assert "2000.00" in text.replace(NARROW, "") and "1920.00" in text.replace(NARROW, "")
    assert f"12{NARROW}320.00" in text
    for href in (
        "/accounting/statements/income?date_from=2025-01-01&date_to=2025-12-31",
        "/accounting/statements/balance-sheet?as_of=2025-12-31",
        "/accounting/statements/cash-flow?date_from=2025-01-01&date_to=2025-12-31",
        "/accounting/vat",
        "/sales/reports/aged-receivables",
        "/purchases/reports/aged-payables",
        "/accounting/fec",
        "/accounting/exports",
        "/accounting/settings",
    ):
        assert f'href="{href}"' in text, href
    assert 'href="/accounting" aria-current="page"' in text
    assert "Reports<span" not in text
    unknown = client.get("/accounting", params={"year": "not-a-year"})
    assert unknown.status_code == 404
    assert "No such fiscal year" in unknown.text


def test_closing_through_the_page(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    csrf = web_login(client, owner)
    page = client.get("/accounting/fiscal-year", params={"year": "2025-01-01"})
    assert page.status_code == 200, page.text
    assert "Close the year…" in page.text
    year_id = re.search(r'name="year" value="([^"]*)"', page.text)
    assert year_id is None
    confirm = client.get(
        "/accounting/fiscal-year", params={"year": "2025-01-01", "confirm": "true"}
    )
    text = html.unescape(confirm.text)
    assert "closing entry" in text and "cannot be reopened" in text
    found = re.search(r'name="year" value="([^"]+)"', text)
    assert found is not None
    closed = client.post(
        "/accounting/fiscal-year/close",
        data={"year": found.group(1), "csrf_token": csrf},
        follow_redirects=False,
    )
    assert closed.status_code == 303, closed.text
    after = client.get(closed.headers["location"])
    text = html.unescape(after.text)
    assert "The year is closed" in text
    assert "OD-2025-" in text and "AN-2026-00001" in text and "OD-2026-" in text
    again = client.post(
        "/accounting/fiscal-year/close",
        data={"year": found.group(1), "csrf_token": csrf},
        follow_redirects=False,
    )
    assert again.status_code == 409
    assert "already closed" in html.unescape(again.text)

    blocked = client.post(
        "/accounting/fiscal-year/close",
        data={"year": "2026-01-01", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert blocked.status_code == 422
    assert "close it after that day" in html.unescape(blocked.text)
    for bad in ("", "nope", "x" * 64):
        response = client.post(
            "/accounting/fiscal-year/close",
            data={"year": bad, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert response.status_code == 404, bad


def test_a_viewer_sees_the_figures_but_cannot_close(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    email = "viewer@example.net"
    accept_new(client, invite(client, owner, email, role="viewer"))
    csrf = web_login(client, email, PASSWORD)
    page = client.get("/accounting/fiscal-year", params={"year": "2025-01-01"})
    assert page.status_code == 200, page.text
    assert "Close the year" not in page.text
    hub = client.get("/accounting")
    assert hub.status_code == 200
    response = client.post(
        "/accounting/fiscal-year/close",
        data={"year": "2025-01-01", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_settings_page_saves_and_shows_errors_beside_fields(
    client: TestClient, owner: Account
) -> None:
    csrf = web_login(client, owner)
    page = client.get("/accounting/settings")
    assert page.status_code == 200, page.text
    form = {
        "csrf_token": csrf,
        "fiscal_year_start_month": "4",
        "lock_date": "",
        "journals.sales": "ve",
        "journals.purchases": "AC",
        "journals.bank": "BQ",
        "journals.cash": "CA",
        "journals.general": "OD",
        "journals.opening": "AN",
    }
    saved = client.post("/accounting/settings", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    settings = client.get("/api/v1/accounting/settings", headers=owner.headers).json()
    assert settings["fiscal_year_start_month"] == 4 and settings["journals"]["sales"] == "VE"

    bad = form | {"journals.purchases": "VE", "journals.bank": "B-Q", "lock_date": "31/12"}
    response = client.post("/accounting/settings", data=bad, follow_redirects=False)
    assert response.status_code == 422
    assert 'id="f-lock_date-error"' in response.text
    bad = form | {"journals.purchases": "VE", "journals.bank": "B-Q"}
    response = client.post("/accounting/settings", data=bad, follow_redirects=False)
    assert response.status_code == 422
    assert 'id="f-journals.purchases-error"' in response.text
    assert 'id="f-journals.bank-error"' in response.text
    response = client.post(
        "/accounting/settings",
        data=form | {"fiscal_year_start_month": "13"},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert 'id="f-fiscal_year_start_month-error"' in response.text
