"""The customer portal: a client member linked to one customer sees that customer's issued
documents and payments, and nothing else: not drafts, not another customer's documents,
not the staff pages. Linking a member to a party, and every way to get it wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.kit import clock
from comptoir.sales.service import portal as portal_service
from comptoir.sales.views import portal as portal_views
from tests.conftest import PASSWORD, Account, register
from tests.identity.test_members import accept_new, bearer, invite
from tests.parties.test_pages import web_login
from tests.sales.helpers import customer, invoice, pay


def members_by_email(client: TestClient, owner: Account) -> dict[str, dict[str, Any]]:
    response = client.get("/api/v1/members", headers=owner.headers)
    assert response.status_code == 200, response.text
    return {member["email"]: member for member in response.json()}


def link(client: TestClient, owner: Account, member_id: str, **body: Any) -> Any:
    return client.patch(f"/api/v1/members/{member_id}", headers=owner.headers, json=body)


def join(client: TestClient, owner: Account, email: str, role: str) -> tuple[str, dict]:
    """Invite ``email`` with ``role`` and accept as a new account: the membership id and
    the accepted tokens."""
    tokens = accept_new(client, invite(client, owner, email, role=role), name="Claire Client")
    return members_by_email(client, owner)[email]["id"], tokens


@dataclass
class Setup:
    owner: Account
    member_id: str
    tokens: dict[str, Any]
    mine: dict[str, Any]
    theirs: dict[str, Any]


@pytest.fixture
def setup(client: TestClient, owner: Account) -> Setup:
    """A client member of the owner's organization linked to customer A, and customer B."""
    mine = customer(client, owner, name="Atelier Alpha", email="ap@alpha.example")
    theirs = customer(client, owner, name="Bistrot Beta", email="ap@beta.test")
    member_id, tokens = join(client, owner, "claire@alpha.example", "client")
    linked = link(client, owner, member_id, party=mine["id"])
    assert linked.status_code == 200, linked.text
    assert linked.json()["party_id"] == mine["id"]
    return Setup(owner, member_id, tokens, mine, theirs)


