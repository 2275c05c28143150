"""An expense through every path of a two-level approval rule: approved at once, by one
approver, by two in turn, rejected and sent again, self-approval refused and allowed, with
the ledger touched only once approved and members told through the notification centre."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.worker.runner import Worker
from tests.conftest import Account, register
from tests.notifications.helpers import member, notifications
from tests.purchases.expense_helpers import (
    TIERED,
    act,
    entry_count,
    entry_lines,
    expense,
    set_rules,
    submitted,
)

Headers = dict[str, str]


@pytest.fixture
def team(client: TestClient, owner: Account) -> dict[str, Headers]:
    set_rules(client, owner, TIERED)
    return {
        "admin": member(client, owner, "admin@example.net", "admin"),
        "sales": member(client, owner, "sales@example.net", "sales"),
        "warehouse": member(client, owner, "stock@example.net", "warehouse"),
    }


def actions(body: dict[str, Any]) -> list[tuple[str, int | None, str | None]]:
    return [(item["action"], item["step"], item["role"]) for item in body["history"]]


def test_up_to_the_first_limit_it_is_approved_and_posted_at_once(
    client: TestClient, owner: Account, team: dict[str, Headers]
) -> None:
    paid = submitted(client, team["sales"], amount="100.00")
    assert paid["status"] == "paid"
    assert paid["approval"] == {
        "steps": [],
        "done": 0,
        "pending_role": None,
        "self_approved": False,
    }
    assert actions(paid) == [
        ("created", None, None),
        ("submitted", None, None),
        ("auto_approved", None, None),
        ("posted", None, None),
    ]
    assert sorted(entry_lines(client, owner, paid["entry_id"])) == [
        ("44566", "16.67", "0.00"),
        ("512", "0.00", "100.00"),
        ("625", "83.33", "0.00"),
    ]


def test_one_approver_posts_it(
    client: TestClient, owner: Account, team: dict[str, Headers]
) -> None:
    before = entry_count(client, owner)
    waiting = submitted(client, team["sales"], amount="500.00", paid_by="employee")
    assert waiting["status"] == "submitted"
    assert waiting["approval"]["pending_role"] == "admin"
    assert waiting["entry_id"] is None
    assert entry_count(client, owner) == before
    # Staff may not approve, nor may the submitter.
    refused = act(client, team["warehouse"], waiting["id"], "approve")
    assert refused.status_code == 404  # they do not even see it
    refused = act(client, team["sales"], waiting["id"], "approve")
    assert (refused.status_code, refused.json()["code"]) == (403, "self_approval")
    approved = act(client, team["admin"], waiting["id"], "approve")
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "posted"
    assert actions(body)[-2:] == [("approved", 1, "admin"), ("posted", None, None)]
    assert sorted(entry_lines(client, owner, body["entry_id"])) == [
        ("421", "0.00", "500.00"),
        ("44566", "83.33", "0.00"),
        ("625", "416.67", "0.00"),
    ]
    assert entry_count(client, owner) == before + 1
    again = act(client, owner, waiting["id"], "approve")
    assert (again.status_code, again.json()["code"]) == (409, "not_submitted")


def test_two_approvers_in_turn_and_the_entry_only_after_the_second(
    client: TestClient, owner: Account, team: dict[str, Headers]
) -> None:
    before = entry_count(client, owner)
    waiting = submitted(client, team["sales"], amount="1500.00")
    assert waiting["approval"]["steps"] == ["admin", "owner"]
    first = act(client, team["admin"], waiting["id"], "approve").json()
    assert first["status"] == "submitted"
    assert first["approval"]["done"] == 1
    assert first["approval"]["pending_role"] == "owner"
    assert first["entry_id"] is None
    assert entry_count(client, owner) == before
    # The admin approved step 1: step 2 is the owner's.
    twice = act(client, team["admin"], waiting["id"], "approve")
    assert twice.status_code == 403
    second = act(client, owner, waiting["id"], "approve").json()
    assert second["status"] == "paid"
    assert actions(second)[-3:] == [
        ("approved", 1, "admin"),
        ("approved", 2, "owner"),
        ("posted", None, None),
    ]
    assert second["history"][-2]["actor"]["id"] == owner.user_id
    assert entry_count(client, owner) == before + 1
    assert ("512", "0.00", "1500.00") in entry_lines(client, owner, second["entry_id"])


def test_a_rejection_books_nothing_and_the_corrected_expense_goes_again(
    client: TestClient, owner: Account, team: dict[str, Headers], worker: Worker
) -> None:
    before = entry_count(client, owner)
    waiting = submitted(client, team["sales"], amount="500.00")
    no_reason = act(client, team["admin"], waiting["id"], "reject", reason="  ")
    assert no_reason.status_code == 422
    rejected = act(client, team["admin"], waiting["id"], "reject", reason="No receipt attached")
    assert rejected.status_code == 200, rejected.text
    body = rejected.json()
    assert (body["status"], body["rejection_reason"]) == ("rejected", "No receipt attached")
    assert actions(body)[-1] == ("rejected", 1, "admin")
    assert body["history"][-1]["reason"] == "No receipt attached"
    assert entry_count(client, owner) == before
    worker.drain()
    [notice] = [
        n for n in notifications(client, team["sales"]) if n["event_type"] == "expense.rejected"
    ]
    assert "rejected" in notice["title"]
    assert notice["body"] == "No receipt attached"
    assert notice["link"] == f"/purchases/expenses/{waiting['id']}"
    # Corrected (back to draft) and sent again: approved this time.
    edited = client.patch(
        f"/api/v1/expenses/{waiting['id']}", headers=team["sales"], json={"amount": "480.00"}
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["status"], edited.json()["amount"]) == ("draft", "480.00")
    again = act(client, team["sales"], waiting["id"], "submit").json()
    assert again["status"] == "submitted"
    assert again["rejection_reason"] is None
    posted = act(client, team["admin"], waiting["id"], "approve").json()
    assert posted["status"] == "paid"
    assert entry_count(client, owner) == before + 1


def test_self_approval_is_refused_when_someone_else_can_approve(
    client: TestClient, owner: Account, team: dict[str, Headers]
) -> None:
    waiting = submitted(client, team["admin"], amount="500.00")
    refused = act(client, team["admin"], waiting["id"], "approve")
    assert (refused.status_code, refused.json()["code"]) == (403, "self_approval")
    approved = act(client, owner, waiting["id"], "approve").json()
    assert approved["status"] == "paid"
    assert approved["approval"]["self_approved"] is False


def test_alone_the_owner_approves_their_own_expense_as_a_self_approval(
    client: TestClient,
) -> None:
    alone = register(client, organization_name="Solo EURL")
    set_rules(client, alone, TIERED)
    waiting = submitted(client, alone, amount="1500.00")
    assert waiting["approval"]["steps"] == ["admin", "owner"]
    first = act(client, alone, waiting["id"], "approve").json()
    assert first["status"] == "submitted"
    second = act(client, alone, waiting["id"], "approve").json()
    assert second["status"] == "paid"
    assert second["approval"]["self_approved"] is True
    assert actions(second)[-3:] == [
        ("self_approved", 1, "admin"),
        ("self_approved", 2, "owner"),
        ("posted", None, None),
    ]
    assert ("512", "0.00", "1500.00") in entry_lines(client, alone, second["entry_id"])


def test_approvers_hear_of_what_waits_and_the_submitter_of_the_decision(
    client: TestClient, owner: Account, team: dict[str, Headers], worker: Worker
) -> None:
    waiting = submitted(client, team["sales"], amount="500.00", supplier_name="Hôtel du Port")
    worker.drain()
    for approver in (owner.headers, team["admin"]):
        [notice] = [
            n
            for n in notifications(client, approver)
            if n["event_type"] == "expense.approval_requested"
        ]
        assert notice["title"] == "Expense of 500.00 EUR (Hôtel du Port) to approve"
        assert notice["link"] == f"/purchases/expenses/{waiting['id']}"
    for bystander in (team["sales"], team["warehouse"]):
        assert not [
            n
            for n in notifications(client, bystander)
            if n["event_type"] == "expense.approval_requested"
        ]
    pending = client.get(
        "/api/v1/expenses", headers=team["admin"], params={"pending_my_approval": "true"}
    ).json()
    assert [item["id"] for item in pending["items"]] == [waiting["id"]]
    assert (
        client.get(
            "/api/v1/expenses", headers=team["sales"], params={"pending_my_approval": "true"}
        ).json()["items"]
        == []
    )
    assert act(client, team["admin"], waiting["id"], "approve").status_code == 200
    worker.drain()
    [decided] = [
        n for n in notifications(client, team["sales"]) if n["event_type"] == "expense.approved"
    ]
    assert decided["title"] == "Expense of 500.00 EUR (Hôtel du Port) approved"


def test_the_reimbursed_employee_is_told(
    client: TestClient, owner: Account, team: dict[str, Headers], worker: Worker
) -> None:
    paid = submitted(client, team["sales"], amount="40.00", paid_by="employee")
    response = client.post(
        "/api/v1/expense-reimbursements",
        headers=owner.headers,
        json={"employee": "sales@example.net", "expenses": [paid["id"]]},
    )
    assert response.status_code == 201, response.text
    worker.drain()
    [notice] = [
        n for n in notifications(client, team["sales"]) if n["event_type"] == "expense.reimbursed"
    ]
    assert notice["title"] == "40.00 EUR of expenses reimbursed to you"
    # They see their reimbursement; a colleague does not.
    mine = client.get("/api/v1/expense-reimbursements", headers=team["sales"]).json()["items"]
    assert [item["id"] for item in mine] == [response.json()["id"]]
    assert (
        client.get("/api/v1/expense-reimbursements", headers=team["warehouse"]).json()["items"]
        == []
    )


def test_staff_draft_is_theirs_to_submit(
    client: TestClient, owner: Account, team: dict[str, Headers]
) -> None:
    draft = expense(client, team["warehouse"], amount="50.00")
    assert act(client, team["sales"], draft["id"], "submit").status_code == 404
    assert act(client, team["warehouse"], draft["id"], "submit").json()["status"] == "paid"


def test_the_member_reimbursed_does_not_approve_their_own_expense(
    client: TestClient, owner: Account, team: dict[str, Headers]
) -> None:
    other_admin = member(client, owner, "admin2@example.net", "admin")
    # The owner records what the first administrator paid personally.
    waiting = submitted(
        client, owner, amount="500.00", paid_by="employee", employee="admin@example.net"
    )
    assert waiting["approval"]["pending_role"] == "admin"
    refused = act(client, team["admin"], waiting["id"], "approve")
    assert (refused.status_code, refused.json()["code"]) == (403, "self_approval")
    approved = act(client, other_admin, waiting["id"], "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "posted"
    assert approved.json()["approval"]["self_approved"] is False


def test_the_only_approver_of_a_later_step_leaves_the_earlier_one_to_others(
    client: TestClient, owner: Account, team: dict[str, Headers]
) -> None:
    waiting = submitted(client, team["sales"], amount="1500.00")
    assert waiting["approval"]["steps"] == ["admin", "owner"]
    # The owner could approve an administrator's step, but is the only one for the next.
    early = act(client, owner, waiting["id"], "approve")
    assert (early.status_code, early.json()["code"]) == (403, "later_step_approver")
    assert act(client, team["admin"], waiting["id"], "approve").status_code == 200
    done = act(client, owner, waiting["id"], "approve")
    assert done.status_code == 200, done.text
    assert actions(done.json())[-3:] == [
        ("approved", 1, "admin"),
        ("approved", 2, "owner"),
        ("posted", None, None),
    ]


def test_one_person_clearing_two_steps_is_recorded_as_self_approved(
    client: TestClient,
) -> None:
    alone = register(client, "solo@example.net", organization_name="Solo SARL")
    set_rules(client, alone, [{"up_to": None, "steps": ["admin", "owner"]}])
    waiting = submitted(client, alone, amount="50.00")
    first = act(client, alone, waiting["id"], "approve")
    assert first.status_code == 200, first.text
    second = act(client, alone, waiting["id"], "approve")
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["approval"]["self_approved"] is True
    assert [a for a in actions(body) if a[0].endswith("approved")] == [
        ("self_approved", 1, "admin"),
        ("self_approved", 2, "owner"),
    ]


def test_a_tax_rate_changed_after_submission_is_not_posted_with_another_split(
    client: TestClient, owner: Account, team: dict[str, Headers]
) -> None:
    created = client.post(
        "/api/v1/taxes",
        headers=owner.headers,
        json={"code": "LOCAL", "label": "Local tax", "kind": "percent", "rate": "20"},
    )
    assert created.status_code == 201, created.text
    waiting = submitted(client, team["sales"], amount="120.00", tax_code="LOCAL")
    assert (waiting["net"], waiting["tax"]) == ("100.00", "20.00")
    changed = client.patch(
        f"/api/v1/taxes/{created.json()['id']}", headers=owner.headers, json={"rate": "10"}
    )
    assert changed.status_code == 200, changed.text
    before = entry_count(client, owner)
    refused = act(client, team["admin"], waiting["id"], "approve")
    assert (refused.status_code, refused.json()["code"]) == (409, "totals_changed")
    assert entry_count(client, owner) == before
    assert act(client, team["admin"], waiting["id"], "reject", reason="New rate").status_code == 200
    saved = client.patch(
        f"/api/v1/expenses/{waiting['id']}", headers=team["sales"], json={"amount": "120.00"}
    )
    assert saved.status_code == 200, saved.text
    assert (saved.json()["net"], saved.json()["tax"]) == ("109.09", "10.91")
