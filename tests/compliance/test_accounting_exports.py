"""Exports of the books to other tools, each file parsed back (by its own tool where one
runs here: hledger, beancount) and checked against the trial balance of its range."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from beancount import loader
from beancount.core import convert
from beancount.core.data import Transaction
from fastapi.testclient import TestClient

from comptoir.compliance.service.exports import sage
from comptoir.compliance.service.exports.ledger_csv import COLUMNS, NUMBERS
from comptoir.compliance.service.fec import COLUMNS as FEC_COLUMNS
from comptoir.kit import clock
from comptoir.ledger.service.exports import inert
from comptoir.ledger.service.periods import fiscal_year_bounds
from tests.compliance.scenario import SIREN, build, set_siren
from tests.conftest import Account, register
from tests.ledger.helpers import balances, entry
from tests.reporting.scenario import french_year
from tests.reporting.test_fiscal_year import unpaid_at_year_end
from tests.sales.helpers import customer, invoice

YEAR = {"date_from": "2026-01-01", "date_to": "2026-12-31"}
ODD_LABEL = "Café “bio” — œuvre… ﬁn → 3 kg; a:b (x)"


def _books(client: TestClient, owner: Account) -> None:
    """The compliance scenario, an issued invoice (tax codes, a source), an expense with an
    analytic tag and a label full of characters Windows-1252 lacks, and an April entry."""
    build(client, owner)
    buyer = customer(client, owner, name="Müller & Söhne", code="MULLER")
    invoice(client, owner, buyer["id"], issue_date="2026-02-15")
    entry(
        client,
        owner,
        [
            {"account": "606", "debit": "19.99", "label": ODD_LABEL, "analytic_tag": "SHOP"},
            {"account": "512", "credit": "19.99"},
        ],
        journal="OD",
        on="2026-03-20",
    )
    entry(client, owner, [("626", "debit", "10.00"), ("512", "credit", "10.00")], on="2026-04-15")


def _download(client: TestClient, owner: Account, fmt: str, **params: str) -> bytes:
    response = client.get(
        "/api/v1/accounting/export",
        headers=owner.headers,
        params={"format": fmt, **(params or YEAR)},
    )
    assert response.status_code == 200, response.text
    return response.content


def _trial_balance(client: TestClient, owner: Account, **params: str) -> dict[str, Any]:
    response = client.get(
        "/api/v1/reports/trial-balance", headers=owner.headers, params=params or YEAR
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _movements(balance: dict[str, Any]) -> dict[str, Decimal]:
    """Debits minus credits within the range, per account code."""
    return {
        row["code"]: Decimal(row["debit"]) - Decimal(row["credit"])
        for row in balance["rows"]
        if Decimal(row["debit"]) or Decimal(row["credit"])
    }


def _csv_rows(raw: bytes) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8"), newline=""))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def test_csv_has_every_field_and_sums_to_the_trial_balance(
    client: TestClient, owner: Account
) -> None:
    _books(client, owner)
    response = client.get(
        "/api/v1/accounting/export", headers=owner.headers, params={"format": "csv", **YEAR}
    )
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{SIREN}_csv_20260101_20261231.csv"'
    )
    assert response.content.endswith(b"\r\n")
    rows = _csv_rows(response.content)
    assert len(rows) == 16 + 3 + 2 + 2
    balance = _trial_balance(client, owner)
    assert sum(Decimal(r["debit"]) for r in rows) == Decimal(balance["totals"]["debit"])
    assert sum(Decimal(r["credit"]) for r in rows) == Decimal(balance["totals"]["credit"])
    by_account: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        by_account[row["account_code"]] += Decimal(row["debit"]) - Decimal(row["credit"])
    assert {code: total for code, total in by_account.items() if total} == {
        code: total for code, total in _movements(balance).items() if total
    }
    usd = next(r for r in rows if r["currency"] == "USD" and r["account_code"] == "411")
    assert usd["entry_number"] == "VT-2026-00002" and usd["line_no"] == "1"
    assert (usd["debit"], usd["credit"], usd["amount_currency"]) == ("925.00", "0.00", "1000.00")
    assert usd["exchange_rate"] == "0.925" and usd["reference"] == "F-2026-002"
    assert (usd["party_name"], usd["party_code"], usd["party_kind"]) == (
        "Dupont & Fils",
        "DUPONT",
        "customer",
    )
    assert (usd["account_name"], usd["account_type"]) == ("Clients", "asset")
    assert usd["entry_date"] == "2026-03-05" and usd["journal_code"] == "VT"
    sale = next(r for r in rows if r["reference"] == "F-2026-001" and r["account_code"] == "411")
    assert sale["matching_code"] and sale["matching_date"] == "2026-02-01"
    supplier = next(r for r in rows if r["account_code"] == "401" and r["credit"] != "0.00")
    assert (
        supplier["party_kind"] == "supplier" and supplier["party_name"] == "Établissements Martin"
    )
    tax = next(r for r in rows if r["source_type"] and r["account_code"] == "44571")
    assert (tax["tax_code"], tax["tax_base"], tax["credit"]) == ("FR-20", "-1000.00", "200.00")
    assert tax["source_id"] and tax["entry_id"] and tax["posted_date"]
    odd = next(r for r in rows if r["analytic_tag"])
    assert (odd["label"], odd["analytic_tag"], odd["debit"]) == (ODD_LABEL, "SHOP", "19.99")


def test_a_range_leaves_out_the_lines_outside_it(client: TestClient, owner: Account) -> None:
    _books(client, owner)
    january = {"date_from": "2026-01-01", "date_to": "2026-01-31"}
    rows = _csv_rows(_download(client, owner, "csv", **january))
    assert {r["entry_date"][:7] for r in rows} == {"2026-01"}
    assert len(rows) == 2 + 3 + 3 + 2
    balance = _trial_balance(client, owner, **january)
    assert sum(Decimal(r["debit"]) for r in rows) == Decimal(balance["totals"]["debit"])
    spring = {"date_from": "2026-04-01", "date_to": "2026-06-30"}
    assert [r["account_code"] for r in _csv_rows(_download(client, owner, "csv", **spring))] == [
        "626",
        "512",
    ]
    assert (
        _csv_rows(_download(client, owner, "csv", date_from="2030-01-01", date_to="2030-12-31"))
        == []
    )


def test_pennylane_is_the_fec_of_the_range(client: TestClient, owner: Account) -> None:
    _books(client, owner)
    response = client.get(
        "/api/v1/accounting/export",
        headers=owner.headers,
        params={"format": "pennylane", "date_from": "2026-01-01", "date_to": "2026-03-31"},
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith(
        f'"{SIREN}_pennylane_20260101_20260331.txt"'
    )
    records = [r.split("|") for r in response.content.decode("utf-8").split("\r\n")[:-1]]
    assert records[0] == list(FEC_COLUMNS)
    rows = [dict(zip(FEC_COLUMNS, r, strict=True)) for r in records[1:]]
    assert len(rows) == 16 + 3 + 2
    assert all("20260101" <= r["EcritureDate"] <= "20260331" for r in rows)
    balance = _trial_balance(client, owner, date_from="2026-01-01", date_to="2026-03-31")
    total = sum(Decimal(r["Debit"].replace(",", ".")) for r in rows)
    assert total == Decimal(balance["totals"]["debit"])
    usd = next(r for r in rows if r["Idevise"] == "USD" and r["CompteNum"] == "411")
    assert (usd["Debit"], usd["Montantdevise"], usd["CompAuxNum"]) == (
        "925,00",
        "1000,00",
        "DUPONT",
    )
    assert rows[0]["JournalCode"] == "AN"


def _read_fixed(raw: bytes) -> list[dict[str, str]]:
    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert {len(line) for line in lines} == {sage.WIDTH}
    layout = sage.positions()
    return [
        {
            name: line.decode("cp1252")[start - 1 : start - 1 + width].strip()
            for name, (start, width) in layout.items()
        }
        for line in lines
    ]


def _signed(rows: list[dict[str, str]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        amount = Decimal(row["amount"])
        totals[row["general_account"]] += amount if row["direction"] == "D" else -amount
    return {code: total for code, total in totals.items() if total}


def test_sage_fixed_width_reads_back_by_position(client: TestClient, owner: Account) -> None:
    _books(client, owner)
    response = client.get(
        "/api/v1/accounting/export", headers=owner.headers, params={"format": "sage", **YEAR}
    )
    assert response.headers["content-type"] == "text/plain; charset=windows-1252"
    assert sage.WIDTH == 105 and sage.positions()["amount"] == (85, 20)
    rows = _read_fixed(response.content)
    csv_rows = _csv_rows(_download(client, owner, "csv"))
    assert len(rows) == len(csv_rows)
    assert [(r["general_account"], r["amount"]) for r in rows] == [
        (c["account_code"], c["debit"] if c["debit"] != "0.00" else c["credit"]) for c in csv_rows
    ]
    balance = _trial_balance(client, owner)
    assert _signed(rows) == {code: total for code, total in _movements(balance).items() if total}
    debit = sum(Decimal(r["amount"]) for r in rows if r["direction"] == "D")
    assert debit == Decimal(balance["totals"]["debit"])
    sale = next(r for r in rows if r["reference"] == "VT26-000001")
    assert sale == {
        "journal": "VT",
        "date": "100126",
        "piece_type": "FC",
        "general_account": "411",
        "account_type": "X",
        "auxiliary_account": "DUPONT",
        "reference": "VT26-000001",
        "label": "Facture F-1",
        "payment_mode": "",
        "due_date": "",
        "direction": "D",
        "amount": "1200.00",
        "entry_type": "N",
    }
    odd = next(r for r in rows if r["general_account"] == "606")
    assert odd["label"] == 'Café "bio" - œuvre... fin'
    assert any(r["label"] == "TVA collectée 20 %" for r in rows)


def test_sage_tab_separated_has_the_same_fields(client: TestClient, owner: Account) -> None:
    _books(client, owner)
    raw = _download(client, owner, "sage-tab")
    lines = [line.split("\t") for line in raw.decode("cp1252").split("\r\n")[:-1]]
    assert lines[0] == list(sage.HEADER)
    fixed = _read_fixed(_download(client, owner, "sage"))
    tabbed = [dict(zip(sage.HEADER, line, strict=True)) for line in lines[1:]]
    assert len(tabbed) == len(fixed)
    for wide, tab in zip(fixed, tabbed, strict=True):
        assert {k: v for k, v in tab.items() if k != "label"} == {
            k: v for k, v in wide.items() if k != "label"
        }
        assert tab["label"].startswith(wide["label"])
    assert any(t["label"] == 'Café "bio" - œuvre... fin ? 3 kg; a:b (x)' for t in tabbed)


def _code(account: str) -> str:
    """The account code inside a plain-text journal's account name."""
    found = re.match(r"^[A-Za-z]+:(\d+)", account)
    assert found, account
    return found.group(1)


