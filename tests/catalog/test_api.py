"""Products and services through the API: defaults from the organization and its chart,
every refusal naming its field, SKUs unique even under concurrent requests, keyset pages
by name, deactivate instead of delete once used, CSV out and in."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from comptoir.catalog.service import products
from comptoir.kit.db import Database
from comptoir.kit.tenancy import all_tenants
from comptoir.outbox.models import OutboxEvent
from tests.conftest import Account, register
from tests.identity.test_members import accept_new, bearer, invite


def _create(client: TestClient, owner: Account, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/products", headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _listed(client: TestClient, owner: Account, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/products{query}", headers=owner.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _events(database: Database) -> list[OutboxEvent]:
    with database.unit_of_work(write=False) as session, all_tenants(session):
        return list(
            session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.type.like("product.%"))
                .order_by(OutboxEvent.id)
            )
        )


def test_goods_sell_to_the_goods_account_by_default(client: TestClient, owner: Account) -> None:
    bread = _create(client, owner, {"name": "Bread", "kind": "goods"})
    assert bread["income_account"] == "707"


def test_a_product_with_every_default(
    client: TestClient, owner: Account, database: Database
) -> None:
    consulting = _create(client, owner, {"name": "  Consulting,   per hour "})
    assert consulting["sku"] == "P-00001"
    assert consulting["name"] == "Consulting, per hour"
    assert consulting["kind"] == "service"
    assert consulting["unit_price"] == "0"
    assert consulting["currency"] == "EUR"
    assert consulting["tax_category"] == "standard"
    # The French chart's account for sales of services; nothing for purchases.
    assert consulting["income_account"] == "706"
    assert consulting["expense_account"] is None
    assert consulting["active"] is True
    assert _create(client, owner, {"name": "Second"})["sku"] == "P-00002"
    # A SKU typed by hand that the counter would give is skipped, not refused.
    _create(client, owner, {"name": "By hand", "sku": "P-00003"})
    assert _create(client, owner, {"name": "Fourth"})["sku"] == "P-00004"

    fetched = client.get(f"/api/v1/products/{consulting['id']}", headers=owner.headers)
    assert fetched.status_code == 200 and fetched.json() == consulting
    audit = client.get("/api/v1/audit-events?action=product.created", headers=owner.headers)
    assert {e["target_id"] for e in audit.json()["items"]} >= {consulting["id"]}
    created = [e for e in _events(database) if e.type == "product.created"]
    assert len(created) == 4
    assert created[0].payload == {
        key: consulting[key]
        for key in (
            "id",
            "sku",
            "name",
            "description",
            "kind",
            "unit",
            "unit_price",
            "currency",
            "tax_category",
            "income_account",
            "expense_account",
            "active",
        )
    }


def test_every_field(client: TestClient, owner: Account) -> None:
    body = {
        "sku": "PAPER-A4",
        "name": "A4 paper, 500 sheets",
        "description": "80 g/m².\nWhite.",
        "kind": "goods",
        "unit": "ream",
        "unit_price": "4.125",
        "currency": "usd",
        "tax_category": "reduced",
        "income_account": "707",
        "expense_account": "607",
    }
    paper = _create(client, owner, body)
    assert paper | {"id": None, "created_at": None, "updated_at": None} == {
        **body,
        "currency": "USD",
        "active": True,
        "id": None,
        "created_at": None,
        "updated_at": None,
    }
    # Accounts by id work as well as by code; stock is an asset purchases may post to.
    accounts = client.get("/api/v1/accounts?search=370", headers=owner.headers).json()["items"]
    stock = next(a for a in accounts if a["code"] == "370")
    whole = _create(
        client,
        owner,
        {"name": "Stocked paper", "unit_price": 12, "expense_account": stock["id"]},
    )
    assert whole["expense_account"] == "370" and whole["unit_price"] == "12"
    precise = _create(client, owner, {"name": "Tiny", "unit_price": "0.000001"})
    assert precise["unit_price"] == "0.000001"
    biggest = _create(client, owner, {"name": "Huge", "unit_price": "999999999999.999999"})
    assert biggest["unit_price"] == "999999999999.999999"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"name": "  "}, "name", "required"),
        ({"name": "X", "sku": "no spaces please"}, "sku", "invalid"),
        ({"name": "X", "sku": "-leading-dash"}, "sku", "invalid"),
        ({"name": "X", "unit_price": "-1"}, "unit_price", "out_of_range"),
        ({"name": "X", "unit_price": "-0.01"}, "unit_price", "out_of_range"),
        ({"name": "X", "unit_price": "1000000000000"}, "unit_price", "out_of_range"),
        ({"name": "X", "unit_price": "1e30"}, "unit_price", "out_of_range"),
        ({"name": "X", "unit_price": "NaN"}, "unit_price", "out_of_range"),
        ({"name": "X", "unit_price": "1.1234567"}, "unit_price", "too_precise"),
        ({"name": "X", "unit_price": "twelve"}, "unit_price", "invalid"),
        ({"name": "X", "unit_price": ""}, "unit_price", "invalid"),
        ({"name": "X", "currency": "XYZ"}, "currency", "invalid"),
        ({"name": "X", "tax_category": "luxury"}, "tax_category", "invalid"),
        ({"name": "X", "tax_category": "levy"}, "tax_category", "invalid"),
        ({"name": "X", "income_account": "999999"}, "income_account", "unknown_account"),
        ({"name": "X", "expense_account": "nope"}, "expense_account", "unknown_account"),
        ({"name": "X", "income_account": "607"}, "income_account", "wrong_account_type"),
        ({"name": "X", "income_account": "512"}, "income_account", "wrong_account_type"),
        ({"name": "X", "expense_account": "706"}, "expense_account", "wrong_account_type"),
        ({"name": "X", "expense_account": "401"}, "expense_account", "wrong_account_type"),
        ({"name": "X", "income_account": "70"}, "income_account", "account_not_postable"),
    ],
)
def test_refusals_name_the_field(
    client: TestClient, owner: Account, body: dict[str, Any], field: str, code: str
) -> None:
    response = client.post("/api/v1/products", headers=owner.headers, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert (field, code) in errors
    assert _listed(client, owner) == []


def test_every_problem_at_once(client: TestClient, owner: Account) -> None:
    response = client.post(
        "/api/v1/products",
        headers=owner.headers,
        json={"name": "", "unit_price": "-3", "currency": "ZZZ", "income_account": "607"},
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {
        "name",
        "unit_price",
        "currency",
        "income_account",
    }


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": 12},
        {"name": None},
        {"name": "X", "unit_price": 12.5},
        {"name": "X", "unit_price": True},
        {"name": "X", "unit_price": ["1"]},
        {"name": "X", "kind": "thing"},
        {"name": "X", "tax_category": 3},
        {"name": "X", "income_account": 706},
        {"name": "X", "active": False},
        {"name": "X", "surprise": 1},
        {"name": "x" * 201},
        {"name": "X", "sku": "S" * 65},
        {"name": "X", "unit": "u" * 21},
    ],
)
def test_malformed_bodies_are_problems(client: TestClient, owner: Account, body: Any) -> None:
    response = client.post("/api/v1/products", headers=owner.headers, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_taken_sku_is_a_conflict_on_the_sku(client: TestClient, owner: Account) -> None:
    acme = _create(client, owner, {"name": "Anvil", "sku": "ACME-1"})
    again = client.post(
        "/api/v1/products", headers=owner.headers, json={"name": "Other", "sku": "ACME-1"}
    )
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
    problem = again.json()
    assert problem["code"] == "sku_taken"
    assert problem["errors"] == [
        {"field": "sku", "message": "ACME-1 is the SKU of Anvil.", "code": "taken"}
    ]
    # With other problems it is one of them, in an ordinary 422.
    mixed = client.post(
        "/api/v1/products",
        headers=owner.headers,
        json={"name": "Other", "sku": "ACME-1", "unit_price": "-1"},
    )
    assert mixed.status_code == 422
    assert {(e["field"], e["code"]) for e in mixed.json()["errors"]} == {
        ("sku", "taken"),
        ("unit_price", "out_of_range"),
    }
    other = _create(client, owner, {"name": "Rocket"})
    renamed = client.patch(
        f"/api/v1/products/{other['id']}", headers=owner.headers, json={"sku": "ACME-1"}
    )
    assert renamed.status_code == 409
    # Its own SKU is not "taken" by itself.
    same = client.patch(
        f"/api/v1/products/{acme['id']}", headers=owner.headers, json={"sku": "ACME-1"}
    )
    assert same.status_code == 200
    # SKUs are unique per organization only.
    elsewhere = register(client, organization_name="Other SARL")
    assert _create(client, elsewhere, {"name": "Anvil", "sku": "ACME-1"})["sku"] == "ACME-1"


def _rush(client: TestClient, owner: Account, bodies: list[dict[str, Any]]) -> list[Any]:
    responses: list[Any] = []
    barrier = threading.Barrier(len(bodies))

    def create(body: dict[str, Any]) -> None:
        barrier.wait()
        responses.append(client.post("/api/v1/products", headers=owner.headers, json=body))

    threads = [threading.Thread(target=create, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_two_concurrent_creates_with_one_sku(client: TestClient, owner: Account) -> None:
    responses = _rush(
        client, owner, [{"name": "First", "sku": "SAME"}, {"name": "Second", "sku": "SAME"}]
    )
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    conflict = next(r for r in responses if r.status_code == 409)
    assert conflict.json()["errors"][0]["field"] == "sku"
    assert [p["sku"] for p in _listed(client, owner)] == ["SAME"]


def test_a_sku_taken_after_the_check_is_still_a_conflict(
    client: TestClient, owner: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race the check cannot see: the database's unique index answers, as a 409."""
    first = _create(client, owner, {"name": "First", "sku": "RACE"})
    second = _create(client, owner, {"name": "Second", "sku": "OTHER"})
    monkeypatch.setattr(products, "by_sku", lambda session, sku: None)
    created = client.post(
        "/api/v1/products", headers=owner.headers, json={"name": "Late", "sku": "RACE"}
    )
    changed = client.patch(
        f"/api/v1/products/{second['id']}", headers=owner.headers, json={"sku": "RACE"}
    )
    for response in (created, changed):
        assert response.status_code == 409, response.text
        assert response.json()["errors"][0] == {
            "field": "sku",
            "message": "The SKU RACE was just taken.",
            "code": "taken",
        }
    monkeypatch.undo()
    assert [p["sku"] for p in _listed(client, owner)] == ["RACE", "OTHER"]
    assert first["sku"] == "RACE"


