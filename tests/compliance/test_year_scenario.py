"""A generated year of business, end to end: the statements tie out, the VAT return's
boxes match what the documents say, the FEC passes its checks and survives a round trip,
and the year closes into retained earnings.

The year is built once per module in a database of its own (about a hundred and fifty
documents through the API), then each test reads it.
"""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.app import create_app
from comptoir.compliance.service.fec import COLUMNS
from comptoir.kit.db import Database
from comptoir.kit.settings import Settings
from tests.compliance.scenario import SIREN, set_siren
from tests.compliance.year import YEAR, Vat, Year, build
from tests.conftest import PG_URL, Account, cloned_pg_database, register

MONTH_ENDS = [f"{YEAR}-{m:02d}-{d}" for m, d in ((1, 31), (3, 31), (6, 30), (9, 30), (12, 31))]


@dataclass
class Books:
    client: TestClient
    owner: Account
    year: Year


@pytest.fixture(scope="module")
def books(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Books]:
    workdir = tmp_path_factory.mktemp("year")
    with _database(database_template, workdir) as url:
        database = Database(url)
        settings = Settings(
            env="test",
            data_dir=workdir / "data",
            database_url=url,
            secret_key="y" * 48,
            base_url="http://testserver",
            log_format="text",
            log_level="CRITICAL",
        )
        with TestClient(create_app(settings, database)) as client:
            owner = register(client, organization_name="Année Pleine SARL")
            yield Books(client, owner, build(client, owner))
        database.dispose()


@contextmanager
def _database(template: str, workdir: Path) -> Iterator[str]:
    """A database of the module's own: a copy of the SQLite template, or a PostgreSQL
    clone dropped at the end (the per-test database is emptied after every test)."""
    if PG_URL:
        with cloned_pg_database(template, "year") as url:
            yield url
        return
    path = workdir / "year.sqlite3"
    shutil.copyfile(template, path)
    yield f"sqlite:///{path}"


