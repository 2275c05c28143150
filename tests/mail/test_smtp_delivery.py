"""Password reset and e-mail verification, delivered over real SMTP."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from comptoir.kit import clock
from comptoir.worker.runner import Worker
from tests.conftest import PASSWORD, Account, login, register
from tests.mail.smtp import SmtpServer, settings, smtp

# The fixtures that send this module's mail through a real local SMTP server.
__all__ = ["settings", "smtp"]

NEW_PASSWORD = "an-Even-sturdier-phrase-7"


def link_in(smtp: SmtpServer, address: str, path: str) -> str:
    message = smtp.inbox.to(address)[-1]
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(rf"http://testserver{path}\?token=([A-Za-z0-9_\-]+)", text)
    assert match, text
    return match.group(1)


def test_verification_mail_confirms_the_address(
    client: TestClient, worker: Worker, smtp: SmtpServer
) -> None:
    account = register(client)
    assert smtp.inbox.messages == []  # nothing leaves before the worker runs
    worker.drain()
    message = smtp.inbox.to(account.email)[0]
    assert message["Subject"] == "Confirm your e-mail address for Comptoir"
    assert message["From"] == "Comptoir <noreply@comptoir.test>"
    assert message.get_body(preferencelist=("html",)) is not None
    token = link_in(smtp, account.email, "/verify-email")
    verified = client.post("/api/v1/auth/verify-email", json={"token": token})
    assert verified.status_code == 200
    assert verified.json()["email_verified"] is True
    again = client.post("/api/v1/auth/verify-email", json={"token": token})
    assert again.status_code == 410
    assert again.json()["code"] == "token_used"


def test_password_reset_over_smtp(
    client: TestClient, worker: Worker, smtp: SmtpServer, owner: Account
) -> None:
    worker.drain()
    smtp.inbox.messages.clear()
    answer = client.post("/api/v1/auth/password-reset/request", json={"email": owner.email})
    unknown = client.post(
        "/api/v1/auth/password-reset/request", json={"email": "ghost@example.com"}
    )
    assert answer.status_code == unknown.status_code == 202
    assert answer.json() == unknown.json()
    worker.drain()
    assert [m["To"] for m in smtp.inbox.messages] == [owner.email]
    token = link_in(smtp, owner.email, "/reset-password")

    weak = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "short"}
    )
    assert weak.status_code == 422
    ok = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert ok.status_code == 204
    # Every session ended; the old password is refused, the new one works.
    assert client.get("/api/v1/auth/me", headers=owner.headers).status_code == 401
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": owner.email, "password": PASSWORD}
        ).status_code
        == 401
    )
    assert login(client, owner.email, NEW_PASSWORD)["user"]["email"] == owner.email
    reused = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD + "x"}
    )
    assert reused.status_code == 410
    # The delivered body of a secret-bearing message is not kept in the database.
    events = client.get(
        "/api/v1/audit-events?action=auth.password_reset",
        headers={
            "Authorization": f"Bearer {login(client, owner.email, NEW_PASSWORD)['access_token']}"
        },
    ).json()
    assert events["items"] == []  # account events carry no organization


def test_reset_link_expires_after_an_hour(
    client: TestClient, worker: Worker, smtp: SmtpServer, owner: Account
) -> None:
    client.post("/api/v1/auth/password-reset/request", json={"email": owner.email})
    worker.drain()
    token = link_in(smtp, owner.email, "/reset-password")
    with clock.travel(timedelta(hours=1, seconds=1)):
        late = client.post(
            "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
        )
    assert late.status_code == 410
    assert late.json()["code"] == "token_expired"
    bogus = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": "bogus", "password": NEW_PASSWORD}
    )
    assert bogus.status_code == 422


def test_reset_requests_are_capped_per_hour(
    client: TestClient, worker: Worker, smtp: SmtpServer, owner: Account
) -> None:
    worker.drain()
    smtp.inbox.messages.clear()
    for _ in range(8):
        assert (
            client.post(
                "/api/v1/auth/password-reset/request", json={"email": owner.email}
            ).status_code
            == 202
        )
    worker.drain()
    assert len(smtp.inbox.to(owner.email)) == 5


def test_a_refusing_server_is_retried(client: TestClient, worker: Worker, smtp: SmtpServer) -> None:
    smtp.inbox.fail_next = 1
    account = register(client)
    worker.drain()
    assert smtp.inbox.to(account.email) == []
    # The retry waits its backoff; move past it instead of sleeping.
    with clock.travel(timedelta(minutes=2)):
        worker.drain()
    assert len(smtp.inbox.to(account.email)) == 1


def test_confirmation_resends_are_capped(
    client: TestClient, worker: Worker, smtp: SmtpServer, owner: Account
) -> None:
    for _ in range(7):
        assert (
            client.post("/api/v1/auth/verify-email/resend", headers=owner.headers).status_code
            == 202
        )
    worker.drain()
    confirmations = [m for m in smtp.inbox.to(owner.email) if "Confirm" in m["Subject"]]
    assert len(confirmations) == 5  # the sign-up message and four resends


def test_secret_links_are_not_kept_after_smtp_delivery(
    client: TestClient, worker: Worker, smtp: SmtpServer, owner: Account, database
) -> None:
    from sqlalchemy import text

    worker.drain()
    with database.engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, status, body_text FROM mail_messages")).all()
    assert [(kind, status, body) for kind, status, body in rows] == [
        ("email_verification", "sent", None)
    ]
