"""Writing, posting, numbering and reversing entries through the API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Account
from tests.ledger.helpers import balances, entry


def test_entry_written_by_hand_with_codes(client: TestClient, owner: Account) -> None:
    response = client.post(
        "/api/v1/journal-entries",
        headers=owner.headers,
        json={
            "journal": "OD",
            "date": "2026-01-15",
            "reference": "R1",
            "lines": [
                {"account": "512", "debit": "100.00"},
                {"account": "101", "credit": "100.00"},
            ],
        },
    )
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["status"] == "draft" and draft["number"] is None
    assert draft["total_debit"] == draft["total_credit"] == "100.00"
    assert [(line["account_code"], line["debit"], line["credit"]) for line in draft["lines"]] == [
        ("512", "100.00", "0.00"),
        ("101", "0.00", "100.00"),
    ]
    assert balances(client, owner) == {}  # drafts do not count
    posted = client.post(f"/api/v1/journal-entries/{draft['id']}/post", headers=owner.headers)
    assert posted.status_code == 200, posted.text
    assert posted.json()["status"] == "posted"
    assert posted.json()["number"] == "OD-2026-00001"
    assert balances(client, owner) == {"101": -100, "512": 100}


def test_numbers_are_gap_free_per_journal_and_fiscal_year(
    client: TestClient, owner: Account
) -> None:
    lines = [("512", "debit", "1.00"), ("101", "credit", "1.00")]
    numbers = [
        entry(client, owner, lines, journal=j, on=d)["number"]
        for j, d in [
            ("OD", "2026-03-01"),
            ("OD", "2026-02-01"),
            ("BQ", "2026-03-01"),
            ("OD", "2027-01-05"),
            ("OD", "2026-12-31"),
        ]
    ]
    assert numbers == [
        "OD-2026-00001",
        "OD-2026-00002",
        "BQ-2026-00001",
        "OD-2027-00001",
        "OD-2026-00003",
    ]
    draft = entry(client, owner, lines, post=False)
    assert draft["number"] is None
    client.delete(f"/api/v1/journal-entries/{draft['id']}", headers=owner.headers)
    # A failed posting gives nothing away: the next number is still the next one.
    entry(client, owner, [("512", "debit", "1.00"), ("101", "credit", "2.00")], expect=422)
    assert entry(client, owner, lines, on="2026-06-01")["number"] == "OD-2026-00004"


def test_fiscal_year_follows_the_start_month(client: TestClient, owner: Account) -> None:
    client.patch("/api/v1/organization", headers=owner.headers, json={"fiscal_year_start_month": 7})
    lines = [("512", "debit", "1.00"), ("101", "credit", "1.00")]
    assert entry(client, owner, lines, on="2026-06-30")["number"] == "OD-2025-00001"
    assert entry(client, owner, lines, on="2026-07-01")["number"] == "OD-2026-00001"
    years = client.get("/api/v1/fiscal-years", headers=owner.headers).json()
    assert [(y["start_date"], y["end_date"]) for y in years] == [
        ("2026-07-01", "2027-06-30"),
        ("2025-07-01", "2026-06-30"),
    ]


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        ([("512", "debit", "100.00"), ("101", "credit", "99.99")], "unbalanced"),
        ([("512", "debit", "100.00")], "line_count"),
        ([("5", "debit", "1.00"), ("101", "credit", "1.00")], "account_not_postable"),
        ([("999999", "debit", "1.00"), ("101", "credit", "1.00")], "unknown_account"),
        (
            [{"account": "512", "debit": "1.00", "credit": "1.00"}, ("101", "credit", "1.00")],
            "one_side",
        ),
        ([{"account": "512"}, ("101", "credit", "1.00")], "one_side"),
        ([("512", "debit", "-5.00"), ("101", "credit", "-5.00")], "not_positive"),
        ([("512", "debit", "1.005"), ("101", "credit", "1.005")], "invalid"),
        ([("512", "debit", "abc"), ("101", "credit", "abc")], "invalid"),
        ([("512", "debit", "1e30"), ("101", "credit", "1e30")], "invalid"),
    ],
)
def test_refused_entries(client: TestClient, owner: Account, lines: list, code: str) -> None:
    refused = entry(client, owner, lines, expect=422)
    assert code in {e["code"] for e in refused["errors"]}, refused
    assert balances(client, owner) == {}


@pytest.mark.parametrize("amount", [100.0, True, None, [], {"x": 1}])
def test_amounts_must_be_strings_or_integers(
    client: TestClient, owner: Account, amount: object
) -> None:
    response = client.post(
        "/api/v1/journal-entries",
        headers=owner.headers,
        json={
            "journal": "OD",
            "date": "2026-01-15",
            "lines": [{"account": "512", "debit": amount}, {"account": "101", "credit": "100.00"}],
        },
    )
    assert response.status_code == 422


def test_unknown_journal_and_bad_dates(client: TestClient, owner: Account) -> None:
    lines = [{"account": "512", "debit": "1"}, {"account": "101", "credit": "1"}]
    assert (
        client.post(
            "/api/v1/journal-entries",
            headers=owner.headers,
            json={"journal": "ZZ", "date": "2026-01-15", "lines": lines},
        ).json()["errors"][0]["code"]
        == "unknown_journal"
    )
    assert (
        client.post(
            "/api/v1/journal-entries",
            headers=owner.headers,
            json={"journal": "OD", "date": "2026-02-30", "lines": lines},
        ).status_code
        == 422
    )


def test_posted_entries_cannot_change(client: TestClient, owner: Account) -> None:
    posted = entry(client, owner, [("512", "debit", "5.00"), ("101", "credit", "5.00")])
    body = {
        "journal": "OD",
        "date": "2026-01-15",
        "lines": [{"account": "512", "debit": "9"}, {"account": "101", "credit": "9"}],
    }
    assert (
        client.put(
            f"/api/v1/journal-entries/{posted['id']}", headers=owner.headers, json=body
        ).json()["code"]
        == "entry_posted"
    )
    assert (
        client.delete(f"/api/v1/journal-entries/{posted['id']}", headers=owner.headers).status_code
        == 409
    )
    assert (
        client.post(
            f"/api/v1/journal-entries/{posted['id']}/post", headers=owner.headers
        ).status_code
        == 409
    )


def test_drafts_can_be_rewritten_and_posted(client: TestClient, owner: Account) -> None:
    draft = entry(client, owner, [("512", "debit", "5.00"), ("101", "credit", "4.00")], post=False)
    assert draft["balanced"] is False
    unbalanced = client.post(f"/api/v1/journal-entries/{draft['id']}/post", headers=owner.headers)
    assert unbalanced.status_code == 422
    assert "exceed by 1.00 EUR" in unbalanced.json()["detail"]
    fixed = client.put(
        f"/api/v1/journal-entries/{draft['id']}",
        headers=owner.headers,
        json={
            "journal": "BQ",
            "date": "2026-01-20",
            "post": True,
            "lines": [{"account": "512", "debit": "5.00"}, {"account": "101", "credit": "5.00"}],
        },
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["number"] == "BQ-2026-00001"
    assert fixed.json()["date"] == "2026-01-20"


def test_reversal_mirrors_and_links(client: TestClient, owner: Account) -> None:
    original = entry(
        client,
        owner,
        [("411", "debit", "120.00"), ("706", "credit", "100.00"), ("44571", "credit", "20.00")],
        journal="VT",
    )
    response = client.post(
        f"/api/v1/journal-entries/{original['id']}/reverse",
        headers=owner.headers,
        json={"date": "2026-02-01"},
    )
    assert response.status_code == 201, response.text
    reversal = response.json()
    assert reversal["reversal_of_id"] == original["id"]
    assert reversal["number"] == "VT-2026-00002"
    assert [
        (line["account_code"], line["debit"], line["credit"]) for line in reversal["lines"]
    ] == [("411", "0.00", "120.00"), ("706", "100.00", "0.00"), ("44571", "20.00", "0.00")]
    assert (
        client.get(f"/api/v1/journal-entries/{original['id']}", headers=owner.headers).json()[
            "reversed_by_id"
        ]
        == reversal["id"]
    )
    assert all(v == 0 for v in balances(client, owner).values())
    assert balances(client, owner, date_to="2026-01-31") == {"411": 120, "44571": -20, "706": -100}
    again = client.post(
        f"/api/v1/journal-entries/{original['id']}/reverse",
        headers=owner.headers,
        json={"date": "2026-02-01"},
    )
    assert again.json()["code"] == "already_reversed"
    before = client.post(
        f"/api/v1/journal-entries/{reversal['id']}/reverse",
        headers=owner.headers,
        json={"date": "2026-01-01"},
    )
    assert before.status_code == 422


def test_lock_date_refuses_postings_on_or_before_it(client: TestClient, owner: Account) -> None:
    lines = [("512", "debit", "1.00"), ("101", "credit", "1.00")]
    posted = entry(client, owner, lines, on="2026-01-10")
    assert (
        client.patch(
            "/api/v1/ledger/settings", headers=owner.headers, json={"lock_date": "2026-01-31"}
        ).json()["lock_date"]
        == "2026-01-31"
    )
    assert (
        entry(client, owner, lines, on="2026-01-31", expect=422)["errors"][0]["code"]
        == "period_locked"
    )
    assert entry(client, owner, lines, on="2026-02-01")["number"] == "OD-2026-00002"
    reversal = client.post(
        f"/api/v1/journal-entries/{posted['id']}/reverse",
        headers=owner.headers,
        json={"date": "2026-01-20"},
    )
    assert reversal.json()["errors"][0]["code"] == "period_locked"
    draft = entry(client, owner, lines, on="2026-01-05", post=False)
    assert (
        client.post(f"/api/v1/journal-entries/{draft['id']}/post", headers=owner.headers).json()[
            "errors"
        ][0]["code"]
        == "period_locked"
    )
    client.patch("/api/v1/ledger/settings", headers=owner.headers, json={"lock_date": None})
    assert (
        client.post(
            f"/api/v1/journal-entries/{draft['id']}/post", headers=owner.headers
        ).status_code
        == 200
    )
    changes = client.get(
        "/api/v1/audit-events?action=ledger.lock_date_changed", headers=owner.headers
    ).json()["items"]
    assert [(c["before"]["lock_date"], c["after"]["lock_date"]) for c in changes] == [
        ("2026-01-31", None),
        (None, "2026-01-31"),
    ]


def test_foreign_currency_lines_convert_at_the_rate_of_the_day(
    client: TestClient, owner: Account
) -> None:
    usd_line = {"account": "411", "debit": "110.00", "currency": "USD"}
    missing = entry(client, owner, [usd_line, ("706", "credit", "100.00")], expect=422)
    assert missing["errors"][0]["code"] == "missing_exchange_rate"
    for day, rate in (("2026-01-01", "1.10"), ("2026-01-20", "1.25")):
        client.post(
            "/api/v1/exchange-rates",
            headers=owner.headers,
            json={"base": "EUR", "quote": "USD", "date": day, "rate": rate},
        )
    posted = entry(client, owner, [usd_line, ("706", "credit", "100.00")], on="2026-01-15")
    line = posted["lines"][0]
    assert (line["debit"], line["currency"], line["amount_currency"]) == ("100.00", "USD", "110.00")
    assert line["exchange_rate"] == "0.909090909091"
    later = entry(client, owner, [usd_line, ("706", "credit", "88.00")], on="2026-01-25")
    assert later["lines"][0]["debit"] == "88.00"
    given = entry(client, owner, [usd_line | {"exchange_rate": "0.5"}, ("706", "credit", "55.00")])
    assert given["lines"][0]["debit"] == "55.00"


def test_single_foreign_currency_entry_absorbs_rounding(client: TestClient, owner: Account) -> None:
    client.post(
        "/api/v1/exchange-rates",
        headers=owner.headers,
        json={"base": "EUR", "quote": "USD", "date": "2026-01-01", "rate": "3"},
    )
    # 0.05 USD is 0.0167 EUR, rounded to 0.02 three times; 0.15 USD is 0.05 EUR.
    lines = [{"account": "607", "debit": "0.05", "currency": "USD"}] * 3 + [
        {"account": "401", "credit": "0.15", "currency": "USD"}
    ]
    posted = entry(client, owner, lines)
    assert posted["balanced"] is True
    # The cent left by rounding goes to the largest line.
    assert posted["total_debit"] == posted["total_credit"] == "0.06"
    assert posted["lines"][3]["credit"] == "0.06"


def test_idempotency_key_replays_instead_of_posting_twice(
    client: TestClient, owner: Account
) -> None:
    body = {
        "journal": "OD",
        "date": "2026-01-15",
        "post": True,
        "lines": [{"account": "512", "debit": "7.00"}, {"account": "101", "credit": "7.00"}],
    }
    headers = {**owner.headers, "Idempotency-Key": "payment-42"}
    first = client.post("/api/v1/journal-entries", headers=headers, json=body)
    second = client.post("/api/v1/journal-entries", headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert balances(client, owner)["512"] == 7
    other = client.post(
        "/api/v1/journal-entries", headers=headers, json=body | {"reference": "changed"}
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["code"] == "idempotency_key_reused"
    failed = client.post(
        "/api/v1/journal-entries",
        headers={**owner.headers, "Idempotency-Key": "bad-1"},
        json=body | {"lines": body["lines"][:1]},
    )
    assert failed.status_code == 422
    retried = client.post(
        "/api/v1/journal-entries", headers={**owner.headers, "Idempotency-Key": "bad-1"}, json=body
    )
    assert retried.status_code == 201  # a refused request does not burn its key


def test_list_and_filter_entries(client: TestClient, owner: Account) -> None:
    entry(client, owner, [("512", "debit", "1.00"), ("101", "credit", "1.00")], reference="A")
    entry(
        client,
        owner,
        [("411", "debit", "2.00"), ("706", "credit", "2.00")],
        journal="VT",
        reference="B",
    )
    entry(
        client,
        owner,
        [("512", "debit", "3.00"), ("101", "credit", "3.00")],
        post=False,
        reference="C",
    )
    listed = client.get("/api/v1/journal-entries", headers=owner.headers).json()["items"]
    assert [e["reference"] for e in listed] == ["C", "B", "A"]
    assert [
        e["reference"]
        for e in client.get(
            "/api/v1/journal-entries?status=posted&journal=VT", headers=owner.headers
        ).json()["items"]
    ] == ["B"]
    assert [
        e["reference"]
        for e in client.get("/api/v1/journal-entries?account=512", headers=owner.headers).json()[
            "items"
        ]
    ] == ["C", "A"]
    page = client.get("/api/v1/journal-entries?limit=2", headers=owner.headers).json()
    rest = client.get(
        f"/api/v1/journal-entries?limit=2&cursor={page['next_cursor']}", headers=owner.headers
    ).json()
    assert [e["reference"] for e in page["items"] + rest["items"]] == ["C", "B", "A"]


def test_idempotency_keys_are_forgotten_after_a_week(
    client: TestClient, owner: Account, worker
) -> None:
    from datetime import timedelta

    from comptoir.kit import clock

    body = {
        "journal": "OD",
        "date": "2026-01-15",
        "post": True,
        "lines": [{"account": "512", "debit": "7.00"}, {"account": "101", "credit": "7.00"}],
    }
    headers = {**owner.headers, "Idempotency-Key": "weekly"}
    assert client.post("/api/v1/journal-entries", headers=headers, json=body).status_code == 201
    with clock.travel(timedelta(days=8)):
        worker.run_periodic()
    # The key is gone, so the same key posts again (a new operation).
    replay = client.post("/api/v1/journal-entries", headers=headers, json=body)
    assert replay.status_code == 201
    assert "Idempotent-Replayed" not in replay.headers
