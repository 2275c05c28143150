"""Supplier bills: entry, the duplicate flag, approval and posting, through the API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.kit.db import Database
from comptoir.kit.money import MAX_MINOR_UNITS
from comptoir.outbox.models import OutboxEvent
from tests.conftest import Account, register
from tests.identity.test_members import accept_new, bearer, invite
from tests.purchases.helpers import bill, bill_lines, supplier


def entry(client: TestClient, owner: Account, entry_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/journal-entries/{entry_id}", headers=owner.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def postings(found: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    return sorted(
        (line["account_code"], line["debit"], line["credit"], line["party_id"] is not None)
        for line in found["lines"]
    )


def rules(client: TestClient, owner: Account, bands: list[dict[str, Any]]) -> None:
    response = client.put(
        "/api/v1/approval-rules/bill", headers=owner.headers, json={"rules": bands}
    )
    assert response.status_code == 200, response.text


def create(client: TestClient, owner: Account, **fields: Any) -> Any:
    return client.post("/api/v1/bills", headers=owner.headers, json=fields)


def event_types(database: Database) -> list[str]:
    with database.session() as session:
        return [
            event.type
            for event in session.query(OutboxEvent).order_by(
                OutboxEvent.occurred_at, OutboxEvent.id
            )
            if event.type.startswith("bill.")
        ]


def test_a_bill_is_calculated_by_the_tax_engine_and_due_by_the_terms(
    client: TestClient, owner: Account
) -> None:
    martin = supplier(client, owner, payment_terms="net_45")
    created = bill(
        client,
        owner,
        martin["id"],
        approve=False,
        supplier_number="FA-2026-001",
        lines=[
            *bill_lines("100.00"),
            {
                "description": "Laptop",
                "quantity": "2",
                "unit_price": "450.50",
                "discount_percent": "10",
                "tax_codes": ["FR-20"],
                "account": "2183",
            },
        ],
    )
    assert created["status"] == "draft"
    assert created["supplier"]["id"] == martin["id"]
    assert created["currency"] == "EUR"
    assert created["payment_terms"] == "net_45"
    assert created["due_date"] == "2026-03-18"
    assert [line["net"] for line in created["lines"]] == ["100.00", "810.90"]
    assert [line["account"] for line in created["lines"]] == ["606", "2183"]
    assert (created["net"], created["tax"], created["gross"]) == ("910.90", "182.18", "1093.08")
    assert created["taxes"] == [
        {"code": "FR-20", "rate": "20", "base": "910.90", "amount": "182.18"}
    ]
    assert created["amount_due"] == "1093.08"
    assert created["approval"] == {
        "steps": [],
        "done": 0,
        "pending_role": None,
        "self_approved": False,
    }
    assert [row["action"] for row in created["history"]] == ["created"]

    given = create(
        client,
        owner,
        supplier=martin["code"],
        issue_date="2026-02-01",
        due_date="2026-02-10",
        lines=bill_lines(),
    )
    assert given.status_code == 201, given.text
    assert given.json()["due_date"] == "2026-02-10"

    later = client.patch(
        f"/api/v1/bills/{created['id']}",
        headers=owner.headers,
        json={"issue_date": "2026-03-01", "payment_terms": "end_of_month"},
    )
    assert later.status_code == 200, later.text
    assert later.json()["due_date"] == "2026-03-31"


def test_the_same_supplier_number_is_flagged_not_refused(
    client: TestClient, owner: Account
) -> None:
    martin = supplier(client, owner)
    other = supplier(client, owner, name="Papeterie Dupont")
    first = bill(client, owner, martin["id"], approve=False, supplier_number="FA 2026-7")
    assert first["duplicate_of"] is None
    second = bill(client, owner, martin["id"], approve=False, supplier_number="fa2026-7")
    assert second["duplicate_of"] == {
        "id": first["id"],
        "supplier_number": "FA 2026-7",
        "issue_date": "2026-02-01",
    }
    elsewhere = bill(client, owner, other["id"], approve=False, supplier_number="FA 2026-7")
    assert elsewhere["duplicate_of"] is None
    listed = client.get("/api/v1/bills", headers=owner.headers, params={"q": "fa 2026-7"})
    assert {item["id"]: item["duplicate_of"] is not None for item in listed.json()["items"]} == {
        first["id"]: False,
        second["id"]: True,
        elsewhere["id"]: False,
    }
    renumbered = client.patch(
        f"/api/v1/bills/{second['id']}", headers=owner.headers, json={"supplier_number": "FA-8"}
    )
    assert renumbered.json()["duplicate_of"] is None
    deleted = client.delete(f"/api/v1/bills/{first['id']}", headers=owner.headers)
    assert deleted.status_code == 204


def test_a_bill_needing_no_approval_is_posted_on_submit(
    client: TestClient, owner: Account, database: Database
) -> None:
    rules(client, owner, [{"up_to": None, "steps": []}])
    martin = supplier(client, owner)
    draft = bill(client, owner, martin["id"], approve=False)
    submitted = client.post(f"/api/v1/bills/{draft['id']}/submit", headers=owner.headers)
    assert submitted.status_code == 200, submitted.text
    posted = submitted.json()
    assert posted["status"] == "posted"
    assert posted["posted_at"] is not None
    assert [row["action"] for row in posted["history"]] == [
        "created",
        "submitted",
        "auto_approved",
        "posted",
    ]
    found = entry(client, owner, posted["entry_id"])
    assert found["journal_code"] == "AC"
    assert found["date"] == "2026-02-01"
    assert found["status"] == "posted"
    assert postings(found) == [
        ("401", "0.00", "120.00", True),
        ("44566", "20.00", "0.00", True),
        ("606", "100.00", "0.00", True),
    ]
    assert (
        next(line for line in found["lines"] if line["account_code"] == "401")["party_id"]
        == martin["id"]
    )
    assert event_types(database) == ["bill.created", "bill.submitted", "bill.approved"]
    again = client.patch(f"/api/v1/bills/{draft['id']}", headers=owner.headers, json={})
    assert again.status_code == 409
    assert again.json()["code"] == "not_editable"
    gone = client.delete(f"/api/v1/bills/{draft['id']}", headers=owner.headers)
    assert gone.status_code == 409


def test_an_approval_step_posts_the_bill_only_once_approved(
    client: TestClient, owner: Account
) -> None:
    admin = bearer(accept_new(client, invite(client, owner, "admin@example.com", "admin")))
    martin = supplier(client, owner)
    draft = bill(client, owner, martin["id"], approve=False)
    submitted = client.post(f"/api/v1/bills/{draft['id']}/submit", headers=owner.headers).json()
    assert submitted["status"] == "submitted"
    assert submitted["entry_id"] is None
    assert submitted["approval"]["pending_role"] == "admin"
    entries = client.get("/api/v1/journal-entries", headers=owner.headers, params={"journal": "AC"})
    assert entries.status_code == 200
    assert entries.json()["items"] == []

    mine = client.post(f"/api/v1/bills/{draft['id']}/approve", headers=owner.headers)
    assert mine.status_code == 403
    assert mine.json()["code"] == "self_approval"

    approved = client.post(f"/api/v1/bills/{draft['id']}/approve", headers=admin)
    assert approved.status_code == 200, approved.text
    posted = approved.json()
    assert posted["status"] == "posted"
    assert posted["approval"]["done"] == 1
    assert posted["approval"]["self_approved"] is False
    assert postings(entry(client, owner, posted["entry_id"]))[0] == ("401", "0.00", "120.00", True)
    approver = next(row for row in posted["history"] if row["action"] == "approved")
    assert (approver["step"], approver["role"], approver["actor"]["name"]) == (
        1,
        "admin",
        "New Person",
    )
    history = client.get(f"/api/v1/bills/{draft['id']}/history", headers=owner.headers)
    assert history.json() == posted["history"]


def test_a_rejected_bill_is_corrected_and_submitted_again(
    client: TestClient, owner: Account, database: Database
) -> None:
    admin = bearer(accept_new(client, invite(client, owner, "admin@example.com", "admin")))
    martin = supplier(client, owner)
    draft = bill(client, owner, martin["id"], approve=False)
    client.post(f"/api/v1/bills/{draft['id']}/submit", headers=owner.headers)
    blank = client.post(f"/api/v1/bills/{draft['id']}/reject", headers=admin, json={"reason": " "})
    assert blank.status_code == 422
    rejected = client.post(
        f"/api/v1/bills/{draft['id']}/reject", headers=admin, json={"reason": "Wrong amount"}
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["rejection_reason"] == "Wrong amount"
    corrected = client.patch(
        f"/api/v1/bills/{draft['id']}",
        headers=owner.headers,
        json={"lines": bill_lines("90.00")},
    )
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["status"], corrected.json()["gross"]) == ("draft", "108.00")
    client.post(f"/api/v1/bills/{draft['id']}/submit", headers=owner.headers)
    posted = client.post(f"/api/v1/bills/{draft['id']}/approve", headers=admin).json()
    assert posted["status"] == "posted"
    assert posted["rejection_reason"] is None
    actions = [row["action"] for row in posted["history"]]
    assert actions == ["created", "submitted", "rejected", "submitted", "approved", "posted"]
    assert (
        next(row for row in posted["history"] if row["action"] == "rejected")["reason"]
        == "Wrong amount"
    )
    assert "bill.rejected" in event_types(database)


def test_alone_the_owner_approves_their_own_bill(client: TestClient, owner: Account) -> None:
    martin = supplier(client, owner)
    posted = bill(client, owner, martin["id"])
    assert posted["approval"]["self_approved"] is True
    assert [row["action"] for row in posted["history"]][-2:] == ["self_approved", "posted"]


def test_a_bill_is_submitted_only_with_the_supplier_number(
    client: TestClient, owner: Account
) -> None:
    martin = supplier(client, owner)
    draft = bill(client, owner, martin["id"], approve=False, supplier_number=None)
    refused = client.post(f"/api/v1/bills/{draft['id']}/submit", headers=owner.headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "supplier_number"
    assert (
        client.get(f"/api/v1/bills/{draft['id']}", headers=owner.headers).json()["status"]
        == "draft"
    )
    empty = create(client, owner, supplier=martin["id"], supplier_number="E1").json()
    assert (
        client.post(f"/api/v1/bills/{empty['id']}/submit", headers=owner.headers).json()["errors"][
            0
        ]["field"]
        == "lines"
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"lines": [{"description": "x", "unit_price": "1", "account": "401"}]},
            "lines[0].account",
        ),
        ({"lines": [{"description": "x", "unit_price": "1", "account": "60"}]}, "lines[0].account"),
        (
            {"lines": [{"description": "x", "unit_price": "1", "account": "7999"}]},
            "lines[0].account",
        ),
        ({"lines": [{"description": "x", "unit_price": "1"}]}, "lines[0].account"),
        ({"lines": [{"description": "x", "account": "606"}]}, "lines[0].unit_price"),
        (
            {"lines": [{"description": "x", "unit_price": "abc", "account": "606"}]},
            "lines[0].unit_price",
        ),
        (
            {
                "lines": [
                    {"description": "x", "unit_price": "1", "account": "606", "tax_codes": ["XX"]}
                ]
            },
            "lines[0].tax_codes",
        ),
        (
            {
                "lines": [
                    {
                        "description": "x",
                        "quantity": "999999999",
                        "unit_price": "999999999999",
                        "account": "606",
                    }
                ]
            },
            "lines",
        ),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "USD", "issue_date": "2026-02-01"}, "currency"),
        ({"due_date": "2026-01-01"}, "due_date"),
        ({"supplier": "S99999"}, "supplier"),
        ({"issue_date": "9999-12-31"}, "issue_date"),
        ({"due_date": "0001-01-01"}, "due_date"),
    ],
    ids=[
        "payable-account",
        "heading",
        "unknown-account",
        "no-account",
        "no-price",
        "bad-price",
        "unknown-tax",
        "huge",
        "bad-currency",
        "missing-rate",
        "due-before-date",
        "unknown-supplier",
        "far-future-date",
        "far-past-due-date",
    ],
)
def test_bad_input_is_refused_beside_its_field(
    client: TestClient, owner: Account, change: dict[str, Any], field: str
) -> None:
    martin = supplier(client, owner)
    body = {
        "supplier": martin["id"],
        "supplier_number": "F1",
        "issue_date": "2026-02-01",
        "lines": bill_lines(),
    } | change
    response = create(client, owner, **body)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert client.get("/api/v1/bills", headers=owner.headers).json()["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"supplier": 12, "lines": []},
        {"supplier": "S00001", "lines": "many"},
        {"supplier": "S00001", "prices_include_tax": "yes"},
        {"supplier": "S00001", "issue_date": "yesterday"},
        {"supplier": "S00001", "unknown": 1},
        {"supplier": "S00001", "supplier_number": "x" * 61},
        {"supplier": "S00001", "lines": [{"description": "x", "unit_price": 1.5}]},
    ],
    ids=[
        "number-supplier",
        "lines-text",
        "flag-text",
        "bad-date",
        "unknown-field",
        "long-number",
        "float",
    ],
)
def test_wrong_types_answer_422(client: TestClient, owner: Account, body: dict[str, Any]) -> None:
    supplier(client, owner)
    assert create(client, owner, **body).status_code == 422


def test_at_most_200_lines(client: TestClient, owner: Account) -> None:
    martin = supplier(client, owner)
    response = create(client, owner, supplier=martin["id"], lines=bill_lines() * 201)
    assert response.status_code == 422
    assert create(client, owner, supplier=martin["id"], lines=bill_lines() * 200).status_code == 201


def test_huge_amounts_are_refused(client: TestClient, owner: Account) -> None:
    martin = supplier(client, owner)
    line = bill_lines()[0] | {"quantity": "999999", "unit_price": str(MAX_MINOR_UNITS)}
    response = create(client, owner, supplier=martin["id"], lines=[line])
    assert response.status_code == 422


def test_other_tenants_suppliers_and_bills_are_unknown(client: TestClient, owner: Account) -> None:
    theirs = register(client, "other@example.com", organization_name="Beta SAS")
    their_supplier = supplier(client, theirs)
    their_bill = bill(client, theirs, their_supplier["id"], approve=False)
    response = create(client, owner, supplier=their_supplier["id"], lines=bill_lines())
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "supplier"
    for method, suffix in [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "/submit"),
        ("post", "/approve"),
        ("get", "/history"),
    ]:
        answer = client.request(
            method, f"/api/v1/bills/{their_bill['id']}{suffix}", headers=owner.headers, json={}
        )
        assert answer.status_code == 404, (method, suffix, answer.text)


def test_a_customer_is_not_a_supplier(client: TestClient, owner: Account) -> None:
    customer = client.post(
        "/api/v1/customers", headers=owner.headers, json={"name": "Client", "country": "FR"}
    ).json()
    response = create(client, owner, supplier=customer["id"], lines=bill_lines())
    assert response.status_code == 422


def test_a_retried_create_makes_one_bill(client: TestClient, owner: Account) -> None:
    martin = supplier(client, owner)
    headers = owner.headers | {"Idempotency-Key": "bill-retry-1"}
    body = {"supplier": martin["id"], "supplier_number": "R1", "lines": bill_lines()}
    first = client.post("/api/v1/bills", headers=headers, json=body)
    second = client.post("/api/v1/bills", headers=headers, json=body)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] == second.json()["id"]
    assert len(client.get("/api/v1/bills", headers=owner.headers).json()["items"]) == 1


def test_a_supplier_with_bills_cannot_be_deleted(client: TestClient, owner: Account) -> None:
    martin = supplier(client, owner)
    bill(client, owner, martin["id"], approve=False)
    response = client.delete(f"/api/v1/suppliers/{martin['id']}", headers=owner.headers)
    assert response.status_code == 409


def test_lists_filter_by_status_supplier_dates_and_overdue(
    client: TestClient, owner: Account
) -> None:
    martin = supplier(client, owner)
    other = supplier(client, owner, name="Papeterie Dupont")
    posted = bill(client, owner, martin["id"], issue_date="2026-01-05", due_date="2026-01-20")
    draft = bill(client, owner, other["id"], approve=False, issue_date="2026-02-10")

    def ids(**params: Any) -> set[str]:
        response = client.get("/api/v1/bills", headers=owner.headers, params=params)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert ids() == {posted["id"], draft["id"]}
    assert ids(status="draft") == {draft["id"]}
    assert ids(supplier=martin["id"]) == {posted["id"]}
    assert ids(date_from="2026-02-01") == {draft["id"]}
    assert ids(date_to="2026-01-31") == {posted["id"]}
    assert ids(overdue="true") == {posted["id"]}
    assert ids(q="dupont") == {draft["id"]}
    first = client.get("/api/v1/bills", headers=owner.headers, params={"limit": 1}).json()
    rest = client.get(
        "/api/v1/bills", headers=owner.headers, params={"limit": 1, "cursor": first["next_cursor"]}
    ).json()
    assert {first["items"][0]["id"], rest["items"][0]["id"]} == {posted["id"], draft["id"]}


def test_a_viewer_reads_bills_but_does_not_enter_them(client: TestClient, owner: Account) -> None:
    viewer = bearer(accept_new(client, invite(client, owner, "viewer@example.com", "viewer")))
    martin = supplier(client, owner)
    draft = bill(client, owner, martin["id"], approve=False)
    assert client.get(f"/api/v1/bills/{draft['id']}", headers=viewer).status_code == 200
    refused = client.post(
        "/api/v1/bills", headers=viewer, json={"supplier": martin["id"], "lines": bill_lines()}
    )
    assert refused.status_code == 403
    assert client.post(f"/api/v1/bills/{draft['id']}/submit", headers=viewer).status_code == 403


@pytest.mark.parametrize(
    "lines",
    [
        bill_lines("100.00") + bill_lines("-100.00"),
        [bill_lines()[0] | {"quantity": "0"}],
        bill_lines("-10.00"),
    ],
    ids=["lines-cancel-out", "zero-quantity", "negative"],
)
def test_a_bill_totalling_zero_or_less_is_not_submitted(
    client: TestClient, owner: Account, lines: list[dict[str, Any]]
) -> None:
    martin = supplier(client, owner)
    draft = bill(client, owner, martin["id"], lines, approve=False)
    response = client.post(f"/api/v1/bills/{draft['id']}/submit", headers=owner.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "lines", "message": "A bill must total more than zero.", "code": "not_positive"}
    ]
    assert client.get(f"/api/v1/bills/{draft['id']}", headers=owner.headers).json()["status"] == (
        "draft"
    )


def test_a_tax_rate_changed_after_submission_refuses_the_approval(
    client: TestClient, owner: Account
) -> None:
    admin = bearer(accept_new(client, invite(client, owner, "admin@example.com", "admin")))
    created = client.post(
        "/api/v1/taxes",
        headers=owner.headers,
        json={"code": "LOCAL", "label": "Local tax", "kind": "percent", "rate": "20"},
    )
    assert created.status_code == 201, created.text
    martin = supplier(client, owner)
    draft = bill(
        client, owner, martin["id"], [bill_lines()[0] | {"tax_codes": ["LOCAL"]}], approve=False
    )
    submitted = client.post(f"/api/v1/bills/{draft['id']}/submit", headers=owner.headers).json()
    assert (submitted["status"], submitted["gross"]) == ("submitted", "120.00")
    changed = client.patch(
        f"/api/v1/taxes/{created.json()['id']}", headers=owner.headers, json={"rate": "10"}
    )
    assert changed.status_code == 200, changed.text

    refused = client.post(f"/api/v1/bills/{draft['id']}/approve", headers=admin)
    assert (refused.status_code, refused.json()["code"]) == (409, "totals_changed"), refused.text
    assert "Reject it" in refused.json()["detail"]
    unchanged = client.get(f"/api/v1/bills/{draft['id']}", headers=owner.headers).json()
    assert (unchanged["status"], unchanged["gross"], unchanged["entry_id"]) == (
        "submitted",
        "120.00",
        None,
    )
    assert unchanged["approval"]["done"] == 0

    client.post(f"/api/v1/bills/{draft['id']}/reject", headers=admin, json={"reason": "New rate"})
    saved = client.patch(f"/api/v1/bills/{draft['id']}", headers=owner.headers, json={})
    assert saved.json()["gross"] == "110.00"
    client.post(f"/api/v1/bills/{draft['id']}/submit", headers=owner.headers)
    posted = client.post(f"/api/v1/bills/{draft['id']}/approve", headers=admin).json()
    assert (posted["status"], posted["gross"]) == ("posted", "110.00")
    assert postings(entry(client, owner, posted["entry_id"]))[0] == ("401", "0.00", "110.00", True)


def test_a_bill_entered_before_a_rate_change_is_saved_again_before_submission(
    client: TestClient, owner: Account
) -> None:
    created = client.post(
        "/api/v1/taxes",
        headers=owner.headers,
        json={"code": "LOCAL", "label": "Local tax", "kind": "percent", "rate": "20"},
    )
    martin = supplier(client, owner)
    draft = bill(
        client, owner, martin["id"], [bill_lines()[0] | {"tax_codes": ["LOCAL"]}], approve=False
    )
    client.patch(
        f"/api/v1/taxes/{created.json()['id']}", headers=owner.headers, json={"rate": "10"}
    )
    refused = client.post(f"/api/v1/bills/{draft['id']}/submit", headers=owner.headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "totals_changed")
    assert "Save it again" in refused.json()["detail"]
    assert client.get(f"/api/v1/bills/{draft['id']}", headers=owner.headers).json()["status"] == (
        "draft"
    )
