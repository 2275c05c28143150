"""The customer and supplier pages: list, search and pages, the form with its contacts and
errors beside their fields, archive and delete, the CSV import's preview, the export, the
scopes a role has, and other organizations' ids."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.parties import views
from comptoir.parties.service import transfer
from tests.conftest import Account, register
from tests.identity.test_members import accept_new, invite
from tests.ledger.helpers import entry


def web_login(client: TestClient, account: Account | str, password: str | None = None) -> str:
    """Logs the test client's browser in; answers the CSRF token its forms carry."""
    email = account if isinstance(account, str) else account.email
    secret = password or (account.password if isinstance(account, Account) else "")
    client.get("/login")
    csrf = client.cookies.get("comptoir_csrf")
    assert csrf
    response = client.post(
        "/login",
        data={"email": email, "password": secret, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf


@pytest.fixture
def csrf(client: TestClient, owner: Account) -> str:
    return web_login(client, owner)


def _create(
    client: TestClient, owner: Account, body: dict[str, Any], plural: str = "customers"
) -> dict[str, Any]:
    response = client.post(f"/api/v1/{plural}", headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _api(client: TestClient, owner: Account, path: str) -> Any:
    response = client.get(f"/api/v1/{path}", headers=owner.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _form(**values: str) -> dict[str, str]:
    """A new-customer form as the browser posts it: every field, blanks included."""
    fields = dict.fromkeys(views.PARTY_FIELDS, "")
    fields.update(kind="company", country="FR", payment_terms="net_30")
    for index in range(3):
        fields.update({f"contacts.{index}.{name}": "" for name in views.CONTACT_FIELDS})
    fields.update(values)
    return fields


def _error_beside(html: str, input_id: str) -> str:
    """The message shown under the input ``input_id``."""
    match = re.search(rf'id="{input_id}-error"[^>]*>.*?<span>(.*?)</span>', html, re.S)
    assert match, f"no error beside {input_id}"
    return unescape(match.group(1))


def _value_of(html: str, input_id: str) -> str:
    match = re.search(rf'id="{input_id}"[^>]*?value="([^"]*)"', html, re.S)
    assert match, f"no input {input_id}"
    return unescape(match.group(1))


def _names_listed(html: str) -> list[str]:
    return [unescape(n) for n in re.findall(r'class="row-link" href="[^"]+">([^<]+)</a>', html)]


# -- the list ----------------------------------------------------------------------------


def test_an_empty_list_invites_to_add_or_import(client: TestClient, csrf: str) -> None:
    page = client.get("/sales/customers")
    assert page.status_code == 200
    assert "No customers yet." in page.text
    assert 'href="/sales/customers/new"' in page.text
    assert 'href="/sales/customers/import"' in page.text
    assert 'href="/sales/customers/export"' in page.text
    assert 'aria-current="page">Customers</a>' in page.text
    suppliers = client.get("/purchases/suppliers")
    assert "No suppliers yet." in suppliers.text
    assert "New supplier" in suppliers.text


def test_the_list_searches_filters_and_pages(
    client: TestClient, owner: Account, csrf: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(7):
        _create(
            client,
            owner,
            {
                "name": f"Client {index}",
                "country": "DE" if index == 6 else "FR",
                "billing_address": {"city": "Lyon" if index % 2 else "Nantes"},
            },
        )
    _create(client, owner, {"name": "Papeterie Martin"}, "suppliers")
    _create(client, owner, {"name": "Muster GmbH", "vat_number": "DE136695976", "country": "DE"})

    page = client.get("/sales/customers")
    assert sorted(_names_listed(page.text)) == sorted(
        [*(f"Client {i}" for i in range(7)), "Muster GmbH"]
    )
    assert "DE136695976" in page.text
    assert "Next page" not in page.text
    assert _names_listed(client.get("/purchases/suppliers").text) == ["Papeterie Martin"]

    lyon = client.get("/sales/customers", params={"q": " LYON "})
    assert sorted(_names_listed(lyon.text)) == ["Client 1", "Client 3", "Client 5"]
    assert _value_of(lyon.text, "f-q") == "LYON"
    germany = client.get("/sales/customers", params={"country": "de"})
    assert sorted(_names_listed(germany.text)) == ["Client 6", "Muster GmbH"]
    assert '<option value="DE" selected>' in germany.text
    by_vat = client.get("/sales/customers", params={"q": "de1366"})
    assert _names_listed(by_vat.text) == ["Muster GmbH"]
    nothing = client.get("/sales/customers", params={"q": "zzz"})
    assert "No customer matches." in nothing.text
    assert "No customers yet." not in nothing.text

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    seen: list[str] = []
    url: str | None = "/sales/customers?q=client"
    pages = 0
    while url:
        page = client.get(url)
        assert page.status_code == 200
        names = _names_listed(page.text)
        assert len(names) <= 3
        seen += names
        pages += 1
        if pages > 1:
            assert "First page" in page.text
        found = re.search(r'href="([^"]+)">Next page', page.text)
        url = unescape(found.group(1)) if found else None
        if url:
            assert "cursor=" in url and "q=client" in url
    assert pages == 3
    assert sorted(seen) == [f"Client {i}" for i in range(7)]
    # Newest first, as the API lists them.
    assert seen[0] == "Client 6"

    broken = client.get("/sales/customers", params={"cursor": "not-a-cursor"})
    assert broken.status_code == 400
    assert "text/html" in broken.headers["content-type"]


# -- the form ----------------------------------------------------------------------------


def test_errors_show_beside_their_fields_and_nothing_is_written(
    client: TestClient, owner: Account, csrf: str
) -> None:
    new = client.get("/sales/customers/new")
    assert new.status_code == 200
    assert _value_of(new.text, "f-code") == ""
    assert '<option value="FR" data-currency="EUR" selected>' in new.text
    assert '<option value="net_30" selected>' in new.text
    assert 'id="contact-1-name"' in new.text

    refused = client.post(
        "/sales/customers/new",
        data=_form(
            csrf_token=csrf,
            name="",
            email="not-an-email",
            vat_number="FR41303265045",
            website="https://acme.example",
            **{"contacts.1.email": "erika@example.com", "contacts.2.phone": "12"},
        ),
    )
    assert refused.status_code == 422
    html = refused.text
    assert _error_beside(html, "f-name") == "Give the customer a name."
    assert "@" in _error_beside(html, "f-email")
    assert "check digits" in _error_beside(html, "f-vat_number")
    # The contact rows keep their place in the form: row 0 was left blank.
    assert _error_beside(html, "contact-1-name") == "Give the contact a name."
    assert _error_beside(html, "contact-2-phone")
    assert 'id="contact-0-name-error"' not in html
    assert "Please correct the 6 fields marked below." in html
    assert _value_of(html, "f-website") == "https://acme.example"
    assert _value_of(html, "contact-1-email") == "erika@example.com"
    assert _value_of(html, "f-vat_number") == "FR41303265045"

    # A party whose own fields are right but whose contact is not is not created either.
    refused = client.post(
        "/sales/customers/new",
        data=_form(csrf_token=csrf, name="Acme", **{"contacts.0.email": "a@b.example"}),
    )
    assert refused.status_code == 422
    assert _error_beside(refused.text, "contact-0-name") == "Give the contact a name."
    assert _api(client, owner, "customers")["items"] == []

    # A code typed by hand that is taken: beside the code.
    _create(client, owner, {"name": "First", "code": "ACME"})
    taken = client.post(
        "/sales/customers/new", data=_form(csrf_token=csrf, name="Acme", code="ACME")
    )
    assert taken.status_code == 422
    assert "taken by First" in _error_beside(taken.text, "f-code")

    done = client.post(
        "/sales/customers/new", data=_form(csrf_token=csrf, name="Acme"), follow_redirects=False
    )
    assert done.status_code == 303
    listed = _api(client, owner, "customers")["items"]
    # No code was used up by the refused attempts.
    assert {(p["name"], p["code"]) for p in listed} == {("First", "ACME"), ("Acme", "C00001")}


def test_create_with_contacts_then_edit(client: TestClient, owner: Account, csrf: str) -> None:
    created = client.post(
        "/sales/customers/new",
        data=_form(
            csrf_token=csrf,
            name="Muster GmbH",
            code="MUSTER",
            country="DE",
            vat_number="de 136 695 976",
            phone="030 1234567",
            currency="EUR",
            language="de",
            payment_terms="net_30_end_of_month",
            billing_line1="Musterstraße 1",
            billing_postal_code="10115",
            billing_city="Berlin",
            has_shipping="on",
            shipping_line1="Lager 7",
            shipping_city="Potsdam",
            other_role="on",
            notes="Prefers PDF invoices.\r\nCall first.",
            **{
                "contacts.0.name": "Erika Mustermann",
                "contacts.0.email": "erika@muster.example",
                "contacts.0.role": "Buchhaltung",
                "contacts.2.name": "Max",
                "contacts.2.phone": "+49 30 7654321",
            },
        ),
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    party_id = re.fullmatch(r"/sales/customers/([0-9a-f-]{36})\?notice=created", location)
    assert party_id
    stored = _api(client, owner, f"customers/{party_id.group(1)}")
    assert stored["vat_number"] == "DE136695976"
    assert stored["language"] == "de"
    assert stored["is_supplier"] is True
    assert stored["notes"] == "Prefers PDF invoices.\nCall first."
    assert stored["shipping_address"]["city"] == "Potsdam"
    assert [c["name"] for c in stored["contacts"]] == ["Erika Mustermann", "Max"]

    detail = client.get(location)
    assert "The customer is added." in detail.text
    assert "+49 30 1234567" in detail.text
    assert "30 days, end of month" in detail.text
    assert "Erika Mustermann" in detail.text and "Buchhaltung" in detail.text
    assert "+49 30 7654321" in detail.text
    assert "Lager 7" in detail.text
    assert f'href="/purchases/suppliers/{stored["id"]}"' in detail.text
    # The same party is reachable as a supplier.
    assert client.get(f"/purchases/suppliers/{stored['id']}").status_code == 200

    edit = client.get(f"/sales/customers/{stored['id']}/edit")
    assert edit.status_code == 200
    assert _value_of(edit.text, "f-name") == "Muster GmbH"
    assert _value_of(edit.text, "contact-0-name") == "Erika Mustermann"
    assert _value_of(edit.text, "contact-1-phone") == "+49 30 7654321"
    # The existing contacts, then blank rows for new ones.
    assert _value_of(edit.text, "contact-3-name") == ""
    assert 'id="contact-4-name"' not in edit.text
    assert 'id="f-has_shipping" name="has_shipping" value="on" checked' in edit.text

    form = _form(
        csrf_token=csrf,
        name="Muster & Söhne GmbH",
        code="MUSTER",
        country="DE",
        payment_terms="net_15",
        other_role="on",
        **{"contacts.1.name": "Max", "contacts.1.role": "Einkauf"},
    )
    saved = client.post(f"/sales/customers/{stored['id']}/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/sales/customers/{stored['id']}?notice=saved"
    changed = _api(client, owner, f"customers/{stored['id']}")
    assert changed["name"] == "Muster & Söhne GmbH"
    assert changed["payment_terms"] == "net_15"
    assert changed["shipping_address"] is None
    assert changed["vat_number"] is None
    assert [(c["name"], c["role"]) for c in changed["contacts"]] == [("Max", "Einkauf")]

    # Unticking the other role leaves only this one; a wrong edit changes nothing.
    refused = client.post(
        f"/sales/customers/{stored['id']}/edit",
        data={**form, "code": "", "other_role": ""},
    )
    assert refused.status_code == 422
    assert _error_beside(refused.text, "f-code")
    assert _api(client, owner, f"customers/{stored['id']}")["is_supplier"] is True
    client.post(f"/sales/customers/{stored['id']}/edit", data={**form, "other_role": ""})
    assert _api(client, owner, f"customers/{stored['id']}")["is_supplier"] is False
    assert client.get(f"/purchases/suppliers/{stored['id']}").status_code == 404


def test_contact_rows_are_added_and_removed_as_typed(
    client: TestClient, owner: Account, csrf: str
) -> None:
    typed = {
        "contacts.0.name": "Ann",
        "contacts.1.name": "Bob",
        "contacts.1.email": "bob@x.example",
    }
    # Without script: the buttons post the form, which comes back with nothing saved.
    added = client.post(
        "/sales/customers/new",
        data=_form(csrf_token=csrf, name="Acme", action="add_contact", **typed),
    )
    assert added.status_code == 200
    assert _value_of(added.text, "contact-1-email") == "bob@x.example"
    assert 'id="contact-3-name"' in added.text
    assert re.search(r'id="contact-3-name"[^>]*autofocus', added.text)
    removed = client.post(
        "/sales/customers/new", data=_form(csrf_token=csrf, name="Acme", action="remove-0", **typed)
    )
    assert _value_of(removed.text, "contact-0-name") == "Bob"
    assert _value_of(removed.text, "f-name") == "Acme"
    assert _api(client, owner, "customers")["items"] == []

    # With HTMX: only the rows come back.
    fragment = client.get("/sales/customers/contact-rows", params={**typed, "add": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="party-contacts"')
    assert _value_of(fragment.text, "contact-0-name") == "Ann"
    assert 'id="contact-2-name"' in fragment.text
    fragment = client.get("/sales/customers/contact-rows", params={**typed, "remove": "1"})
    assert 'id="contact-1-name"' not in fragment.text


# -- archive and delete ------------------------------------------------------------------


def test_archive_restore_and_delete_only_while_unused(
    client: TestClient, owner: Account, csrf: str
) -> None:
    used = _create(client, owner, {"name": "Regular"})
    entry(
        client,
        owner,
        [
            {"account": "411", "debit": "10.00", "party_id": used["id"]},
            {"account": "706", "credit": "10.00"},
        ],
    )
    refused = client.post(f"/sales/customers/{used['id']}/delete", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert "archive it instead" in unescape(refused.text)
    assert "Regular" in refused.text
    assert _api(client, owner, f"customers/{used['id']}")["name"] == "Regular"

    archived = client.post(
        f"/sales/customers/{used['id']}/archive", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert archived.headers["location"] == f"/sales/customers/{used['id']}?notice=archived"
    detail = client.get(archived.headers["location"])
    assert "The customer is archived" in detail.text
    assert "Restore the customer" in detail.text
    assert _names_listed(client.get("/sales/customers").text) == []
    shown = client.get("/sales/customers", params={"archived": "true"})
    assert _names_listed(shown.text) == ["Regular"]
    assert "badge-archived" in shown.text
    client.post(f"/sales/customers/{used['id']}/restore", data={"csrf_token": csrf})
    assert _names_listed(client.get("/sales/customers").text) == ["Regular"]

    unused = _create(client, owner, {"name": "Never Bought"})
    deleted = client.post(
        f"/sales/customers/{unused['id']}/delete", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/sales/customers?notice=deleted"
    assert "The customer is deleted." in client.get(deleted.headers["location"]).text
    gone = client.get(f"/api/v1/customers/{unused['id']}", headers=owner.headers)
    assert gone.status_code == 404


# -- import and export -------------------------------------------------------------------

GOOD_CSV = """name,code,email,country,city,notes
Boulangerie Paul,,paul@example.fr,FR,Paris,"Door code 1234
Ring twice"
Muster GmbH,MUSTER,,DE,Berlin,
"""
BAD_CSV = """name,vat_number,country,email
Good One,,FR,
,,FR,
Bad Vat,FR41303265045,FR,nobody
"""


def _upload(client: TestClient, csrf: str, text: str, plural: str = "customers") -> Any:
    base = "/sales/customers" if plural == "customers" else "/purchases/suppliers"
    return client.post(
        f"{base}/import",
        data={"csrf_token": csrf, "action": "preview"},
        files={"file": (f"{plural}.csv", text.encode(), "text/csv")},
    )


def test_import_previews_reports_every_row_then_imports(
    client: TestClient, owner: Account, csrf: str
) -> None:
    page = client.get("/sales/customers/import")
    assert page.status_code == 200
    assert "<code>address_line1</code>" in page.text

    bad = _upload(client, csrf, BAD_CSV)
    assert bad.status_code == 422
    report = re.findall(
        r'<tr><td class="num">(\d+)</td><td><code>(\w+)</code></td><td>([^<]+)</td></tr>', bad.text
    )
    assert [(row, column) for row, column, _ in report] == [
        ("3", "name"),
        ("4", "vat_number"),
        ("4", "email"),
    ]
    assert report[0][2] == "Give the customer a name."
    assert "3 problems in the file" in bad.text
    assert 'name="text"' not in bad.text

    preview = _upload(client, csrf, GOOD_CSV)
    assert preview.status_code == 200
    assert "Ready to import 2 customers" in preview.text
    assert "Boulangerie Paul" in preview.text and "MUSTER" in preview.text
    text = _value_of_name(preview.text, "text")
    assert text == GOOD_CSV
    assert _api(client, owner, "customers")["items"] == []

    # Sent back as a browser sends a field's lines: CRLF.
    done = client.post(
        "/sales/customers/import",
        data={"csrf_token": csrf, "action": "import", "text": text.replace("\n", "\r\n")},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/sales/customers?notice=imported"
    listed = client.get(done.headers["location"])
    assert "The customers are imported." in listed.text
    assert sorted(_names_listed(listed.text)) == ["Boulangerie Paul", "Muster GmbH"]
    paul = _api(client, owner, "customers?q=paul")["items"][0]
    assert paul["notes"] == "Door code 1234\nRing twice"

    # The same file again: its code is taken now, and nothing more is created.
    again = client.post(
        "/sales/customers/import", data={"csrf_token": csrf, "action": "import", "text": text}
    )
    assert again.status_code == 422
    assert "taken by Muster GmbH" in again.text
    assert len(_api(client, owner, "customers")["items"]) == 2


def _value_of_name(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no field {name}"
    return unescape(match.group(1))


def test_import_refuses_what_is_not_a_file_of_parties(
    client: TestClient, csrf: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    nothing = client.post(
        "/purchases/suppliers/import", data={"csrf_token": csrf, "action": "preview"}
    )
    assert nothing.status_code == 422
    assert _error_beside(nothing.text, "f-file") == "Choose a CSV file to import."
    unknown = _upload(client, csrf, "name,shoe_size\nX,42\n", "suppliers")
    assert unknown.status_code == 422
    assert "Unknown column: shoe_size" in _error_beside(unknown.text, "f-file")
    monkeypatch.setattr(transfer, "MAX_FILE_BYTES", 40)
    large = _upload(client, csrf, GOOD_CSV, "suppliers")
    assert large.status_code == 422
    assert _error_beside(large.text, "f-file").startswith("At most")
    carried = client.post(
        "/purchases/suppliers/import",
        data={"csrf_token": csrf, "action": "import", "text": GOOD_CSV},
    )
    assert carried.status_code == 422
    assert "At most" in _error_beside(carried.text, "f-file")


def test_export_downloads_the_csv(client: TestClient, owner: Account, csrf: str) -> None:
    _create(client, owner, {"name": "Boulangerie Paul", "email": "paul@example.fr"})
    _create(client, owner, {"name": "Papeterie"}, "suppliers")
    exported = client.get("/sales/customers/export")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["content-disposition"] == 'attachment; filename="customers.csv"'
    lines = exported.text.splitlines()
    assert lines[0].startswith("code,name,kind,email")
    assert lines[1].startswith("C00001,Boulangerie Paul,company,paul@example.fr")
    assert len(lines) == 2
    suppliers = client.get("/purchases/suppliers/export")
    assert 'filename="suppliers.csv"' in suppliers.headers["content-disposition"]
    assert "Papeterie" in suppliers.text


# -- who may do what ---------------------------------------------------------------------


@pytest.fixture
def viewer_client(app: Any, client: TestClient, owner: Account) -> Iterator[TestClient]:
    """A second browser, logged in as a viewer of the owner's organization."""
    accept_new(client, invite(client, owner, "val@example.com", role="viewer"))
    with TestClient(app) as browser:
        web_login(browser, "val@example.com", owner.password)
        yield browser


def test_a_viewer_sees_but_cannot_change(
    client: TestClient, owner: Account, viewer_client: TestClient
) -> None:
    acme = _create(client, owner, {"name": "Acme"})
    listed = viewer_client.get("/sales/customers")
    assert listed.status_code == 200
    assert _names_listed(listed.text) == ["Acme"]
    assert "Export CSV" in listed.text
    assert "/sales/customers/new" not in listed.text
    assert "/sales/customers/import" not in listed.text
    detail = viewer_client.get(f"/sales/customers/{acme['id']}")
    assert detail.status_code == 200
    assert "/edit" not in detail.text and "/delete" not in detail.text
    assert "Archive the customer" not in detail.text
    assert viewer_client.get("/sales/customers/export").status_code == 200

    csrf = viewer_client.cookies.get("comptoir_csrf")
    assert csrf
    for path in (
        "/sales/customers/new",
        f"/sales/customers/{acme['id']}/edit",
        "/sales/customers/import",
    ):
        refused = viewer_client.get(path)
        assert refused.status_code == 403, path
        assert "does not include it" in refused.text
    for path in (
        "/sales/customers/new",
        f"/sales/customers/{acme['id']}/edit",
        f"/sales/customers/{acme['id']}/archive",
        f"/sales/customers/{acme['id']}/delete",
        "/sales/customers/import",
    ):
        refused = viewer_client.post(path, data={**_form(name="Sneaky"), "csrf_token": csrf})
        assert refused.status_code == 403, path
    assert [p["name"] for p in _api(client, owner, "customers")["items"]] == ["Acme"]


def test_anonymous_visitors_are_sent_to_log_in(client: TestClient) -> None:
    response = client.get("/sales/customers", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsales%2Fcustomers"


def test_other_organizations_ids_and_the_other_role_answer_404(
    client: TestClient, owner: Account, csrf: str
) -> None:
    theirs = register(client, organization_name="Theirs SARL")
    their_customer = _create(client, theirs, {"name": "Theirs"})
    supplier = _create(client, owner, {"name": "Only A Supplier"}, "suppliers")
    for path in (
        f"/sales/customers/{their_customer['id']}",
        f"/sales/customers/{their_customer['id']}/edit",
        f"/sales/customers/{supplier['id']}",
        f"/sales/customers/{supplier['id']}/edit",
        "/sales/customers/not-an-id",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.text
    for action in ("archive", "delete", "edit"):
        response = client.post(
            f"/sales/customers/{their_customer['id']}/{action}",
            data=_form(csrf_token=csrf, name="Mine now"),
        )
        assert response.status_code == 404, action
    assert _api(client, theirs, f"customers/{their_customer['id']}")["name"] == "Theirs"
    assert client.get(f"/purchases/suppliers/{supplier['id']}").status_code == 200
