"""The cash-flow and changes-in-equity pages: the API's figures, drill-down, downloads and
errors beside their field."""

from __future__ import annotations

import csv
import html
import io
import re

from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.conftest import Account
from tests.parties.test_pages import web_login
from tests.reporting.scenario import french_year

NARROW = "\u202f"
YEAR = {"date_from": "2026-01-01", "date_to": "2026-12-31"}


def test_cash_flow_page_shows_the_figures_and_drills_down(
    client: TestClient, owner: Account
) -> None:
    french_year(client, owner)
    web_login(client, owner)
    page = client.get(
        "/accounting/statements/cash-flow", params={**YEAR, "compare": "previous_year"}
    )
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert "Tableau des flux de trésorerie" in text
    assert f"19{NARROW}404.50" in text and f"12{NARROW}320.00" in text and "-7.1 %" in text
    assert 'href="/accounting/statements/cash-flow"' in text
    # The net result opens onto the income statement of the same period.
    assert "/accounting/statements/income?date_from=2026-01-01&date_to=2026-12-31" in text
    link = re.search(r'href="(/accounting/statements/cash-flow/lines\?line=FF4&[^"]+)"', text)
    assert link is not None
    drill = client.get(link.group(1))
    assert drill.status_code == 200
    drilled = html.unescape(drill.text)
    assert "Émissions et remboursements d'emprunts" in drilled
    assert f"5{NARROW}000.00" in drilled and "Cash flow" in drilled

    download = client.get(
        "/accounting/statements/cash-flow/download", params={**YEAR, "format": "csv"}
    )
    assert download.status_code == 200
    rows = {row["Code"]: row for row in csv.DictReader(io.StringIO(download.text))}
    assert rows["TC"]["Amount"] == "19404.50"
    pdf = client.get("/accounting/statements/cash-flow/download", params={**YEAR, "format": "pdf"})
    assert "19404.50" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()


def test_equity_page_draws_the_matrix(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    web_login(client, owner)
    page = client.get("/accounting/statements/equity", params=YEAR)
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert "Tableau de variation des capitaux propres" in text
    for heading in ("Opening", "Allocation", "Contributions", "Closing"):
        assert heading in text
    assert f"13{NARROW}704.50" in text and f"-1{NARROW}920.00" in text
    assert 'href="/accounting/statements/equity"' in text
    link = re.search(r'href="(/accounting/statements/equity/lines\?line=CP1&[^"]+)"', text)
    assert link is not None
    assert client.get(link.group(1)).status_code == 200
    xlsx = client.get("/accounting/statements/equity/download", params={**YEAR, "format": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"


def test_bad_choices_are_shown_beside_their_field(client: TestClient, owner: Account) -> None:
    web_login(client, owner)
    for path in ("/accounting/statements/cash-flow", "/accounting/statements/equity"):
        page = client.get(path, params={"date_from": "2026-05-01", "date_to": "2026-01-01"})
        assert page.status_code == 422
        assert "The start date comes after the end date." in html.unescape(page.text)
        bad = client.get(path, params={"date_from": "01/01/2026", "layout": "gaap"})
        assert bad.status_code == 422
        assert "Use a date like" in bad.text and "Choose a layout" in bad.text
        unknown = client.get(f"{path}/lines", params={**YEAR, "line": "NOPE"})
        assert unknown.status_code == 422
        assert "This statement has no such line." in unknown.text
        refused = client.get(f"{path}/download", params={"date_to": "2026-02-30", "format": "csv"})
        assert refused.status_code == 400
    earliest = client.get(
        "/accounting/statements/cash-flow",
        params={"date_from": "0001-01-01", "date_to": "0001-12-31"},
    )
    assert earliest.status_code == 422
    result = client.get("/accounting/statements/cash-flow/lines", params={**YEAR, "line": "FA1"})
    assert result.status_code == 422
    assert "income statement" in html.unescape(result.text)
