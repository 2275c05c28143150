"""Lettering of reconcilable accounts, and exchange rates."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Account
from tests.ledger.helpers import entry


def _line(posted: dict, code: str) -> str:
    return next(line["id"] for line in posted["lines"] if line["account_code"] == code)


def test_full_and_partial_matching(client: TestClient, owner: Account) -> None:
    invoice = entry(
        client, owner, [("411", "debit", "1200.00"), ("706", "credit", "1200.00")], journal="VT"
    )
    first = entry(
        client, owner, [("512", "debit", "500.00"), ("411", "credit", "500.00")], journal="BQ"
    )
    second = entry(
        client, owner, [("512", "debit", "700.00"), ("411", "credit", "700.00")], journal="BQ"
    )
    partial = client.post(
        "/api/v1/matchings",
        headers=owner.headers,
        json={"line_ids": [_line(invoice, "411"), _line(first, "411")], "date": "2026-02-01"},
    )
    assert partial.status_code == 201, partial.text
    assert partial.json()["code"] == "A" and partial.json()["is_full"] is False
    assert sorted(line["amount"] for line in partial.json()["lines"]) == ["-500.00", "500.00"]
    rest = client.post(
        "/api/v1/matchings",
        headers=owner.headers,
        json={"line_ids": [_line(invoice, "411"), _line(second, "411")]},
    )
    assert rest.json()["code"] == "B"
    open_lines = client.get(
        "/api/v1/reports/general-ledger?account=411&date_to=2026-12-31&matched=false",
        headers=owner.headers,
    ).json()
    assert open_lines["lines"] == []
    again = client.post(
        "/api/v1/matchings",
        headers=owner.headers,
        json={"line_ids": [_line(invoice, "411"), _line(second, "411")]},
    )
    assert again.status_code == 409
    assert (
        client.delete(f"/api/v1/matchings/{rest.json()['id']}", headers=owner.headers).status_code
        == 204
    )
    open_lines = client.get(
        "/api/v1/reports/general-ledger?account=411&date_to=2026-12-31&matched=false",
        headers=owner.headers,
    ).json()
    # The invoice is open again for 700 (its first 500 stay matched), and so is the second payment.
    assert [
        (line["debit"], line["credit"], line["matching_code"]) for line in open_lines["lines"]
    ] == [("1200.00", "0.00", "A"), ("0.00", "700.00", None)]


def test_matching_rules(client: TestClient, owner: Account) -> None:
    sale = entry(client, owner, [("411", "debit", "10.00"), ("706", "credit", "10.00")])
    other_sale = entry(client, owner, [("411", "debit", "5.00"), ("706", "credit", "5.00")])
    bank = entry(client, owner, [("512", "debit", "10.00"), ("101", "credit", "10.00")])
    draft = entry(
        client, owner, [("512", "debit", "10.00"), ("411", "credit", "10.00")], post=False
    )
    cases = [
        ([_line(sale, "411"), _line(bank, "512")], "different_accounts"),
        ([_line(sale, "706"), _line(other_sale, "706")], "not_reconcilable"),
        ([_line(sale, "411"), _line(other_sale, "411")], "one_sided"),
        ([_line(sale, "411"), _line(draft, "411")], "line_not_posted"),
    ]
    for line_ids, code in cases:
        response = client.post(
            "/api/v1/matchings", headers=owner.headers, json={"line_ids": line_ids}
        )
        assert response.status_code == 422, (code, response.text)
        assert response.json()["errors"][0]["code"] == code
    assert (
        client.post(
            "/api/v1/matchings", headers=owner.headers, json={"line_ids": [_line(sale, "411")]}
        ).status_code
        == 422
    )


def test_rates_direct_inverse_and_cross(client: TestClient, owner: Account) -> None:
    def set_rate(base: str, quote: str, day: str, rate: str) -> dict:
        response = client.post(
            "/api/v1/exchange-rates",
            headers=owner.headers,
            json={"base": base, "quote": quote, "date": day, "rate": rate},
        )
        assert response.status_code == 201, response.text
        return response.json()

    set_rate("EUR", "USD", "2026-01-01", "1.10")
    replaced = set_rate("EUR", "USD", "2026-01-01", "1.20")
    assert [
        r["rate"]
        for r in client.get(
            "/api/v1/exchange-rates?base=EUR&quote=USD", headers=owner.headers
        ).json()["items"]
    ] == ["1.2"]
    set_rate("EUR", "ZMW", "2026-01-01", "24")

    def convert(source: str, target: str, day: str, amount: str = "100") -> dict:
        return client.get(
            f"/api/v1/exchange-rates/convert?from={source}&to={target}&date={day}&amount={amount}",
            headers=owner.headers,
        ).json()

    assert convert("EUR", "USD", "2026-06-01")["converted"] == "120.00"
    assert convert("USD", "EUR", "2026-06-01")["converted"] == "83.33"
    assert convert("USD", "ZMW", "2026-06-01")["converted"] == "2000.00"
    missing = client.get(
        "/api/v1/exchange-rates/convert?from=EUR&to=USD&date=2025-12-31", headers=owner.headers
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["code"] == "missing_exchange_rate"
    assert convert("EUR", "JPY", "2026-06-01").get("code") == "validation_failed"
    assert (
        client.delete(f"/api/v1/exchange-rates/{replaced['id']}", headers=owner.headers).status_code
        == 204
    )


def test_bad_rates(client: TestClient, owner: Account) -> None:
    for body in (
        {"base": "EUR", "quote": "EUR", "date": "2026-01-01", "rate": "1"},
        {"base": "EUR", "quote": "USD", "date": "2026-01-01", "rate": "0"},
        {"base": "EUR", "quote": "USD", "date": "2026-01-01", "rate": "-1"},
        {"base": "EUR", "quote": "XYZ", "date": "2026-01-01", "rate": "1"},
        {"base": "EUR", "quote": "USD", "date": "2026-01-01", "rate": "NaN"},
        {"base": "EUR", "quote": "USD", "date": "2026-01-01", "rate": 1.5},
    ):
        assert (
            client.post("/api/v1/exchange-rates", headers=owner.headers, json=body).status_code
            == 422
        ), body


ECB_DAILY = """Date, USD, JPY, BGN, CZK, GBP, ZAR, \n20 November 2026, 1.0565, 163.12, 1.9558, 25.281, 0.83515, 19.1234, \n"""
ECB_HISTORY = "Date,USD,JPY,ZAR,\n2026-11-20,1.0565,163.12,N/A,\n2026-11-19,1.0600,164.00,19.5,\n"


def test_ecb_and_csv_imports(client: TestClient, owner: Account) -> None:
    daily = client.post(
        "/api/v1/exchange-rates/import?format=ecb",
        headers={**owner.headers, "content-type": "text/csv"},
        content=ECB_DAILY,
    )
    assert daily.status_code == 200, daily.text
    assert daily.json()["imported"] == 6
    history = client.post(
        "/api/v1/exchange-rates/import?format=ecb",
        headers={**owner.headers, "content-type": "text/csv"},
        content=ECB_HISTORY,
    )
    assert history.json()["imported"] == 5
    usd = client.get("/api/v1/exchange-rates?base=EUR&quote=USD", headers=owner.headers).json()[
        "items"
    ]
    assert [(r["date"], r["rate"], r["source"]) for r in usd] == [
        ("2026-11-20", "1.0565", "ecb"),
        ("2026-11-19", "1.06", "ecb"),
    ]
    bad = client.post(
        "/api/v1/exchange-rates/import?format=csv",
        headers={**owner.headers, "content-type": "text/csv"},
        content="date,base,quote,rate\n2026-01-01,EUR,USD,1.1\n2026-13-01,EUR,USD,1.1\n2026-01-02,EUR,XXX,1\n",
    )
    assert bad.status_code == 422
    assert [(e["row"], e["field"]) for e in bad.json()["errors"]] == [(3, "date"), (4, "quote")]
    assert (
        len(
            client.get(
                "/api/v1/exchange-rates?date_from=2026-01-01&date_to=2026-01-31",
                headers=owner.headers,
            ).json()["items"]
        )
        == 0
    )
    good = client.post(
        "/api/v1/exchange-rates/import",
        headers={**owner.headers, "content-type": "text/csv"},
        content="date,base,quote,rate\n2026-01-01,EUR,USD,1.1\n2026-01-02,GBP,EUR,1.15\n",
    )
    assert good.json()["imported"] == 2
    not_ecb = client.post(
        "/api/v1/exchange-rates/import?format=ecb",
        headers={**owner.headers, "content-type": "text/csv"},
        content="a,b\n1,2\n",
    )
    assert not_ecb.status_code == 422


def test_rates_print_as_plain_digits(client: TestClient, owner: Account) -> None:
    created = client.post(
        "/api/v1/exchange-rates",
        headers=owner.headers,
        json={"base": "EUR", "quote": "JPY", "date": "2026-01-01", "rate": "100"},
    )
    assert created.json()["rate"] == "100"
