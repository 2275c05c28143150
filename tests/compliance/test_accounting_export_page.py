"""The exports page: pick a format and dates, download; errors beside their fields."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from markupsafe import escape

from comptoir.compliance.service.exports import FORMATS, KINDS
from comptoir.kit import clock
from comptoir.ledger.service.periods import fiscal_year_bounds
from tests.compliance.scenario import SIREN, build
from tests.conftest import Account
from tests.parties.test_pages import web_login


def test_the_page_offers_every_format_and_the_current_fiscal_year(
    client: TestClient, owner: Account
) -> None:
    web_login(client, owner)
    page = client.get("/accounting/exports")
    assert page.status_code == 200
    for name in FORMATS:
        assert f'value="{name}"' in page.text and str(escape(KINDS[name].audience)) in page.text
    assert 'value="csv" checked' in page.text
    start, end = fiscal_year_bounds(clock.now().date(), 1)
    assert f'value="{start}"' in page.text and f'value="{end}"' in page.text
    assert 'href="/accounting/exports"' in page.text


def test_download_from_the_page(client: TestClient, owner: Account) -> None:
    build(client, owner)
    web_login(client, owner)
    response = client.get(
        "/accounting/exports/download",
        params={"format": "csv", "date_from": "2026-02-01", "date_to": "2026-02-28"},
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{SIREN}_csv_20260201_20260228.csv"'
    )
    assert response.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    assert [(r["account_code"], r["debit"], r["credit"]) for r in rows] == [
        ("512", "1200.00", "0.00"),
        ("411", "0.00", "1200.00"),
        ("401", "600.00", "0.00"),
        ("512", "0.00", "600.00"),
    ]


def test_errors_show_beside_their_fields(client: TestClient, owner: Account) -> None:
    web_login(client, owner)
    inverted = client.get(
        "/accounting/exports/download",
        params={"format": "sage", "date_from": "2026-12-31", "date_to": "2026-01-01"},
    )
    assert inverted.status_code == 422
    assert 'id="f-date_from-error"' in inverted.text
    assert "The start date comes after the end date." in inverted.text
    assert 'value="sage" checked' in inverted.text
    garbled = client.get(
        "/accounting/exports/download",
        params={"format": "nope", "date_from": "31/12/2026", "date_to": ""},
    )
    assert garbled.status_code == 422
    assert 'id="f-date_from-error"' in garbled.text and 'id="f-date_to-error"' in garbled.text
    unknown = client.get(
        "/accounting/exports/download",
        params={"format": "nope", "date_from": "2026-01-01", "date_to": "2026-12-31"},
    )
    assert unknown.status_code == 422
    assert 'id="f-format-error"' in unknown.text and "beancount" in unknown.text
    too_long = client.get(
        "/accounting/exports/download",
        params={"format": "csv", "date_from": "1990-01-01", "date_to": "2026-12-31"},
    )
    assert too_long.status_code == 422 and "at most 10 years" in too_long.text


def test_the_page_needs_a_login(client: TestClient) -> None:
    response = client.get("/accounting/exports", follow_redirects=False)
    assert response.status_code in {302, 303}
