"""Cash-flow statement (indirect method) over books built through the API: it starts at the
cash of the day before the range, ends at the cash of its last day, and each line is what
the postings behind it moved."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from comptoir.ledger.service import charts
from comptoir.ledger.service.vocabulary import ACCOUNT_SUBTYPES
from comptoir.reporting.service import layouts
from tests.conftest import Account, register
from tests.ledger.helpers import entry
from tests.reporting.scenario import flat, french_year, generic_year, statement

CHARTS = ("FR", "generic", "ZM")
BALANCE_SHEET = ("asset", "liability", "equity")


def cash_balance(client: TestClient, owner: Account, as_of: str, prefixes: tuple[str, ...]) -> str:
    """The cash and bank accounts' balance from the trial balance, the statement aside."""
    response = client.get(
        "/api/v1/reports/trial-balance",
        headers=owner.headers,
        params={"date_to": as_of},
    )
    assert response.status_code == 200, response.text
    total = sum(
        (
            Decimal(row["closing_debit"]) - Decimal(row["closing_credit"])
            for row in response.json()["rows"]
            if row["code"].startswith(prefixes)
        ),
        Decimal(0),
    )
    return f"{total:.2f}"


def day_before(text: str) -> str:
    return (date.fromisoformat(text) - timedelta(days=1)).isoformat()


@pytest.mark.parametrize("layout", layouts.LAYOUTS)
@pytest.mark.parametrize("chart", CHARTS)
def test_every_balance_sheet_account_lands_on_exactly_one_line(chart: str, layout: str) -> None:
    cash_flow = layouts.load(layout).cash_flow
    for account in charts.load_template(chart).accounts:
        if account.is_group or account.type not in BALANCE_SHEET:
            continue
        found = cash_flow.candidates(account.code, account.type, account.subtype, "debit")
        assert len(found) == 1, (account.code, found)


@pytest.mark.parametrize("layout", layouts.LAYOUTS)
def test_any_account_a_user_adds_lands_on_exactly_one_line(layout: str) -> None:
    cash_flow = layouts.load(layout).cash_flow
    named = {
        prefix for leaf in cash_flow.leaves() for rule in leaf.rules for prefix in rule.prefixes
    }
    codes = {f"{i}{j}" for i in range(10) for j in range(10)} | {
        code + extra for code in named for extra in ("", "0", "9")
    }
    for code in sorted(codes):
        for type_ in BALANCE_SHEET:
            for subtype in (None, *ACCOUNT_SUBTYPES):
                found = cash_flow.candidates(code, type_, subtype, "debit")
                assert len(found) == 1, (code, type_, subtype, found)


def test_cash_is_the_bank_and_cash_accounts_whatever_their_balance() -> None:
    pcg = layouts.load("fr_pcg").cash_flow
    assert pcg.place("512", "asset", "bank", "credit") == "TO"
    assert pcg.place("530", "asset", "cash", "debit") == "TO"
    assert pcg.place("5191", "liability", None, "credit") == "TO"
    assert pcg.place("503", "asset", None, "debit") == "FI3"
    assert pcg.place("404", "liability", "payable", "credit") == "FI2"
    assert pcg.place("401", "liability", "payable", "credit") == "FA5"
    assert pcg.place("2813", "asset", "accumulated_depreciation", "credit") == "FA2"
    assert pcg.place("120", "equity", "current_year_earnings", "credit") == "FF2"
    assert pcg.place("101", "equity", None, "credit") == "FF1"
    assert pcg.place("164", "liability", "loan", "credit") == "FF4"
    ifrs = layouts.load("ifrs").cash_flow
    assert ifrs.place("1120", "asset", "bank", "credit") == "CASH0"
    assert ifrs.place("404", "liability", "payable", "credit") == "IA2"
    assert ifrs.place("2110", "liability", "payable", "credit") == "OA5"


RANGES = [
    ("2026-01-01", "2026-01-31"),
    ("2026-01-01", "2026-03-31"),
    ("2026-04-01", "2026-06-30"),
    ("2026-01-01", "2026-12-31"),
    ("2025-01-01", "2025-12-31"),
    ("2025-10-01", "2026-03-31"),
    ("2025-09-01", "2025-09-01"),
]