def _hledger_balances(journal: Path) -> dict[str, Decimal]:
    """Each account's total in the base currency as hledger itself reports it."""
    hledger = shutil.which("hledger")
    assert hledger, "hledger is installed by .ci/run (Debian package)"
    result = subprocess.run(
        [hledger, "-f", str(journal), "balance", "--flat", "--cost", "-O", "csv", "--no-total"],
        capture_output=True,
        text=True,
        check=True,
    )
    reported: dict[str, Decimal] = {}
    for account, amount in list(csv.reader(io.StringIO(result.stdout)))[1:]:
        number = re.fullmatch(r"(-?[\d.]+) EUR", amount)
        assert number, amount
        reported[_code(account)] = Decimal(number.group(1))
    return reported


def test_hledger_balances_equal_the_trial_balance(
    client: TestClient, owner: Account, tmp_path: Path
) -> None:
    _books(client, owner)
    raw = _download(client, owner, "hledger")
    journal = tmp_path / "books.journal"
    journal.write_bytes(raw)
    text = raw.decode("utf-8")
    assert "2026-03-05 * (VT-2026-00002) F-2026-002" in text
    assert "    Assets:411 Clients  1000.00 USD @@ 925.00 EUR  ; Invoice F-2 (USD)" in text
    balance = _trial_balance(client, owner)
    assert _hledger_balances(journal) == {
        code: total for code, total in _movements(balance).items() if total
    }
    hledger = shutil.which("hledger")
    assert hledger
    checked = subprocess.run([hledger, "-f", str(journal), "check"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_beancount_passes_bean_check_and_balances(
    client: TestClient, owner: Account, tmp_path: Path
) -> None:
    _books(client, owner)
    response = client.get(
        "/api/v1/accounting/export", headers=owner.headers, params={"format": "beancount", **YEAR}
    )
    assert response.headers["content-disposition"].endswith(
        f'"{SIREN}_beancount_20260101_20261231.beancount"'
    )
    ledger = tmp_path / "books.beancount"
    ledger.write_bytes(response.content)
    text = response.content.decode("utf-8")
    assert 'option "operating_currency" "EUR"' in text
    assert "  Assets:411-Clients  1000.00 USD @@ 925.00 EUR ; Invoice F-2 (USD)" in text
    assert "2026-01-01 open Expenses:606-Achats-Non-Stockes-De-Matieres-Et-Fournitures" in text
    check = Path(sys.executable).with_name("bean-check")
    result = subprocess.run([str(check), str(ledger)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    entries, errors, _options = loader.load_file(str(ledger))
    assert errors == []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for directive in entries:
        if isinstance(directive, Transaction):
            for posting in directive.postings:
                weight = convert.get_weight(posting)
                assert weight.currency == "EUR"
                totals[_code(posting.account)] += weight.number
    balance = _trial_balance(client, owner)
    assert {code: total for code, total in totals.items() if total} == {
        code: total for code, total in _movements(balance).items() if total
    }


def test_another_tenants_lines_never_appear(client: TestClient, owner: Account) -> None:
    _books(client, owner)
    other = register(client, organization_name="Autre Maison SAS")
    entry(
        client,
        other,
        [
            {"account": "512", "debit": "77.77", "label": "Only the other tenant"},
            {"account": "101", "credit": "77.77"},
        ],
        on="2026-02-02",
    )
    for fmt in ("pennylane", "sage", "sage-tab", "csv", "hledger", "beancount"):
        assert b"77.77" not in _download(client, owner, fmt)
        assert b"other tenant" not in _download(client, owner, fmt)
    theirs = client.get(
        "/api/v1/accounting/export", headers=other.headers, params={"format": "csv", **YEAR}
    )
    assert theirs.headers["content-disposition"].endswith(
        '"autre-maison-sas_csv_20260101_20261231.csv"'
    )
    assert [r["debit"] for r in _csv_rows(theirs.content)] == ["77.77", "0.00"]


def test_the_range_defaults_to_the_current_fiscal_year(client: TestClient, owner: Account) -> None:
    start, end = fiscal_year_bounds(clock.now().date(), 1)
    response = client.get(
        "/api/v1/accounting/export", headers=owner.headers, params={"format": "hledger"}
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith(
        f'_hledger_{start:%Y%m%d}_{end:%Y%m%d}.journal"'
    )
    assert f"from {start} to {end}" in response.text


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"format": "quickbooks"}, "format", None),
        ({"format": ""}, "format", None),
        (
            {"format": "csv", "date_from": "2026-12-31", "date_to": "2026-01-01"},
            "date_from",
            "inverted_range",
        ),
        (
            {"format": "csv", "date_from": "2000-01-01", "date_to": "2026-12-31"},
            "date_to",
            "range_too_long",
        ),
        (
            {"format": "csv", "date_from": "0001-01-01", "date_to": "9999-12-31"},
            "date_to",
            "range_too_long",
        ),
        ({"format": "csv", "date_from": "2026-13-01"}, "date_from", None),
        ({"format": "csv", "date_to": "yesterday"}, "date_to", None),
        ({"format": "csv", "date_from": "9" * 400}, "date_from", None),
    ],
)
def test_bad_requests_answer_422(
    client: TestClient, owner: Account, params: dict[str, str], field: str, code: str | None
) -> None:
    response = client.get("/api/v1/accounting/export", headers=owner.headers, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert any(e["field"].endswith(field) for e in errors), errors
    if code:
        assert any(e["code"] == code for e in errors), errors
    if field == "format":
        assert "beancount" in response.text and "sage-tab" in response.text


def test_reading_the_books_needs_a_login(client: TestClient) -> None:
    response = client.get("/api/v1/accounting/export", params={"format": "csv"})
    assert response.status_code == 401


def _journal(client: TestClient, owner: Account, code: str) -> None:
    response = client.post(
        "/api/v1/journals",
        headers=owner.headers,
        json={"code": code, "name": f"Bank {code}", "type": "bank"},
    )
    assert response.status_code == 201, response.text


def test_sage_refuses_journal_codes_it_would_cut(client: TestClient, owner: Account) -> None:
    for code in ("BQ12", "BQ13"):
        _journal(client, owner, code)
        entry(client, owner, [("512", "debit", "5.00"), ("101", "credit", "5.00")], journal=code)
    response = client.get(
        "/api/v1/accounting/export", headers=owner.headers, params={"format": "sage", **YEAR}
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["code"] == "journal_code_too_long"
    assert "BQ12, BQ13" in problem["errors"][0]["message"]
    # Outside the range the long codes have no entries, and the tab-separated file cuts nothing.
    assert _download(client, owner, "sage", date_from="2027-01-01", date_to="2027-12-31") == b""
    tabbed = _download(client, owner, "sage-tab").decode("cp1252").split("\r\n")[1:-1]
    assert sorted(line.split("\t")[0] for line in tabbed) == ["BQ12", "BQ12", "BQ13", "BQ13"]


def test_sage_piece_numbers_stay_unique_within_13_characters(
    client: TestClient, owner: Account
) -> None:
    _books(client, owner)
    entry(client, owner, [("512", "debit", "1.00"), ("101", "credit", "1.00")], on="2025-06-30")
    span = {"date_from": "2025-01-01", "date_to": "2026-12-31"}
    rows = _read_fixed(_download(client, owner, "sage", **span))
    csv_rows = _csv_rows(_download(client, owner, "csv", **span))
    pieces = {c["entry_number"]: r["reference"] for r, c in zip(rows, csv_rows, strict=True)}
    assert len(set(pieces.values())) == len(pieces)
    assert pieces["VT-2026-00001"] == "VT26-000001"
    assert pieces["OD-2025-00001"] == "OD25-000001"
    assert all(re.fullmatch(r"[A-Z]{2,3}\d\d-\d{6}", piece) for piece in pieces.values())


FORMULAS = ('=HYPERLINK("http://x")', "-cmd", "+1+1", "@SUM(A1)")


def test_spreadsheet_cells_starting_like_formulas_stay_text(
    client: TestClient, owner: Account
) -> None:
    entry(
        client,
        owner,
        [
            {"account": "606", "debit": "12.50", "label": FORMULAS[3]},
            {"account": "512", "credit": "12.50", "label": FORMULAS[1]},
        ],
        reference="+1+1",
    )
    entry(
        client,
        owner,
        [
            {"account": "512", "debit": "3.00", "label": FORMULAS[0]},
            {"account": "707", "credit": "3.00"},
        ],
    )
    rows = _csv_rows(_download(client, owner, "csv"))
    labels = {r["label"] for r in rows}
    assert {f"'{text}" for text in (FORMULAS[0], FORMULAS[1], FORMULAS[3])} <= labels
    assert {r["reference"] for r in rows} >= {"'+1+1"}
    assert [inert(t) for t in ("-8.6", "+3", "-cmd", "+1+1", "\tx", "plain")] == [
        "-8.6",
        "+3",
        "'-cmd",
        "'+1+1",
        "'\tx",
        "plain",
    ]
    texts = [value for r in rows for name, value in r.items() if name not in NUMBERS]
    assert not any(value.startswith(("=", "+", "-", "@")) for value in texts)
    assert next(r for r in rows if r["credit"] == "12.50")["amount_currency"] == "-12.50"
    # The ledger reports' CSV and XLSX: a general ledger with a negative running balance.
    params = {"account": "512", "date_from": "2026-01-01", "date_to": "2026-12-31"}
    path = "/api/v1/reports/general-ledger"
    report_csv = client.get(path, headers=owner.headers, params={**params, "format": "csv"})
    assert report_csv.status_code == 200, report_csv.text
    table = list(csv.reader(io.StringIO(report_csv.text)))
    labelled = {row[4]: row for row in table[1:]}
    assert f"'{FORMULAS[1]}" in labelled and f"'{FORMULAS[0]}" in labelled
    assert labelled[f"'{FORMULAS[1]}"][7] == "-12.50"
    report_xlsx = client.get(path, headers=owner.headers, params={**params, "format": "xlsx"})
    assert report_xlsx.status_code == 200, report_xlsx.text
    sheet = openpyxl.load_workbook(io.BytesIO(report_xlsx.content)).active
    assert sheet is not None
    cells = {
        row[4].value: row for row in sheet.iter_rows(min_row=2) if isinstance(row[4].value, str)
    }
    for text in (FORMULAS[0], FORMULAS[1]):
        assert cells[text][4].data_type == "s"
    assert cells[FORMULAS[1]][7].value == -12.5 and cells[FORMULAS[1]][7].data_type == "n"
    assert cells[FORMULAS[0]][7].value == -9.5


def _pennylane_rows(client: TestClient, owner: Account, **span: str) -> list[dict[str, str]]:
    raw = _download(client, owner, "pennylane", **span).decode("utf-8")
    records = [r.split("|") for r in raw.split("\r\n")[:-1]]
    assert records[0] == list(FEC_COLUMNS)
    return [dict(zip(FEC_COLUMNS, r, strict=True)) for r in records[1:]]


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(",", ".") or "0")


def _opening_block(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The leading records of the opening journal dated the first day."""
    first = rows[0]
    assert (first["JournalCode"], first["EcritureDate"]) == ("AN", "20260101")
    block = []
    for row in rows:
        if row["EcritureNum"] != first["EcritureNum"]:
            break
        block.append(row)
    return block


def _per_account(block: list[dict[str, str]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in block:
        totals[row["CompteNum"]] += _amount(row["Debit"]) - _amount(row["Credit"])
    return {code: total for code, total in totals.items() if total}


def _year_2025(client: TestClient, owner: Account) -> None:
    unpaid_at_year_end(client, owner)
    french_year(client, owner)
    set_siren(client, owner)


def test_pennylane_of_a_year_after_a_close_opens_with_its_carried_forward_entry(
    client: TestClient, owner: Account
) -> None:
    _year_2025(client, owner)
    response = client.post(
        "/api/v1/accounting/fiscal-year/close",
        headers=owner.headers,
        json={"fiscal_year": "2025-01-01"},
    )
    assert response.status_code == 200, response.text
    closing = {
        code: total for code, total in balances(client, owner, "2025-12-31").items() if total
    }
    rows = _pennylane_rows(client, owner, **YEAR)
    block = _opening_block(rows)
    assert _per_account(block) == closing
    assert {row["CompteNum"][0] for row in block} <= set("12345")
    usd = next(r for r in block if r["Idevise"] == "USD")
    assert (usd["CompteNum"], usd["CompAuxLib"], usd["Montantdevise"]) == (
        "411",
        "Boston LLC",
        "300,00",
    )
    fec_file = client.get(
        "/api/v1/accounting/fec", headers=owner.headers, params={"fiscal_year": "2026-01-01"}
    )
    assert fec_file.status_code == 200, fec_file.text
    fec_rows = [line.split("|") for line in fec_file.text.split("\r\n")[1:-1]]
    assert [list(row.values()) for row in block] == fec_rows[: len(block)]
    # The rest of the file is the year's counted lines: the whole sums to the opening plus
    # the movements of 2026.
    movements = _movements(_trial_balance(client, owner))
    later = _per_account(rows[len(block) :])
    assert later == {code: total for code, total in movements.items() if total}


def test_pennylane_without_a_close_makes_up_the_opening_balances(
    client: TestClient, owner: Account
) -> None:
    _year_2025(client, owner)
    at_year_end = balances(client, owner, "2025-12-31")
    rows = _pennylane_rows(client, owner, **YEAR)
    block = _opening_block(rows)
    opening = _per_account(block)
    sheet = {code: total for code, total in at_year_end.items() if total and code[0] in "12345"}
    result = sum(total for code, total in at_year_end.items() if code[0] in "67")
    assert result == Decimal("-2340.00")
    assert opening == sheet | {"110": sheet.get("110", Decimal(0)) + result}
    assert sum(_amount(r["Debit"]) for r in block) == sum(_amount(r["Credit"]) for r in block)
    assert {r["EcritureLib"] for r in block} == {"Balances brought forward"}
    customers = {r["CompAuxLib"]: r for r in block if r["CompteNum"] == "411"}
    assert set(customers) == {"Boston LLC", "Martin SARL", "Bernard SAS"}
    assert (customers["Boston LLC"]["Idevise"], customers["Boston LLC"]["Montantdevise"]) == (
        "USD",
        "300,00",
    )
    # Starting mid-year, the year's income and expenses so far stay on their accounts.
    june = _pennylane_rows(client, owner, date_from="2026-07-01", date_to="2026-12-31")
    first = june[0]["EcritureNum"]
    mid = _per_account([r for r in june if r["EcritureNum"] == first])
    before_july = balances(client, owner, "2026-06-30")
    first_half = _movements(
        _trial_balance(client, owner, date_from="2026-01-01", date_to="2026-06-30")
    )
    expected = (
        {c: t for c, t in before_july.items() if c[0] in "12345"}
        | {c: t for c, t in first_half.items() if c[0] in "67"}
        | {"110": before_july.get("110", Decimal(0)) + result}
    )
    assert mid == {code: total for code, total in expected.items() if total}
    # Nothing before the range: no opening block.
    bare = _pennylane_rows(client, owner, date_from="2025-01-01", date_to="2025-12-31")
    assert all(r["JournalCode"] != "AN" or r["EcritureDate"] != "20250101" for r in bare)


def test_plain_text_journals_open_with_the_balances_when_asked(
    client: TestClient, owner: Account, tmp_path: Path
) -> None:
    _year_2025(client, owner)
    at_year_end = balances(client, owner, "2025-12-31")
    result = sum(total for code, total in at_year_end.items() if code[0] in "67")
    at_end = balances(client, owner, "2026-12-31")
    expected = {c: t for c, t in at_end.items() if c[0] in "12345"} | {
        c: t for c, t in _movements(_trial_balance(client, owner)).items() if c[0] in "67"
    }
    expected["110"] = expected.get("110", Decimal(0)) + result
    expected = {code: total for code, total in expected.items() if total}

    journal = tmp_path / "books.journal"
    journal.write_bytes(_download(client, owner, "hledger", **YEAR, opening="true"))
    assert _hledger_balances(journal) == expected
    assert "2026-01-01 * (AN-2026-00000) Opening balances at 2025-12-31" in journal.read_text()

    ledger = tmp_path / "books.beancount"
    ledger.write_bytes(_download(client, owner, "beancount", **YEAR, opening="true"))
    entries, errors, _options = loader.load_file(str(ledger))
    assert errors == []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for directive in entries:
        if isinstance(directive, Transaction):
            for posting in directive.postings:
                totals[_code(posting.account)] += convert.get_weight(posting).number
    assert {code: total for code, total in totals.items() if total} == expected
    # By default the journals hold the range's movements only.
    assert b"Opening balances" not in _download(client, owner, "hledger", **YEAR)
