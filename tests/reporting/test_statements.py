"""Income statement and balance sheet over a year of business built through the API."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from comptoir.ledger.service import charts
from comptoir.ledger.service.vocabulary import ACCOUNT_SUBTYPES
from comptoir.reporting.service import layouts
from comptoir.reporting.service.statements import comparative_range, variance_percent
from tests.conftest import Account, register
from tests.ledger.helpers import entry
from tests.reporting.scenario import flat, french_year, generic_year, statement, trial_result

CHARTS = ("FR", "generic", "ZM")


@pytest.mark.parametrize("layout", layouts.LAYOUTS)
@pytest.mark.parametrize("chart", CHARTS)
def test_every_account_lands_on_exactly_one_line(chart: str, layout: str) -> None:
    loaded = layouts.load(layout)
    checked = 0
    for kind, types in layouts.STATEMENT_TYPES.items():
        statement_layout = loaded.statement(kind)
        for account in charts.load_template(chart).accounts:
            if account.is_group or account.type not in types:
                continue
            for side in ("debit", "credit"):
                found = statement_layout.candidates(
                    account.code, account.type, account.subtype, side
                )
                assert len(found) == 1, (kind, account.code, side, found)
                checked += 1
    assert checked == 2 * sum(1 for a in charts.load_template(chart).accounts if not a.is_group)


@pytest.mark.parametrize("layout", layouts.LAYOUTS)
def test_any_account_a_user_adds_lands_on_exactly_one_line(layout: str) -> None:
    """Codes around every prefix the layout names, every type, subtype and side."""
    loaded = layouts.load(layout)
    named = {
        prefix
        for kind in layouts.STATEMENT_TYPES
        for leaf in loaded.statement(kind).leaves()
        for rule in leaf.rules
        for prefix in rule.prefixes
    }
    codes = {f"{i}{j}" for i in range(10) for j in range(10)} | {
        code + extra for code in named for extra in ("", "0", "9")
    }
    for kind, types in layouts.STATEMENT_TYPES.items():
        statement_layout = loaded.statement(kind)
        for code in sorted(codes):
            for type_ in sorted(types):
                for subtype in (None, *ACCOUNT_SUBTYPES):
                    for side in ("debit", "credit"):
                        found = statement_layout.candidates(code, type_, subtype, side)
                        assert len(found) == 1, (kind, code, type_, subtype, side, found)


def test_pcg_places_accounts_by_the_side_of_their_balance() -> None:
    bilan = layouts.load("fr_pcg").balance_sheet
    assert bilan.place("512", "asset", "bank", "debit") == "AC6"
    assert bilan.place("512", "asset", "bank", "credit") == "DT1"
    assert bilan.place("401", "liability", "payable", "credit") == "DT4"
    assert bilan.place("401", "liability", "payable", "debit") == "AC4"
    assert bilan.place("411", "asset", "receivable", "debit") == "AC3"
    assert bilan.place("411", "asset", "receivable", "credit") == "DT3"
    assert bilan.place("44571", "liability", "tax_collected", "credit") == "DT5"
    assert bilan.place("44566", "asset", "tax_deductible", "debit") == "AC4"
    assert bilan.place("404", "liability", "payable", "credit") == "DT6"
    ifrs = layouts.load("ifrs").balance_sheet
    assert ifrs.place("1120", "asset", "bank", "credit") == "CL1"


def test_comparative_ranges_and_variance_percent() -> None:
    may = (date(2026, 5, 1), date(2026, 5, 31))
    assert comparative_range(*may, "previous_period") == (date(2026, 4, 1), date(2026, 4, 30))
    assert comparative_range(*may, "previous_year") == (date(2025, 5, 1), date(2025, 5, 31))
    feb = (date(2024, 2, 1), date(2024, 2, 29))
    assert comparative_range(*feb, "previous_year") == (date(2023, 2, 1), date(2023, 2, 28))
    days = (date(2026, 1, 10), date(2026, 1, 19))
    assert comparative_range(*days, "previous_period") == (date(2025, 12, 31), date(2026, 1, 9))
    quarter = (date(2026, 4, 1), date(2026, 6, 30))
    assert comparative_range(*quarter, "previous_period") == (date(2026, 1, 1), date(2026, 3, 31))
    assert variance_percent(26550, 8000) == "231.9"
    assert variance_percent(-13550 + 192000, 192000) == "-7.1"
    assert variance_percent(5000, 0) is None
    assert variance_percent(-100, -200) == "50.0"


def test_net_result_equals_revenue_minus_expenses_of_the_trial_balance(
    client: TestClient, owner: Account
) -> None:
    french_year(client, owner)
    zambian = register(client, country="ZM", base_currency="ZMW", organization_name="Lusaka Ltd")
    generic_year(client, zambian)
    for who, layout in ((owner, "fr_pcg"), (owner, "ifrs"), (zambian, "ifrs")):
        for start, end in (("2026-01-01", "2026-12-31"), ("2025-01-01", "2025-12-31")):
            body = statement(
                client, who, "income-statement", date_from=start, date_to=end, layout=layout
            )
            assert Decimal(body["result"]) == trial_result(client, who, start, end)
    fr = statement(client, owner, "income-statement", date_from="2026-01-01", date_to="2026-12-31")
    assert fr["layout"] == "fr_pcg"
    assert Decimal(fr["result"]) == Decimal("1784.50")
    lines = flat(fr)
    assert Decimal(lines["PE2"]["amount"]) == Decimal("2100.00")  # 1000 + 200 + USD 1000 at 0.90
    assert Decimal(lines["CE5"]["amount"]) == Decimal("345.50")
    assert Decimal(lines["PF1"]["amount"]) == Decimal("50.00")  # paid at 0.95
    assert Decimal(lines["CF1"]["amount"]) == Decimal("20.00")
    zm = statement(
        client, zambian, "income-statement", date_from="2026-01-01", date_to="2026-12-31"
    )
    assert zm["layout"] == "ifrs"
    zm_lines = flat(zm)
    assert Decimal(zm_lines["GP"]["amount"]) == Decimal("1300.00")
    assert Decimal(zm_lines["FC"]["amount"]) == Decimal("35.00")
    assert Decimal(zm["result"]) == Decimal("915.00")


@pytest.mark.parametrize("layout", layouts.LAYOUTS)
def test_the_balance_sheet_balances_on_every_date(
    client: TestClient, owner: Account, layout: str
) -> None:
    french_year(client, owner)
    zambian = register(client, country="ZM", base_currency="ZMW", organization_name="Lusaka Ltd")
    generic_year(client, zambian)
    for day in ("2025-08-31", "2025-12-31", "2026-02-12", "2026-03-20", "2026-06-30", "2026-12-31"):
        for who in (owner, zambian):
            body = statement(client, who, "balance-sheet", as_of=day, layout=layout)
            assert body["balanced"], (day, body["totals"])
            first, second = body["totals"].values()
            assert first == second
            # The year's result in equity is the income statement's, from the year's start.
            year_start = "2025-01-01" if day < "2026" else "2026-01-01"
            assert Decimal(body["result"]) == trial_result(client, who, year_start, day)
    bilan = flat(statement(client, owner, "balance-sheet", as_of="2026-12-31", layout="fr_pcg"))
    assert Decimal(bilan["ACTIF"]["amount"]) == Decimal("21475.50")
    assert Decimal(bilan["CP3"]["amount"]) == Decimal("1920.00")  # 2025's unclosed result
    assert Decimal(bilan["CP4"]["amount"]) == Decimal("1784.50")
    assert Decimal(bilan["DT1"]["amount"]) == Decimal("5000.00")
    assert Decimal(bilan["DT6"]["amount"]) == Decimal("1800.00")
    assert Decimal(bilan["AI2"]["amount"]) == Decimal("1500.00")


def test_a_bank_overdraft_sits_among_the_debts(client: TestClient, owner: Account) -> None:
    entry(client, owner, [("626", "debit", "300.00"), ("512", "credit", "300.00")], on="2026-03-01")
    bilan = flat(statement(client, owner, "balance-sheet", as_of="2026-03-31"))
    assert Decimal(bilan["AC6"]["amount"]) == 0
    assert Decimal(bilan["DT1"]["amount"]) == Decimal("300.00")
    assert Decimal(bilan["CP4"]["amount"]) == Decimal("-300.00")
    assert Decimal(bilan["ACTIF"]["amount"]) == Decimal(bilan["PASSIF"]["amount"]) == 0


def test_comparatives_and_variance(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    year = flat(
        statement(
            client,
            owner,
            "income-statement",
            date_from="2026-01-01",
            date_to="2026-12-31",
            compare="previous_year",
        )
    )
    assert (year["PE"]["amount"], year["PE"]["comparative"]) == ("2100.00", "2000.00")
    assert (year["PE"]["variance"], year["PE"]["variance_percent"]) == ("100.00", "5.0")
    assert (year["CE"]["variance"], year["CE"]["variance_percent"]) == ("265.50", "331.9")
    assert (year["RN"]["comparative"], year["RN"]["variance"]) == ("1920.00", "-135.50")
    assert year["RN"]["variance_percent"] == "-7.1"
    assert (year["PF"]["comparative"], year["PF"]["variance_percent"]) == ("0.00", None)
    body = statement(
        client,
        owner,
        "income-statement",
        date_from="2026-02-01",
        date_to="2026-03-31",
        compare="previous_period",
    )
    assert (body["compare_from"], body["compare_to"]) == ("2025-12-01", "2026-01-31")
    period = flat(body)
    assert (period["PE"]["amount"], period["PE"]["comparative"]) == ("1100.00", "1000.00")
    assert period["PE"]["variance_percent"] == "10.0"
    assert (period["CE"]["amount"], period["CE"]["comparative"]) == ("300.00", "80.00")
    assert (period["CE"]["variance"], period["CE"]["variance_percent"]) == ("220.00", "275.0")
    bilan = statement(client, owner, "balance-sheet", as_of="2026-12-31", compare="previous_year")
    assert bilan["compare_to"] == "2025-12-31"
    lines = flat(bilan)
    assert (lines["ACTIF"]["comparative"], lines["PASSIF"]["comparative"]) == (
        "12320.00",
        "12320.00",
    )
    assert lines["CP4"]["comparative"] == "1920.00"
    assert lines["ACTIF"]["variance"] == "9155.50"
    plain = flat(statement(client, owner, "balance-sheet", as_of="2026-12-31"))
    assert plain["ACTIF"]["comparative"] is None and plain["ACTIF"]["variance_percent"] is None


def _drill(
    client: TestClient, owner: Account, path: str, code: str, params: dict[str, str]
) -> tuple[Decimal, Decimal, list[dict[str, Any]]]:
    """Every page of a line's drill-down: debits minus credits, the amount, the lines."""
    lines: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "line": code, "limit": "2"} | ({"cursor": cursor} if cursor else {})
        response = client.get(f"/api/v1/reports/{path}/lines", headers=owner.headers, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        lines += page["lines"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    net = sum((Decimal(line["debit"]) - Decimal(line["credit"]) for line in lines), Decimal(0))
    assert net == Decimal(page["debit"]) - Decimal(page["credit"])
    return net, Decimal(page["amount"]), lines


def test_every_figure_drills_down_to_lines_that_add_up_to_it(
    client: TestClient, owner: Account
) -> None:
    french_year(client, owner)
    layout = layouts.load("fr_pcg")
    year = {"date_from": "2026-01-01", "date_to": "2026-12-31"}
    income = flat(statement(client, owner, "income-statement", **year))
    drilled = 0
    for code, line in income.items():
        if line["kind"] == "result":
            continue
        net, amount, lines = _drill(client, owner, "income-statement", code, year)
        found = layout.income_statement.find(code)
        assert found is not None
        assert amount == Decimal(line["amount"]) == found.sign * net, code
        assert all("2026-01-01" <= item["date"] <= "2026-12-31" for item in lines)
        drilled += bool(lines)
    assert drilled >= 6
    bilan = flat(statement(client, owner, "balance-sheet", as_of="2026-12-31"))
    for code in ("AC6", "AC3", "AC4", "DT1", "DT5", "DT6", "AI2", "CP1", "ACTIF"):
        net, amount, lines = _drill(client, owner, "balance-sheet", code, {"as_of": "2026-12-31"})
        found = layout.balance_sheet.find(code)
        assert found is not None
        assert amount == Decimal(bilan[code]["amount"]) == found.sign * net, code
        assert lines


def test_downloads_show_the_figures_of_the_statement(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    params = {"date_from": "2026-01-01", "date_to": "2026-12-31", "compare": "previous_year"}
    lines = flat(statement(client, owner, "income-statement", **params))
    csv_answer = client.get(
        "/api/v1/reports/income-statement",
        headers=owner.headers,
        params={**params, "format": "csv"},
    )
    assert csv_answer.status_code == 200
    assert csv_answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_answer.text)))
    assert list(rows[0]) == [
        "Code",
        "Line",
        "Level",
        "Amount",
        "Comparative",
        "Variance",
        "Variance %",
    ]
    assert {row["Code"] for row in rows} == set(lines)
    for row in rows:
        line = lines[row["Code"]]
        assert Decimal(row["Amount"]) == Decimal(line["amount"])
        assert Decimal(row["Comparative"]) == Decimal(line["comparative"])
        assert Decimal(row["Variance"]) == Decimal(line["variance"])
        assert row["Variance %"] == (line["variance_percent"] or "")

    xlsx_answer = client.get(
        "/api/v1/reports/income-statement",
        headers=owner.headers,
        params={**params, "format": "xlsx"},
    )
    assert xlsx_answer.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_answer.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Code"
    for code, _label, _level, amount, comparative, *_ in values[1:]:
        assert round(Decimal(str(amount)), 2) == Decimal(lines[str(code)]["amount"])
        assert round(Decimal(str(comparative)), 2) == Decimal(lines[str(code)]["comparative"])

    pdf_answer = client.get(
        "/api/v1/reports/income-statement",
        headers=owner.headers,
        params={**params, "format": "pdf"},
    )
    assert pdf_answer.status_code == 200
    assert pdf_answer.headers["content-type"] == "application/pdf"
    text = "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(pdf_answer.content)).pages
    )
    assert "Compte de résultat" in text
    for code in ("PE", "CE", "RN", "PF1"):
        assert lines[code]["amount"] in text, code
        assert lines[code]["comparative"] in text, code
    assert "-135.50" in text and "-7.1" in text

    bilan = flat(statement(client, owner, "balance-sheet", as_of="2026-12-31"))
    bilan_csv = client.get(
        "/api/v1/reports/balance-sheet",
        headers=owner.headers,
        params={"as_of": "2026-12-31", "format": "csv"},
    )
    by_code = {row["Code"]: row for row in csv.DictReader(io.StringIO(bilan_csv.text))}
    assert by_code["ACTIF"]["Amount"] == bilan["ACTIF"]["amount"] == by_code["PASSIF"]["Amount"]
    assert by_code["ACTIF"]["Comparative"] == ""
    bilan_pdf = client.get(
        "/api/v1/reports/balance-sheet",
        headers=owner.headers,
        params={"as_of": "2026-12-31", "format": "pdf"},
    )
    pdf_text = "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(bilan_pdf.content)).pages
    )
    assert "Bilan" in pdf_text and bilan["ACTIF"]["amount"] in pdf_text


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("income-statement", {"date_from": "2026-02-01", "date_to": "2026-01-01"}, "date_from"),
        ("income-statement", {"date_from": "2026-13-01", "date_to": "2026-12-31"}, "date_from"),
        ("income-statement", {"date_to": "2026-12-31"}, "date_from"),
        (
            "income-statement",
            {"date_from": "2026-01-01", "date_to": "2026-12-31", "compare": "x"},
            "compare",
        ),
        (
            "income-statement",
            {"date_from": "2026-01-01", "date_to": "2026-12-31", "layout": "x"},
            "layout",
        ),
        (
            "income-statement",
            {"date_from": "2026-01-01", "date_to": "2026-12-31", "format": "doc"},
            "format",
        ),
        (
            "income-statement",
            {"date_from": "0001-01-01", "date_to": "0001-12-31", "compare": "previous_year"},
            "compare",
        ),
        ("balance-sheet", {"as_of": "not-a-date"}, "as_of"),
        ("balance-sheet", {}, "as_of"),
        ("balance-sheet", {"as_of": "0001-01-15", "compare": "previous_period"}, "compare"),
        (
            "income-statement/lines",
            {"line": "NOPE", "date_from": "2026-01-01", "date_to": "2026-12-31"},
            "line",
        ),
        (
            "income-statement/lines",
            {"line": "RN", "date_from": "2026-01-01", "date_to": "2026-12-31"},
            "line",
        ),
        (
            "income-statement/lines",
            {"line": "PE", "date_from": "2026-03-01", "date_to": "2026-01-01"},
            "date_from",
        ),
        (
            "income-statement/lines",
            {"line": "PE", "date_from": "2026-01-01", "date_to": "2026-12-31", "cursor": "bad"},
            "cursor",
        ),
        ("balance-sheet/lines", {"line": "AC6", "as_of": "2026-12-31", "limit": "0"}, "limit"),
    ],
    ids=lambda value: (
        value if isinstance(value, str) else "-".join(f"{k}={v}" for k, v in value.items())
    ),
)
def test_bad_input_is_a_422_on_its_field(
    client: TestClient, owner: Account, path: str, params: dict[str, str], field: str
) -> None:
    response = client.get(f"/api/v1/reports/{path}", headers=owner.headers, params=params)
    assert response.status_code == 422, response.text
    assert field in {error["field"] for error in response.json()["errors"]}, response.text


def test_statements_need_the_reports_scope(client: TestClient) -> None:
    response = client.get("/api/v1/reports/balance-sheet", params={"as_of": "2026-12-31"})
    assert response.status_code == 401
