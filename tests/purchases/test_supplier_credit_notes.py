"""Supplier credit notes: posting without approval, against a bill or standalone, and
applying what is left to open bills, lettered in the ledger."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.kit.db import Database
from tests.conftest import Account, register
from tests.ledger.helpers import balances
from tests.purchases.helpers import bill, bill_lines, supplier
from tests.purchases.test_bills import entry, postings
from tests.purchases.test_supplier_payments import _rate, events


def credit_note(
    client: TestClient, owner: Account, *, post: bool = True, **fields: Any
) -> dict[str, Any]:
    body = {"supplier_number": "AV-1", "issue_date": "2026-02-05"} | fields
    response = client.post("/api/v1/supplier-credit-notes", headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    if post:
        posted = client.post(
            f"/api/v1/supplier-credit-notes/{result['id']}/post", headers=owner.headers
        )
        assert posted.status_code == 200, posted.text
        result = posted.json()
    return result


def apply(
    client: TestClient, owner: Account, credit_note_id: str, allocations: list[dict[str, Any]]
) -> Any:
    return client.post(
        f"/api/v1/supplier-credit-notes/{credit_note_id}/apply",
        headers=owner.headers,
        json={"allocations": allocations, "date": "2026-02-06"},
    )


def payable_codes(client: TestClient, owner: Account, entry_id: str) -> list[str | None]:
    return [
        line["matching_code"]
        for line in entry(client, owner, entry_id)["lines"]
        if line["account_code"] == "401"
    ]


def test_a_credit_note_against_a_bill_copies_it_and_settles_it(
    client: TestClient, owner: Account
) -> None:
    martin = supplier(client, owner)
    posted = bill(client, owner, martin["id"])
    draft = credit_note(client, owner, post=False, bill=posted["id"])
    assert draft["status"] == "draft"
    assert draft["kind"] == "credit_note"
    assert (draft["supplier"]["id"], draft["bill_id"]) == (martin["id"], posted["id"])
    assert [line["account"] for line in draft["lines"]] == ["606"]
    assert draft["gross"] == "120.00"
    done = client.post(f"/api/v1/supplier-credit-notes/{draft['id']}/post", headers=owner.headers)
    assert done.status_code == 200, done.text
    credited = done.json()
    assert credited["status"] == "posted"
    assert credited["amount_due"] == "0.00"
    assert postings(entry(client, owner, credited["entry_id"])) == [
        ("401", "120.00", "0.00", True),
        ("44566", "0.00", "20.00", True),
        ("606", "0.00", "100.00", True),
    ]
    settled = client.get(f"/api/v1/bills/{posted['id']}", headers=owner.headers).json()
    assert (settled["status"], settled["amount_due"]) == ("paid", "0.00")
    assert settled["allocations"][0]["credit_note_id"] == credited["id"]
    code = payable_codes(client, owner, posted["entry_id"])
    assert code[0] is not None
    assert payable_codes(client, owner, credited["entry_id"]) == code
    again = client.post(f"/api/v1/supplier-credit-notes/{draft['id']}/post", headers=owner.headers)
    assert again.status_code == 409
    more = credit_note(client, owner, post=False, bill=posted["id"])
    beyond = client.post(f"/api/v1/supplier-credit-notes/{more['id']}/post", headers=owner.headers)
    assert beyond.status_code == 422
    assert beyond.json()["errors"][0]["code"] == "exceeds_bill"


def test_a_standalone_credit_note_is_applied_to_open_bills(
    client: TestClient, owner: Account
) -> None:
    martin = supplier(client, owner)
    first = bill(client, owner, martin["id"], supplier_number="F-A")
    second = bill(client, owner, martin["id"], supplier_number="F-B")
    credit = credit_note(client, owner, supplier=martin["id"], lines=bill_lines("150.00"))
    assert credit["gross"] == "180.00"
    assert credit["amount_due"] == "180.00"
    too_much = apply(
        client,
        owner,
        credit["id"],
        [{"bill": first["id"], "amount": "120.00"}, {"bill": "F-B", "amount": "70.00"}],
    )
    assert too_much.status_code == 422
    assert too_much.json()["errors"][0]["code"] == "exceeds_credit"
    applied = apply(
        client,
        owner,
        credit["id"],
        [{"bill": first["id"], "amount": "120.00"}, {"bill": "f-b", "amount": "50.00"}],
    )
    assert applied.status_code == 200, applied.text
    assert (applied.json()["settled"], applied.json()["amount_due"]) == ("170.00", "10.00")
    paid = client.get(f"/api/v1/bills/{first['id']}", headers=owner.headers).json()
    partly = client.get(f"/api/v1/bills/{second['id']}", headers=owner.headers).json()
    assert (paid["status"], paid["amount_due"]) == ("paid", "0.00")
    assert (partly["status"], partly["amount_due"]) == ("partially_paid", "70.00")
    assert [row["action"] for row in paid["history"]][-2:] == ["credited", "paid"]
    assert payable_codes(client, owner, first["entry_id"])[0] is not None
    assert payable_codes(client, owner, second["entry_id"])[0] is not None
    over = apply(client, owner, credit["id"], [{"bill": first["id"], "amount": "5.00"}])
    assert over.status_code == 422
    assert over.json()["errors"][0]["code"] == "not_open"


def test_applying_refuses_what_does_not_fit(client: TestClient, owner: Account) -> None:
    martin = supplier(client, owner)
    other = supplier(client, owner, name="Papeterie Dupont")
    theirs = bill(client, owner, other["id"])
    draft_bill = bill(client, owner, martin["id"], approve=False)
    open_bill = bill(client, owner, martin["id"])
    credit = credit_note(client, owner, supplier=martin["id"], lines=bill_lines("10.00"))
    unposted = credit_note(client, owner, post=False, supplier=martin["id"], lines=bill_lines())
    cases = [
        ([{"bill": theirs["id"], "amount": "1.00"}], "allocations[0].bill", "not_found"),
        ([{"bill": draft_bill["id"], "amount": "1.00"}], "allocations[0].bill", "not_open"),
        ([{"bill": open_bill["id"], "amount": "0"}], "allocations[0].amount", "not_positive"),
        ([{"bill": open_bill["id"], "amount": "-1"}], "allocations[0].amount", None),
        ([{"bill": open_bill["id"], "amount": "1.001"}], "allocations[0].amount", None),
        ([{"bill": open_bill["id"], "amount": "121.00"}], "allocations[0].bill", None),
        ([{"bill": "nope", "amount": "1.00"}], "allocations[0].bill", "not_found"),
    ]
    for allocations, field, code in cases:
        response = apply(client, owner, credit["id"], allocations)
        assert response.status_code == 422, (allocations, response.text)
        error = response.json()["errors"][0]
        assert error["field"] == field, (allocations, error)
        if code is not None:
            assert error["code"] == code
    assert apply(client, owner, credit["id"], []).status_code == 422
    not_posted = apply(client, owner, unposted["id"], [{"bill": open_bill["id"], "amount": "1"}])
    assert not_posted.status_code == 409
    fresh = client.get(f"/api/v1/bills/{open_bill['id']}", headers=owner.headers).json()
    assert fresh["amount_due"] == "120.00"


def test_a_credit_note_corrects_only_a_posted_bill_of_its_supplier(
    client: TestClient, owner: Account
) -> None:
    martin = supplier(client, owner)
    other = supplier(client, owner, name="Papeterie Dupont")
    draft_bill = bill(client, owner, martin["id"], approve=False)
    posted = bill(client, owner, martin["id"])
    for body, code in [
        ({"bill": draft_bill["id"]}, "not_posted"),
        ({"bill": posted["id"], "supplier": other["id"]}, "other_supplier"),
        ({"bill": "not-an-id"}, "not_found"),
    ]:
        response = client.post("/api/v1/supplier-credit-notes", headers=owner.headers, json=body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["code"] == code
    assert (
        client.get(
            f"/api/v1/supplier-credit-notes/{posted['id']}", headers=owner.headers
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/bills/{posted['id']}", headers=owner.headers).status_code == 200


def test_credit_notes_of_other_organizations_are_unknown(
    client: TestClient, owner: Account
) -> None:
    theirs = register(client, "other@example.com", organization_name="Beta SAS")
    their_supplier = supplier(client, theirs)
    their_bill = bill(client, theirs, their_supplier["id"])
    their_credit = credit_note(client, theirs, post=False, bill=their_bill["id"])
    mine = supplier(client, owner)
    my_credit = credit_note(client, owner, supplier=mine["id"], lines=bill_lines())
    response = client.post(
        "/api/v1/supplier-credit-notes", headers=owner.headers, json={"bill": their_bill["id"]}
    )
    assert response.status_code == 422
    for method, suffix in [("get", ""), ("patch", ""), ("delete", ""), ("post", "/post")]:
        answer = client.request(
            method,
            f"/api/v1/supplier-credit-notes/{their_credit['id']}{suffix}",
            headers=owner.headers,
            json={},
        )
        assert answer.status_code == 404, (method, suffix)
    foreign = apply(client, owner, my_credit["id"], [{"bill": their_bill["id"], "amount": "1"}])
    assert foreign.status_code == 422


def test_a_draft_credit_note_changes_and_is_deleted(client: TestClient, owner: Account) -> None:
    martin = supplier(client, owner)
    draft = credit_note(client, owner, post=False, supplier=martin["id"], lines=bill_lines())
    changed = client.patch(
        f"/api/v1/supplier-credit-notes/{draft['id']}",
        headers=owner.headers,
        json={"lines": bill_lines("40.00")},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["gross"] == "48.00"
    listed = client.get("/api/v1/supplier-credit-notes", headers=owner.headers).json()
    assert [item["id"] for item in listed["items"]] == [draft["id"]]
    assert client.get("/api/v1/bills", headers=owner.headers).json()["items"] == []
    deleted = client.delete(f"/api/v1/supplier-credit-notes/{draft['id']}", headers=owner.headers)
    assert deleted.status_code == 204


def test_a_retried_post_posts_once(client: TestClient, owner: Account) -> None:
    martin = supplier(client, owner)
    draft = credit_note(client, owner, post=False, supplier=martin["id"], lines=bill_lines())
    headers = owner.headers | {"Idempotency-Key": "credit-post-1"}
    url = f"/api/v1/supplier-credit-notes/{draft['id']}/post"
    first = client.post(url, headers=headers)
    second = client.post(url, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["entry_id"] == second.json()["entry_id"]


def test_a_posted_bill_is_cancelled_by_a_full_credit_note(
    client: TestClient, owner: Account
) -> None:
    martin = supplier(client, owner)
    draft = bill(client, owner, martin["id"], approve=False)
    not_posted = client.post(
        f"/api/v1/bills/{draft['id']}/cancel", headers=owner.headers, json={"supplier_number": "A"}
    )
    assert not_posted.status_code == 409
    posted = bill(client, owner, martin["id"])
    missing = client.post(f"/api/v1/bills/{posted['id']}/cancel", headers=owner.headers, json={})
    assert missing.status_code == 422
    cancelled = client.post(
        f"/api/v1/bills/{posted['id']}/cancel",
        headers=owner.headers,
        json={"supplier_number": "AV-9", "issue_date": "2026-02-03"},
    )
    assert cancelled.status_code == 200, cancelled.text
    result = cancelled.json()
    assert (result["status"], result["amount_due"]) == ("cancelled", "0.00")
    assert result["history"][-1]["action"] == "cancelled"
    credit = client.get(
        f"/api/v1/supplier-credit-notes/{result['allocations'][0]['credit_note_id']}",
        headers=owner.headers,
    ).json()
    assert (credit["supplier_number"], credit["gross"], credit["bill_id"]) == (
        "AV-9",
        "120.00",
        posted["id"],
    )
    again = client.post(
        f"/api/v1/bills/{posted['id']}/cancel", headers=owner.headers, json={"supplier_number": "B"}
    )
    assert again.status_code == 409
    twin = bill(
        client, owner, martin["id"], approve=False, supplier_number=posted["supplier_number"]
    )
    assert twin["duplicate_of"] is None


def test_cancelling_a_bill_never_says_it_was_paid(
    client: TestClient, owner: Account, database: Database
) -> None:
    martin = supplier(client, owner)
    posted = bill(client, owner, martin["id"])
    cancelled = client.post(
        f"/api/v1/bills/{posted['id']}/cancel",
        headers=owner.headers,
        json={"supplier_number": "AV-9", "issue_date": "2026-02-03"},
    )
    assert cancelled.status_code == 200, cancelled.text
    result = cancelled.json()
    assert (result["status"], result["paid_at"]) == ("cancelled", None)
    assert [row["action"] for row in result["history"]][-2:] == ["credited", "cancelled"]
    assert events(database, "bill.paid") == []
    assert [event.payload["id"] for event in events(database, "bill.cancelled")] == [posted["id"]]


def test_a_foreign_credit_note_for_a_whole_bill_reverses_it_at_the_bills_rate(
    client: TestClient, owner: Account
) -> None:
    _rate(client, owner, "2026-02-01", "0.90")
    _rate(client, owner, "2026-02-20", "0.95")
    acme = supplier(client, owner, name="Acme Corp", country="US", currency="USD")
    posted = bill(client, owner, acme["id"], lines=[bill_lines("1000.00")[0] | {"tax_codes": []}])
    assert balances(client, owner)["401"] == Decimal("-900.00")
    credited = credit_note(client, owner, bill=posted["id"], issue_date="2026-02-20")
    assert (credited["currency"], Decimal(credited["exchange_rate"])) == ("USD", Decimal("0.90"))
    ledger = balances(client, owner)
    assert ledger.get("401", Decimal(0)) == 0
    assert ledger.get("606", Decimal(0)) == 0
    settled = client.get(f"/api/v1/bills/{posted['id']}", headers=owner.headers).json()
    assert settled["status"] == "paid"
    standalone = credit_note(
        client,
        owner,
        supplier=acme["id"],
        supplier_number="AV-2",
        issue_date="2026-02-20",
        lines=[bill_lines("10.00")[0] | {"tax_codes": []}],
    )
    assert Decimal(standalone["exchange_rate"]) == Decimal("0.95")


def test_a_credit_note_applied_before_it_existed_is_dated_when_both_exist(
    client: TestClient, owner: Account
) -> None:
    martin = supplier(client, owner)
    posted = bill(client, owner, martin["id"], issue_date="2026-02-10")
    credit = credit_note(
        client, owner, supplier=martin["id"], lines=bill_lines("10.00"), issue_date="2026-02-05"
    )
    applied = client.post(
        f"/api/v1/supplier-credit-notes/{credit['id']}/apply",
        headers=owner.headers,
        json={"allocations": [{"bill": posted["id"], "amount": "12.00"}], "date": "2026-01-01"},
    )
    assert applied.status_code == 200, applied.text
    assert [item["date"] for item in applied.json()["allocations"]] == ["2026-02-10"]


@pytest.mark.parametrize(
    "lines",
    [bill_lines("100.00") + bill_lines("-100.00"), bill_lines("-10.00")],
    ids=["zero", "negative"],
)
def test_a_credit_note_totalling_zero_or_less_is_not_posted(
    client: TestClient, owner: Account, lines: list[dict[str, Any]]
) -> None:
    martin = supplier(client, owner)
    draft = credit_note(client, owner, post=False, supplier=martin["id"], lines=lines)
    refused = client.post(
        f"/api/v1/supplier-credit-notes/{draft['id']}/post", headers=owner.headers
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [
        {
            "field": "lines",
            "message": "A supplier credit note must total more than zero.",
            "code": "not_positive",
        }
    ]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"], ids=["far-future", "far-past"])
def test_credit_note_dates_out_of_range_answer_422(
    client: TestClient, owner: Account, day: str
) -> None:
    martin = supplier(client, owner)
    created = client.post(
        "/api/v1/supplier-credit-notes",
        headers=owner.headers,
        json={"supplier": martin["id"], "issue_date": day, "lines": bill_lines()},
    )
    assert created.status_code == 422, created.text
    assert [(e["field"], e["code"]) for e in created.json()["errors"]] == [
        ("issue_date", "out_of_range")
    ]
    posted = bill(client, owner, martin["id"])
    cancel = client.post(
        f"/api/v1/bills/{posted['id']}/cancel",
        headers=owner.headers,
        json={"supplier_number": "AV-9", "issue_date": day},
    )
    assert cancel.status_code == 422, cancel.text
    credit = credit_note(client, owner, supplier=martin["id"], lines=bill_lines("10.00"))
    applied = client.post(
        f"/api/v1/supplier-credit-notes/{credit['id']}/apply",
        headers=owner.headers,
        json={"allocations": [{"bill": posted["id"], "amount": "12.00"}], "date": day},
    )
    assert applied.status_code == 422, applied.text
    assert applied.json()["errors"][0]["field"] == "date"
    assert client.get(f"/api/v1/bills/{posted['id']}", headers=owner.headers).json()[
        "amount_due"
    ] == ("120.00")


def test_a_retried_application_with_the_same_key_applies_once(
    client: TestClient, owner: Account
) -> None:
    martin = supplier(client, owner)
    posted = bill(client, owner, martin["id"])
    credit = credit_note(client, owner, supplier=martin["id"], lines=bill_lines("50.00"))
    headers = owner.headers | {"Idempotency-Key": "apply-once-1"}
    body = {"allocations": [{"bill": posted["id"], "amount": "10.00"}], "date": "2026-02-06"}
    path = f"/api/v1/supplier-credit-notes/{credit['id']}/apply"
    first = client.post(path, headers=headers, json=body)
    assert first.status_code == 200, first.text
    replay = client.post(path, headers=headers, json=body)
    assert (replay.status_code, replay.json()) == (200, first.json())
    bill_now = client.get(f"/api/v1/bills/{posted['id']}", headers=owner.headers).json()
    assert bill_now["amount_due"] == "110.00"
