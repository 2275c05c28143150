"""The caller's own notifications through the API: list, pages, unread, read, delete."""

from __future__ import annotations

from fastapi.testclient import TestClient

from comptoir.worker.runner import Worker
from tests.conftest import Account, register
from tests.notifications.helpers import member, notifications, receive_payment, unread


def test_list_read_read_all_and_delete(client: TestClient, worker: Worker, owner: Account) -> None:
    for amount in ("1.00", "2.00", "3.00"):
        receive_payment(client, owner.headers, amount)
    worker.drain()
    found = notifications(client, owner.headers)
    assert [n["title"][:15] for n in found] == [
        "Payment of 3.00",
        "Payment of 2.00",
        "Payment of 1.00",
    ]
    assert unread(client, owner.headers) == 3

    first = client.get("/api/v1/notifications", headers=owner.headers, params={"limit": 2}).json()
    assert [n["id"] for n in first["items"]] == [found[0]["id"], found[1]["id"]]
    rest = client.get(
        "/api/v1/notifications",
        headers=owner.headers,
        params={"limit": 2, "cursor": first["next_cursor"]},
    ).json()
    assert [n["id"] for n in rest["items"]] == [found[2]["id"]]
    assert rest["next_cursor"] is None

    read = client.post(f"/api/v1/notifications/{found[1]['id']}/read", headers=owner.headers)
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert unread(client, owner.headers) == 2
    still_unread = notifications(client, owner.headers, unread="true")
    assert [n["id"] for n in still_unread] == [found[0]["id"], found[2]["id"]]

    deleted = client.delete(f"/api/v1/notifications/{found[0]['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    again = client.delete(f"/api/v1/notifications/{found[0]['id']}", headers=owner.headers)
    assert again.status_code == 404
    assert unread(client, owner.headers) == 1

    all_read = client.post("/api/v1/notifications/read-all", headers=owner.headers)
    assert all_read.json() == {"marked_read": 1}
    assert unread(client, owner.headers) == 0
    assert [n["id"] for n in notifications(client, owner.headers)] == [
        found[1]["id"],
        found[2]["id"],
    ]


def test_another_members_notifications_answer_404(
    client: TestClient, worker: Worker, owner: Account
) -> None:
    colleague = member(client, owner, "colleague@example.net", "accountant")
    stranger = register(client, organization_name="Stranger SARL")
    receive_payment(client, owner.headers)
    worker.drain()
    theirs = notifications(client, owner.headers)[0]["id"]
    colleague_count = unread(client, colleague)
    for headers in (colleague, stranger.headers):
        read = client.post(f"/api/v1/notifications/{theirs}/read", headers=headers)
        deleted = client.delete(f"/api/v1/notifications/{theirs}", headers=headers)
        assert read.status_code == deleted.status_code == 404
        assert read.headers["content-type"] == "application/problem+json"
        # Marking all read touches the caller's own only.
        client.post("/api/v1/notifications/read-all", headers=headers)
    assert unread(client, owner.headers) == 1
    assert colleague_count == 1
    assert notifications(client, stranger.headers) == []


def test_every_role_reads_its_own_and_bad_input_is_refused(
    client: TestClient, owner: Account
) -> None:
    for role in ("viewer", "warehouse", "client"):
        headers = member(client, owner, f"{role}@example.net", role)
        assert notifications(client, headers) == []
        assert unread(client, headers) == 0
    assert client.get("/api/v1/notifications").status_code == 401
    for params in ({"limit": 0}, {"limit": 201}, {"cursor": "not a cursor"}):
        response = client.get("/api/v1/notifications", headers=owner.headers, params=params)
        assert response.status_code == 422, params
    not_uuid = client.post("/api/v1/notifications/nope/read", headers=owner.headers)
    assert not_uuid.status_code == 422