def _get(books: Books, path: str, **params: Any) -> Any:
    response = books.client.get(path, headers=books.owner.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _trial_balance(books: Books, owner: Account | None = None) -> list[tuple[str, str, str]]:
    response = books.client.get(
        "/api/v1/reports/trial-balance",
        headers=(owner or books.owner).headers,
        params={"date_from": f"{YEAR}-01-01", "date_to": f"{YEAR}-12-31"},
    )
    assert response.status_code == 200, response.text
    return [(r["code"], r["debit"], r["credit"]) for r in response.json()["rows"]]


def test_the_year_has_every_kind_of_document(books: Books) -> None:
    invoices = _get(books, "/api/v1/invoices", limit=200)["items"]
    assert len(invoices) == len(books.year.invoices) + 12 + 4
    assert {i["currency"] for i in invoices} == {"EUR", "USD"}
    assert len(_get(books, "/api/v1/credit-notes")["items"]) == 4
    assert len(books.year.bills) == 12 * 2 + 4 + 2
    assert books.year.expenses == 24


def test_the_balance_sheet_balances_and_carries_the_income_statement_result(
    books: Books,
) -> None:
    for as_of in MONTH_ENDS:
        sheet = _get(books, "/api/v1/reports/balance-sheet", as_of=as_of)
        assert len(set(sheet["totals"].values())) == 1, (as_of, sheet["totals"])
        income = _get(
            books, "/api/v1/reports/income-statement", date_from=f"{YEAR}-01-01", date_to=as_of
        )
        assert Decimal(sheet["result"]) == Decimal(income["result"]), as_of
    rows = _trial_balance(books)
    assert sum(Decimal(r[1]) for r in rows) == sum(Decimal(r[2]) for r in rows)


def _legal_rows(raw: bytes) -> list[dict[str, str]]:
    """The FEC's rows after checking, on the file itself, every format rule of article
    A47 A-1: header, 18 columns, separator, line ends, dates, amounts, account numbers,
    mandatory fields, balanced entries numbered without gaps per journal."""
    text = raw.decode("utf-8")
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    records = [line.split("|") for line in text.split("\r\n")[:-1]]
    assert records[0] == list(COLUMNS)
    assert {len(record) for record in records} == {18}
    rows = [dict(zip(COLUMNS, record, strict=True)) for record in records[1:]]
    numbers: dict[str, list[int]] = {}
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        for column in ("EcritureDate", "PieceDate", "ValidDate"):
            assert re.fullmatch(r"\d{8}", row[column]), row
            date(int(row[column][:4]), int(row[column][4:6]), int(row[column][6:]))
        assert f"{YEAR}0101" <= row["EcritureDate"] <= f"{YEAR}1231"
        for column in ("Debit", "Credit"):
            assert re.fullmatch(r"\d+,\d{2}", row[column]), row
        assert re.match(r"\d{3}", row["CompteNum"]), row
        for column in ("JournalCode", "JournalLib", "EcritureNum", "CompteLib", "PieceRef"):
            assert row[column], (column, row)
        if row["CompteNum"].startswith(("401", "411")):
            assert row["CompAuxNum"] and row["CompAuxLib"], row
        if row["Idevise"]:
            assert re.fullmatch(r"-?\d+,\d{2}", row["Montantdevise"]), row
        number = int(row["EcritureNum"].rsplit("-", 1)[1])
        seen = numbers.setdefault(row["JournalCode"], [])
        if not seen or seen[-1] != number:
            seen.append(number)
        totals[row["EcritureNum"]] += int(row["Debit"].replace(",", "")) - int(
            row["Credit"].replace(",", "")
        )
    assert set(totals.values()) == {0}
    for journal, seen in numbers.items():
        assert sorted(seen) == list(range(1, len(seen) + 1)), journal
    return rows


def test_the_fec_passes_its_checks_and_survives_a_round_trip(books: Books) -> None:
    check = _get(books, "/api/v1/accounting/fec/check", fiscal_year=f"{YEAR}-01-01")
    assert check["ok"], check["problems"]
    assert check["entries"] > 150
    exported = books.client.get(
        "/api/v1/accounting/fec",
        headers=books.owner.headers,
        params={"fiscal_year": f"{YEAR}-01-01"},
    )
    assert exported.status_code == 200, exported.text
    assert f'filename="{SIREN}FEC{YEAR}1231.txt"' in exported.headers["content-disposition"]
    rows = _legal_rows(exported.content)
    assert {row["Idevise"] for row in rows} == {"", "USD"}
    other = register(books.client, organization_name="Reprise SARL")
    set_siren(books.client, other)
    imported = books.client.post(
        "/api/v1/accounting/fec/import",
        headers=other.headers,
        files={"file": ("fec.txt", exported.content, "text/plain")},
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["lines"] == check["lines"]
    assert _trial_balance(books, other) == _trial_balance(books)


def _expected_ca3(vat: Vat) -> dict[str, tuple[Decimal | None, Decimal]]:
    """The CA3 boxes the documents call for, computed from what was sent."""

    def base(*codes: str) -> Decimal:
        return sum((vat.collected_base[(0, code)] for code in codes), Decimal(0))

    def tax(*codes: str) -> Decimal:
        return sum((vat.collected[(0, code)] for code in codes), Decimal(0))

    standard = ("FR-20", "FR-20-S", "FR-AI-S-20")
    gross = tax(*standard, "FR-5.5", "FR-10", "FR-2.1")
    deductible = sum(vat.deductible.values(), Decimal(0))
    assets = vat.deductible_assets[0]
    total_deductible = deductible + assets
    return {
        "A1": (None, base("FR-20", "FR-20-S", "FR-10", "FR-5.5", "FR-2.1")),
        "A3": (None, base("FR-AI-S-20")),
        "E1": (None, base("EXPORT")),
        "E2": (None, base("EU-RC-S")),
        "F2": (None, base("EU-RC-G")),
        "08": (base(*standard), tax(*standard)),
        "09": (base("FR-5.5"), tax("FR-5.5")),
        "9B": (base("FR-10"), tax("FR-10")),
        "T6": (base("FR-2.1"), tax("FR-2.1")),
        "16": (None, gross),
        "19": (None, assets),
        "20": (None, deductible),
        "22": (None, Decimal(0)),
        "23": (None, total_deductible),
        "25": (None, max(total_deductible - gross, Decimal(0))),
        "TD": (None, max(gross - total_deductible, Decimal(0))),
    }


@pytest.mark.parametrize(
    ("period", "months"),
    [
        (f"{YEAR}-Q1", range(1, 4)),
        (f"{YEAR}-Q2", range(4, 7)),
        (f"{YEAR}-Q3", range(7, 10)),
        (f"{YEAR}-Q4", range(10, 13)),
        (f"{YEAR}-04", [4]),
        (f"{YEAR}-12", [12]),
    ],
)
def test_every_vat_box_matches_the_documents(
    books: Books, period: str, months: range | list[int]
) -> None:
    answer = _get(books, "/api/v1/accounting/vat", period=period)
    assert answer["layout"] == "fr_ca3"
    assert answer["unmapped"] == []
    declared = {
        box["code"]: (
            None if box.get("base") is None else Decimal(box["base"]),
            Decimal(box["amount"]),
        )
        for section in answer["sections"]
        for box in section["boxes"]
    }
    for code, (base, amount) in _expected_ca3(books.year.vat.months(months)).items():
        assert declared[code][1] == amount, (period, code, declared[code], amount)
        if base is not None:
            assert declared[code][0] == base, (period, code, declared[code], base)


def _retained_earnings(books: Books, on: str) -> Decimal:
    rows = _get(books, "/api/v1/reports/trial-balance", date_to=on)["rows"]
    return sum(
        (
            Decimal(r["closing_credit"]) - Decimal(r["closing_debit"])
            for r in rows
            if r["code"] == "110"
        ),
        Decimal(0),
    )


def test_closing_the_year_moves_its_result_to_retained_earnings(books: Books) -> None:
    period = {"date_from": f"{YEAR}-01-01", "date_to": f"{YEAR}-12-31"}
    result = Decimal(_get(books, "/api/v1/reports/income-statement", **period)["result"])
    before = _retained_earnings(books, f"{YEAR + 1}-01-01")
    closed = books.client.post(
        "/api/v1/accounting/fiscal-year/close",
        headers=books.owner.headers,
        json={"fiscal_year": f"{YEAR}-01-01"},
    )
    assert closed.status_code == 200, closed.text
    assert _retained_earnings(books, f"{YEAR + 1}-01-01") - before == result
    assert Decimal(_get(books, "/api/v1/reports/income-statement", **period)["result"]) == result
    sheet = _get(books, "/api/v1/reports/balance-sheet", as_of=f"{YEAR}-12-31")
    assert len(set(sheet["totals"].values())) == 1
    assert Decimal(sheet["result"]) == result
    check = _get(books, "/api/v1/accounting/fec/check", fiscal_year=f"{YEAR}-01-01")
    assert check["ok"], check["problems"]


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [(f"{YEAR}-01-01", f"{YEAR}-12-31"), (f"{YEAR}-04-01", f"{YEAR}-06-30")],
)
def test_the_cash_flow_ends_at_the_cash_and_bank_balance(
    books: Books, date_from: str, date_to: str
) -> None:
    flow = _get(books, "/api/v1/reports/cash-flow", date_from=date_from, date_to=date_to)
    rows = _get(books, "/api/v1/reports/trial-balance", date_to=date_to)["rows"]
    bank = sum(
        (
            Decimal(r["closing_debit"]) - Decimal(r["closing_credit"])
            for r in rows
            if r["code"] == "512"
        ),
        Decimal(0),
    )
    assert flow["balanced"]
    assert {Decimal(v) for v in flow["totals"].values()} == {bank}
    assert Decimal(flow["result"]) == Decimal(
        _get(books, "/api/v1/reports/income-statement", date_from=date_from, date_to=date_to)[
            "result"
        ]
    )
