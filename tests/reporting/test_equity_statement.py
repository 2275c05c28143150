"""Statement of changes in equity: opening and closing totals are the balance sheet's
equity on the day before the range and on its last day, and each column holds what the
postings behind it moved."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.conftest import Account, register
from tests.ledger.helpers import entry
from tests.reporting.scenario import flat, french_year, generic_year, statement

COLUMNS = [
    "opening",
    "result",
    "allocation",
    "contributions",
    "distributions",
    "other",
    "closing",
]
RANGES = [
    ("2025-01-01", "2025-12-31"),
    ("2025-09-01", "2025-10-31"),
    ("2026-01-01", "2026-03-31"),
    ("2026-01-01", "2026-12-31"),
    ("2025-10-01", "2026-06-30"),
]


def equity_total(client: TestClient, owner: Account, as_of: str, section: str) -> str:
    bilan = flat(statement(client, owner, "balance-sheet", as_of=as_of))
    amount: str = bilan[section]["amount"]
    return amount


def day_before(text: str) -> str:
    return (date.fromisoformat(text) - timedelta(days=1)).isoformat()


def check_ties(client: TestClient, owner: Account, section: str, layout: str) -> None:
    for date_from, date_to in RANGES:
        body = statement(client, owner, "equity", date_from=date_from, date_to=date_to)
        assert body["statement"] == "equity"
        assert body["layout"] == layout
        assert [column["code"] for column in body["columns"]] == COLUMNS
        lines = flat(body)
        top = lines[section]
        assert top["cells"]["opening"] == equity_total(
            client, owner, day_before(date_from), section
        )
        assert top["cells"]["closing"] == equity_total(client, owner, date_to, section)
        assert top["amount"] == top["cells"]["closing"]
        income = statement(client, owner, "income-statement", date_from=date_from, date_to=date_to)
        assert top["cells"]["result"] == income["result"] == body["result"]
        # Results move between lines but add up to nothing.
        assert top["cells"]["allocation"] == "0.00"
        for line in lines.values():
            cells = {code: Decimal(value) for code, value in line["cells"].items()}
            assert (
                cells["opening"] + sum(cells[code] for code in COLUMNS[1:-1]) == cells["closing"]
            ), line["code"]


def test_the_french_equity_statement_ties_to_the_balance_sheet(
    client: TestClient, owner: Account
) -> None:
    french_year(client, owner)
    check_ties(client, owner, "CPR", "fr_pcg")
    first = flat(statement(client, owner, "equity", date_from="2025-01-01", date_to="2025-12-31"))
    assert first["CP1"]["cells"]["contributions"] == "10000.00"
    assert first["CP1"]["cells"]["closing"] == "10000.00"
    assert first["CP4"]["cells"]["result"] == "1920.00"
    assert first["CP4"]["cells"]["closing"] == "1920.00"
    year = flat(statement(client, owner, "equity", date_from="2026-01-01", date_to="2026-12-31"))
    # 2025's result, not closed, passes from the year's result to retained earnings.
    assert year["CP4"]["cells"] == {
        "opening": "1920.00",
        "result": "1784.50",
        "allocation": "-1920.00",
        "contributions": "0.00",
        "distributions": "0.00",
        "other": "0.00",
        "closing": "1784.50",
    }
    assert year["CP3"]["cells"]["allocation"] == "1920.00"
    assert year["CP3"]["cells"]["closing"] == "1920.00"
    assert year["CPR"]["cells"]["closing"] == "13704.50"


def test_a_dividend_is_a_distribution(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    added = client.post(
        "/api/v1/accounts",
        headers=owner.headers,
        json={"code": "457", "name": "Associés - dividendes à payer", "type": "liability"},
    )
    assert added.status_code == 201, added.text
    entry(client, owner, [("110", "debit", "500.00"), ("457", "credit", "500.00")], on="2026-07-01")
    entry(
        client, owner, [("101", "credit", "2000.00"), ("512", "debit", "2000.00")], on="2026-07-02"
    )
    year = flat(statement(client, owner, "equity", date_from="2026-01-01", date_to="2026-12-31"))
    assert year["CP3"]["cells"]["distributions"] == "-500.00"
    assert year["CP3"]["cells"]["closing"] == "1420.00"
    assert year["CP1"]["cells"]["contributions"] == "2000.00"
    assert year["CPR"]["cells"]["closing"] == equity_total(client, owner, "2026-12-31", "CPR")


def test_closing_a_year_moves_its_result_but_changes_no_total(
    client: TestClient, owner: Account
) -> None:
    french_year(client, owner)

    def cells(date_from: str, date_to: str) -> dict[str, dict[str, str]]:
        body = statement(client, owner, "equity", date_from=date_from, date_to=date_to)
        return {code: line["cells"] for code, line in flat(body).items()}

    before = {span: cells(*span) for span in RANGES}
    response = client.post(
        "/api/v1/accounting/fiscal-year/close",
        headers=owner.headers,
        json={"fiscal_year": "2025-01-01"},
    )
    assert response.status_code == 200, response.text
    check_ties(client, owner, "CPR", "fr_pcg")
    for span in RANGES:
        after = cells(*span)
        assert after["CPR"] == before[span]["CPR"], span
        for code in ("CP1", "CP2", "CP5", "CP6"):
            assert after[code] == before[span][code], (span, code)
    # After the close, 2025's result sits in 120 at the year's end and is allocated to
    # retained earnings (110) on 2026's first day: the same movement as before.
    year = cells("2026-01-01", "2026-12-31")
    assert year["CP4"]["allocation"] == "-1920.00"
    assert year["CP3"]["allocation"] == "1920.00"
    assert year["CP3"]["distributions"] == "0.00"


def test_the_generic_chart_on_the_ifrs_layout(client: TestClient) -> None:
    owner = register(client, country="ZM", base_currency="ZMW", organization_name="Lusaka Ltd")
    generic_year(client, owner)
    check_ties(client, owner, "EQ", "ifrs")
    first = flat(statement(client, owner, "equity", date_from="2025-01-01", date_to="2025-12-31"))
    assert first["EQ1"]["cells"]["contributions"] == "8000.00"
    assert first["EQ3"]["cells"]["result"] == "1000.00"


def test_comparatives_compare_closing_balances(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    body = statement(
        client,
        owner,
        "equity",
        date_from="2026-01-01",
        date_to="2026-12-31",
        compare="previous_year",
    )
    lines = flat(body)
    assert lines["CPR"]["comparative"] == "11920.00"
    assert lines["CPR"]["variance"] == "1784.50"
    assert lines["CPR"]["variance_percent"] == "15.0"
    assert lines["CP3"]["comparative"] == "0.00"
    assert lines["CP3"]["variance_percent"] is None


def test_each_line_drills_down_to_its_movements(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    params = {"date_from": "2025-01-01", "date_to": "2025-12-31"}
    response = client.get(
        "/api/v1/reports/equity/lines", headers=owner.headers, params={**params, "line": "CP1"}
    )
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["amount"] == "10000.00"
    assert [(line["date"], line["credit"]) for line in found["lines"]] == [
        ("2025-09-01", "10000.00")
    ]
    section = client.get(
        "/api/v1/reports/equity/lines", headers=owner.headers, params={**params, "line": "CPR"}
    )
    assert section.status_code == 200
    assert section.json()["amount"] == "10000.00"


def test_downloads_draw_the_matrix(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    params: dict[str, Any] = {"date_from": "2026-01-01", "date_to": "2026-12-31"}
    lines = flat(statement(client, owner, "equity", **params))
    answer = client.get(
        "/api/v1/reports/equity", headers=owner.headers, params={**params, "format": "csv"}
    )
    assert answer.status_code == 200
    assert 'filename="equity-2026-01-01-2026-12-31.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0]) == [
        "Code",
        "Line",
        "Level",
        "Opening",
        "Result",
        "Allocation",
        "Contributions",
        "Distributions",
        "Other",
        "Closing",
        "Comparative",
        "Variance",
        "Variance %",
    ]
    by_code = {row["Code"]: row for row in rows}
    assert Decimal(by_code["CP4"]["Allocation"]) == Decimal("-1920.00")
    assert Decimal(by_code["CPR"]["Closing"]) == Decimal(lines["CPR"]["amount"])
    xlsx = client.get(
        "/api/v1/reports/equity", headers=owner.headers, params={**params, "format": "xlsx"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][3] == "Opening"
    cp4 = next(row for row in values if row[0] == "CP4")
    assert round(Decimal(str(cp4[4])), 2) == Decimal("1784.50")
    pdf = client.get(
        "/api/v1/reports/equity", headers=owner.headers, params={**params, "format": "pdf"}
    )
    assert pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Tableau de variation des capitaux propres" in text
    assert "1,784.50" in text or "1784.50" in text
    assert "13,704.50" in text or "13704.50" in text
