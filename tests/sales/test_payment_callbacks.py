"""Payment-provider callbacks: signed, processed once however often (and however
simultaneously) they arrive, booked to the invoice; and the connections that make them."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.errors import FieldError
from comptoir.kit.tenancy import all_tenants
from comptoir.outbox.models import OutboxEvent
from comptoir.sales.service import callbacks
from tests.conftest import PG_URL, Account, register
from tests.identity.test_members import accept_new, bearer, invite
from tests.ledger.helpers import balances
from tests.sales.helpers import customer, invoice

STRIPE_SECRET = "whsec_" + "s3cr3t" * 6


def connect(
    client: TestClient, owner: Account, provider: str = "generic", **body: Any
) -> dict[str, Any]:
    response = client.put(
        f"/api/v1/payment-providers/{provider}",
        headers=owner.headers,
        json={"account": "512"} | body,
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def signature(secret: str, body: bytes, at: int | None = None) -> str:
    """Computed here from the documented scheme, not by the code under test."""
    timestamp = str(int(time.time()) if at is None else at)
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def deliver(
    client: TestClient,
    connection: dict[str, Any],
    event: dict[str, Any] | bytes,
    *,
    secret: str | None = None,
    at: int | None = None,
    header: str | None = None,
) -> httpx.Response:
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    name = header or connection["signature_header"]
    path = connection["callback_url"].removeprefix("http://testserver")
    return client.post(
        path,
        content=body,
        headers={"Content-Type": "application/json", name: signature(secret or "", body, at)}
        if secret is not None
        else {"Content-Type": "application/json"},
    )


def paid(invoice_ref: str, amount: str, event_id: str | None = None, **data: Any) -> dict:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "type": "payment.succeeded",
        "data": {"invoice": invoice_ref, "amount": amount, "currency": "EUR"} | data,
    }


def payments_of(client: TestClient, owner: Account) -> list[dict[str, Any]]:
    response = client.get("/api/v1/payments", headers=owner.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def events_of(client: TestClient, owner: Account, provider: str = "generic") -> list[dict]:
    response = client.get(f"/api/v1/payment-providers/{provider}/events", headers=owner.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def received_events(database: Database) -> list[OutboxEvent]:
    with database.unit_of_work() as session, all_tenants(session):
        return list(
            session.scalars(select(OutboxEvent).where(OutboxEvent.type == "payment.received"))
        )


@pytest.fixture
def generic(client: TestClient, owner: Account) -> dict[str, Any]:
    return connect(client, owner)


def test_the_same_callback_delivered_three_times_creates_one_payment(
    client: TestClient, owner: Account, generic: dict[str, Any], database: Database
) -> None:
    issued = invoice(client, owner, customer(client, owner)["id"])
    event = paid(issued["number"], "1200.00", date="2026-02-10", reference="PSP-1")
    answers = [deliver(client, generic, event, secret=generic["secret"]) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    first = answers[0].json()
    assert first["status"] == "processed"
    assert first["outcome"] == "payment_recorded"
    assert [a.json()["status"] for a in answers[1:]] == ["duplicate", "duplicate"]

    recorded = payments_of(client, owner)
    assert len(recorded) == 1
    assert recorded[0]["id"] == first["payment_id"]
    assert recorded[0]["amount"] == "1200.00"
    assert recorded[0]["method"] == "card"
    assert recorded[0]["reference"] == "PSP-1"
    assert recorded[0]["date"] == "2026-02-10"
    current = client.get(f"/api/v1/invoices/{issued['id']}", headers=owner.headers).json()
    assert current["status"] == "paid"
    assert current["amount_due"] == "0.00"
    ledger = balances(client, owner)
    assert ledger.get("411", Decimal(0)) == 0
    assert ledger["512"] == Decimal("1200.00")
    assert sum(ledger.values()) == 0
    assert len(received_events(database)) == 1
    logged = events_of(client, owner)
    assert [(e["event_id"], e["outcome"]) for e in logged] == [(event["id"], "payment_recorded")]


def test_simultaneous_deliveries_create_one_payment(
    client: TestClient, owner: Account, generic: dict[str, Any]
) -> None:
    issued = invoice(client, owner, customer(client, owner)["id"])
    event = paid(issued["id"], "1200.00")
    start = threading.Barrier(3)

    def send(_: int) -> httpx.Response:
        start.wait()
        return deliver(client, generic, event, secret=generic["secret"])

    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(send, range(3)))
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert sorted(a.json()["status"] for a in answers) == ["duplicate", "duplicate", "processed"]
    assert len(payments_of(client, owner)) == 1
    assert len(events_of(client, owner)) == 1
    assert sum(balances(client, owner).values()) == 0


def _wait_for_a_lock_wait(database: Database) -> None:
    """Until a session of this database waits on a lock (the retry, on the unique index)."""
    deadline = time.monotonic() + 10
    with database.engine.connect() as connection:
        while not connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        ).scalar():
            assert time.monotonic() < deadline, "the retry never waited on the index"
            connection.rollback()


def test_a_retry_arriving_while_the_first_delivery_is_still_open_is_a_duplicate(
    client: TestClient, owner: Account, generic: dict[str, Any], database: Database
) -> None:
    issued = invoice(client, owner, customer(client, owner)["id"])
    event = paid(issued["id"], "1200.00")
    body = json.dumps(event).encode()
    key = generic["callback_url"].rsplit("key=", 1)[1]
    with ThreadPoolExecutor(max_workers=1) as pool:
        with database.unit_of_work() as session:
            first = callbacks.receive(
                session, "generic", key, body, signature(generic["secret"], body)
            )
            assert first.event is not None
            retry = pool.submit(deliver, client, generic, event, secret=generic["secret"])
            if PG_URL:
                # The retry reaches the unique index and waits there for this transaction.
                _wait_for_a_lock_wait(database)
        answer = retry.result()
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "duplicate"
    assert len(payments_of(client, owner)) == 1


def test_unsigned_forged_replayed_or_misaddressed_callbacks_write_nothing(
    client: TestClient, owner: Account, generic: dict[str, Any]
) -> None:
    issued = invoice(client, owner, customer(client, owner)["id"])
    event = paid(issued["id"], "1200.00")
    body = json.dumps(event).encode()
    good = signature(generic["secret"], body)
    path = generic["callback_url"].removeprefix("http://testserver")
    tampered = body.replace(b"1200.00", b"9999.00")
    cases = [
        ({}, body, 401, "missing_signature"),
        ({"Comptoir-Signature": "v1=abc"}, body, 401, "missing_signature"),
        ({"Comptoir-Signature": signature("whsec_wrong-secret-123456", body)}, body, 401, None),
        ({"Comptoir-Signature": good}, tampered, 401, "bad_signature"),
        (
            {"Comptoir-Signature": signature(generic["secret"], body, int(time.time()) - 301)},
            body,
            401,
            "stale_signature",
        ),
        ({"Comptoir-Signature": "t=1" + "9" * 5000 + ",v1=00"}, body, 422, None),
    ]
    for headers, content, status, code in cases:
        response = client.post(path, content=content, headers=headers)
        assert response.status_code == status, (headers, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        if code:
            assert response.json()["code"] == code
    unknown = client.post(
        "/api/v1/payments/callbacks/generic?key=nope", content=body, headers={"x": "y"}
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_key"
    # The right key under another provider's path is no connection either.
    other_path = path.replace("/callbacks/generic", "/callbacks/stripe")
    assert client.post(other_path, content=body).status_code == 404
    assert payments_of(client, owner) == []
    assert events_of(client, owner) == []


def test_another_organizations_key_cannot_pay_this_organizations_invoice(
    client: TestClient, owner: Account
) -> None:
    issued = invoice(client, owner, customer(client, owner)["id"])
    stranger = register(client, organization_name="Stranger SARL")
    theirs = connect(client, stranger)
    for reference in (issued["id"], issued["number"]):
        answer = deliver(client, theirs, paid(reference, "1200.00"), secret=theirs["secret"])
        assert answer.status_code == 200, answer.text
        assert answer.json()["outcome"] == "rejected"
    current = client.get(f"/api/v1/invoices/{issued['id']}", headers=owner.headers).json()
    assert current["amount_due"] == "1200.00"
    assert payments_of(client, owner) == []
    assert payments_of(client, stranger) == []
    assert "512" not in balances(client, owner)
    assert [e["outcome"] for e in events_of(client, stranger)] == ["rejected", "rejected"]


def test_partial_payment_then_the_rest_with_an_overpayment(
    client: TestClient, owner: Account, generic: dict[str, Any]
) -> None:
    issued = invoice(client, owner, customer(client, owner)["id"])
    first = deliver(client, generic, paid(issued["id"], "600.00"), secret=generic["secret"])
    assert first.json()["outcome"] == "payment_recorded"
    current = client.get(f"/api/v1/invoices/{issued['id']}", headers=owner.headers).json()
    assert current["status"] == "partially_paid"
    assert current["amount_due"] == "600.00"

    second = deliver(client, generic, paid(issued["number"], "700.00"), secret=generic["secret"])
    assert second.json()["outcome"] == "payment_recorded"
    current = client.get(f"/api/v1/invoices/{issued['id']}", headers=owner.headers).json()
    assert current["status"] == "paid"
    extra = client.get(
        f"/api/v1/payments/{second.json()['payment_id']}", headers=owner.headers
    ).json()
    assert extra["allocated"] == "600.00"
    assert extra["unallocated"] == "100.00"
    # Paid again after it is settled: all of it is credit on the customer's account.
    third = deliver(client, generic, paid(issued["id"], "50.00"), secret=generic["secret"])
    assert third.json()["outcome"] == "payment_recorded"
    ledger = balances(client, owner)
    assert ledger["411"] == Decimal("-150.00")
    assert ledger["512"] == Decimal("1350.00")
    assert sum(ledger.values()) == 0


def test_events_that_cannot_be_booked_are_recorded_and_acknowledged(
    client: TestClient, owner: Account, generic: dict[str, Any]
) -> None:
    acme = customer(client, owner)
    issued = invoice(client, owner, acme["id"])
    draft = invoice(client, owner, acme["id"], issue=False)
    secret = generic["secret"]
    refused = [
        (paid("F-0000-404", "10.00"), "rejected", "No issued invoice F-0000-404."),
        (paid(draft["id"], "10.00"), "rejected", f"No issued invoice {draft['id']}."),
        (
            paid(issued["id"], "10.00", currency="USD"),
            "rejected",
            f"Invoice {issued['number']} is in EUR, the payment in USD.",
        ),
        (
            {"id": "evt_refund", "type": "payment.refunded", "data": {}},
            "ignored",
            "Comptoir acts on payment.succeeded only.",
        ),
    ]
    for event, outcome, detail in refused:
        answer = deliver(client, generic, event, secret=secret)
        assert answer.status_code == 200, answer.text
        assert (answer.json()["outcome"], answer.json()["detail"]) == (outcome, detail)
    malformed = [
        b"not json",
        b"[1, 2]",
        json.dumps({"type": "payment.succeeded"}).encode(),
        json.dumps(paid(issued["id"], "ten")).encode(),
        json.dumps(paid(issued["id"], "-5.00")).encode(),
        json.dumps(paid(issued["id"], "5.001")).encode(),
        json.dumps(paid(issued["id"], "5.00", currency="XXZ")).encode(),
        json.dumps(paid(issued["id"], "5.00", date="yesterday")).encode(),
        json.dumps(paid("", "5.00")).encode(),
        b"[" * 50_000,
    ]
    for body in malformed:
        answer = deliver(client, generic, body, secret=secret)
        assert answer.status_code == 422, (body[:60], answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    assert payments_of(client, owner) == []
    assert {e["outcome"] for e in events_of(client, owner)} == {"rejected", "ignored"}
    assert len(events_of(client, owner)) == len(refused)


def _stripe_event(event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": event_type,
        "created": 1770681600,  # 2026-02-10
        "data": {"object": obj},
    }


def test_stripe_events_in_stripes_own_format(client: TestClient, owner: Account) -> None:
    stripe = connect(client, owner, "stripe", secret=STRIPE_SECRET, method="online")
    assert stripe["secret"] is None
    assert stripe["signature_header"] == "Stripe-Signature"
    issued = invoice(client, owner, customer(client, owner)["id"])
    intent = {
        "id": "pi_3Mtw1ZLkdIwHu7ix28a3tqPa",
        "object": "payment_intent",
        "amount": 60000,
        "amount_received": 60000,
        "currency": "eur",
        "metadata": {"invoice_id": issued["number"]},
        "status": "succeeded",
    }
    event = _stripe_event("payment_intent.succeeded", intent)
    body = json.dumps(event).encode()
    # While a secret is rolled Stripe signs with both: one matching v1 is enough.
    header = signature(STRIPE_SECRET, body).replace(",v1=", ",v1=" + "0" * 64 + ",v1=")
    path = stripe["callback_url"].removeprefix("http://testserver")
    answer = client.post(path, content=body, headers={"Stripe-Signature": header})
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "payment_recorded"
    recorded = client.get(
        f"/api/v1/payments/{answer.json()['payment_id']}", headers=owner.headers
    ).json()
    assert (recorded["amount"], recorded["date"], recorded["method"]) == (
        "600.00",
        "2026-02-10",
        "online",
    )
    assert recorded["reference"] == intent["id"]
    current = client.get(f"/api/v1/invoices/{issued['id']}", headers=owner.headers).json()
    assert current["status"] == "partially_paid"
    assert current["amount_due"] == "600.00"

    # The checkout session of that same payment: already booked, not booked twice.
    session = {
        "id": "cs_test_a1",
        "object": "checkout.session",
        "amount_total": 60000,
        "currency": "eur",
        "payment_intent": intent["id"],
        "payment_status": "paid",
        "metadata": {"invoice_id": issued["id"]},
    }
    again = deliver(
        client, stripe, _stripe_event("checkout.session.completed", session), secret=STRIPE_SECRET
    )
    assert (again.json()["outcome"], again.json()["detail"]) == (
        "ignored",
        "This payment was already recorded from another event.",
    )
    unpaid = deliver(
        client,
        stripe,
        _stripe_event(
            "checkout.session.completed",
            session | {"id": "cs_test_a2", "payment_intent": None, "payment_status": "unpaid"},
        ),
        secret=STRIPE_SECRET,
    )
    assert unpaid.json()["outcome"] == "ignored"
    foreign = deliver(
        client,
        stripe,
        _stripe_event("payment_intent.succeeded", intent | {"id": "pi_other", "metadata": {}}),
        secret=STRIPE_SECRET,
    )
    assert foreign.json()["outcome"] == "ignored"
    other_type = deliver(
        client, stripe, _stripe_event("charge.refunded", {"id": "ch_1"}), secret=STRIPE_SECRET
    )
    assert other_type.json()["outcome"] == "ignored"
    rest = deliver(
        client,
        stripe,
        _stripe_event(
            "checkout.session.completed",
            session | {"id": "cs_test_a3", "payment_intent": "pi_rest"},
        ),
        secret=STRIPE_SECRET,
    )
    assert rest.json()["outcome"] == "payment_recorded"
    current = client.get(f"/api/v1/invoices/{issued['id']}", headers=owner.headers).json()
    assert current["status"] == "paid"
    assert len(payments_of(client, owner)) == 2
    assert len(events_of(client, owner, "stripe")) == 6
    # Stripe's header, not ours, carries the signature on Stripe's URL.
    ours = deliver(
        client,
        stripe,
        _stripe_event("payment_intent.succeeded", intent),
        secret=STRIPE_SECRET,
        header="Comptoir-Signature",
    )
    assert ours.status_code == 401


def test_connections_secrets_and_keys(client: TestClient, owner: Account) -> None:
    made = connect(client, owner, method="online")
    assert made["secret"].startswith("whsec_")
    assert made["secret_hint"] == f"{made['secret'][:6]}…{made['secret'][-4:]}"
    assert made["callback_url"].startswith(
        "http://testserver/api/v1/payments/callbacks/generic?key="
    )
    assert len(made["callback_url"].rsplit("key=", 1)[1]) >= 32
    listed = client.get("/api/v1/payment-providers", headers=owner.headers).json()
    assert [(p["provider"], p["secret"], p["account"]) for p in listed] == [
        ("generic", None, "512")
    ]
    changed = client.put(
        "/api/v1/payment-providers/generic", headers=owner.headers, json={"method": "card"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["secret"] is None
    assert changed.json()["secret_hint"] == made["secret_hint"]
    assert changed.json()["callback_url"] == made["callback_url"]

    issued = invoice(client, owner, customer(client, owner)["id"])
    rotated = client.post("/api/v1/payment-providers/generic/rotate-secret", headers=owner.headers)
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_")
    assert new_secret != made["secret"]
    stale = deliver(client, made, paid(issued["id"], "1.00"), secret=made["secret"])
    assert stale.status_code == 401
    fresh = deliver(client, made, paid(issued["id"], "1.00"), secret=new_secret)
    assert fresh.json()["outcome"] == "payment_recorded"

    for body, field in (
        ({"account": "706"}, "account"),
        ({"account": "999999"}, "account"),
        ({"method": "barter"}, "method"),
        ({"secret": "short"}, "secret"),
    ):
        refused = client.put("/api/v1/payment-providers/generic", headers=owner.headers, json=body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == field
    no_account = client.put(
        "/api/v1/payment-providers/stripe", headers=owner.headers, json={"secret": STRIPE_SECRET}
    )
    assert no_account.json()["errors"][0]["field"] == "account"
    not_stripes = client.put(
        "/api/v1/payment-providers/stripe",
        headers=owner.headers,
        json={"account": "512", "secret": "a-secret-of-my-own-making"},
    )
    assert not_stripes.json()["errors"][0]["code"] == "not_stripe"
    # A secret typed in shows only its last four characters, even to those who may read it.
    own = client.put(
        "/api/v1/payment-providers/generic",
        headers=owner.headers,
        json={"secret": "a-secret-of-my-own-making"},
    )
    assert own.json()["secret_hint"] == "…king"
    connect(client, owner, "stripe", secret=STRIPE_SECRET)
    stripe_rotation = client.post(
        "/api/v1/payment-providers/stripe/rotate-secret", headers=owner.headers
    )
    assert stripe_rotation.status_code == 409
    assert client.get("/api/v1/payment-providers/paypal", headers=owner.headers).status_code == 422

    paused = client.put(
        "/api/v1/payment-providers/generic", headers=owner.headers, json={"active": False}
    )
    assert paused.json()["active"] is False
    assert deliver(client, made, paid(issued["id"], "1.00"), secret=new_secret).status_code == 404
    gone = client.delete("/api/v1/payment-providers/generic", headers=owner.headers)
    assert gone.status_code == 204
    assert client.get("/api/v1/payment-providers/generic", headers=owner.headers).status_code == 404
    assert deliver(client, made, paid(issued["id"], "1.00"), secret=new_secret).status_code == 404
    # The log outlives the connection.
    assert [e["outcome"] for e in events_of(client, owner)] == ["payment_recorded"]
    audit = client.get("/api/v1/audit-events", headers=owner.headers).json()["items"]
    assert "payment_provider.secret_rotated" in [e["action"] for e in audit]
    assert made["secret"] not in json.dumps(audit)
    assert new_secret not in json.dumps(audit)


def test_who_may_see_and_change_connections(client: TestClient, owner: Account) -> None:
    connect(client, owner)
    accountant = bearer(accept_new(client, invite(client, owner, "books@example.net")))
    assert client.get("/api/v1/payment-providers", headers=accountant).status_code == 200
    assert (
        client.get("/api/v1/payment-providers/generic/events", headers=accountant).status_code
        == 200
    )
    for method, path in (
        ("PUT", "/api/v1/payment-providers/generic"),
        ("POST", "/api/v1/payment-providers/generic/rotate-secret"),
        ("DELETE", "/api/v1/payment-providers/generic"),
    ):
        response = client.request(method, path, headers=accountant, json={"method": "card"})
        assert response.status_code == 403, (method, path)
    stranger = register(client, organization_name="Stranger SARL")
    assert client.get("/api/v1/payment-providers", headers=stranger.headers).json() == []
    assert (
        client.get("/api/v1/payment-providers/generic", headers=stranger.headers).status_code == 404
    )


def test_the_documented_example_verifies(client: TestClient, owner: Account) -> None:
    """docs/payment-providers.md: this secret, time and body give this signature."""
    secret = "whsec_Q2hhbmdlIG1lLCBJIGFtIGFuIGV4YW1wbGU"
    body = (
        b'{"id":"evt_0001","type":"payment.succeeded","data":{"invoice":"F-2026-00042",'
        b'"amount":"600.00","currency":"EUR","date":"2026-02-10","reference":"PSP-7731"}}'
    )
    documented = "t=1770724800,v1=e26b61c7b022b12bdab4540522815d11884b9dea825229c9d93c091d89581d7b"
    assert signature(secret, body, 1770724800) == documented
    made = connect(client, owner, secret=secret)
    path = made["callback_url"].removeprefix("http://testserver")
    then = datetime.fromtimestamp(1770724800 + 60, UTC)
    with clock.travel(then - clock.now()):
        answer = client.post(path, content=body, headers={"Comptoir-Signature": documented})
    assert answer.status_code == 200, answer.text
    assert answer.json()["detail"] == "No issued invoice F-2026-00042."


@pytest.mark.parametrize(
    ("currency", "stripe_amount", "minor_units"),
    [
        ("EUR", 60000, 60000),  # cents both sides
        ("JPY", 6000, 6000),  # no decimals both sides
        ("KWD", 1230, 1230),  # three decimals both sides
        ("ISK", 50000, 500),  # Stripe sends ISK in hundredths although it has no decimals
    ],
)
def test_stripe_amounts_become_minor_units(
    currency: str, stripe_amount: int, minor_units: int
) -> None:
    errors: list[FieldError] = []
    assert callbacks.from_stripe_units(stripe_amount, currency, "amount", errors) == minor_units
    assert errors == []
    callbacks.from_stripe_units(50001, "ISK", "amount", errors)
    assert [e.code for e in errors] == ["invalid"]
