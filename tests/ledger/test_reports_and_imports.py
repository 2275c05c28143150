"""Trial balance, general ledger, journal report, downloads, and CSV imports."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
from fastapi.testclient import TestClient

from tests.conftest import Account
from tests.ledger.helpers import balances, entry

CSV_HEADERS = {"content-type": "text/csv"}


def _year(client: TestClient, owner: Account) -> None:
    entry(
        client, owner, [("512", "debit", "1000.00"), ("101", "credit", "1000.00")], on="2025-12-15"
    )
    entry(
        client,
        owner,
        [("411", "debit", "240.00"), ("706", "credit", "200.00"), ("44571", "credit", "40.00")],
        journal="VT",
        on="2026-01-10",
    )
    entry(
        client,
        owner,
        [("512", "debit", "240.00"), ("411", "credit", "240.00")],
        journal="BQ",
        on="2026-01-20",
    )
    entry(
        client,
        owner,
        [("607", "debit", "100.00"), ("512", "credit", "100.00")],
        journal="BQ",
        on="2026-02-05",
    )


def test_trial_balance_columns_and_filters(client: TestClient, owner: Account) -> None:
    _year(client, owner)
    report = client.get(
        "/api/v1/reports/trial-balance?date_from=2026-01-01&date_to=2026-01-31",
        headers=owner.headers,
    ).json()
    rows = {r["code"]: r for r in report["rows"]}
    assert rows["512"] == rows["512"] | {
        "opening_debit": "1000.00",
        "debit": "240.00",
        "credit": "0.00",
        "closing_debit": "1240.00",
    }
    assert rows["101"]["opening_credit"] == "1000.00" and rows["101"]["debit"] == "0.00"
    assert "607" not in rows  # posted in February
    assert report["balanced"] is True
    assert report["totals"] == {
        "opening_debit": "1000.00",
        "opening_credit": "1000.00",
        "debit": "480.00",
        "credit": "480.00",
        "closing_debit": "1240.00",
        "closing_credit": "1240.00",
    }
    hidden = client.get(
        "/api/v1/reports/trial-balance?date_from=2026-03-01&date_to=2026-03-31&hide_zero=true",
        headers=owner.headers,
    ).json()
    assert {r["code"] for r in hidden["rows"]} == {
        "101",
        "512",
        "44571",
        "706",
        "607",
    }  # 411 is settled to zero
    ranged = client.get(
        "/api/v1/reports/trial-balance?date_to=2026-12-31&account_from=4&account_to=5",
        headers=owner.headers,
    ).json()
    assert {r["code"] for r in ranged["rows"]} == {"411", "44571", "512"}
    wrong = client.get(
        "/api/v1/reports/trial-balance?date_from=2026-02-01&date_to=2026-01-01",
        headers=owner.headers,
    )
    assert wrong.status_code == 422


def test_general_ledger_running_balance_and_pages(client: TestClient, owner: Account) -> None:
    _year(client, owner)
    ledger = client.get(
        "/api/v1/reports/general-ledger?account=512&date_from=2026-01-01&date_to=2026-12-31",
        headers=owner.headers,
    ).json()
    assert ledger["opening"] == "1000.00" and ledger["closing"] == "1140.00"
    assert [(line["date"], line["journal"], line["balance"]) for line in ledger["lines"]] == [
        ("2026-01-20", "BQ", "1240.00"),
        ("2026-02-05", "BQ", "1140.00"),
    ]
    first = client.get(
        "/api/v1/reports/general-ledger?account=512&date_to=2026-12-31&limit=1",
        headers=owner.headers,
    ).json()
    second = client.get(
        f"/api/v1/reports/general-ledger?account=512&date_to=2026-12-31&limit=1&cursor={first['next_cursor']}",
        headers=owner.headers,
    ).json()
    third = client.get(
        f"/api/v1/reports/general-ledger?account=512&date_to=2026-12-31&limit=1&cursor={second['next_cursor']}",
        headers=owner.headers,
    ).json()
    assert [p["lines"][0]["balance"] for p in (first, second, third)] == [
        "1000.00",
        "1240.00",
        "1140.00",
    ]
    assert third["next_cursor"] is None
    by_journal = client.get(
        "/api/v1/reports/general-ledger?account=512&date_to=2026-12-31&journal=OD",
        headers=owner.headers,
    ).json()
    assert len(by_journal["lines"]) == 1
    assert (
        client.get(
            "/api/v1/reports/general-ledger?account=nope&date_to=2026-12-31", headers=owner.headers
        ).status_code
        == 422
    )
    assert (
        client.get(
            "/api/v1/reports/general-ledger?account=512&date_to=2026-12-31&cursor=garbage",
            headers=owner.headers,
        ).status_code
        == 422
    )


def test_journal_report_and_account_balance(client: TestClient, owner: Account) -> None:
    _year(client, owner)
    report = client.get(
        "/api/v1/reports/journal?journal=BQ&date_to=2026-12-31", headers=owner.headers
    ).json()
    assert [e["number"] for e in report["entries"]] == ["BQ-2026-00001", "BQ-2026-00002"]
    assert report["debit"] == report["credit"] == "340.00"
    bank = client.get("/api/v1/accounts?search=512", headers=owner.headers).json()["items"][0]
    balance = client.get(
        f"/api/v1/accounts/{bank['id']}/balance?as_of=2026-01-31", headers=owner.headers
    ).json()
    assert balance == {
        "account_id": bank["id"],
        "as_of": "2026-01-31",
        "currency": "EUR",
        "balance": "1240.00",
    }


def test_downloads_show_the_same_figures(client: TestClient, owner: Account) -> None:
    _year(client, owner)
    params = "date_from=2026-01-01&date_to=2026-12-31"
    as_json = client.get(f"/api/v1/reports/trial-balance?{params}", headers=owner.headers).json()
    as_csv = client.get(f"/api/v1/reports/trial-balance?{params}&format=csv", headers=owner.headers)
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0][:2] == ["Account", "Name"]
    by_code = {row[0]: row for row in rows[1:]}
    json_512 = next(r for r in as_json["rows"] if r["code"] == "512")
    assert [Decimal(v) for v in by_code["512"][2:]] == [
        Decimal(json_512[k])
        for k in (
            "opening_debit",
            "opening_credit",
            "debit",
            "credit",
            "closing_debit",
            "closing_credit",
        )
    ]
    assert rows[-1][1] == "Total" and Decimal(rows[-1][4]) == Decimal(as_json["totals"]["debit"])
    as_xlsx = client.get(
        f"/api/v1/reports/trial-balance?{params}&format=xlsx", headers=owner.headers
    )
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).active
    values = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["512"][6] == float(json_512["closing_debit"])
    ledger_csv = client.get(
        "/api/v1/reports/general-ledger?account=512&date_to=2026-12-31&format=csv",
        headers=owner.headers,
    ).text
    lines = list(csv.reader(io.StringIO(ledger_csv)))
    assert [row[7] for row in lines[1:]] == ["0.00", "1000.00", "1240.00", "1140.00", "1140.00"]


def test_opening_balances_import(client: TestClient, owner: Account) -> None:
    unbalanced = "account,debit,credit\n512,5000.00,\n101,,4000.00\n411,,\n"
    refused = client.post(
        "/api/v1/imports/opening-balances?date=2026-01-01",
        headers={**owner.headers, **CSV_HEADERS},
        content=unbalanced,
    )
    assert refused.status_code == 422
    assert "exceed by 1000.00 EUR" in refused.json()["detail"]
    bad_rows = "account,debit,credit\n512,5000.00,\n9999,,4000.00\n101,abc,\n"
    refused = client.post(
        "/api/v1/imports/opening-balances?date=2026-01-01",
        headers={**owner.headers, **CSV_HEADERS},
        content=bad_rows,
    )
    assert sorted((e["row"], e["field"]) for e in refused.json()["errors"]) == [
        (3, "account"),
        (4, "debit"),
    ]
    assert balances(client, owner) == {}
    checked = client.post(
        "/api/v1/imports/opening-balances?date=2026-01-01&offset_to_equity=true&dry_run=true",
        headers={**owner.headers, **CSV_HEADERS},
        content=unbalanced,
    )
    assert checked.json() == {"entries": 1, "lines": 3, "entry_ids": [], "dry_run": True}
    assert balances(client, owner) == {}
    done = client.post(
        "/api/v1/imports/opening-balances?date=2026-01-01&offset_to_equity=true",
        headers={**owner.headers, **CSV_HEADERS},
        content=unbalanced,
    )
    assert done.status_code == 200, done.text
    assert balances(client, owner) == {
        "512": Decimal("5000.00"),
        "101": Decimal("-4000.00"),
        "890": Decimal("-1000.00"),
    }
    posted = client.get(
        f"/api/v1/journal-entries/{done.json()['entry_ids'][0]}", headers=owner.headers
    ).json()
    assert posted["journal_code"] == "AN" and posted["number"] == "AN-2026-00001"


def test_journal_entries_csv_import(client: TestClient, owner: Account) -> None:
    good = (
        "reference,date,journal,account,debit,credit,label\n"
        "S1,2026-01-10,VT,411,120.00,,Invoice 1\n"
        "S1,2026-01-10,VT,706,,100.00,\n"
        "S1,2026-01-10,VT,44571,,20.00,\n"
        "P1,2026-01-05,BQ,512,120.00,,\n"
        "P1,2026-01-05,BQ,411,,120.00,\n"
    )
    broken = good.replace("S1,2026-01-10,VT,706,,100.00", "S1,2026-01-10,VT,706,,90.00").replace(
        "P1,2026-01-05,BQ,411", "P1,2026-01-06,BQ,411"
    )
    refused = client.post(
        "/api/v1/imports/journal-entries", headers={**owner.headers, **CSV_HEADERS}, content=broken
    )
    assert refused.status_code == 422
    problems = {(e.get("row"), e["field"]) for e in refused.json()["errors"]}
    assert (6, "date") in problems
    assert balances(client, owner) == {}
    unbalanced_only = good.replace("S1,2026-01-10,VT,706,,100.00", "S1,2026-01-10,VT,706,,90.00")
    refused = client.post(
        "/api/v1/imports/journal-entries",
        headers={**owner.headers, **CSV_HEADERS},
        content=unbalanced_only,
    )
    assert (
        refused.json()["errors"][0]["code"] == "unbalanced"
        and refused.json()["errors"][0]["row"] == 2
    )
    dry = client.post(
        "/api/v1/imports/journal-entries?dry_run=true",
        headers={**owner.headers, **CSV_HEADERS},
        content=good,
    )
    assert dry.json() == {"entries": 2, "lines": 5, "entry_ids": [], "dry_run": True}
    done = client.post(
        "/api/v1/imports/journal-entries", headers={**owner.headers, **CSV_HEADERS}, content=good
    )
    assert done.status_code == 200, done.text
    assert done.json()["entries"] == 2
    assert balances(client, owner) == {
        "411": 0,
        "44571": Decimal("-20.00"),
        "512": Decimal("120.00"),
        "706": Decimal("-100.00"),
    }
    numbers = {
        e["reference"]: e["number"]
        for e in client.get("/api/v1/journal-entries", headers=owner.headers).json()["items"]
    }
    assert numbers == {"S1": "VT-2026-00001", "P1": "BQ-2026-00001"}


def test_malformed_import_files(client: TestClient, owner: Account) -> None:
    for content in (
        "",
        "a,b\n1,2\n",
        "reference,date,journal,account,debit,credit\n",
        "\r0",
        'reference,date\n"unterminated',
    ):
        response = client.post(
            "/api/v1/imports/journal-entries",
            headers={**owner.headers, **CSV_HEADERS},
            content=content,
        )
        assert response.status_code == 422, content
    latin1 = "account,debit,credit\n512,10.00,\n101,,10.00\n".encode("cp1252")
    assert (
        client.post(
            "/api/v1/imports/opening-balances?date=2026-01-01",
            headers={**owner.headers, **CSV_HEADERS},
            content=latin1,
        ).status_code
        == 200
    )


def test_zero_rows_are_skipped_in_opening_balances(client: TestClient, owner: Account) -> None:
    content = "account,debit,credit\n512,100.00,0.00\n530,0.00,0.00\n101,,100.00\n"
    done = client.post(
        "/api/v1/imports/opening-balances?date=2026-01-01",
        headers={**owner.headers, **CSV_HEADERS},
        content=content,
    )
    assert done.status_code == 200, done.text
    assert done.json()["lines"] == 2