def test_concurrent_creates_get_distinct_skus(client: TestClient, owner: Account) -> None:
    responses = _rush(client, owner, [{"name": f"Rush {i}"} for i in range(6)])
    assert [r.status_code for r in responses] == [201] * 6
    assert len({r.json()["sku"] for r in responses}) == 6


def test_idempotent_retry(client: TestClient, owner: Account) -> None:
    headers = {**owner.headers, "Idempotency-Key": "create-anvil-1"}
    body = {"name": "Anvil", "unit_price": "99.90"}
    first = client.post("/api/v1/products", headers=headers, json=body)
    again = client.post("/api/v1/products", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.json() == again.json()
    assert len(_listed(client, owner)) == 1
    # The same key for another body is refused rather than replayed.
    other = client.post("/api/v1/products", headers=headers, json={"name": "Hammer"})
    assert other.status_code == 422
    assert other.json()["errors"][0]["code"] == "idempotency_key_reused"


def test_search_filters_and_pages_by_name(client: TestClient, owner: Account) -> None:
    names = ["Delta", "alpha", "Charlie", "Bravo", "Echo", "Bravo", "Foxtrot"]
    created = [
        _create(
            client,
            owner,
            {
                "name": name,
                "kind": "goods" if index % 2 else "service",
                "description": "Ships in 100% recycled boxes" if name == "Echo" else None,
            },
        )
        for index, name in enumerate(names)
    ]
    everything = _listed(client, owner, "?limit=200")
    # Whatever the case of the first letter: "alpha" comes first.
    expected = sorted(created, key=lambda p: (p["name"].lower(), p["id"]))
    # Pages by name then id: ties (two "Bravo") never repeat or vanish between pages.
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/api/v1/products{query}", headers=owner.headers).json()
        seen += [p["id"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [p["id"] for p in expected] == [p["id"] for p in everything]

    assert [p["name"] for p in _listed(client, owner, "?q=RECYCLED")] == ["Echo"]
    assert [p["name"] for p in _listed(client, owner, "?q=100%25")] == ["Echo"]
    assert [p["name"] for p in _listed(client, owner, "?q=p-0000")] == [p["name"] for p in expected]
    assert _listed(client, owner, "?q=_") == []
    goods = _listed(client, owner, "?kind=goods")
    assert [p["name"] for p in goods] == ["alpha", "Bravo", "Bravo"]
    charlie = next(p for p in created if p["name"] == "Charlie")
    client.patch(f"/api/v1/products/{charlie['id']}", headers=owner.headers, json={"active": False})
    assert [p["name"] for p in _listed(client, owner, "?active=false")] == ["Charlie"]
    assert "Charlie" not in {p["name"] for p in _listed(client, owner, "?active=true")}
    assert len(_listed(client, owner)) == 7
    for bad in ("?cursor=not-a-cursor", "?cursor=AAAA", "?limit=0", "?limit=201", "?kind=x"):
        response = client.get(f"/api/v1/products{bad}", headers=owner.headers)
        assert response.status_code == 422, bad


def test_change_deactivate_and_restore(
    client: TestClient, owner: Account, database: Database
) -> None:
    paper = _create(client, owner, {"name": "Paper", "unit_price": "4", "expense_account": "607"})
    changed = client.patch(
        f"/api/v1/products/{paper['id']}",
        headers=owner.headers,
        json={
            "name": "Paper, A4",
            "unit_price": "4.50",
            "income_account": "707",
            "expense_account": None,
            "unit": "ream",
        },
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["unit_price"], body["unit"]) == ("Paper, A4", "4.5", "ream")
    assert (body["income_account"], body["expense_account"]) == ("707", None)
    assert body["sku"] == paper["sku"] and body["currency"] == "EUR"
    for refused in ({"name": None}, {"sku": None}, {"unit_price": "-2"}, {"currency": None}):
        response = client.patch(
            f"/api/v1/products/{paper['id']}", headers=owner.headers, json=refused
        )
        assert response.status_code == 422, (refused, response.text)

    # An account archived after it was chosen stays, and does not block other changes;
    # it cannot be chosen anew.
    accounts = client.get("/api/v1/accounts?search=707", headers=owner.headers).json()["items"]
    sales = next(a for a in accounts if a["code"] == "707")
    archived = client.post(f"/api/v1/accounts/{sales['id']}/archive", headers=owner.headers)
    assert archived.status_code == 200, archived.text
    kept = client.patch(
        f"/api/v1/products/{paper['id']}",
        headers=owner.headers,
        json={"name": "Paper, A4, 80 g", "income_account": "707"},
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["income_account"] == "707"
    refused = client.post(
        "/api/v1/products", headers=owner.headers, json={"name": "New", "income_account": "707"}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "account_not_postable"

    off = client.patch(
        f"/api/v1/products/{paper['id']}", headers=owner.headers, json={"active": False}
    )
    assert off.json()["active"] is False
    on = client.patch(
        f"/api/v1/products/{paper['id']}", headers=owner.headers, json={"active": True}
    )
    assert on.json()["active"] is True
    actions = [
        e["action"]
        for e in client.get("/api/v1/audit-events", headers=owner.headers).json()["items"]
        if e["target_id"] == paper["id"]
    ]
    assert {"product.created", "product.updated", "product.deactivated"} <= set(actions)
    assert "product.reactivated" in actions
    # A change that changes nothing is no event.
    client.patch(f"/api/v1/products/{paper['id']}", headers=owner.headers, json={"unit": "ream"})
    updates = [e for e in _events(database) if e.type == "product.updated"]
    assert len(updates) == 4
    assert updates[0].payload["unit_price"] == "4.5"
    assert updates[1].payload["name"] == "Paper, A4, 80 g"
    assert updates[2].payload["active"] is False


@pytest.fixture
def used_products() -> Iterator[set[str]]:
    """Products a (pretend) document uses, as documents will register their check."""
    used: set[str] = set()

    def check(session: Any, product_id: Any) -> bool:
        return str(product_id) in used

    products.USED_BY.append(check)
    yield used
    products.USED_BY.remove(check)


def test_delete_while_unused_deactivate_once_used(
    client: TestClient, owner: Account, database: Database, used_products: set[str]
) -> None:
    unused = _create(client, owner, {"name": "Never sold"})
    gone = client.delete(f"/api/v1/products/{unused['id']}", headers=owner.headers)
    assert gone.status_code == 204
    assert client.get(f"/api/v1/products/{unused['id']}", headers=owner.headers).status_code == 404
    deleted = [e for e in _events(database) if e.type == "product.deleted"]
    assert [e.payload["sku"] for e in deleted] == [unused["sku"]]

    sold = _create(client, owner, {"name": "On an invoice"})
    used_products.add(sold["id"])
    refused = client.delete(f"/api/v1/products/{sold['id']}", headers=owner.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "product_in_use"
    assert "deactivate" in refused.json()["detail"]
    assert client.get(f"/api/v1/products/{sold['id']}", headers=owner.headers).status_code == 200


def test_other_tenants_products_are_not_found(client: TestClient, owner: Account) -> None:
    mine = _create(client, owner, {"name": "Mine"})
    other = register(client, organization_name="Other SARL")
    for method in ("get", "patch", "delete"):
        kwargs: dict[str, Any] = {"json": {"name": "Stolen"}} if method == "patch" else {}
        response = getattr(client, method)(
            f"/api/v1/products/{mine['id']}", headers=other.headers, **kwargs
        )
        assert response.status_code == 404
    assert _listed(client, other) == []
    # Nor can their products point at my accounts by id.
    account = client.get("/api/v1/accounts?search=706", headers=owner.headers).json()["items"][0]
    response = client.post(
        "/api/v1/products",
        headers=other.headers,
        json={"name": "Sneaky", "income_account": account["id"]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "unknown_account"
    for path in (
        "/api/v1/products/not-a-uuid",
        "/api/v1/products/00000000-0000-0000-0000-000000000000",
    ):
        assert client.get(path, headers=owner.headers).status_code in (404, 422)


def test_a_viewer_reads_but_cannot_write(client: TestClient, owner: Account) -> None:
    paper = _create(client, owner, {"name": "Paper"})
    viewer = bearer(accept_new(client, invite(client, owner, "viewer@example.net", "viewer")))
    assert client.get("/api/v1/products", headers=viewer).status_code == 200
    assert client.get(f"/api/v1/products/{paper['id']}", headers=viewer).status_code == 200
    assert client.get("/api/v1/products/export", headers=viewer).status_code == 200
    attempts = [
        client.post("/api/v1/products", headers=viewer, json={"name": "X"}),
        client.patch(f"/api/v1/products/{paper['id']}", headers=viewer, json={"name": "X"}),
        client.delete(f"/api/v1/products/{paper['id']}", headers=viewer),
        client.post(
            "/api/v1/products/import",
            headers=viewer,
            files={"file": ("p.csv", b"name\nX\n", "text/csv")},
        ),
    ]
    assert [r.status_code for r in attempts] == [403] * 4
    assert [p["name"] for p in _listed(client, owner)] == ["Paper"]


# -- CSV -------------------------------------------------------------------------------


def _upload(client: TestClient, owner: Account, text: str, dry_run: bool) -> Any:
    return client.post(
        f"/api/v1/products/import?dry_run={'true' if dry_run else 'false'}",
        headers=owner.headers,
        files={"file": ("products.csv", text.encode(), "text/csv")},
    )


def test_csv_export_then_import_elsewhere(client: TestClient, owner: Account) -> None:
    _create(
        client,
        owner,
        {
            "sku": "PAPER",
            "name": "Paper, A4",
            "description": 'Say "hello",\nto the printer',
            "kind": "goods",
            "unit": "ream",
            "unit_price": "4.125",
            "tax_category": "reduced",
            "income_account": "707",
            "expense_account": "607",
        },
    )
    old = _create(client, owner, {"name": "Old service", "unit_price": "10"})
    client.patch(f"/api/v1/products/{old['id']}", headers=owner.headers, json={"active": False})
    _create(client, owner, {"name": "Dollars", "currency": "USD", "income_account": None})
    exported = client.get("/api/v1/products/export", headers=owner.headers)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    lines = exported.text.splitlines()
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert [row[0] for row in rows[1:]] == ["P-00002", "P-00001", "PAPER"]
    assert lines[0] == (
        "sku,name,description,kind,unit,unit_price,currency,tax_category,"
        "income_account,expense_account,active"
    )
    assert lines[1] == "P-00002,Dollars,,service,,0,USD,standard,,,true"

    other = register(client, organization_name="Other SARL")
    preview = _upload(client, other, exported.text, dry_run=True)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert (body["dry_run"], body["rows"], body["created"], body["errors"]) == (True, 3, 0, [])
    assert [p["sku"] for p in body["preview"]] == ["P-00002", "P-00001", "PAPER"]
    assert _listed(client, other) == []

    done = _upload(client, other, exported.text, dry_run=False).json()
    assert (done["created"], done["errors"], done["preview"]) == (3, [], [])
    again = client.get("/api/v1/products/export", headers=other.headers)
    assert again.text == exported.text
    mine = {p["sku"]: p for p in _listed(client, owner)}
    theirs = {p["sku"]: p for p in _listed(client, other)}
    strip = ("id", "created_at", "updated_at")
    assert {k: {f: v for f, v in p.items() if f not in strip} for k, p in mine.items()} == {
        k: {f: v for f, v in p.items() if f not in strip} for k, p in theirs.items()
    }
    # Generated SKUs go on from the imported ones.
    assert _create(client, other, {"name": "Next"})["sku"] == "P-00003"


def test_csv_import_reports_every_row_and_creates_nothing(
    client: TestClient, owner: Account
) -> None:
    _create(client, owner, {"name": "Existing", "sku": "TAKEN"})
    bad = """name,sku,unit_price,currency,tax_category,income_account,kind,active
Good one,,12.50,,,,,
,,1,,,,,
Negative,,-5,,,,,
Precise,,1.1234567,EUR,,,,
Wrong account,,1,,,607,,
Unknown account,,1,,,999,,
Category,,1,,luxury,,,
Twice,DUP,1,,,,,
Twice again,DUP,1,,,,,
Taken,TAKEN,1,,,,,
Money,,1,XYZ,,,goods,maybe
Kind,,1,,,,thing,
"""
    result = _upload(client, owner, bad, dry_run=False)
    assert result.status_code == 200
    body = result.json()
    assert (body["rows"], body["created"]) == (12, 0)
    assert {(e["row"], e["column"], e["code"]) for e in body["errors"]} == {
        (3, "name", "required"),
        (4, "unit_price", "out_of_range"),
        (5, "unit_price", "too_precise"),
        (6, "income_account", "wrong_account_type"),
        (7, "income_account", "unknown_account"),
        (8, "tax_category", "invalid"),
        (10, "sku", "duplicate"),
        (11, "sku", "taken"),
        (12, "currency", "invalid"),
        (12, "active", "invalid"),
        (13, "kind", "invalid"),
    }
    assert [p["name"] for p in _listed(client, owner)] == ["Existing"]
    dry = _upload(client, owner, bad, dry_run=True).json()
    assert dry["errors"] == body["errors"]

    for text, message in [
        ("", "no rows"),
        ("name\n", "no rows"),
        ("sku\nX\n", "name column"),
        ("name,colour\nX,red\n", "Unknown column"),
    ]:
        response = _upload(client, owner, text, dry_run=True)
        assert response.status_code == 422, (text, response.text)
        assert message in response.json()["detail"]
    latin = _upload(client, owner, "name,unit_price\nCafé crème,2\n", dry_run=False)
    assert latin.json()["created"] == 1
    cp1252 = client.post(
        "/api/v1/products/import",
        headers=owner.headers,
        files={"file": ("p.csv", "name\nThé vert\n".encode("cp1252"), "text/csv")},
    )
    assert cp1252.json()["created"] == 1
    assert {"Café crème", "Thé vert"} <= {p["name"] for p in _listed(client, owner)}
