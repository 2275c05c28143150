"""The FEC of a year, checked rule by rule on the bytes of the file itself."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient

from comptoir.compliance.service.fec import COLUMNS
from tests.compliance.scenario import SIREN, build, set_siren
from tests.conftest import Account, register


def _download(client: TestClient, owner: Account, **params: str) -> bytes:
    response = client.get(
        "/api/v1/accounting/fec",
        headers=owner.headers,
        params={"fiscal_year": "2026-01-01", **params},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{SIREN}FEC20261231.txt"'
    )
    return response.content


def test_every_legal_format_rule(client: TestClient, owner: Account) -> None:
    build(client, owner)
    raw = _download(client, owner, check="true")
    text = raw.decode("utf-8")
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    records = [line.split("|") for line in text.split("\r\n")[:-1]]
    assert records[0] == list(COLUMNS)
    assert all(len(record) == 18 for record in records)
    rows = [dict(zip(COLUMNS, record, strict=True)) for record in records[1:]]
    assert len(rows) == 16
    for row in rows:
        for column in ("EcritureDate", "PieceDate", "ValidDate"):
            day = row[column]
            assert re.fullmatch(r"\d{8}", day) and date(int(day[:4]), int(day[4:6]), int(day[6:]))
            assert "20260101" <= row["EcritureDate"] <= "20261231"
        for column in ("Debit", "Credit"):
            assert re.fullmatch(r"\d+,\d{2}", row[column]), row
        assert (row["Debit"] == "0,00") != (row["Credit"] == "0,00")
        assert re.match(r"\d{3}", row["CompteNum"])
        for column in ("JournalCode", "JournalLib", "EcritureNum", "CompteLib", "PieceRef"):
            assert row[column], (column, row)
        assert row["EcritureLib"]
        assert row["EcritureNum"].startswith(f"{row['JournalCode']}-2026-")
    # Opening entries first, then the order of validation (the opening entry came last).
    assert [r["JournalCode"] for r in rows[:2]] == ["AN", "AN"]
    assert rows[2]["JournalCode"] == "VT" and rows[2]["EcritureNum"] == "VT-2026-00001"
    assert "AN" not in {r["JournalCode"] for r in rows[2:]}
    # Continuity per journal, each entry balanced.
    numbers: dict[str, list[int]] = {}
    totals: dict[str, int] = {}
    for row in rows:
        number = int(row["EcritureNum"].rsplit("-", 1)[1])
        seen = numbers.setdefault(row["JournalCode"], [])
        if not seen or seen[-1] != number:
            seen.append(number)
        cents = int(row["Debit"].replace(",", "")) - int(row["Credit"].replace(",", ""))
        totals[row["EcritureNum"]] = totals.get(row["EcritureNum"], 0) + cents
    assert {code: sorted(n) for code, n in numbers.items()} == {
        "AN": [1],
        "VT": [1, 2],
        "AC": [1],
        "BQ": [1, 2],
        "OD": [1],
    }
    assert set(totals.values()) == {0}
    sale = [r for r in rows if r["EcritureNum"] == "VT-2026-00001"]
    assert sale[0]["CompteNum"] == "411" and sale[0]["Debit"] == "1200,00"
    assert (sale[0]["CompAuxNum"], sale[0]["CompAuxLib"]) == ("DUPONT", "Dupont & Fils")
    assert sale[0]["PieceRef"] == "F-2026-001" and sale[0]["PieceDate"] == "20260110"
    assert sale[1]["EcritureLib"] == "Prestations conseil"
    assert sale[1]["CompAuxNum"] == "" and sale[1]["Montantdevise"] == ""
    # Lettering: the invoice and its receipt share a code and the matching's date.
    lettered = [r for r in rows if r["CompteNum"] == "411" and r["EcritureLet"]]
    assert len(lettered) == 2 and len({r["EcritureLet"] for r in lettered}) == 1
    assert {r["DateLet"] for r in lettered} == {"20260201"}
    supplier = [r for r in rows if r["CompteNum"] == "401"]
    assert {r["CompAuxLib"] for r in supplier} == {"Établissements Martin"}
    assert all(r["EcritureLet"] and r["DateLet"] == "20260203" for r in supplier)
    unlettered = [r for r in rows if r["CompteNum"] not in ("411", "401")]
    assert all(r["EcritureLet"] == r["DateLet"] == "" for r in unlettered)
    # The foreign-currency invoice: base amounts, and the USD amount beside them.
    usd = [r for r in rows if r["EcritureNum"] == "VT-2026-00002"]
    assert [(r["Debit"], r["Credit"], r["Montantdevise"], r["Idevise"]) for r in usd] == [
        ("925,00", "0,00", "1000,00", "USD"),
        ("0,00", "925,00", "1000,00", "USD"),
    ]
    # A piece without reference carries its entry number.
    payment = next(r for r in rows if r["EcritureNum"] == "BQ-2026-00002")
    assert payment["PieceRef"] == "BQ-2026-00002"


def test_tab_separator_and_latin9(client: TestClient, owner: Account) -> None:
    build(client, owner)
    raw = _download(client, owner, separator="tab", encoding="iso-8859-15")
    text = raw.decode("iso-8859-15")
    lines = text.split("\r\n")[:-1]
    assert lines[0] == "\t".join(COLUMNS)
    assert all(line.count("\t") == 17 and "|" not in line for line in lines)
    assert "Établissements Martin" in text
    assert "TVA collectée 20 %" in text
    assert raw.count("É".encode("iso-8859-15")) >= 1
    # No UTF-8 sequence slipped in.
    assert "Ã".encode("iso-8859-15") not in raw


def test_drafts_never_appear(client: TestClient, owner: Account) -> None:
    build(client, owner)
    response = client.post(
        "/api/v1/journal-entries",
        headers=owner.headers,
        json={
            "journal": "OD",
            "date": "2026-06-01",
            "reference": "DRAFT-ONLY",
            "post": False,
            "lines": [{"account": "626", "debit": "1.00"}, {"account": "512", "credit": "1.00"}],
        },
    )
    assert response.status_code == 201, response.text
    assert b"DRAFT-ONLY" not in _download(client, owner)


def test_check_report_of_a_clean_year(client: TestClient, owner: Account) -> None:
    build(client, owner)
    response = client.get(
        "/api/v1/accounting/fec/check", headers=owner.headers, params={"fiscal_year": "2026-01-01"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True and body["problems"] == []
    assert body["filename"] == f"{SIREN}FEC20261231.txt"
    assert (body["lines"], body["entries"]) == (16, 7)


def test_bad_inputs(client: TestClient, owner: Account) -> None:
    build(client, owner)
    headers = owner.headers
    for params in (
        {"fiscal_year": "2026-01-01", "separator": "comma"},
        {"fiscal_year": "2026-01-01", "encoding": "latin-1"},
        {"fiscal_year": "2026-01-01", "check": "maybe"},
        {"fiscal_year": ""},
        {},
    ):
        response = client.get("/api/v1/accounting/fec", headers=headers, params=params)
        assert response.status_code == 422, (params, response.text)
    for params in ({"fiscal_year": ""}, {}, {"fiscal_year": "x" * 41}):
        response = client.get("/api/v1/accounting/fec/check", headers=headers, params=params)
        assert response.status_code == 422, (params, response.text)
    for year in ("2025-01-01", "not-a-year", "00000000-0000-0000-0000-000000000000"):
        for path in ("/api/v1/accounting/fec", "/api/v1/accounting/fec/check"):
            response = client.get(path, headers=headers, params={"fiscal_year": year})
            assert response.status_code == 404, (path, year, response.text)
    years = client.get("/api/v1/fiscal-years", headers=headers).json()
    other = register(client, organization_name="Other SARL")
    for path in ("/api/v1/accounting/fec", "/api/v1/accounting/fec/check"):
        response = client.get(path, headers=other.headers, params={"fiscal_year": years[0]["id"]})
        assert response.status_code == 404, response.text
        response = client.get(path, headers=owner.headers, params={"fiscal_year": years[0]["id"]})
        assert response.status_code == 200, response.text


def test_missing_siren(client: TestClient, owner: Account) -> None:
    build(client, owner)
    set_siren(client, owner, "")
    response = client.get(
        "/api/v1/accounting/fec", headers=owner.headers, params={"fiscal_year": "2026-01-01"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "siren"
    assert "organization settings" in response.json()["errors"][0]["message"]
    check = client.get(
        "/api/v1/accounting/fec/check", headers=owner.headers, params={"fiscal_year": "2026-01-01"}
    ).json()
    assert check["filename"] is None and check["problems"][0]["code"] == "missing_siren"
