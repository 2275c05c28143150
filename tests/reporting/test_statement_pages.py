"""The statement pages: the figures of the API, links to the lines behind them, downloads."""

from __future__ import annotations

import csv
import html
import io
import re

from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.conftest import Account
from tests.parties.test_pages import web_login
from tests.reporting.scenario import flat, french_year, statement

NARROW = "\u202f"


def test_income_statement_page_shows_the_figures_and_drills_down(
    client: TestClient, owner: Account
) -> None:
    french_year(client, owner)
    web_login(client, owner)
    page = client.get(
        "/accounting/statements/income",
        params={"date_from": "2026-01-01", "date_to": "2026-12-31", "compare": "previous_year"},
    )
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert "Compte de résultat" in text
    assert f"2{NARROW}100.00" in text and f"1{NARROW}784.50" in text and "331.9 %" in text
    link = re.search(r'href="(/accounting/statements/income/lines\?line=CE5&[^"]+)"', text)
    assert link is not None
    drill = client.get(link.group(1))
    assert drill.status_code == 200
    drilled = html.unescape(drill.text)
    assert "Autres achats et charges externes" in drilled
    assert "345.50" in drilled and "45.50" in drilled and "300.00" in drilled

    download = client.get(
        "/accounting/statements/income/download",
        params={"format": "csv", "date_from": "2026-01-01", "date_to": "2026-12-31"},
    )
    assert download.status_code == 200
    rows = {row["Code"]: row for row in csv.DictReader(io.StringIO(download.text))}
    assert rows["RN"]["Amount"] == "1784.50"
    pdf = client.get(
        "/accounting/statements/income/download",
        params={"format": "pdf", "date_from": "2026-01-01", "date_to": "2026-12-31"},
    )
    assert "1784.50" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()


def test_balance_sheet_page_balances_and_links_the_result_to_the_income_statement(
    client: TestClient, owner: Account
) -> None:
    french_year(client, owner)
    web_login(client, owner)
    page = client.get(
        "/accounting/statements/balance-sheet",
        params={"as_of": "2026-12-31", "compare": "previous_year"},
    )
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert "Balanced" in text and f"21{NARROW}475.50" in text and f"12{NARROW}320.00" in text
    assert "/accounting/statements/income?date_from=2026-01-01&date_to=2026-12-31" in text
    lines = flat(statement(client, owner, "balance-sheet", as_of="2026-12-31"))
    drill = client.get(
        "/accounting/statements/balance-sheet/lines", params={"line": "DT1", "as_of": "2026-12-31"}
    )
    assert drill.status_code == 200
    assert lines["DT1"]["amount"] == "5000.00"
    assert f"5{NARROW}000.00" in html.unescape(drill.text)


def test_bad_choices_are_shown_beside_their_field(client: TestClient, owner: Account) -> None:
    web_login(client, owner)
    page = client.get(
        "/accounting/statements/income",
        params={"date_from": "2026-05-01", "date_to": "2026-01-01"},
    )
    assert page.status_code == 422
    assert "The start date comes after the end date." in html.unescape(page.text)
    bad = client.get("/accounting/statements/balance-sheet", params={"as_of": "31/12/2026"})
    assert bad.status_code == 422
    assert "Use a date like" in bad.text
    unknown = client.get(
        "/accounting/statements/income/lines",
        params={"line": "NOPE", "date_from": "2026-01-01", "date_to": "2026-12-31"},
    )
    assert unknown.status_code == 422
    assert "This statement has no such line." in unknown.text
    refused = client.get(
        "/accounting/statements/balance-sheet/download",
        params={"as_of": "2026-02-30", "format": "csv"},
    )
    # A download has no form to show the error beside: the web app's error page.
    assert refused.status_code == 400
    assert "This link is not valid" in refused.text
