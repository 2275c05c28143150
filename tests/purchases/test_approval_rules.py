"""Approval rules: validation, storage, defaults, bands, approvers and the API."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from comptoir.audit.models import AuditEvent
from comptoir.identity.roles import Role
from comptoir.kit.db import Database
from comptoir.kit.errors import NotFound, ValidationFailed
from comptoir.kit.tenancy import all_tenants, as_organization
from comptoir.outbox.models import OutboxEvent
from comptoir.purchases.service import approval_rules
from comptoir.purchases.service.approval_rules import Band, may_approve, plan
from tests.conftest import Account, register
from tests.identity.test_members import accept_new, bearer, invite

TIERED = [
    {"up_to": "100.00", "steps": []},
    {"up_to": "1000.00", "steps": ["admin"]},
    {"up_to": None, "steps": ["admin", "owner"]},
]


def put(client: TestClient, account: Account | dict[str, str], rules: Any, kind: str = "expense"):  # type: ignore[no-untyped-def]
    headers = account.headers if isinstance(account, Account) else account
    return client.put(f"/api/v1/approval-rules/{kind}", headers=headers, json={"rules": rules})


def errors_of(rules: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        approval_rules.parse_bands(rules, "EUR")
    return [(error.field, error.code) for error in caught.value.errors]


def test_bands_are_parsed_in_minor_units() -> None:
    assert approval_rules.parse_bands(TIERED, "EUR") == (
        Band(10000, ()),
        Band(100000, (Role.ADMIN,)),
        Band(None, (Role.ADMIN, Role.OWNER)),
    )
    assert approval_rules.parse_bands(
        [{"up_to": 5000, "steps": ["accountant"]}, {"up_to": None}], "JPY"
    ) == (
        Band(5000, (Role.ACCOUNTANT,)),
        Band(None, ()),
    )
    assert approval_rules.parse_bands([], "EUR") == ()


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ("everything", [("rules", "invalid")]),
        ({"up_to": None}, [("rules", "invalid")]),
        ([None], [("rules[0]", "invalid")]),
        ([{"up_to": 12.5, "steps": []}, {"up_to": None}], [("rules[0].up_to", "invalid")]),
        ([{"up_to": True, "steps": []}, {"up_to": None}], [("rules[0].up_to", "invalid")]),
        ([{"up_to": "lots", "steps": []}, {"up_to": None}], [("rules[0].up_to", "invalid")]),
        ([{"up_to": "NaN", "steps": []}, {"up_to": None}], [("rules[0].up_to", "invalid")]),
        ([{"up_to": "1e30", "steps": []}, {"up_to": None}], [("rules[0].up_to", "invalid")]),
        ([{"up_to": "0.001", "steps": []}, {"up_to": None}], [("rules[0].up_to", "invalid")]),
        ([{"up_to": "0", "steps": []}, {"up_to": None}], [("rules[0].up_to", "out_of_range")]),
        ([{"up_to": "-5", "steps": []}, {"up_to": None}], [("rules[0].up_to", "out_of_range")]),
        (
            [{"up_to": "500", "steps": []}, {"up_to": "100", "steps": []}, {"up_to": None}],
            [("rules[1].up_to", "order")],
        ),
        (
            [{"up_to": "100", "steps": []}, {"up_to": "100", "steps": []}, {"up_to": None}],
            [("rules[1].up_to", "order")],
        ),
        (
            [{"up_to": None, "steps": []}, {"up_to": None, "steps": ["owner"]}],
            [("rules[0].up_to", "order")],
        ),
        ([{"up_to": "100", "steps": []}], [("rules[0].up_to", "required_top")]),
        ([{"up_to": None, "steps": "admin"}], [("rules[0].steps", "invalid")]),
        ([{"up_to": None, "steps": ["boss"]}], [("rules[0].steps", "unknown_role")]),
        ([{"up_to": None, "steps": ["sales"]}], [("rules[0].steps", "unknown_role")]),
        ([{"up_to": None, "steps": [7]}], [("rules[0].steps", "unknown_role")]),
        ([{"up_to": None, "steps": ["admin", "admin"]}], [("rules[0].steps", "duplicate")]),
        (
            [{"up_to": None, "steps": ["accountant", "admin", "owner", "admin"]}],
            [("rules[0].steps", "too_many")],
        ),
        (
            [{"up_to": str(n), "steps": []} for n in range(1, 11)] + [{"up_to": None}],
            [("rules", "too_many")],
        ),
        (
            [{"up_to": "x", "steps": ["boss"]}, {"up_to": None, "steps": ["owner", "owner"]}],
            [
                ("rules[0].up_to", "invalid"),
                ("rules[0].steps", "unknown_role"),
                ("rules[1].steps", "duplicate"),
            ],
        ),
    ],
)
def test_bad_bands_are_refused_beside_their_field(
    rules: Any, expected: list[tuple[str, str]]
) -> None:
    assert errors_of(rules) == expected


def test_ten_bands_are_allowed() -> None:
    rules = [{"up_to": str(n), "steps": []} for n in range(1, 10)] + [{"up_to": None}]
    assert len(approval_rules.parse_bands(rules, "EUR")) == 10


def test_band_edges_belong_to_their_band() -> None:
    bands = approval_rules.parse_bands(TIERED, "EUR")
    assert approval_rules.band_for(bands, 0).steps == ()
    assert approval_rules.band_for(bands, 10000).steps == ()
    assert approval_rules.band_for(bands, 10001).steps == (Role.ADMIN,)
    assert approval_rules.band_for(bands, 100000).steps == (Role.ADMIN,)
    assert approval_rules.band_for(bands, 100001).steps == (Role.ADMIN, Role.OWNER)
    assert approval_rules.band_for(approval_rules.DEFAULT_BANDS, 10**15).steps == (Role.ADMIN,)


def test_the_approver_hierarchy() -> None:
    assert may_approve(Role.OWNER, Role.OWNER)
    assert may_approve(Role.OWNER, Role.ACCOUNTANT)
    assert may_approve("admin", Role.ADMIN)
    assert may_approve(Role.ADMIN, Role.ACCOUNTANT)
    assert not may_approve(Role.ADMIN, Role.OWNER)
    assert may_approve(Role.ACCOUNTANT, Role.ACCOUNTANT)
    assert not may_approve(Role.ACCOUNTANT, Role.ADMIN)
    for role in (Role.SALES, Role.WAREHOUSE, Role.VIEWER, Role.CLIENT, Role.SUPPLIER):
        assert not may_approve(role, Role.ACCOUNTANT)


def test_plans_exclude_the_submitter_unless_alone() -> None:
    owner, admin, accountant, clerk = (uuid.uuid4() for _ in range(4))
    team = {owner: Role.OWNER, admin: Role.ADMIN, accountant: Role.ACCOUNTANT, clerk: Role.SALES}
    assert plan([], team, clerk).auto_approved
    by_clerk = plan([Role.ACCOUNTANT, Role.OWNER], team, clerk)
    assert [(s.role, s.approvers, s.self_approval) for s in by_clerk.steps] == [
        (Role.ACCOUNTANT, frozenset({owner, admin, accountant}), False),
        (Role.OWNER, frozenset({owner}), False),
    ]
    by_admin = plan([Role.ADMIN], team, admin)
    assert (by_admin.steps[0].approvers, by_admin.steps[0].self_approval) == (
        frozenset({owner}),
        False,
    )
    # The owner is the only one who may approve an owner's step: recorded as self-approved.
    by_owner = plan([Role.ADMIN, Role.OWNER], team, owner)
    assert [(s.approvers, s.self_approval) for s in by_owner.steps] == [
        (frozenset({admin}), False),
        (frozenset({owner}), True),
    ]
    alone = plan([Role.ADMIN], {owner: Role.OWNER}, owner)
    assert not alone.auto_approved
    assert (alone.steps[0].approvers, alone.steps[0].self_approval) == (frozenset({owner}), True)


def test_defaults_replace_and_approval_plans(
    client: TestClient, owner: Account, database: Database
) -> None:
    org = uuid.UUID(owner.organization_id)
    me = uuid.UUID(owner.user_id)
    with database.unit_of_work() as session, as_organization(session, org):
        rules = approval_rules.rules_of(session, "expense")
        assert (rules.is_default, rules.bands) == (True, approval_rules.DEFAULT_BANDS)
        assert approval_rules.steps_for(session, "bill", 123) == [Role.ADMIN]
        # A one-person business: the owner approves what they submit themselves.
        solo = approval_for(session, 10**9, me)
        assert [(s.role, s.approvers, s.self_approval) for s in solo.steps] == [
            (Role.ADMIN, frozenset({me}), True)
        ]
        assert approval_rules.approvers_for(session, Role.ACCOUNTANT) == frozenset({me})
        with pytest.raises(NotFound):
            approval_rules.rules_of(session, "invoice")
        with pytest.raises(ValidationFailed):
            approval_rules.steps_for(session, "expense", -1)
    with database.unit_of_work() as session, as_organization(session, org):
        saved = approval_rules.replace(session, "expense", TIERED, me)
        assert not saved.is_default
    with database.unit_of_work() as session, as_organization(session, org):
        assert approval_rules.steps_for(session, "expense", 10000) == []
        assert approval_rules.steps_for(session, "expense", 10001) == [Role.ADMIN]
        assert approval_rules.steps_for(session, "expense", 100001) == [Role.ADMIN, Role.OWNER]
        assert approval_for(session, 5000, me).auto_approved
        # Bills keep the default: each kind has its own rules.
        assert approval_rules.rules_of(session, "bill").is_default
    # A bad set changes nothing: all or nothing.
    with (
        pytest.raises(ValidationFailed),
        database.unit_of_work() as session,
        as_organization(session, org),
    ):
        approval_rules.replace(session, "expense", [{"up_to": None, "steps": ["boss"]}], me)
    with database.unit_of_work() as session, as_organization(session, org):
        assert len(approval_rules.rules_of(session, "expense").bands) == 3
        back = approval_rules.replace(session, "expense", [], me)
        assert back.is_default
    with database.unit_of_work() as session, all_tenants(session):
        events = session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "approval_rules.changed")
        ).all()
        # Set, then back to the default: each event says what it was and what it became.
        assert sorted(
            (e.payload["from"], e.payload["to"]) for e in events if e.payload["from"]
        ) == [(TIERED, None)]
        assert [e.payload["to"] for e in events if e.payload["from"] is None] == [TIERED]
        assert {e.organization_id for e in events} == {org}
        audits = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "approval_rules.changed")
        ).all()
        assert len(audits) == 2
        assert {a.actor_user_id for a in audits} == {me}


def approval_for(session: Any, amount: int, submitter: uuid.UUID) -> approval_rules.ApprovalPlan:
    return approval_rules.approval_for(
        session, applies_to="expense", amount=amount, submitter_id=submitter
    )


def test_several_members_exclude_the_submitter(
    client: TestClient, owner: Account, database: Database
) -> None:
    admin = accept_new(client, invite(client, owner, "admin@example.net", "admin"))
    accountant = accept_new(client, invite(client, owner, "books@example.net", "accountant"))
    seller = accept_new(client, invite(client, owner, "sales@example.net", "sales"))
    ids = {
        name: uuid.UUID(body["user"]["id"])
        for name, body in (("admin", admin), ("accountant", accountant), ("seller", seller))
    }
    me = uuid.UUID(owner.user_id)
    assert (
        put(
            client,
            owner,
            [
                {"up_to": "50", "steps": ["accountant"]},
                {"up_to": None, "steps": ["admin", "owner"]},
            ],
        ).status_code
        == 200
    )
    with (
        database.unit_of_work() as session,
        as_organization(session, uuid.UUID(owner.organization_id)),
    ):
        assert approval_rules.approvers_for(session, Role.ADMIN) == {me, ids["admin"]}
        small = approval_for(session, 5000, ids["accountant"])
        assert [(s.approvers, s.self_approval) for s in small.steps] == [
            (frozenset({me, ids["admin"]}), False)
        ]
        big = approval_for(session, 5001, ids["seller"])
        assert [(s.role, s.approvers, s.self_approval) for s in big.steps] == [
            (Role.ADMIN, frozenset({me, ids["admin"]}), False),
            (Role.OWNER, frozenset({me}), False),
        ]
        by_owner = approval_for(session, 5001, me)
        assert [(s.approvers, s.self_approval) for s in by_owner.steps] == [
            (frozenset({ids["admin"]}), False),
            (frozenset({me}), True),
        ]
    # A member removed no longer approves.
    members = client.get("/api/v1/members", headers=owner.headers).json()
    admin_membership = next(m["id"] for m in members if m["email"] == "admin@example.net")
    assert (
        client.delete(f"/api/v1/members/{admin_membership}", headers=owner.headers).status_code
        == 204
    )
    with (
        database.unit_of_work() as session,
        as_organization(session, uuid.UUID(owner.organization_id)),
    ):
        assert approval_rules.approvers_for(session, Role.ADMIN) == {me}


def test_the_api_reads_replaces_and_previews(client: TestClient, owner: Account) -> None:
    first = client.get("/api/v1/approval-rules", headers=owner.headers)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "items": [
            {
                "applies_to": kind,
                "is_default": True,
                "currency": "EUR",
                "rules": [{"up_to": None, "steps": ["admin"]}],
            }
            for kind in ("expense", "bill")
        ]
    }
    saved = put(client, owner, TIERED, "bill")
    assert saved.status_code == 200, saved.text
    assert saved.json() == {
        "applies_to": "bill",
        "is_default": False,
        "currency": "EUR",
        "rules": TIERED,
    }
    only_bills = client.get(
        "/api/v1/approval-rules", headers=owner.headers, params={"applies_to": "bill"}
    )
    assert only_bills.json()["items"] == [saved.json()]
    for amount, steps, band in (
        ("100", [], "100.00"),
        ("100.01", ["admin"], "1000.00"),
        ("1000.00", ["admin"], "1000.00"),
        ("1000.01", ["admin", "owner"], None),
        ("0", [], "100.00"),
    ):
        preview = client.get(
            "/api/v1/approval-rules/bill/preview", headers=owner.headers, params={"amount": amount}
        )
        assert preview.status_code == 200, preview.text
        body = preview.json()
        assert (body["steps"], body["band"]["up_to"], body["auto_approved"]) == (
            steps,
            band,
            not steps,
        )
    for params in ({"amount": "-1"}, {"amount": "abc"}, {"amount": "1e40"}):
        bad = client.get(
            "/api/v1/approval-rules/bill/preview", headers=owner.headers, params=params
        )
        assert bad.status_code == 422, bad.text
        assert bad.json()["errors"][0]["field"] == "amount"
    refused = put(
        client,
        owner,
        [{"up_to": "1000", "steps": []}, {"up_to": "10", "steps": ["viewer"]}, {"up_to": None}],
        "bill",
    )
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
        ("rules[1].steps", "unknown_role")
    ]
    assert client.get(
        "/api/v1/approval-rules", headers=owner.headers, params={"applies_to": "bill"}
    ).json()["items"] == [saved.json()]
    assert put(client, owner, "nope", "bill").status_code == 422
    assert (
        client.put(
            "/api/v1/approval-rules/bill", headers=owner.headers, json={"rules": [], "extra": 1}
        ).status_code
        == 422
    )
    assert put(client, owner, TIERED, "invoice").status_code == 404
    assert (
        client.get(
            "/api/v1/approval-rules/invoice/preview", headers=owner.headers, params={"amount": "1"}
        ).status_code
        == 404
    )
    assert (
        client.get(
            "/api/v1/approval-rules", headers=owner.headers, params={"applies_to": "invoice"}
        ).status_code
        == 422
    )


def test_tenants_and_scopes(client: TestClient, owner: Account) -> None:
    assert put(client, owner, TIERED).status_code == 200
    other = register(client, organization_name="Other SAS")
    theirs = client.get(
        "/api/v1/approval-rules", headers=other.headers, params={"applies_to": "expense"}
    )
    assert theirs.json()["items"][0]["is_default"] is True
    viewer = bearer(accept_new(client, invite(client, owner, "viewer@example.net", "viewer")))
    accountant = bearer(
        accept_new(client, invite(client, owner, "books@example.net", "accountant"))
    )
    assert client.get("/api/v1/approval-rules", headers=viewer).status_code == 200
    assert put(client, viewer, []).status_code == 403
    assert put(client, accountant, []).status_code == 403
    client_member = bearer(
        accept_new(client, invite(client, owner, "client@example.net", "client"))
    )
    assert client.get("/api/v1/approval-rules", headers=client_member).status_code == 403
    mine = client.get(
        "/api/v1/approval-rules", headers=owner.headers, params={"applies_to": "expense"}
    )
    assert mine.json()["items"][0]["rules"] == TIERED
