"""Each member's channels: the defaults, in-app off and e-mail on, unknown event types."""

from __future__ import annotations

from fastapi.testclient import TestClient

from comptoir.worker.runner import Worker
from tests.conftest import Account
from tests.mail.smtp import SmtpServer, settings, smtp
from tests.notifications.helpers import member, notifications, receive_payment

# The fixtures that send this module's mail through a real local SMTP server.
__all__ = ["settings", "smtp"]


def _preferences(client: TestClient, headers: dict[str, str]) -> dict[str, tuple[bool, bool]]:
    response = client.get("/api/v1/notifications/preferences", headers=headers)
    assert response.status_code == 200, response.text
    return {p["event_type"]: (p["in_app"], p["email"]) for p in response.json()}


def test_defaults_are_in_the_app_and_by_mail_for_what_waits_on_someone(
    client: TestClient, owner: Account
) -> None:
    assert _preferences(client, owner.headers) == {
        "payment.received": (True, False),
        "quote.accepted": (True, False),
        "quote.declined": (True, False),
        "invoice.overdue": (True, False),
        "expense.approval_requested": (True, True),
        "bill.approval_requested": (True, True),
        "expense.approved": (True, False),
        "expense.rejected": (True, True),
        "bill.approved": (True, False),
        "bill.rejected": (True, False),
        "expense.reimbursed": (True, False),
        "webhook_endpoint.disabled": (True, True),
    }


def test_email_instead_of_in_app_sends_real_mail_to_that_member_only(
    client: TestClient, worker: Worker, owner: Account, smtp: SmtpServer
) -> None:
    accountant = member(client, owner, "accountant@example.net", "accountant")
    chosen = client.put(
        "/api/v1/notifications/preferences",
        headers=accountant,
        json={"preferences": [{"event_type": "payment.received", "in_app": False, "email": True}]},
    )
    assert chosen.status_code == 200, chosen.text
    assert {p["event_type"]: (p["in_app"], p["email"]) for p in chosen.json()}[
        "payment.received"
    ] == (False, True)
    worker.drain()
    smtp.inbox.messages.clear()

    payment_id = receive_payment(client, owner.headers, "80.00")
    worker.drain()

    assert notifications(client, accountant) == []
    assert len(notifications(client, owner.headers)) == 1  # the owner kept the default
    messages = smtp.inbox.to("accountant@example.net")
    assert [m["Subject"] for m in messages] == ["Payment of 80.00 EUR received from Acme"]
    text = messages[0].get_body(preferencelist=("plain",)).get_content()
    assert f"http://testserver/sales/payments/{payment_id}" in text
    assert "http://testserver/settings/notifications" in text
    assert smtp.inbox.to(owner.email) == []


def test_unknown_event_types_are_refused_by_name(client: TestClient, owner: Account) -> None:
    response = client.put(
        "/api/v1/notifications/preferences",
        headers=owner.headers,
        json={
            "preferences": [
                {"event_type": "payment.received", "in_app": False, "email": False},
                {"event_type": "rocket.launched", "in_app": True, "email": False},
            ]
        },
    )
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert "rocket.launched" in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == ["preferences.1.event_type"]
    # Nothing of the request was kept.
    assert _preferences(client, owner.headers)["payment.received"] == (True, False)
    bad_body = client.put(
        "/api/v1/notifications/preferences",
        headers=owner.headers,
        json={"preferences": [{"event_type": "payment.received", "in_app": "maybe"}]},
    )
    assert bad_body.status_code == 422
