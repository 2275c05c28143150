"""Lettering in the FEC: lines settled in parts carry one code, and a code whose other
side lies in another year is imported open rather than refused."""

from __future__ import annotations

from fastapi.testclient import TestClient

from comptoir.compliance.service.fec import COLUMNS
from tests.compliance.scenario import set_siren
from tests.conftest import Account, register
from tests.sales.helpers import customer, invoice, pay


def _fec(client: TestClient, owner: Account, year: str) -> bytes:
    response = client.get(
        "/api/v1/accounting/fec", headers=owner.headers, params={"fiscal_year": f"{year}-01-01"}
    )
    assert response.status_code == 200, response.text
    return response.content


def _rows(raw: bytes) -> list[dict[str, str]]:
    return [
        dict(zip(COLUMNS, line.split("|"), strict=True))
        for line in raw.decode().split("\r\n")[1:-1]
    ]


def test_an_invoice_settled_by_a_credit_note_and_a_payment_is_one_lettering(
    client: TestClient, owner: Account
) -> None:
    set_siren(client, owner)
    buyer = customer(client, owner)
    sold = invoice(client, owner, buyer["id"], issue_date="2026-02-01")
    credit = client.post(
        "/api/v1/credit-notes",
        headers=owner.headers,
        json={
            "invoice": sold["id"],
            "issue_date": "2026-02-05",
            "lines": [
                {
                    "description": "Remise",
                    "quantity": "1",
                    "unit_price": "100.00",
                    "tax_codes": ["FR-20"],
                }
            ],
        },
    )
    assert credit.status_code == 201, credit.text
    issued = client.post(f"/api/v1/credit-notes/{credit.json()['id']}/issue", headers=owner.headers)
    assert issued.status_code == 200, issued.text
    pay(client, owner, buyer["id"], "1080.00", [(sold["id"], "1080.00")], on="2026-03-10")

    receivable = [row for row in _rows(_fec(client, owner, "2026")) if row["CompteNum"] == "411"]
    assert len(receivable) == 3
    assert len({row["EcritureLet"] for row in receivable}) == 1
    assert receivable[0]["EcritureLet"]
    assert {row["DateLet"] for row in receivable} == {"20260310"}

    other = register(client, organization_name="Reprise SARL")
    set_siren(client, other)
    imported = client.post(
        "/api/v1/accounting/fec/import",
        headers=other.headers,
        files={"file": ("fec.txt", _fec(client, owner, "2026"), "text/plain")},
    )
    assert imported.status_code == 200, imported.text
    assert (imported.json()["matchings"], imported.json()["unmatched_letterings"]) == (1, [])
    again = [row for row in _rows(_fec(client, other, "2026")) if row["CompteNum"] == "411"]
    assert len({row["EcritureLet"] for row in again}) == 1 and again[0]["EcritureLet"]


def test_a_lettering_with_a_line_of_another_year_is_imported_open(
    client: TestClient, owner: Account
) -> None:
    set_siren(client, owner)
    buyer = customer(client, owner)
    sold = invoice(client, owner, buyer["id"], issue_date="2025-12-15")
    pay(client, owner, buyer["id"], "1200.00", [(sold["id"], "1200.00")], on="2026-01-10")
    payment_year = _fec(client, owner, "2026")
    code = next(row["EcritureLet"] for row in _rows(payment_year) if row["CompteNum"] == "411")
    assert code

    other = register(client, organization_name="Reprise SARL")
    set_siren(client, other)
    imported = client.post(
        "/api/v1/accounting/fec/import",
        headers=other.headers,
        files={"file": ("fec.txt", payment_year, "text/plain")},
    )
    assert imported.status_code == 200, imported.text
    assert (imported.json()["matchings"], imported.json()["unmatched_letterings"]) == (0, [code])
    reimported = [row for row in _rows(_fec(client, other, "2026")) if row["CompteNum"] == "411"]
    assert [row["EcritureLet"] for row in reimported] == [""]
