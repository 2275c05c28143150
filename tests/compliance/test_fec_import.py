"""FEC import: a year exported, imported into a new organization and exported again gives
the same lines and the same trial balance."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from comptoir.compliance.service.fec import COLUMNS
from tests.compliance.scenario import build, set_siren
from tests.conftest import Account, register


def _export(client: TestClient, owner: Account) -> bytes:
    response = client.get(
        "/api/v1/accounting/fec", headers=owner.headers, params={"fiscal_year": "2026-01-01"}
    )
    assert response.status_code == 200, response.text
    return response.content


def _import(client: TestClient, owner: Account, raw: bytes) -> Any:
    return client.post(
        "/api/v1/accounting/fec/import",
        headers=owner.headers,
        files={"file": ("fec.txt", raw, "text/plain")},
    )


def _comparable(raw: bytes) -> list[tuple[str, ...]]:
    """Lines without what an import gives afresh: validation date and lettering codes
    (groups kept: a code is replaced by the first entry number and account it letters)."""
    rows = [
        dict(zip(COLUMNS, line.split("|"), strict=True))
        for line in raw.decode().split("\r\n")[1:-1]
    ]
    groups: dict[str, str] = {}
    for values in rows:
        if values["EcritureLet"]:
            member = f"{values['EcritureNum']}/{values['CompteNum']}"
            groups[values["EcritureLet"]] = min(groups.get(values["EcritureLet"], member), member)
    result = []
    for values in rows:
        values["EcritureLet"] = groups.get(values["EcritureLet"], "")
        values["ValidDate"] = ""
        result.append(tuple(values.values()))
    return sorted(result)


def _trial_balance(client: TestClient, owner: Account) -> list[tuple[str, str, str]]:
    report = client.get(
        "/api/v1/reports/trial-balance",
        headers=owner.headers,
        params={"date_from": "2026-01-01", "date_to": "2026-12-31"},
    )
    assert report.status_code == 200, report.text
    return [(r["code"], r["debit"], r["credit"]) for r in report.json()["rows"]]


def test_round_trip(client: TestClient, owner: Account) -> None:
    build(client, owner)
    first = _export(client, owner)
    other = register(client, organization_name="Migrated SARL")
    set_siren(client, other)
    response = _import(client, other, first)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["entries"], summary["lines"], summary["matchings"]) == (7, 16, 2)
    assert sorted(summary["parties_created"]) == ["DUPONT", "MARTIN"]
    second = _export(client, other)
    assert _comparable(second) == _comparable(first)
    assert _trial_balance(client, other) == _trial_balance(client, owner)
    customers = client.get("/api/v1/customers", headers=other.headers).json()
    assert [c["code"] for c in customers["items"]] == ["DUPONT"]
    # The same file again: the year is no longer empty.
    again = _import(client, other, first)
    assert again.status_code == 409 and again.json()["code"] == "books_not_empty"


def test_foreign_tool_file_creates_accounts_and_journals(
    client: TestClient, owner: Account
) -> None:
    header = "\t".join(COLUMNS)

    def line(*values: str) -> str:
        return "\t".join(values)

    text = (
        "\r\n".join(
            [
                header,
                line(
                    "HA",
                    "Journal des achats",
                    "17",
                    "20260305",
                    "60610000",
                    "Électricité",
                    "",
                    "",
                    "EDF-3",
                    "20260301",
                    "Facture EDF",
                    "100,00",
                    "0,00",
                    "",
                    "",
                    "20260306",
                    "",
                    "",
                ),
                line(
                    "HA",
                    "Journal des achats",
                    "17",
                    "20260305",
                    "40100000",
                    "Fournisseurs",
                    "EDF",
                    "EDF SA",
                    "EDF-3",
                    "20260301",
                    "Facture EDF",
                    "0,00",
                    "100,00",
                    "",
                    "",
                    "20260306",
                    "",
                    "",
                ),
            ]
        )
        + "\r\n"
    )
    response = _import(client, owner, text.encode("iso-8859-15"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accounts_created"] == ["60610000", "40100000"]
    assert body["journals_created"] == ["HA"]
    assert body["parties_created"] == ["EDF"]
    accounts = client.get("/api/v1/accounts", headers=owner.headers, params={"q": "6061"})
    assert accounts.status_code == 200
    suppliers = client.get("/api/v1/suppliers", headers=owner.headers).json()["items"]
    assert [(s["code"], s["name"]) for s in suppliers] == [("EDF", "EDF SA")]
    balance = {row[0]: row for row in _trial_balance(client, owner)}
    assert balance["60610000"] == ("60610000", "100.00", "0.00")


def test_bad_file_is_refused_with_lines(client: TestClient, owner: Account) -> None:
    header = "|".join(COLUMNS)
    broken = "\r\n".join(
        [
            header,
            "VT|Ventes|VT-2026-00001|20260110|411|Clients|||F-1|20260110|F-1|120,00|0,00||"
            "|20260110||",
            "VT|Ventes|VT-2026-00001|20260110|706|Ventes|||F-1|20260110|F-1|0,00|100,00||"
            "|20260110||",
            "VT|Ventes|VT-2026-00002|2026-01-11|706|Ventes|||F-1|20260110|F-1|0,00|100,00||"
            "|20260110||",
        ]
    )
    response = _import(client, owner, broken.encode())
    assert response.status_code == 422
    errors = {(e["row"], e["field"], e["code"]) for e in response.json()["errors"]}
    assert (2, "Debit", "unbalanced") in errors
    assert (4, "EcritureDate", "date_format") in errors
    for raw in (b"", b"not a fec at all\r\n", header.encode()):
        assert _import(client, owner, raw).status_code == 422
    assert client.get("/api/v1/journal-entries", headers=owner.headers).json()["items"] == []


def test_import_needs_entries_write(client: TestClient, owner: Account) -> None:
    response = client.post(
        "/api/v1/accounting/fec/import", files={"file": ("fec.txt", b"x", "text/plain")}
    )
    assert response.status_code == 401
    missing = client.post("/api/v1/accounting/fec/import", headers=owner.headers)
    assert missing.status_code == 422
