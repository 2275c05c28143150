"""The VAT return pages: the boxes with their links, the lines behind a box, downloads,
filing from the page (with its confirmation) and the filed returns."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.compliance.test_vat_return import _french_quarter
from tests.conftest import Account
from tests.parties.test_pages import web_login


def test_the_return_page_drills_down_and_files(client: TestClient, owner: Account) -> None:
    _french_quarter(client, owner)
    csrf = web_login(client, owner)
    page = client.get("/accounting/vat", params={"year": "2026", "part": "Q1"})
    assert page.status_code == 200
    text = page.text
    assert 'href="/accounting/vat"' in text and ">VAT return<" in text
    assert "Déclaration de TVA CA3" in text and "Taux normal 20 %" in text
    assert "/accounting/vat/lines?box=08&amp;period=2026-Q1" in text
    assert ">180.00<" in text and ">153.10<" in text
    assert "Collected and deductible VAT per month of 2026" in text
    assert "File the return" in text and "No return filed yet." in text

    lines = client.get("/accounting/vat/lines", params={"box": "08", "period": "2026-Q1"})
    assert lines.status_code == 200
    assert "Box 08 · Taux normal 20 %" in lines.text and "Dupont SARL" in lines.text
    assert lines.text.count("<code>FR-20</code>") == 2
    computed = client.get("/accounting/vat/lines", params={"box": "TD", "period": "2026-Q1"})
    assert computed.status_code == 422 and "computed from other boxes" in computed.text

    csv_file = client.get("/accounting/vat/download", params={"format": "csv", "period": "2026-Q1"})
    assert csv_file.status_code == 200 and "section,box,label,base,amount" in csv_file.text
    pdf = client.get("/accounting/vat/download", params={"format": "pdf", "period": "2026-Q1"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    bad = client.get("/accounting/vat", params={"period": "2026-13"})
    assert bad.status_code == 422 and "Months run from 01 to 12." in bad.text

    unconfirmed = client.post(
        "/accounting/vat/file", data={"csrf_token": csrf, "period": "2026-Q1"}
    )
    assert unconfirmed.status_code == 422
    assert "Tick the box to confirm" in unconfirmed.text
    filed = client.post(
        "/accounting/vat/file",
        data={"csrf_token": csrf, "period": "2026-Q1", "reference": "CA3 T1", "confirm": "yes"},
        follow_redirects=False,
    )
    assert filed.status_code == 303
    assert filed.headers["location"] == "/accounting/vat?period=2026-Q1&notice=filed"
    after = client.get(filed.headers["location"])
    assert "The return is filed" in after.text and "CA3 T1" in after.text
    assert "File the return" not in after.text and "Filed " in after.text
    again = client.post(
        "/accounting/vat/file",
        data={"csrf_token": csrf, "period": "2026-03", "confirm": "yes"},
    )
    assert again.status_code == 409 and "is filed already" in again.text