def test_the_french_cash_flow_runs_from_cash_to_cash_on_every_range(
    client: TestClient, owner: Account
) -> None:
    french_year(client, owner)
    treasury = ("51", "53", "58")
    for date_from, date_to in RANGES:
        body = statement(client, owner, "cash-flow", date_from=date_from, date_to=date_to)
        lines = flat(body)
        assert body["statement"] == "cash_flow"
        assert lines["TO"]["amount"] == cash_balance(client, owner, day_before(date_from), treasury)
        assert lines["TC"]["amount"] == cash_balance(client, owner, date_to, treasury)
        assert body["balanced"] is True
        assert body["totals"] == {
            "TC": lines["TC"]["amount"],
            "cash_balance": lines["TC"]["amount"],
        }
        income = statement(client, owner, "income-statement", date_from=date_from, date_to=date_to)
        assert lines["FA1"]["amount"] == income["result"] == body["result"]
        assert lines["FX"]["amount"] == "0.00"


def test_each_french_line_is_what_its_postings_moved(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    year = flat(statement(client, owner, "cash-flow", date_from="2026-01-01", date_to="2026-12-31"))
    expected = {
        # Consulting 1000 + books 200 + design 900 + exchange gain 50, less paper 300,
        # fees 45.50 and interest 20.
        "FA1": "1784.50",
        "FA2": "0.00",
        # The books invoice (211.00) is unpaid; the others were paid.
        "FA4": "-211.00",
        # The paper bill (360.00) is unpaid.
        "FA5": "360.00",
        # VAT collected 200 + 11, VAT on the paper 60 and on the computer 300.
        "FA6": "-149.00",
        "FA": "1784.50",
        # The computer is bought on credit: its cost out, the debt to its supplier in.
        "FI1": "-1500.00",
        "FI2": "1800.00",
        "FI": "300.00",
        "FF1": "0.00",
        "FF4": "5000.00",
        "FF": "5000.00",
        "VT": "7084.50",
        "TO": "12320.00",
        "TC": "19404.50",
    }
    for code, amount in expected.items():
        assert year[code]["amount"] == amount, code
    first = flat(
        statement(client, owner, "cash-flow", date_from="2025-01-01", date_to="2025-12-31")
    )
    assert first["FA1"]["amount"] == "1920.00"
    assert first["FF1"]["amount"] == "10000.00"
    assert first["TO"]["amount"] == "0.00"
    assert first["TC"]["amount"] == "12320.00"


def test_the_generic_chart_ties_on_the_ifrs_layout(client: TestClient) -> None:
    owner = register(client, country="ZM", base_currency="ZMW", organization_name="Lusaka Ltd")
    generic_year(client, owner)
    cash = ("1110", "1120", "1190")
    for date_from, date_to in RANGES:
        body = statement(client, owner, "cash-flow", date_from=date_from, date_to=date_to)
        lines = flat(body)
        assert body["layout"] == "ifrs"
        assert lines["CASH0"]["amount"] == cash_balance(client, owner, day_before(date_from), cash)
        assert lines["CASH1"]["amount"] == cash_balance(client, owner, date_to, cash)
        assert body["balanced"] is True
    year = flat(statement(client, owner, "cash-flow", date_from="2026-01-01", date_to="2026-12-31"))
    expected = {
        "OA1": "915.00",
        "OA4": "0.00",
        "OA5": "812.00",
        "OA6": "208.00",
        "OA": "1935.00",
        "IA1": "-3000.00",
        "FA1": "4000.00",
        "FA2": "0.00",
        "OTH": "0.00",
        "NET": "2935.00",
        "CASH0": "8000.00",
        "CASH1": "10935.00",
    }
    for code, amount in expected.items():
        assert year[code]["amount"] == amount, code
    # The same books read with the French layout tie as well.
    french = statement(
        client, owner, "cash-flow", date_from="2026-01-01", date_to="2026-12-31", layout="fr_pcg"
    )
    assert french["balanced"] is True
    assert flat(french)["TC"]["amount"] == "10935.00"


def test_dividends_are_financing_and_a_bank_overdraft_stays_cash(
    client: TestClient, owner: Account
) -> None:
    french_year(client, owner)
    added = client.post(
        "/api/v1/accounts",
        headers=owner.headers,
        json={"code": "457", "name": "Associés - dividendes à payer", "type": "liability"},
    )
    assert added.status_code == 201, added.text
    # The 2025 result carried forward by hand, a dividend declared out of it, then paid;
    # the bank account ends overdrawn.
    entry(client, owner, [("110", "debit", "500.00"), ("457", "credit", "500.00")], on="2026-07-01")
    entry(client, owner, [("457", "debit", "500.00"), ("512", "credit", "500.00")], on="2026-07-15")
    entry(
        client,
        owner,
        [("2183", "debit", "20000.00"), ("512", "credit", "20000.00")],
        on="2026-08-01",
    )
    body = statement(client, owner, "cash-flow", date_from="2026-07-01", date_to="2026-08-31")
    lines = flat(body)
    assert lines["FF2"]["amount"] == "-500.00"
    assert lines["FI1"]["amount"] == "-20000.00"
    assert lines["TC"]["amount"] == cash_balance(client, owner, "2026-08-31", ("51", "53", "58"))
    assert lines["TC"]["amount"] == "-1095.50"
    assert body["balanced"] is True


def _close(client: TestClient, owner: Account, start: str) -> None:
    response = client.post(
        "/api/v1/accounting/fiscal-year/close",
        headers=owner.headers,
        json={"fiscal_year": start},
    )
    assert response.status_code == 200, response.text


def test_closing_a_year_changes_no_cash_flow(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    ranges = [
        ("2025-01-01", "2025-12-31"),
        ("2025-10-01", "2025-12-31"),
        ("2026-01-01", "2026-06-30"),
        ("2025-07-01", "2026-06-30"),
        ("2025-12-31", "2026-01-01"),
    ]

    def amounts(span: tuple[str, str]) -> dict[str, str]:
        body = statement(client, owner, "cash-flow", date_from=span[0], date_to=span[1])
        assert body["balanced"] is True
        return {code: line["amount"] for code, line in flat(body).items()}

    before = {span: amounts(span) for span in ranges}
    _close(client, owner, "2025-01-01")
    for span in ranges:
        after = amounts(span)
        assert after == before[span], span
        assert after["FX"] == "0.00"


def test_comparatives_and_variance(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    body = statement(
        client,
        owner,
        "cash-flow",
        date_from="2026-01-01",
        date_to="2026-12-31",
        compare="previous_year",
    )
    assert (body["compare_from"], body["compare_to"]) == ("2025-01-01", "2025-12-31")
    lines = flat(body)
    assert lines["FA1"]["comparative"] == "1920.00"
    assert lines["FA1"]["variance"] == "-135.50"
    assert lines["FA1"]["variance_percent"] == "-7.1"
    assert lines["FF1"]["comparative"] == "10000.00"
    assert lines["FF1"]["variance_percent"] == "-100.0"
    assert lines["TO"]["comparative"] == "0.00"
    assert lines["TO"]["variance_percent"] is None
    assert lines["TC"]["comparative"] == "12320.00"
    quarter = flat(
        statement(
            client,
            owner,
            "cash-flow",
            date_from="2026-04-01",
            date_to="2026-06-30",
            compare="previous_period",
        )
    )
    # Compared with the first quarter: the loan came in then.
    assert quarter["FF4"]["comparative"] == "5000.00"
    assert quarter["FF4"]["amount"] == "0.00"
    assert quarter["TC"]["comparative"] == quarter["TO"]["amount"]


def test_every_line_drills_down_to_its_postings(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    params = {"date_from": "2026-01-01", "date_to": "2026-12-31"}
    lines = flat(statement(client, owner, "cash-flow", **params))
    for code in ("FA4", "FA5", "FA6", "FI1", "FI2", "FF4", "FI", "TO"):
        response = client.get(
            "/api/v1/reports/cash-flow/lines",
            headers=owner.headers,
            params={**params, "line": code},
        )
        assert response.status_code == 200, response.text
        found = response.json()
        assert found["amount"] == lines[code]["amount"], code
        moved = sum(Decimal(line["debit"]) - Decimal(line["credit"]) for line in found["lines"])
        sign = 1 if code == "TO" else -1
        assert sign * moved == Decimal(lines[code]["amount"]), code
    loan = client.get(
        "/api/v1/reports/cash-flow/lines",
        headers=owner.headers,
        params={**params, "line": "FF4"},
    ).json()
    assert [(line["date"], line["credit"]) for line in loan["lines"]] == [("2026-01-05", "5000.00")]
    for code in ("FA1", "VT", "TC"):
        refused = client.get(
            "/api/v1/reports/cash-flow/lines",
            headers=owner.headers,
            params={**params, "line": code},
        )
        assert refused.status_code == 422, code


def test_downloads_show_the_figures_of_the_statement(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    params = {"date_from": "2026-01-01", "date_to": "2026-12-31", "compare": "previous_year"}
    lines = flat(statement(client, owner, "cash-flow", **params))
    answer = client.get(
        "/api/v1/reports/cash-flow", headers=owner.headers, params={**params, "format": "csv"}
    )
    assert answer.status_code == 200
    assert 'filename="cash-flow-2026-01-01-2026-12-31.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {row["Code"] for row in rows} == set(lines)
    for row in rows:
        assert Decimal(row["Amount"]) == Decimal(lines[row["Code"]]["amount"])
        assert Decimal(row["Comparative"]) == Decimal(lines[row["Code"]]["comparative"])
    xlsx = client.get(
        "/api/v1/reports/cash-flow", headers=owner.headers, params={**params, "format": "xlsx"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = {str(row[0]): row for row in list(sheet.iter_rows(values_only=True))[1:]}
    assert round(Decimal(str(values["TC"][3])), 2) == Decimal("19404.50")
    pdf = client.get(
        "/api/v1/reports/cash-flow", headers=owner.headers, params={**params, "format": "pdf"}
    )
    assert pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Tableau des flux de trésorerie" in text
    for code in ("FA1", "FI", "FF4", "TC"):
        assert lines[code]["amount"] in text, code


BAD: list[dict[str, Any]] = [
    {"date_from": "2026-12-31", "date_to": "2026-01-01"},
    {"date_from": "2026-02-30", "date_to": "2026-12-31"},
    {"date_from": "yesterday", "date_to": "2026-12-31"},
    {"date_from": "0001-01-01", "date_to": "2026-12-31"},
    {"date_from": "0001-01-02", "date_to": "0001-12-31", "compare": "previous_year"},
    {"date_from": "2026-01-01", "date_to": "99999-12-31"},
    {"date_from": "2026-01-01", "date_to": "2026-12-31", "compare": "forever"},
    {"date_from": "2026-01-01", "date_to": "2026-12-31", "layout": "gaap"},
    {"date_from": "2026-01-01", "date_to": "2026-12-31", "format": "docx"},
]


@pytest.mark.parametrize("params", BAD)
def test_bad_input_is_a_422(client: TestClient, owner: Account, params: dict[str, Any]) -> None:
    for path in ("cash-flow", "equity"):
        response = client.get(f"/api/v1/reports/{path}", headers=owner.headers, params=params)
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    for path, line in (("cash-flow", "ZZZ"), ("equity", "ZZZ"), ("cash-flow", "x" * 21)):
        response = client.get(
            f"/api/v1/reports/{path}/lines",
            headers=owner.headers,
            params={"date_from": "2026-01-01", "date_to": "2026-12-31", "line": line},
        )
        assert response.status_code == 422, (path, line)


def test_cash_flow_and_equity_need_the_reports_scope(client: TestClient, owner: Account) -> None:
    params = {"date_from": "2026-01-01", "date_to": "2026-12-31"}
    for path in ("cash-flow", "equity", "cash-flow/lines", "equity/lines"):
        assert client.get(f"/api/v1/reports/{path}", params=params).status_code == 401
    token = client.post(
        "/api/v1/api-tokens",
        headers=owner.headers,
        json={"name": "sales only", "scopes": ["invoices:read"]},
    )
    assert token.status_code == 201, token.text
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    for path in ("cash-flow", "equity"):
        assert (
            client.get(f"/api/v1/reports/{path}", headers=headers, params=params).status_code == 403
        )


def test_after_a_close_every_drill_down_adds_up_to_its_line(
    client: TestClient, owner: Account
) -> None:
    # The close's entries move results into 120 then 110 on 2026-01-01: the statement
    # leaves them out, so its drill-down must too.
    french_year(client, owner)
    _close(client, owner, "2025-01-01")
    spans = [
        ("2025-01-01", "2025-12-31"),
        ("2026-01-01", "2026-12-31"),
        ("2025-07-01", "2026-06-30"),
    ]
    for date_from, date_to in spans:
        params = {"date_from": date_from, "date_to": date_to}
        lines = flat(statement(client, owner, "cash-flow", **params))
        opened = set()
        for code, line in lines.items():
            response = client.get(
                "/api/v1/reports/cash-flow/lines",
                headers=owner.headers,
                params={**params, "line": code},
            )
            if response.status_code == 422:
                continue
            assert response.status_code == 200, response.text
            opened.add(code)
            found = response.json()
            # The operating section's drill-down lists its accounts, the net result aside.
            expected = Decimal(line["amount"]) - (
                Decimal(lines["FA1"]["amount"]) if code == "FA" else 0
            )
            assert Decimal(found["amount"]) == expected, (date_from, code)
            moved = sum(
                Decimal(entry["debit"]) - Decimal(entry["credit"]) for entry in found["lines"]
            )
            sign = 1 if code == "TO" else -1
            assert sign * moved == expected, (date_from, code)
            assert found["next_cursor"] is None
        assert {"FA", "FF", "FF2", "FX", "TO"} <= opened
        assert not opened & {"FA1", "VT", "TC"}
