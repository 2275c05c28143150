"""The bell, the notifications page and the channel choices in the web app."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from comptoir.worker.runner import Worker
from tests.conftest import Account
from tests.notifications.helpers import notifications, receive_payment, unread


def _web_login(client: TestClient, account: Account) -> str:
    client.get("/login")
    csrf = client.cookies.get("comptoir_csrf")
    assert csrf
    response = client.post(
        "/login",
        data={"email": account.email, "password": account.password, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf


def _bell_count(html: str) -> str | None:
    match = re.search(r'<span class="bell-count"[^>]*>([^<]+)</span>', html)
    return match.group(1) if match else None


def test_bell_list_open_read_and_delete(client: TestClient, worker: Worker, owner: Account) -> None:
    csrf = _web_login(client, owner)
    assert _bell_count(client.get("/").text) is None
    payment_id = receive_payment(client, owner.headers, "42.00")
    receive_payment(client, owner.headers, "7.00")
    worker.drain()

    home = client.get("/")
    assert _bell_count(home.text) == "2"
    assert "Notifications: 2 unread" in home.text
    assert _bell_count(client.get("/notifications/bell").text) == "2"
    page = client.get("/notifications")
    assert page.status_code == 200
    assert "Payment of 42.00 EUR received from Acme" in page.text
    assert "Payment of 7.00 EUR received from Acme" in page.text

    older, newer = reversed(notifications(client, owner.headers))
    opened = client.post(
        f"/notifications/{older['id']}/open", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/sales/payments/{payment_id}"
    assert unread(client, owner.headers) == 1
    unread_page = client.get("/notifications?show=unread").text
    assert "7.00 EUR" in unread_page and "42.00 EUR" not in unread_page

    read = client.post(
        f"/notifications/{newer['id']}/read",
        data={"csrf_token": csrf, "back": "/notifications?show=unread"},
        follow_redirects=False,
    )
    assert read.headers["location"] == "/notifications?show=unread"
    assert unread(client, owner.headers) == 0
    assert "Nothing unread." in client.get("/notifications?show=unread").text

    deleted = client.post(f"/notifications/{newer['id']}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 200
    assert "Notification deleted." in deleted.text
    assert [n["id"] for n in notifications(client, owner.headers)] == [older["id"]]
    missing = client.post(f"/notifications/{newer['id']}/delete", data={"csrf_token": csrf})
    assert missing.status_code == 404


def test_mark_all_read_and_forms_without_csrf(
    client: TestClient, worker: Worker, owner: Account
) -> None:
    csrf = _web_login(client, owner)
    receive_payment(client, owner.headers)
    worker.drain()
    forged = client.post("/notifications/read-all", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert unread(client, owner.headers) == 1
    done = client.post("/notifications/read-all", data={"csrf_token": csrf})
    assert "Every notification is marked read." in done.text
    assert unread(client, owner.headers) == 0
    assert (
        client.post("/notifications/not-an-id/read", data={"csrf_token": csrf}).status_code == 404
    )


def test_channel_choices_under_settings(client: TestClient, owner: Account) -> None:
    csrf = _web_login(client, owner)
    page = client.get("/settings/notifications")
    assert page.status_code == 200
    assert 'href="/settings/notifications"' in page.text
    assert 'name="payment.received.in_app" value="on" checked' in page.text
    forged = client.post(
        "/settings/notifications", data={"csrf_token": "x", "payment.received.email": "on"}
    )
    assert forged.status_code == 403
    saved = client.post(
        "/settings/notifications",
        data={
            "csrf_token": csrf,
            "payment.received.email": "on",
            "quote.accepted.in_app": "on",
            "quote.declined.in_app": "on",
            "invoice.overdue.in_app": "on",
            "invoice.overdue.email": "on",
        },
    )
    assert "Your notification choices are saved." in saved.text
    chosen = {
        p["event_type"]: (p["in_app"], p["email"])
        for p in client.get("/api/v1/notifications/preferences", headers=owner.headers).json()
    }
    assert chosen == {
        "payment.received": (False, True),
        "quote.accepted": (True, False),
        "quote.declined": (True, False),
        "invoice.overdue": (True, True),
        # Left unticked on the form: neither channel.
        "expense.approval_requested": (False, False),
        "bill.approval_requested": (False, False),
        "expense.approved": (False, False),
        "expense.rejected": (False, False),
        "bill.approved": (False, False),
        "bill.rejected": (False, False),
        "expense.reimbursed": (False, False),
        "webhook_endpoint.disabled": (False, False),
    }


def test_pages_need_a_sign_in(client: TestClient) -> None:
    for path in ("/notifications", "/settings/notifications", "/notifications/bell"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
