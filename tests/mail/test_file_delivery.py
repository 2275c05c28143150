"""Without SMTP, mail is written as .eml files and listed for admins."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from fastapi.testclient import TestClient

from comptoir.kit.settings import Settings
from comptoir.worker.runner import Worker
from tests.conftest import Account


def test_invitation_is_written_as_eml_and_listed(
    client: TestClient, owner: Account, worker: Worker, settings: Settings
) -> None:
    created = client.post(
        "/api/v1/invitations",
        headers=owner.headers,
        json={"email": "guest@example.org", "role": "viewer"},
    )
    assert created.status_code == 201
    queued = client.get("/api/v1/mail", headers=owner.headers).json()["items"]
    assert [(m["kind"], m["status"]) for m in queued] == [("invitation", "queued")]
    worker.drain()
    listed = client.get("/api/v1/mail", headers=owner.headers).json()["items"]
    assert listed[0]["status"] == "sent"
    assert listed[0]["transport"] == "file"
    detail = client.get(f"/api/v1/mail/{listed[0]['id']}", headers=owner.headers).json()
    assert created.json()["accept_url"] in detail["body_text"]
    files = list(Path(settings.data_dir, "mail").rglob("*.eml"))
    invitation = [f for f in files if "guest@example.org" in f.read_text()]
    assert len(invitation) == 1
    parsed = email.message_from_bytes(invitation[0].read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Join Owner Org SARL on Comptoir"


def test_account_mail_is_not_on_the_organization_list(
    client: TestClient, owner: Account, worker: Worker, settings: Settings
) -> None:
    client.post("/api/v1/auth/password-reset/request", json={"email": owner.email})
    worker.drain()
    kinds = {m["kind"] for m in client.get("/api/v1/mail", headers=owner.headers).json()["items"]}
    assert kinds == set()
    written = [f.read_text() for f in Path(settings.data_dir, "mail").rglob("*.eml")]
    assert any("Reset your Comptoir password" in text for text in written)


def test_mail_list_needs_mail_read(client: TestClient, owner: Account) -> None:
    from tests.identity.test_members import accept_new, bearer, invite

    viewer = accept_new(client, invite(client, owner, "v@example.org", role="viewer"))
    assert client.get("/api/v1/mail", headers=bearer(viewer)).status_code == 403
