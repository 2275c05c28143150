"""VAT returns through the API: every box of a French quarter against amounts worked out
here from the documents' lines, the drill-down behind each box, downloads, filing with
its lock and carried credit, bad periods, other tenants, Zambian and generic layouts."""

from __future__ import annotations

import csv
import io
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader

from comptoir.kit.db import Database
from comptoir.kit.tenancy import as_organization
from comptoir.ledger.service import entries
from comptoir.ledger.service.entries import EntryInput, LineInput
from tests.conftest import Account, register
from tests.ledger.helpers import entry
from tests.purchases.helpers import bill, supplier
from tests.sales.helpers import customer, invoice, pay

VAT = "/api/v1/accounting/vat"
CENT = Decimal("0.01")

# The quarter's documents: (tax code, quantity, unit price) per invoice line.
DOMESTIC = [
    ("FR-20", 2, "500.00"),
    ("FR-10", 1, "300.00"),
    ("FR-5.5", 1, "200.00"),
    ("FR-2.1", 1, "100.00"),
]
RATES = {
    "FR-20": Decimal(20),
    "FR-10": Decimal(10),
    "FR-5.5": Decimal("5.5"),
    "FR-2.1": Decimal("2.1"),
}
EXPORT = ("EXPORT", 1, "800.00")
EU_GOODS = ("EU-RC-G", 1, "600.00")
EU_SERVICES = ("EU-RC-S", 1, "400.00")
CREDIT_NOTE = ("FR-20", 1, "100.00")
BILL = ("FR-20", 1, "250.00")
EXPENSE_GROSS = Decimal("120.00")


def _line(code: str, quantity: int, price: str) -> dict[str, Any]:
    return {
        "description": f"Goods at {code}",
        "quantity": str(quantity),
        "unit_price": price,
        "tax_codes": [code],
    }


def _net(quantity: int, price: str) -> Decimal:
    return quantity * Decimal(price)