def text_of(response: Any) -> str:
    """The page's words as a reader sees them: no tags, single spaces."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def test_the_portal_lists_only_the_linked_customers_issued_documents(
    client: TestClient, setup: Setup
) -> None:
    owner = setup.owner
    today = clock.now().date()
    first = invoice(client, owner, setup.mine["id"])
    other = invoice(client, owner, setup.theirs["id"])
    second = invoice(
        client,
        owner,
        setup.mine["id"],
        [{"description": "Pastries", "quantity": "1", "unit_price": "80.00", "tax_codes": []}],
        issue_date=today.isoformat(),
        due_date=(today + timedelta(days=30)).isoformat(),
    )
    draft = invoice(client, owner, setup.mine["id"], issue=False, reference="NOT-YET")
    pay(client, owner, setup.mine["id"], "200.00", [(first["id"], "200.00")])
    pay(client, owner, setup.theirs["id"], "50.00", [(other["id"], "50.00")], reference="BETA")
    credit = client.post(
        "/api/v1/credit-notes",
        headers=owner.headers,
        json={
            "invoice": second["id"],
            "lines": [
                {"description": "Broken", "quantity": "1", "unit_price": "10.00", "tax_codes": []}
            ],
        },
    )
    assert credit.status_code == 201, credit.text
    issued_credit = client.post(
        f"/api/v1/credit-notes/{credit.json()['id']}/issue", headers=owner.headers
    )
    assert issued_credit.status_code == 200, issued_credit.text
    credit_number = issued_credit.json()["number"]

    web_login(client, "claire@alpha.example", PASSWORD)
    # The member lands on the portal, not on the staff dashboard.
    landing = client.get("/", follow_redirects=False)
    assert landing.status_code == 303
    assert landing.headers["location"] == "/portal"

    home = client.get("/portal")
    assert home.status_code == 200
    page = text_of(home)
    assert "Atelier Alpha" in page
    # 1 200.00 (first) - 200.00 paid + 80.00 (second) - 10.00 credited, first overdue.
    assert "1 070.00 EUR" in page.replace("\u202f", " ")
    assert "1 000.00 EUR" in page.replace("\u202f", " ")  # overdue: what is left of the first
    assert first["number"] in page and second["number"] in page
    assert "Overdue" in page
    assert other["number"] not in page
    assert 'class="sidebar"' not in home.text  # the portal has no staff sidebar

    invoices = text_of(client.get("/portal/invoices"))
    assert first["number"] in invoices and second["number"] in invoices
    assert other["number"] not in invoices
    assert "NOT-YET" not in invoices and "Draft" not in invoices

    detail = client.get(f"/portal/documents/{first['id']}")
    assert detail.status_code == 200
    shown = text_of(detail)
    assert "Consulting" in shown and "FR-20" in shown
    assert "Payment · Bank transfer" in shown
    assert f"/portal/documents/{first['id']}/pdf" in detail.text

    credit_notes = text_of(client.get("/portal/credit-notes"))
    assert credit_number in credit_notes
    credit_page = text_of(client.get(f"/portal/documents/{issued_credit.json()['id']}"))
    assert f"Credits invoice {second['number']}" in credit_page

    payments = text_of(client.get("/portal/payments"))
    assert "Bank transfer" in payments and first["number"] in payments
    assert "BETA" not in payments

    # Another customer's document, a draft, a garbage id: not found, as another company's.
    for document_id in (other["id"], draft["id"], "not-an-id"):
        assert client.get(f"/portal/documents/{document_id}").status_code == 404
        assert client.get(f"/portal/documents/{document_id}/pdf").status_code == 404

    # The PDF is the very file the staff download: the stored copy of the issued invoice.
    pdf = client.get(f"/portal/documents/{first['id']}/pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    staff_pdf = client.get(f"/api/v1/invoices/{first['id']}/pdf", headers=owner.headers)
    assert pdf.content == staff_pdf.content
    assert pdf.content.startswith(b"%PDF")


def test_staff_pages_and_the_staff_api_stay_closed(client: TestClient, setup: Setup) -> None:
    web_login(client, "claire@alpha.example", PASSWORD)
    for path in (
        "/sales/invoices",
        "/sales/customers",
        f"/sales/customers/{setup.theirs['id']}",
        "/accounting/accounts",
        "/accounting/entries",
        "/settings/members",
        "/settings/audit",
        "/settings/sales",
    ):
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (403, 404), (path, response.status_code)
    api = bearer(setup.tokens)
    for path in (
        "invoices",
        "customers",
        f"customers/{setup.mine['id']}",
        "payments",
        "sales/settings",
        "payment-providers",
    ):
        assert client.get(f"/api/v1/{path}", headers=api).status_code == 403, path
    # Portal roles keep the one scope they had.
    me = client.get("/api/v1/auth/me", headers=api).json()
    assert me["scopes"] == ["organization:read"]

    # Staff have no portal.
    web_login(client, setup.owner)
    assert client.get("/portal").status_code == 404
    assert client.get(f"/portal/documents/{setup.mine['id']}").status_code == 404


def test_a_change_of_link_takes_effect_at_once(client: TestClient, setup: Setup) -> None:
    owner = setup.owner
    alpha = invoice(client, owner, setup.mine["id"])
    beta = invoice(client, owner, setup.theirs["id"])
    web_login(client, "claire@alpha.example", PASSWORD)
    assert client.get(f"/portal/documents/{alpha['id']}").status_code == 200

    assert link(client, owner, setup.member_id, party=setup.theirs["id"]).status_code == 200
    assert client.get(f"/portal/documents/{alpha['id']}").status_code == 404
    assert client.get(f"/portal/documents/{beta['id']}").status_code == 200

    unlinked = link(client, owner, setup.member_id, party=None)
    assert unlinked.status_code == 200 and unlinked.json()["party_id"] is None
    page = client.get("/portal")
    assert page.status_code == 200
    assert "not linked to a customer yet" in text_of(page)
    assert client.get("/portal/invoices").status_code == 200
    assert beta["number"] not in client.get("/portal/invoices").text
    assert client.get(f"/portal/documents/{beta['id']}").status_code == 404

    changes = client.get(
        "/api/v1/audit-events?action=member.party_changed", headers=owner.headers
    ).json()["items"]
    assert [(e["before"]["party_id"], e["after"]["party_id"]) for e in changes] == [
        (setup.theirs["id"], None),
        (setup.mine["id"], setup.theirs["id"]),
        (None, setup.mine["id"]),
    ]


def test_linking_refuses_what_does_not_fit(client: TestClient, setup: Setup) -> None:
    owner = setup.owner
    stranger = register(client, organization_name="Stranger SARL")
    foreign = customer(client, stranger, name="Foreign")
    supplier = client.post("/api/v1/suppliers", headers=owner.headers, json={"name": "Farine SA"})
    assert supplier.status_code == 201, supplier.text
    sales_id, _ = join(client, owner, "seller@alpha.example", "sales")
    cases = [
        (setup.member_id, {"party": foreign["id"]}, "not_found"),
        (setup.member_id, {"party": supplier.json()["id"]}, "not_found"),
        (setup.member_id, {"party": owner.organization_id}, "not_found"),
        (sales_id, {"party": setup.mine["id"]}, "not_portal_role"),
        (setup.member_id, {"role": "viewer", "party": setup.mine["id"]}, "not_portal_role"),
    ]
    for member_id, body, code in cases:
        response = link(client, owner, member_id, **body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"] == "party"
        assert response.json()["errors"][0]["code"] == code
    assert link(client, owner, setup.member_id, party="nope").status_code == 422
    # Nothing changed.
    members = members_by_email(client, owner)
    assert members["claire@alpha.example"]["party_id"] == setup.mine["id"]
    assert members["claire@alpha.example"]["role"] == "client"
    assert members["seller@alpha.example"]["party_id"] is None

    # A member of another organization is not found, whatever the body.
    assert link(client, stranger, setup.member_id, party=foreign["id"]).status_code == 404


def test_a_new_role_keeps_the_party_only_when_it_fits(client: TestClient, setup: Setup) -> None:
    owner = setup.owner
    both = client.post(
        "/api/v1/customers",
        headers=owner.headers,
        json={"name": "Gamma", "is_supplier": True},
    ).json()
    assert link(client, owner, setup.member_id, party=both["id"]).json()["party_id"] == both["id"]
    as_supplier = link(client, owner, setup.member_id, role="supplier")
    assert as_supplier.status_code == 200
    assert as_supplier.json()["party_id"] == both["id"]  # Gamma supplies too
    relinked = link(client, owner, setup.member_id, role="client", party=setup.mine["id"])
    assert relinked.json()["party_id"] == setup.mine["id"]
    to_supplier = link(client, owner, setup.member_id, role="supplier")
    assert to_supplier.json()["party_id"] is None  # Alpha only buys
    back = link(client, owner, setup.member_id, role="client", party=setup.mine["id"])
    assert back.json()["party_id"] == setup.mine["id"]
    to_staff = link(client, owner, setup.member_id, role="viewer")
    assert to_staff.json() | {"joined_at": None} == {
        "id": setup.member_id,
        "user_id": to_staff.json()["user_id"],
        "email": "claire@alpha.example",
        "name": "Claire Client",
        "role": "viewer",
        "party_id": None,
        "joined_at": None,
    }


def test_a_supplier_member_sees_an_honest_empty_page(client: TestClient, owner: Account) -> None:
    supplier = client.post("/api/v1/suppliers", headers=owner.headers, json={"name": "Farine SA"})
    member_id, _ = join(client, owner, "sam@farine.example", "supplier")
    web_login(client, "sam@farine.example", PASSWORD)
    assert "not linked to a supplier yet" in text_of(client.get("/portal"))
    assert link(client, owner, member_id, party=supplier.json()["id"]).status_code == 200
    for path in ("/portal", "/portal/invoices", "/portal/payments"):
        page = text_of(client.get(path))
        assert "Your documents will appear here" in page, path
        assert "Farine SA" in page
    acme = customer(client, owner)
    sold = invoice(client, owner, acme["id"])
    assert client.get(f"/portal/documents/{sold['id']}").status_code == 404


def test_a_sent_quote_is_answered_from_the_portal(client: TestClient, setup: Setup) -> None:
    owner = setup.owner
    lines = [{"description": "Wedding cake", "quantity": "1", "unit_price": "300.00"}]
    quotes = []
    for _ in range(3):
        created = client.post(
            "/api/v1/quotes",
            headers=owner.headers,
            json={"customer": setup.mine["id"], "lines": lines},
        )
        assert created.status_code == 201, created.text
        quotes.append(created.json())
    unsent, to_accept, to_decline = quotes
    for quote in (to_accept, to_decline):
        sent = client.post(f"/api/v1/quotes/{quote['id']}/send", headers=owner.headers, json={})
        assert sent.status_code == 200, sent.text

    csrf = web_login(client, "claire@alpha.example", PASSWORD)
    listed = text_of(client.get("/portal/quotes"))
    assert to_accept["number"] in listed and to_decline["number"] in listed
    assert unsent["number"] not in listed
    assert client.get(f"/portal/documents/{unsent['id']}").status_code == 404
    home = text_of(client.get("/portal"))
    assert "Quotes awaiting your answer" in home and to_accept["number"] in home

    page = client.get(f"/portal/documents/{to_accept['id']}")
    assert "Accept this quote" in page.text
    refused = client.post(
        f"/portal/documents/{to_accept['id']}/accept",
        data={"name": "", "csrf_token": csrf},
    )
    assert refused.status_code == 422
    assert "Type your full name to sign." in refused.text
    assert "Tick the box to accept the quote." in refused.text
    accepted = client.post(
        f"/portal/documents/{to_accept['id']}/accept",
        data={"name": "Claire Client", "agree": "yes", "csrf_token": csrf},
        headers={"User-Agent": "PortalTest/1.0"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    assert "notice=accepted" in accepted.headers["location"]
    declined = client.post(
        f"/portal/documents/{to_decline['id']}/decline",
        data={"reason": "Too dear", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert declined.status_code == 303
    again = client.post(
        f"/portal/documents/{to_decline['id']}/accept",
        data={"name": "Claire Client", "agree": "yes", "csrf_token": csrf},
    )
    assert again.status_code == 409
    assert "declined" in text_of(again)
    # Another customer's quote cannot be answered from here.
    other = client.post(
        "/api/v1/quotes",
        headers=owner.headers,
        json={"customer": setup.theirs["id"], "lines": lines},
    ).json()
    client.post(f"/api/v1/quotes/{other['id']}/send", headers=owner.headers, json={})
    stolen = client.post(
        f"/portal/documents/{other['id']}/accept",
        data={"name": "Claire Client", "agree": "yes", "csrf_token": csrf},
    )
    assert stolen.status_code == 404

    staff_view = client.get(f"/api/v1/quotes/{to_accept['id']}", headers=owner.headers).json()
    assert staff_view["status"] == "accepted"
    assert staff_view["acceptance"]["name"] == "Claire Client"
    assert staff_view["acceptance"]["user_agent"] == "PortalTest/1.0"
    assert (
        client.get(f"/api/v1/quotes/{to_decline['id']}", headers=owner.headers).json()["status"]
        == "declined"
    )
    assert (
        client.get(f"/api/v1/quotes/{other['id']}", headers=owner.headers).json()["status"]
        == "sent"
    )


def test_linking_from_the_members_page(client: TestClient, owner: Account) -> None:
    alpha = customer(client, owner, name="Atelier Alpha")
    member_id, _ = join(client, owner, "claire@alpha.example", "client")
    csrf = web_login(client, owner)
    page = client.get("/settings/members")
    assert "Atelier Alpha" in page.text and f"/settings/members/{member_id}/party" in page.text

    bad = client.post(
        f"/settings/members/{member_id}/party", data={"party": "nope", "csrf_token": csrf}
    )
    assert bad.status_code == 422
    assert "No such party." in bad.text
    row = client.post(
        f"/settings/members/{member_id}/party",
        data={"party": alpha["id"], "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert row.status_code == 200
    assert "Portal link saved." in row.text
    assert f'value="{alpha["id"]}" selected' in row.text
    assert members_by_email(client, owner)["claire@alpha.example"]["party_id"] == alpha["id"]
    cleared = client.post(
        f"/settings/members/{member_id}/party",
        data={"party": "", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert cleared.status_code == 303
    assert members_by_email(client, owner)["claire@alpha.example"]["party_id"] is None


def test_joining_through_the_web_invitation_lands_on_the_portal(
    client: TestClient, owner: Account
) -> None:
    token = invite(client, owner, "new@alpha.example", role="client")
    client.get(f"/invitations/{token}")
    csrf = client.cookies.get("comptoir_csrf")
    joined = client.post(
        f"/invitations/{token}",
        data={"name": "New Client", "password": PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert joined.status_code == 303
    landing = client.get(joined.headers["location"], follow_redirects=False)
    assert landing.headers["location"] == "/portal?notice=joined"
    assert "you have joined" in client.get("/portal?notice=joined").text


def test_long_lists_go_on_over_pages(
    client: TestClient, setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(portal_views, "PAGE_SIZE", 2)
    monkeypatch.setattr(portal_service, "HOME_INVOICES", 2)
    numbers = {invoice(client, setup.owner, setup.mine["id"])["number"] for _ in range(3)}
    web_login(client, "claire@alpha.example", PASSWORD)
    home = text_of(client.get("/portal"))
    assert "The 2 due first of 3 open invoices" in home

    seen: set[str] = set()
    url: str | None = "/portal/invoices"
    pages = 0
    while url:
        page = client.get(url)
        assert page.status_code == 200
        seen |= {number for number in numbers if number in page.text}
        found = re.search(r'href="(/portal/invoices\?cursor=[^"]+)"', page.text)
        url = unescape(found.group(1)) if found else None
        pages += 1
    assert (seen, pages) == (numbers, 2)
    assert client.get("/portal/invoices?cursor=garbage").status_code == 400


def test_a_portal_invitation_names_the_party_seen_on_joining(
    client: TestClient, owner: Account
) -> None:
    alpha = customer(client, owner, name="Atelier Alpha", email="ap@alpha.example")
    supplier = client.post(
        "/api/v1/suppliers", headers=owner.headers, json={"name": "Moulin", "country": "FR"}
    ).json()
    stranger = register(client, "stranger@example.com")
    foreign = customer(client, stranger, name="Elsewhere")

    def sent(**body: Any) -> Any:
        return client.post(
            "/api/v1/invitations",
            headers=owner.headers,
            json={"email": "claire@alpha.example", "role": "client"} | body,
        )

    for body, code in (
        ({"party": foreign["id"]}, "not_found"),
        ({"party": supplier["id"]}, "not_found"),
        ({"party": alpha["id"], "role": "accountant"}, "not_portal_role"),
    ):
        refused = sent(**body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "party"
        assert refused.json()["errors"][0]["code"] == code
    assert sent(party="not-a-uuid").status_code == 422
    assert client.get("/api/v1/invitations", headers=owner.headers).json() == []

    invited = sent(party=alpha["id"])
    assert invited.status_code == 201, invited.text
    assert invited.json()["party_id"] == alpha["id"]
    token = invited.json()["accept_url"].rsplit("/", 1)[1]
    accept_new(client, token, name="Claire Client")
    member = members_by_email(client, owner)["claire@alpha.example"]
    assert (member["role"], member["party_id"]) == ("client", alpha["id"])
