"""Fiscal-year summary and year-end close over books built through the API: the close
ties out (the year's net income is the change in retained earnings), statements read
the same before and after it, and the FEC of both years still passes its checks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.tenancy import all_tenants
from comptoir.outbox.models import OutboxEvent
from tests.compliance.scenario import set_siren
from tests.conftest import Account, register
from tests.ledger.helpers import balances, entry
from tests.reporting.scenario import flat, french_year, generic_year, rate, statement
from tests.sales.helpers import customer, invoice

CLOSE = "/api/v1/accounting/fiscal-year/close"
SUMMARY = "/api/v1/accounting/fiscal-year"


def close(client: TestClient, owner: Account, year: str, expect: int = 200) -> dict[str, Any]:
    response = client.post(CLOSE, headers=owner.headers, json={"fiscal_year": year})
    assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


def summary(client: TestClient, owner: Account, year: str | None = None) -> dict[str, Any]:
    params = {"fiscal_year": year} if year else {}
    response = client.get(SUMMARY, headers=owner.headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def unpaid_at_year_end(client: TestClient, owner: Account) -> dict[str, str]:
    """Two French customers and an American one still owe money at the end of 2025
    (invoiced before the scenario's first invoice, which numbering by date requires)."""
    rate(client, owner, "2025-09-01", "0.90")
    yankee = customer(client, owner, name="Boston LLC", country="US", currency="USD")
    invoice(
        client,
        owner,
        yankee["id"],
        [{"description": "Design", "quantity": "1", "unit_price": "300.00", "tax_codes": []}],
        issue_date="2025-09-05",
    )
    parties = {"Boston LLC": yankee["id"]}
    for name, amount in (("Martin SARL", "100.00"), ("Bernard SAS", "50.00")):
        buyer = customer(client, owner, name=name)
        invoice(
            client,
            owner,
            buyer["id"],
            [
                {
                    "description": "Advice",
                    "quantity": "1",
                    "unit_price": amount,
                    "tax_codes": ["FR-20"],
                }
            ],
            issue_date="2025-09-10",
        )
        parties[name] = buyer["id"]
    return parties


def trial_rows(client: TestClient, owner: Account, date_from: str, date_to: str) -> dict[str, Any]:
    response = client.get(
        "/api/v1/reports/trial-balance",
        headers=owner.headers,
        params={"date_from": date_from, "date_to": date_to},
    )
    assert response.status_code == 200, response.text
    return {row["code"]: row for row in response.json()["rows"]}


def figures(body: dict[str, Any]) -> dict[str, Any]:
    """What a statement shows: every line's amount, the result and the totals."""
    return {
        "lines": {code: line["amount"] for code, line in flat(body).items()},
        "result": body["result"],
        "totals": body["totals"],
    }


def get_entry(client: TestClient, owner: Account, entry_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/journal-entries/{entry_id}", headers=owner.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def fec_check(client: TestClient, owner: Account, year: str) -> dict[str, Any]:
    response = client.get(
        "/api/v1/accounting/fec/check", headers=owner.headers, params={"fiscal_year": year}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_closing_2025_ties_out_and_changes_no_statement(client: TestClient, owner: Account) -> None:
    parties = unpaid_at_year_end(client, owner)
    french_year(client, owner)
    set_siren(client, owner)

    income = {"date_from": "2025-01-01", "date_to": "2025-12-31"}
    income_before = figures(statement(client, owner, "income-statement", **income))
    sheets_before = {
        day: figures(statement(client, owner, "balance-sheet", as_of=day))
        for day in ("2025-12-31", "2026-01-01", "2026-06-30")
    }
    ledger_before = balances(client, owner, "2025-12-31")
    retained_before = balances(client, owner, "2026-01-01").get("110", Decimal(0))
    year_2026_before = trial_rows(client, owner, "2026-01-01", "2026-12-31")
    open_summary = summary(client, owner, "2025-01-01")
    assert open_summary["status"] == "open" and open_summary["can_close"] is True
    assert all(check["ok"] for check in open_summary["close_checks"])
    net_income = Decimal(open_summary["profit"])
    # Audit 2000 + advice 150 + design 270 (300 USD at 0.90), less fees 80.
    assert net_income == Decimal("2340.00") == Decimal(income_before["result"])
    assert (open_summary["revenue"], open_summary["expenses"]) == ("2420.00", "80.00")
    assert open_summary["receivables"] == "450.00"
    assert open_summary["cash"] == "12320.00"

    closed = close(client, owner, "2025-01-01")
    assert closed["status"] == "closed" and closed["closed_at"]
    assert closed["profit"] == open_summary["profit"]
    assert closed["close_checks"] == [] and closed["can_close"] is False

    # The closing entry zeroes income and expenses; 120 holds the result.
    after = balances(client, owner, "2025-12-31")
    for code, balance in after.items():
        if code[0] in "67":
            assert balance == 0, code
    assert after["120"] == -net_income
    assert {c: b for c, b in after.items() if c[0] not in "67" and c != "120"} == {
        c: b for c, b in ledger_before.items() if c[0] not in "67" and b
    }
    closing = get_entry(client, owner, closed["entries"]["closing"]["id"])
    assert (closing["date"], closing["journal_code"], closing["source_type"]) == (
        "2025-12-31",
        "OD",
        "fiscal_year_close",
    )

    # Statements read the same as before the close.
    assert figures(statement(client, owner, "income-statement", **income)) == income_before
    for day, before in sheets_before.items():
        now = statement(client, owner, "balance-sheet", as_of=day)
        assert now["balanced"] is True, day
        assert figures(now) == before, day

    # The issue's tie-out: retained earnings grew by the year's net income.
    retained_after = balances(client, owner, "2026-01-01")["110"]
    assert -(retained_after - retained_before) == net_income

    # 2026 moves as before, but for the allocation of the result (120 to 110).
    year_2026 = trial_rows(client, owner, "2026-01-01", "2026-12-31")
    for code, row in year_2026_before.items():
        if code not in ("110", "120") and code[0] not in "67":
            assert (row["debit"], row["credit"], row["closing_debit"], row["closing_credit"]) == (
                year_2026[code]["debit"],
                year_2026[code]["credit"],
                year_2026[code]["closing_debit"],
                year_2026[code]["closing_credit"],
            ), code
    assert year_2026["120"]["debit"] == f"{net_income:.2f}"
    assert year_2026["110"]["credit"] == f"{net_income:.2f}"

    # The opening entry repeats each balance-sheet balance per account, party, currency.
    opening = get_entry(client, owner, closed["entries"]["opening"]["id"])
    assert (opening["date"], opening["journal_code"], opening["source_type"]) == (
        "2026-01-01",
        "AN",
        "fiscal_year_opening",
    )
    carried: dict[str, Decimal] = defaultdict(Decimal)
    for line in opening["lines"]:
        carried[line["account_code"]] += Decimal(line["debit"]) - Decimal(line["credit"])
    assert dict(carried) == {c: b for c, b in after.items() if c[0] not in "67" and b}
    receivables = {
        line["party_id"]: line for line in opening["lines"] if line["account_code"] == "411"
    }
    assert set(receivables) == set(parties.values())
    assert receivables[parties["Martin SARL"]]["debit"] == "120.00"
    assert receivables[parties["Bernard SAS"]]["debit"] == "60.00"
    usd = receivables[parties["Boston LLC"]]
    assert (usd["currency"], usd["amount_currency"], usd["debit"]) == ("USD", "300.00", "270.00")
    assert Decimal(usd["exchange_rate"]) == Decimal("0.9")

    allocation = get_entry(client, owner, closed["entries"]["allocation"]["id"])
    assert (allocation["date"], allocation["journal_code"], allocation["source_type"]) == (
        "2026-01-01",
        "OD",
        "result_allocation",
    )

    # Closed for good: locked, no posting, no second close.
    response = client.get("/api/v1/accounting/settings", headers=owner.headers)
    assert response.json()["lock_date"] == "2025-12-31"
    late = entry(
        client,
        owner,
        [("626", "debit", "1.00"), ("512", "credit", "1.00")],
        on="2025-12-30",
        expect=422,
    )
    assert late["errors"][0]["code"] in ("period_locked", "fiscal_year_closed")
    again = close(client, owner, "2025-01-01", expect=409)
    assert again["code"] == "already_closed"

    # The FEC of both years passes its checks; 2026's starts with its opening entry.
    for year in ("2025-01-01", "2026-01-01"):
        report = fec_check(client, owner, year)
        assert report["ok"] is True, (year, report["problems"])
    response = client.get(
        "/api/v1/accounting/fec", headers=owner.headers, params={"fiscal_year": "2026-01-01"}
    )
    assert response.status_code == 200, response.text
    first_record = response.text.splitlines()[1]
    assert first_record.split("|")[0] == "AN"


def test_a_year_closes_only_after_it_ends_and_after_the_year_before(
    client: TestClient, owner: Account
) -> None:
    french_year(client, owner)
    early = close(client, owner, "2026-01-01", expect=422)
    assert "year_not_ended" in {e["code"] for e in early["errors"]}
    # A personal access token outlives the jump in time a signed session token does not.
    response = client.post(
        "/api/v1/api-tokens",
        headers=owner.headers,
        json={"name": "Closing", "scopes": ["entries:write", "reports:read", "entries:read"]},
    )
    assert response.status_code == 201, response.text
    owner = replace(owner, access_token=response.json()["token"])
    with clock.travel(datetime(2027, 2, 1, tzinfo=UTC) - clock.now()):
        blocked = close(client, owner, "2026-01-01", expect=422)
        codes = {e["code"]: e["message"] for e in blocked["errors"]}
        assert set(codes) == {"earlier_year_open"}
        assert "2025-01-01" in codes["earlier_year_open"]
        first = close(client, owner, "2025-01-01")
        second = close(client, owner, "2026-01-01")
        assert second["status"] == "closed"
        net_2026 = Decimal(second["profit"])
        assert net_2026 == Decimal(
            statement(
                client, owner, "income-statement", date_from="2026-01-01", date_to="2026-12-31"
            )["result"]
        )
        sheet = statement(client, owner, "balance-sheet", as_of="2027-01-01")
        assert sheet["balanced"] is True
        after = balances(client, owner, "2027-01-01")
        assert -after["110"] == Decimal(first["profit"]) + net_2026
        assert after.get("120", Decimal(0)) == 0


def test_drafts_and_missing_accounts_block_the_close(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    entry(
        client,
        owner,
        [("626", "debit", "9.00"), ("512", "credit", "9.00")],
        on="2025-12-20",
        post=False,
        reference="Forgotten fee",
    )
    checks = {c["code"]: c for c in summary(client, owner, "2025-01-01")["close_checks"]}
    assert checks["draft_entries"]["ok"] is False
    assert "Forgotten fee" in checks["draft_entries"]["message"]
    blocked = close(client, owner, "2025-01-01", expect=422)
    assert [e["code"] for e in blocked["errors"]] == ["draft_entries"]
    assert balances(client, owner, "2025-12-31").get("120", Decimal(0)) == 0

    accounts = client.get("/api/v1/accounts", headers=owner.headers, params={"search": "120"})
    earnings = next(a for a in accounts.json()["items"] if a["code"] == "120")
    response = client.post(
        f"/api/v1/accounts/{earnings['id']}/archive", headers=owner.headers, json={}
    )
    assert response.status_code in (200, 204), response.text
    checks = {c["code"]: c for c in summary(client, owner, "2025-01-01")["close_checks"]}
    assert checks["earnings_account_missing"]["ok"] is False
    assert "current_year_earnings" in checks["earnings_account_missing"]["message"]


def test_a_generic_chart_closes_into_current_year_earnings(client: TestClient) -> None:
    owner = register(client, organization_name="Generic Ltd", country="GB", base_currency="GBP")
    generic_year(client, owner)
    income = {"date_from": "2025-01-01", "date_to": "2025-12-31"}
    before = figures(statement(client, owner, "income-statement", **income))
    sheet_before = figures(statement(client, owner, "balance-sheet", as_of="2026-03-31"))
    closed = close(client, owner, "2025-01-01")
    assert Decimal(closed["profit"]) == Decimal(before["result"]) == Decimal("1000.00")
    assert balances(client, owner, "2025-12-31")["3300"] == Decimal("-1000.00")
    assert balances(client, owner, "2026-01-01")["3200"] == Decimal("-1000.00")
    assert figures(statement(client, owner, "income-statement", **income)) == before
    sheet = statement(client, owner, "balance-sheet", as_of="2026-03-31")
    assert sheet["balanced"] is True and figures(sheet) == sheet_before


def test_filed_months_of_the_next_year_do_not_hold_up_the_close(
    client: TestClient, owner: Account
) -> None:
    french_year(client, owner)
    locked = client.patch(
        "/api/v1/ledger/settings", headers=owner.headers, json={"lock_date": "2026-03-31"}
    )
    assert locked.status_code == 200, locked.text
    closed = close(client, owner, "2025-01-01")
    assert closed["entries"]["opening"]["date"] == "2026-01-01"
    assert closed["entries"]["allocation"]["date"] == "2026-01-01"
    settings = client.get("/api/v1/accounting/settings", headers=owner.headers).json()
    assert settings["lock_date"] == "2026-03-31"
    back = client.patch(
        "/api/v1/ledger/settings", headers=owner.headers, json={"lock_date": "2025-06-30"}
    )
    assert back.status_code == 422 and back.json()["errors"][0]["code"] == "before_closed_year"


def test_other_tenants_years_and_bad_input(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    years = client.get("/api/v1/fiscal-years", headers=owner.headers).json()
    assert [(y["start_date"], y["closed"]) for y in years] == [
        ("2026-01-01", False),
        ("2025-01-01", False),
    ]
    other = register(client, organization_name="Other SARL")
    for reference in (years[1]["id"], "2025-01-01", "not-a-year", "9999-99-99", "x" * 64):
        response = client.get(SUMMARY, headers=other.headers, params={"fiscal_year": reference})
        assert response.status_code == 404, response.text
        response = client.post(CLOSE, headers=other.headers, json={"fiscal_year": reference})
        assert response.status_code == 404, response.text
    for body in ({}, {"fiscal_year": ""}, {"fiscal_year": 2025}, {"fiscal_year": "x" * 65}, []):
        response = client.post(CLOSE, headers=owner.headers, json=body)
        assert response.status_code == 422, (body, response.text)
    response = client.get(SUMMARY, headers=owner.headers, params={"fiscal_year": "x" * 65})
    assert response.status_code == 422
    assert summary(client, owner, "2025-01-01")["status"] == "open"


def test_summary_of_a_year_with_nothing_posted(client: TestClient, owner: Account) -> None:
    body = summary(client, owner)
    today = clock.now().date()
    assert body["id"] is None and body["start_date"] == f"{today.year}-01-01"
    assert (body["revenue"], body["profit"], body["cash"]) == ("0.00", "0.00", "0.00")
    assert {c["code"]: c["ok"] for c in body["close_checks"]}["year_not_ended"] is False


def test_an_idempotent_close_replays_its_answer(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    headers = owner.headers | {"Idempotency-Key": "close-2025"}
    first = client.post(CLOSE, headers=headers, json={"fiscal_year": "2025-01-01"})
    second = client.post(CLOSE, headers=headers, json={"fiscal_year": "2025-01-01"})
    assert first.status_code == second.status_code == 200
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json() == second.json()


SETTINGS = "/api/v1/accounting/settings"


def test_settings_read_and_partial_update(client: TestClient, owner: Account) -> None:
    current = client.get(SETTINGS, headers=owner.headers).json()
    assert current == {
        "fiscal_year_start_month": 1,
        "lock_date": None,
        "journals": {
            "sales": "VT",
            "purchases": "AC",
            "bank": "BQ",
            "cash": "CA",
            "general": "OD",
            "opening": "AN",
        },
    }
    response = client.put(
        SETTINGS,
        headers=owner.headers,
        json={"fiscal_year_start_month": 7, "journals": {"sales": "VE"}},
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["fiscal_year_start_month"] == 7
    assert changed["journals"] == current["journals"] | {"sales": "VE"}
    response = client.put(SETTINGS, headers=owner.headers, json={"lock_date": "2026-03-31"})
    assert response.json()["lock_date"] == "2026-03-31"
    assert response.json()["fiscal_year_start_month"] == 7
    ledger = client.get("/api/v1/ledger/settings", headers=owner.headers).json()
    assert ledger["lock_date"] == "2026-03-31"
    response = client.put(SETTINGS, headers=owner.headers, json={"lock_date": None})
    assert response.json()["lock_date"] is None


def test_settings_refuse_bad_values(client: TestClient, owner: Account) -> None:
    french_year(client, owner)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"fiscal_year_start_month": 13}, "fiscal_year_start_month"),
        ({"fiscal_year_start_month": 0}, "fiscal_year_start_month"),
        ({"fiscal_year_start_month": None}, "fiscal_year_start_month"),
        ({"journals": {"sales": "vt"}}, "journals.sales"),
        ({"journals": {"sales": "V-T"}}, "journals.sales"),
        ({"journals": {"sales": "ABCDEFGHIJK"}}, "journals.sales"),
        ({"journals": {"sales": "AC"}}, "journals.sales"),
        ({"journals": {"sales": "XY", "purchases": "XY"}}, "journals.purchases"),
        ({"journals": {"payroll": "PA"}}, "journals.payroll"),
        ({"journals": None}, "journals"),
    ]
    for body, field in cases:
        response = client.put(SETTINGS, headers=owner.headers, json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in {e["field"] for e in response.json()["errors"]}, (body, response.text)
    for body in ({"fiscal_year_start_month": "7"}, {"lock_date": "31/12/2025"}, {"x": 1}):
        response = client.put(SETTINGS, headers=owner.headers, json=body)
        assert response.status_code == 422, (body, response.text)
    response = client.put(SETTINGS, headers=owner.headers, json={"fiscal_year_start_month": 4})
    assert response.status_code == 409 and response.json()["code"] == "entries_posted"
    response = client.put(SETTINGS, headers=owner.headers, json={"journals": {"sales": "VE"}})
    assert response.status_code == 409 and response.json()["code"] == "journal_in_use"
    close(client, owner, "2025-01-01")
    for lock in ("2025-06-30", None):
        response = client.put(SETTINGS, headers=owner.headers, json={"lock_date": lock})
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["code"] == "before_closed_year"
    response = client.put(SETTINGS, headers=owner.headers, json={"lock_date": "2026-01-31"})
    assert response.status_code == 200
    unchanged = client.get(SETTINGS, headers=owner.headers).json()
    assert unchanged["fiscal_year_start_month"] == 1 and unchanged["journals"]["sales"] == "VT"


def test_the_close_is_audited_and_announced(
    client: TestClient, owner: Account, database: Database
) -> None:
    french_year(client, owner)
    closed = close(client, owner, "2025-01-01")
    response = client.get(
        "/api/v1/audit-events",
        headers=owner.headers,
        params={"action": "ledger.fiscal_year_closed"},
    )
    assert response.status_code == 200, response.text
    (event,) = response.json()["items"]
    assert event["target_id"] == closed["id"]
    assert event["after"]["result"] == 192000
    with database.unit_of_work(write=False) as session, all_tenants(session):
        payloads = list(
            session.scalars(
                select(OutboxEvent.payload).where(OutboxEvent.type == "fiscal_year.closed")
            )
        )
    assert payloads == [
        {
            "id": closed["id"],
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
            "result_minor": 192000,
            "currency": "EUR",
        }
    ]


def test_the_hubs_cash_is_the_cash_flow_statements_closing_cash(
    client: TestClient, owner: Account
) -> None:
    # A second bank account made by hand, without a subtype: the cash-flow statement takes
    # it by its code (51...), so the hub must too.
    response = client.post(
        "/api/v1/accounts",
        headers=owner.headers,
        json={"code": "5121", "name": "Banque Populaire", "type": "asset"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["subtype"] is None
    entry(
        client, owner, [("512", "debit", "1000.00"), ("101", "credit", "1000.00")], on="2026-02-01"
    )
    entry(
        client, owner, [("5121", "debit", "700.00"), ("101", "credit", "700.00")], on="2026-03-01"
    )
    entry(client, owner, [("606", "debit", "50.00"), ("5121", "credit", "50.00")], on="2026-04-01")
    hub = summary(client, owner, "2026-01-01")
    flow = statement(client, owner, "cash-flow", date_from="2026-01-01", date_to="2026-12-31")
    assert flat(flow)["TC"]["amount"] == "1650.00"
    assert hub["cash"] == "1650.00"