def _tax(code: str, quantity: int, price: str) -> Decimal:
    return (_net(quantity, price) * RATES[code] / 100).quantize(CENT, ROUND_HALF_UP)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _boxes(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {box["code"]: box for section in body["sections"] for box in section["boxes"]}


def _french_quarter(client: TestClient, owner: Account) -> None:
    """Sales at every French rate, an export, intra-EU supplies of goods and services, a
    credit note, a bill and an expense, all in 2026-Q1."""
    dupont = customer(client, owner, name="Dupont SARL")
    invoice(
        client, owner, dupont["id"], [_line(*line) for line in DOMESTIC], issue_date="2026-01-10"
    )
    abroad = customer(client, owner, name="Globex Inc", country="US")
    invoice(client, owner, abroad["id"], [_line(*EXPORT)], issue_date="2026-02-05")
    berlin = customer(client, owner, name="Berlin GmbH", country="DE", vat_number="DE136695976")
    invoice(client, owner, berlin["id"], [_line(*EU_GOODS)], issue_date="2026-02-06")
    invoice(client, owner, berlin["id"], [_line(*EU_SERVICES)], issue_date="2026-02-07")
    note = _ok(
        client.post(
            "/api/v1/credit-notes",
            headers=owner.headers,
            json={
                "customer": dupont["id"],
                "issue_date": "2026-03-01",
                "lines": [_line(*CREDIT_NOTE)],
            },
        ),
        201,
    )
    _ok(client.post(f"/api/v1/credit-notes/{note['id']}/issue", headers=owner.headers))
    martin = supplier(client, owner)
    code, quantity, price = BILL
    bill(
        client,
        owner,
        martin["id"],
        [_line(code, quantity, price) | {"account": "606"}],
        issue_date="2026-02-01",
    )
    spent = _ok(
        client.post(
            "/api/v1/expenses",
            headers=owner.headers,
            json={
                "date": "2026-03-02",
                "supplier_name": "Taxi Parisien",
                "description": "Taxi to the client",
                "amount": str(EXPENSE_GROSS),
                "tax_code": "FR-20",
                "category": "travel",
            },
        ),
        201,
    )
    if spent["status"] != "posted":
        submitted = _ok(
            client.post(f"/api/v1/expenses/{spent['id']}/submit", headers=owner.headers)
        )
        if submitted["status"] == "submitted":
            _ok(client.post(f"/api/v1/expenses/{spent['id']}/approve", headers=owner.headers))


def _expected_quarter() -> dict[str, Decimal]:
    """The boxes, worked out from the documents above, not from the ledger."""
    collected: dict[str, Decimal] = {
        "08": Decimal(0),
        "9B": Decimal(0),
        "09": Decimal(0),
        "T6": Decimal(0),
    }
    bases: dict[str, Decimal] = dict.fromkeys(collected, Decimal(0))
    box_of = {"FR-20": "08", "FR-10": "9B", "FR-5.5": "09", "FR-2.1": "T6"}
    for code, quantity, price in DOMESTIC:
        collected[box_of[code]] += _tax(code, quantity, price)
        bases[box_of[code]] += _net(quantity, price)
    code, quantity, price = CREDIT_NOTE
    collected["08"] -= _tax(code, quantity, price)
    bases["08"] -= _net(quantity, price)
    expense_base = (EXPENSE_GROSS / Decimal("1.2")).quantize(CENT, ROUND_HALF_UP)
    deductible = _tax(*BILL) + (EXPENSE_GROSS - expense_base)
    gross = sum(collected.values(), Decimal(0))
    expected = {f"{box}.base": base for box, base in bases.items()} | collected
    expected |= {
        "A1": sum(bases.values(), Decimal(0)),
        "E1": _net(*EXPORT[1:]),
        "F2": _net(*EU_GOODS[1:]),
        "E2": _net(*EU_SERVICES[1:]),
        "A3": Decimal(0),
        "B2": Decimal(0),
        "16": gross,
        "17": Decimal(0),
        "19": Decimal(0),
        "20": deductible,
        "22": Decimal(0),
        "23": deductible,
        "25": max(Decimal(0), deductible - gross),
        "TD": max(Decimal(0), gross - deductible),
        "28": max(Decimal(0), gross - deductible),
        "32": max(Decimal(0), gross - deductible),
    }
    return expected


def _all_lines(client: TestClient, owner: Account, period: str, box: str) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = _ok(
            client.get(
                f"{VAT}/lines",
                headers=owner.headers,
                params={"period": period, "box": box, "limit": 2, "cursor": cursor},
            )
        )
        lines += page["items"]
        if page["next_cursor"] is None:
            return lines
        cursor = page["next_cursor"]


def test_a_french_quarter_fills_every_box(client: TestClient, owner: Account) -> None:
    _french_quarter(client, owner)
    body = _ok(client.get(VAT, headers=owner.headers, params={"period": "2026-Q1"}))
    assert (body["layout"], body["date_from"], body["date_to"]) == (
        "fr_ca3",
        "2026-01-01",
        "2026-03-31",
    )
    assert body["currency"] == "EUR" and body["unmapped"] == [] and body["filed"] is None
    boxes = _boxes(body)
    expected = _expected_quarter()
    found = {code: Decimal(box["amount"]) for code, box in boxes.items() if code in expected}
    found |= {
        f"{code}.base": Decimal(box["base"])
        for code, box in boxes.items()
        if f"{code}.base" in expected
    }
    assert found == expected
    assert Decimal(body["net_due"]) == expected["TD"] and body["credit"] == "0.00"
    assert boxes["08"]["label"] == "Taux normal 20 %" and boxes["08"]["label_en"]

    # The lines behind every box filled from the ledger add up to it, page after page.
    for code, box in boxes.items():
        if not box["drillable"]:
            continue
        lines = _all_lines(client, owner, "2026-Q1", code)
        assert sum((Decimal(line["value"]) for line in lines), Decimal(0)) == Decimal(
            box["amount"]
        ), code
    behind = _all_lines(client, owner, "2026-Q1", "08")
    assert {line["account"] for line in behind} == {"44571"}
    assert {line["party_name"] for line in behind} == {"Dupont SARL"}
    assert all(line["entry_number"].startswith("VT-2026-") for line in behind)
    export = _all_lines(client, owner, "2026-Q1", "E1")
    assert [(line["tax_code"], line["value"]) for line in export] == [("EXPORT", "800.00")]
    computed = client.get(
        f"{VAT}/lines", headers=owner.headers, params={"period": "2026-Q1", "box": "TD"}
    )
    assert computed.status_code == 422 and computed.json()["errors"][0]["code"] == "computed_box"
    unknown = client.get(
        f"{VAT}/lines", headers=owner.headers, params={"period": "2026-Q1", "box": "ZZ"}
    )
    assert unknown.status_code == 422

    # The same figures as CSV, with the documented columns, and as a PDF.
    download = client.get(VAT, headers=owner.headers, params={"period": "2026-Q1", "format": "csv"})
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert list(rows[0]) == ["section", "box", "label", "base", "amount"]
    by_box = {row["box"]: row for row in rows}
    assert Decimal(by_box["08"]["amount"]) == expected["08"]
    assert Decimal(by_box["08"]["base"]) == expected["08.base"]
    assert Decimal(by_box["TD"]["amount"]) == expected["TD"] and by_box["TD"]["base"] == ""
    pdf = client.get(VAT, headers=owner.headers, params={"period": "2026-Q1", "format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Déclaration de TVA CA3" in text and "Taux normal 20 %" in text
    assert "180.00" in text and f"{expected['TD']:.2f}" in text


def test_the_monthly_series(client: TestClient, owner: Account) -> None:
    _french_quarter(client, owner)
    body = _ok(client.get(f"{VAT}/monthly", headers=owner.headers, params={"year": 2026}))
    months = {m["month"]: m for m in body["months"]}
    assert len(months) == 12 and body["currency"] == "EUR"
    january = sum(_tax(*line) for line in DOMESTIC)
    assert Decimal(months["2026-01"]["collected"]) == january
    assert Decimal(months["2026-02"]["deductible"]) == _tax(*BILL)
    assert Decimal(months["2026-03"]["collected"]) == -_tax(*CREDIT_NOTE)
    assert months["2026-04"] == {"month": "2026-04", "collected": "0.00", "deductible": "0.00"}


def test_filing_freezes_locks_and_carries_the_credit(client: TestClient, owner: Account) -> None:
    dupont = customer(client, owner, name="Dupont SARL")
    martin = supplier(client, owner)
    # April: more deductible than collected, a credit.
    invoice(client, owner, dupont["id"], [_line("FR-20", 1, "100.00")], issue_date="2026-04-10")
    bill(
        client,
        owner,
        martin["id"],
        [_line("FR-20", 1, "1000.00") | {"account": "606"}],
        issue_date="2026-04-12",
    )
    april = _ok(client.get(VAT, headers=owner.headers, params={"period": "2026-04"}))
    assert _boxes(april)["25"]["amount"] == "180.00" and april["net_due"] == "-180.00"
    assert april["credit"] == "180.00"

    filed = _ok(
        client.post(
            f"{VAT}/returns",
            headers=owner.headers | {"Idempotency-Key": "file-april"},
            json={"period": "2026-04", "reference": "CA3 avril"},
        ),
        201,
    )
    assert filed["net_due"] == "-180.00" and filed["boxes"]["25"] == "180.00"
    assert filed["boxes"]["08.base"] == "100.00" and filed["reference"] == "CA3 avril"
    replay = client.post(
        f"{VAT}/returns",
        headers=owner.headers | {"Idempotency-Key": "file-april"},
        json={"period": "2026-04", "reference": "CA3 avril"},
    )
    assert replay.status_code == 201 and replay.json()["id"] == filed["id"]

    # The books are locked to the period's last day.
    locked = entry(
        client,
        owner,
        [("512", "debit", "10.00"), ("706", "credit", "10.00")],
        on="2026-04-30",
        expect=422,
    )
    assert locked["errors"][0]["code"] == "period_locked"
    # Overlapping periods are refused.
    for body in (
        {"period": "2026-04"},
        {"period": "2026-Q2"},
        {"date_from": "2026-04-15", "date_to": "2026-05-15"},
    ):
        refused = client.post(f"{VAT}/returns", headers=owner.headers, json=body)
        assert refused.status_code == 409 and refused.json()["code"] == "vat_return_overlaps", body

    # May carries April's credit in box 22.
    invoice(client, owner, dupont["id"], [_line("FR-20", 1, "1000.00")], issue_date="2026-05-10")
    may = _boxes(_ok(client.get(VAT, headers=owner.headers, params={"period": "2026-05"})))
    assert may["22"]["amount"] == "180.00" and may["23"]["amount"] == "180.00"
    assert may["16"]["amount"] == "200.00" and may["TD"]["amount"] == "20.00"
    assert may["25"]["amount"] == "0.00"

    # The filed return shows as filed, is listed, and reads back frozen.
    shown = _ok(client.get(VAT, headers=owner.headers, params={"period": "2026-04"}))
    assert shown["filed"]["id"] == filed["id"] and shown["differences"] == []
    listed = _ok(client.get(f"{VAT}/returns", headers=owner.headers))
    assert [r["id"] for r in listed["items"]] == [filed["id"]] and listed["next_cursor"] is None
    one = _ok(client.get(f"{VAT}/returns/{filed['id']}", headers=owner.headers))
    assert one["boxes"] == filed["boxes"] and one["period_end"] == "2026-04-30"
    events = _ok(client.get("/api/v1/audit-events", headers=owner.headers))["items"]
    assert any(e["action"] == "vat_return.filed" for e in events)


def test_a_period_that_is_not_over_cannot_be_filed(client: TestClient, owner: Account) -> None:
    this_year = str(date.today().year)
    refused = client.post(f"{VAT}/returns", headers=owner.headers, json={"period": this_year})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["code"] == "period_not_ended"
    far = client.post(f"{VAT}/returns", headers=owner.headers, json={"period": "2999-Q1"})
    assert far.status_code == 422 and far.json()["errors"][0]["code"] == "period_not_ended"
    settings = _ok(client.get("/api/v1/ledger/settings", headers=owner.headers))
    assert settings["lock_date"] is None
    assert _ok(client.get(f"{VAT}/returns", headers=owner.headers))["items"] == []


def test_overlapping_returns_filed_at_once_are_filed_once(
    client: TestClient, owner: Account
) -> None:
    def send(period: str) -> int:
        response = client.post(f"{VAT}/returns", headers=owner.headers, json={"period": period})
        return response.status_code

    with ThreadPoolExecutor(max_workers=3) as pool:
        codes = sorted(pool.map(send, ["2026-Q1", "2026-03", "2026-Q1"]))
    assert codes == [201, 409, 409], codes
    assert len(_ok(client.get(f"{VAT}/returns", headers=owner.headers))["items"]) == 1


def test_another_tenants_return_is_not_found(client: TestClient, owner: Account) -> None:
    filed = _ok(
        client.post(f"{VAT}/returns", headers=owner.headers, json={"period": "2026-01"}), 201
    )
    other = register(client, organization_name="Autre SARL")
    missing = client.get(f"{VAT}/returns/{filed['id']}", headers=other.headers)
    assert missing.status_code == 404
    assert _ok(client.get(f"{VAT}/returns", headers=other.headers))["items"] == []


def test_bad_periods_are_refused(client: TestClient, owner: Account) -> None:
    for params in (
        {"period": "2026-13"},
        {"period": "2026-Q5"},
        {"period": "abc"},
        {"period": "2026-00"},
        {"period": "0001"},
        {"period": "2026-01-01..2026-99-01"},
        {"date_from": "2026-03-01", "date_to": "2026-01-31"},
        {"date_from": "2024-01-01", "date_to": "2026-12-31"},
        {"date_from": "2026-01-01", "date_to": "2027-01-01"},
        {"date_from": "2026-01-01"},
        {"date_from": "nonsense", "date_to": "2026-01-31"},
        {"period": "2026-01", "date_from": "2026-01-01", "date_to": "2026-01-31"},
        {},
        {"period": "2026", "layout": "mars"},
    ):
        response = client.get(VAT, headers=owner.headers, params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        filing = client.post(f"{VAT}/returns", headers=owner.headers, json=params)
        assert filing.status_code == 422, (params, filing.text)
    for body in (
        {"period": 2026},
        {"period": "2026", "reference": "x" * 101},
        {"period": "2026", "extra": 1},
    ):
        assert client.post(f"{VAT}/returns", headers=owner.headers, json=body).status_code == 422
    assert (
        client.get(f"{VAT}/monthly", headers=owner.headers, params={"year": 99999}).status_code
        == 422
    )
    assert (
        client.get(
            f"{VAT}/lines",
            headers=owner.headers,
            params={"period": "2026", "box": "08", "cursor": "zz"},
        ).status_code
        == 422
    )
    # A year of exactly twelve months is fine, and named as the year.
    whole = _ok(
        client.get(
            VAT, headers=owner.headers, params={"date_from": "2026-01-01", "date_to": "2026-12-31"}
        )
    )
    assert whole["period"] == "2026"


def test_an_unknown_tax_code_is_listed_as_unmapped(
    client: TestClient, database: Database, owner: Account
) -> None:
    # Left by a module or an import with a code the organization has no tax for; no API
    # writes tax codes on hand-made entries, so the ledger's own service posts it.
    with (
        database.unit_of_work() as session,
        as_organization(session, uuid.UUID(owner.organization_id)),
    ):
        entries.record(
            session,
            EntryInput(
                journal="OD",
                date=date(2026, 2, 3),
                lines=[
                    LineInput(account="512", debit="19.60"),
                    LineInput(account="44571", credit="19.60", tax_code="OLD-19.6", tax_base=10000),
                ],
            ),
        )
    body = _ok(client.get(VAT, headers=owner.headers, params={"period": "2026-02"}))
    assert body["unmapped"] == [
        {
            "tax_code": "OLD-19.6",
            "account": "44571",
            "debit": "0.00",
            "credit": "19.60",
            "reason": "unknown_tax",
        }
    ]
    assert _boxes(body)["16"]["amount"] == "0.00"


def _expense_account(client: TestClient, account: Account) -> str:
    found = _ok(
        client.get(
            "/api/v1/accounts",
            headers=account.headers,
            params={"type": "expense", "postable": "true"},
        )
    )
    items = found["items"] if isinstance(found, dict) else found
    return str(items[0]["code"])


def test_a_zambian_return(client: TestClient) -> None:
    lusaka = register(
        client, organization_name="Lusaka Traders Ltd", country="ZM", base_currency="ZMW"
    )
    buyer = customer(client, lusaka, name="Copperbelt Mining", country="ZM")
    invoice(
        client,
        lusaka,
        buyer["id"],
        [_line("A", 1, "1000.00"), _line("C1", 1, "500.00"), _line("D", 1, "200.00")],
        issue_date="2026-02-10",
        currency="ZMW",
    )
    seller = supplier(client, lusaka, name="Kafue Supplies", country="ZM")
    bill(
        client,
        lusaka,
        seller["id"],
        [_line("A", 1, "400.00") | {"account": _expense_account(client, lusaka)}],
        issue_date="2026-02-11",
        currency="ZMW",
    )
    body = _ok(client.get(VAT, headers=lusaka.headers, params={"period": "2026-02"}))
    assert body["layout"] == "zm" and body["currency"] == "ZMW" and body["unmapped"] == []
    boxes = {code: box["amount"] for code, box in _boxes(body).items()}
    assert boxes == {
        "SR": "1000.00",
        "OT": "160.00",
        "ZR": "500.00",
        "EX": "200.00",
        "IT": "64.00",
        "NP": "96.00",
        "NR": "0.00",
    }
    assert body["net_due"] == "96.00"


def test_a_generic_return(client: TestClient) -> None:
    berlin = register(client, organization_name="Berlin GmbH", country="DE", base_currency="EUR")
    taxes = {tax["code"] for tax in _ok(client.get("/api/v1/taxes", headers=berlin.headers))}
    assert {"DE-19", "DE-7"} <= taxes
    buyer = customer(client, berlin, name="Hamburg AG", country="DE")
    invoice(
        client,
        berlin,
        buyer["id"],
        [_line("DE-19", 1, "1000.00"), _line("DE-7", 2, "50.00")],
        issue_date="2026-03-03",
    )
    seller = supplier(client, berlin, name="München Bedarf", country="DE")
    bill(
        client,
        berlin,
        seller["id"],
        [_line("DE-19", 1, "300.00") | {"account": _expense_account(client, berlin)}],
        issue_date="2026-03-04",
    )
    body = _ok(client.get(VAT, headers=berlin.headers, params={"period": "2026-03"}))
    assert body["layout"] == "generic"
    boxes = _boxes(body)
    assert (boxes["OUT-19"]["base"], boxes["OUT-19"]["amount"]) == ("1000.00", "190.00")
    assert (boxes["OUT-7"]["base"], boxes["OUT-7"]["amount"]) == ("100.00", "7.00")
    assert (boxes["IN-19"]["base"], boxes["IN-19"]["amount"]) == ("300.00", "57.00")
    assert boxes["OUT"]["amount"] == "197.00" and boxes["IN"]["amount"] == "57.00"
    assert boxes["NET"]["amount"] == "140.00" and body["net_due"] == "140.00"
    # The French layout can be asked for explicitly; its boxes stay empty here.
    french = _ok(
        client.get(VAT, headers=berlin.headers, params={"period": "2026-03", "layout": "fr_ca3"})
    )
    assert _boxes(french)["08"]["amount"] == "0.00"


def test_vat_on_payments_reverse_charge_and_assets(client: TestClient, owner: Account) -> None:
    """Services VAT counts when paid; self-assessed VAT is due and deductible at once;
    VAT on fixed assets goes to box 19: all from the ledger's own rules."""
    dupont = customer(client, owner, name="Dupont SARL")
    service = {
        "description": "Consulting",
        "quantity": "1",
        "unit_price": "1000.00",
        "tax_codes": ["FR-20-S"],
    }
    issued = invoice(client, owner, dupont["id"], [service], issue_date="2026-03-10")
    pay(client, owner, dupont["id"], "600.00", [(issued["id"], "600.00")], on="2026-04-15")
    german = supplier(client, owner, name="Software GmbH", country="DE", vat_number="DE136695976")
    bill(
        client,
        owner,
        german["id"],
        [_line("FR-AI-S-20", 1, "1000.00") | {"account": "604"}],
        issue_date="2026-04-02",
    )
    bill(
        client,
        owner,
        german["id"],
        [_line("FR-AI-G-20", 1, "2000.00") | {"account": "2183"}],
        issue_date="2026-04-03",
    )
    martin = supplier(client, owner)
    bill(
        client,
        owner,
        martin["id"],
        [_line("FR-20", 1, "1500.00") | {"account": "2183"}],
        issue_date="2026-04-04",
    )

    march = _boxes(_ok(client.get(VAT, headers=owner.headers, params={"period": "2026-03"})))
    assert (march["A1"]["amount"], march["08"]["amount"]) == ("0.00", "0.00")
    april_body = _ok(client.get(VAT, headers=owner.headers, params={"period": "2026-04"}))
    assert april_body["unmapped"] == []
    april = {code: (box["base"], box["amount"]) for code, box in _boxes(april_body).items()}
    # Half the invoice is paid: half its base and VAT are due in April.
    assert april["A1"] == (None, "500.00")
    assert april["A3"] == (None, "1000.00") and april["B2"] == (None, "2000.00")
    assert april["08"] == ("3500.00", "700.00")
    assert april["16"][1] == "700.00" and april["17"][1] == "400.00"
    assert april["19"][1] == "700.00" and april["20"][1] == "200.00"
    assert april["23"][1] == "900.00" and april["25"][1] == "200.00"
    assert april["TD"][1] == "0.00" and april_body["net_due"] == "-200.00"
    for code in ("A1", "A3", "B2", "08", "17", "19", "20"):
        lines = _all_lines(client, owner, "2026-04", code)
        total = sum((Decimal(line["value"]) for line in lines), Decimal(0))
        assert total == Decimal(april[code][1]), code
    assert {line["account"] for line in _all_lines(client, owner, "2026-04", "19")} == {"44562"}


def test_vat_no_box_declares_is_listed_as_unmapped(client: TestClient, owner: Account) -> None:
    # A tax made by hand without box codes: its deductible VAT would land in no box.
    _ok(
        client.post(
            "/api/v1/taxes",
            headers=owner.headers,
            json={
                "code": "HOUSE-20",
                "label": "House 20 %",
                "rate": "20",
                "collected_account": "44571",
                "deductible_account": "44566",
            },
        ),
        201,
    )
    seller = supplier(client, owner, name="Atelier Roux")
    bill(
        client,
        owner,
        seller["id"],
        [_line("HOUSE-20", 1, "150.00") | {"account": "606"}],
        issue_date="2026-02-12",
    )
    # Its collected VAT counts in the total 16 but in no rate line.
    buyer = customer(client, owner, name="Maison Blanc")
    invoice(client, owner, buyer["id"], [_line("HOUSE-20", 1, "50.00")], issue_date="2026-02-13")
    body = _ok(client.get(VAT, headers=owner.headers, params={"period": "2026-02"}))
    unmapped = sorted(body["unmapped"], key=lambda row: row["account"])
    assert unmapped == [
        {
            "tax_code": "HOUSE-20",
            "account": "44566",
            "debit": "30.00",
            "credit": "0.00",
            "reason": "no_box",
        },
        {
            "tax_code": "HOUSE-20",
            "account": "44571",
            "debit": "0.00",
            "credit": "10.00",
            "reason": "no_box",
        },
    ]
    boxes = _boxes(body)
    assert boxes["20"]["amount"] == "0.00" and boxes["23"]["amount"] == "0.00"
    assert boxes["16"]["amount"] == "10.00" and boxes["08"]["amount"] == "0.00"
