"""Settings → Approvals: the bands of expenses and bills set from the page."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, Account
from tests.identity.test_members import accept_new, invite
from tests.parties.test_pages import web_login


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'id="f-{field}-error">.*?<span>(.*?)</span>', html, re.S)
    assert found, f"no error beside {field}"
    return unescape(found.group(1))


def _rules(client: TestClient, owner: Account, kind: str = "expense") -> dict[str, Any]:
    response = client.get(
        "/api/v1/approval-rules", headers=owner.headers, params={"applies_to": kind}
    )
    item: dict[str, Any] = response.json()["items"][0]
    return item


def test_the_page_sets_the_bands(client: TestClient, owner: Account) -> None:
    csrf = web_login(client, owner)
    page = client.get("/settings/approvals")
    assert page.status_code == 200
    assert 'href="/settings/approvals"' in page.text
    assert "Default rule: one administrator (or an owner) approves any amount." in page.text
    assert 'action="/settings/approvals/expense"' in page.text
    assert 'action="/settings/approvals/bill"' in page.text
    more = client.post(
        "/settings/approvals/expense",
        data={"csrf_token": csrf, "rows": "1", "expense-0-up_to": "250", "action": "add"},
    )
    assert more.status_code == 200
    assert 'name="expense-1-up_to"' in more.text
    assert 'value="250"' in more.text
    saved = client.post(
        "/settings/approvals/expense",
        data={
            "csrf_token": csrf,
            "rows": "3",
            "expense-0-up_to": "100",
            "expense-1-up_to": "",
            "expense-2-up_to": "1 000,00",
            "expense-2-steps": ["admin", ""],
            "expense-top-steps": ["admin", "owner", ""],
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert _rules(client, owner)["rules"] == [
        {"up_to": "100.00", "steps": []},
        {"up_to": "1000.00", "steps": ["admin"]},
        {"up_to": None, "steps": ["admin", "owner"]},
    ]
    assert _rules(client, owner, "bill")["is_default"] is True
    shown = client.get(saved.headers["location"]).text
    assert "The approval rules for expenses are saved." in shown
    assert 'value="1000.00"' in shown
    back = client.post(
        "/settings/approvals/expense",
        data={"csrf_token": csrf, "rows": "0", "action": "default"},
        follow_redirects=False,
    )
    assert back.status_code == 303
    assert _rules(client, owner)["is_default"] is True


def test_mistakes_show_beside_their_field(client: TestClient, owner: Account) -> None:
    csrf = web_login(client, owner)
    wrong = client.post(
        "/settings/approvals/bill",
        data={
            "csrf_token": csrf,
            "rows": "4",
            "bill-0-up_to": "500",
            "bill-1-up_to": "",
            "bill-2-up_to": "200",
            "bill-3-up_to": "",
            "bill-3-steps": ["owner"],
            "bill-top-steps": ["owner", "owner"],
        },
    )
    assert wrong.status_code == 422
    assert _field_error(wrong.text, "bill-3-up_to") == "Enter the amount this band goes up to."
    assert 'value="200"' in wrong.text
    fixed_missing = client.post(
        "/settings/approvals/bill",
        data={
            "csrf_token": csrf,
            "rows": "3",
            "bill-0-up_to": "500",
            "bill-2-up_to": "200",
            "bill-top-steps": ["owner", "owner"],
        },
    )
    assert fixed_missing.status_code == 422
    assert _field_error(fixed_missing.text, "bill-2-up_to") == (
        "More than the previous band's limit."
    )
    assert (
        _field_error(fixed_missing.text, "bill-top-steps") == "Owner appears twice: one step each."
    )
    garbage = client.post(
        "/settings/approvals/bill",
        data={"csrf_token": csrf, "rows": "1", "bill-0-up_to": "cheap", "bill-0-steps": "boss"},
    )
    assert garbage.status_code == 422
    assert _field_error(garbage.text, "bill-0-up_to") == "This is not a number."
    assert _field_error(garbage.text, "bill-0-steps").startswith("Each step is one of")
    assert _rules(client, owner, "bill")["is_default"] is True
    for rows in ("9" * 5000, "²", "-1"):
        tampered = client.post(
            "/settings/approvals/bill",
            data={"csrf_token": csrf, "rows": rows, "bill-top-steps": "accountant"},
            follow_redirects=False,
        )
        assert tampered.status_code == 303
    assert _rules(client, owner, "bill")["rules"] == [{"up_to": None, "steps": ["accountant"]}]
    assert (
        client.post(
            "/settings/approvals/invoice", data={"csrf_token": csrf, "rows": "0"}
        ).status_code
        == 404
    )


def test_csrf_and_who_may_change_them(client: TestClient, owner: Account) -> None:
    web_login(client, owner)
    forged = client.post(
        "/settings/approvals/expense",
        data={"rows": "0", "expense-top-steps": ["owner"]},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert _rules(client, owner)["is_default"] is True
    accept_new(client, invite(client, owner, "viewer@example.net", "viewer"))
    client.cookies.clear()
    csrf = web_login(client, "viewer@example.net", PASSWORD)
    page = client.get("/settings/approvals")
    assert page.status_code == 200
    assert "Only owners and administrators can change the approval rules." in page.text
    refused = client.post(
        "/settings/approvals/expense",
        data={"csrf_token": csrf, "rows": "0", "expense-top-steps": ["owner"]},
    )
    assert refused.status_code == 403
    assert _rules(client, owner)["is_default"] is True
