"""The catalog's pages: the list with its search and empty state, the form with its errors
beside the fields, the detail page, deactivate and delete, the CSV import's preview and
per-row report, the export, and what a viewer may not do."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, Account
from tests.identity.test_members import accept_new, invite

FORM = {
    "sku": "",
    "name": "Consulting, per hour",
    "kind": "service",
    "unit": "hour",
    "unit_price": "1 200,5",
    "currency": "EUR",
    "tax_category": "standard",
    "income_account": "706",
    "expense_account": "",
    "description": "Senior consultant.",
}


def web_login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the form, as a browser would; returns the CSRF token to post with."""
    client.get("/login")
    csrf = client.cookies.get("comptoir_csrf")
    assert csrf
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code in {302, 303}, response.text
    return csrf


@pytest.fixture
def csrf(client: TestClient, owner: Account) -> str:
    return web_login(client, owner.email)


def _post(client: TestClient, path: str, csrf: str, data: dict[str, str] | None = None) -> Any:
    return client.post(path, data={**(data or {}), "csrf_token": csrf}, follow_redirects=False)


def _product(client: TestClient, owner: Account, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/products", headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_the_empty_list_invites_to_add_or_import(client: TestClient, csrf: str) -> None:
    page = client.get("/sales/products")
    assert page.status_code == 200
    assert "No products or services yet." in page.text
    assert 'href="/sales/products/new"' in page.text
    assert 'href="/sales/products/import"' in page.text
    assert 'aria-current="page"' in page.text and "Products &amp; services" in page.text


def test_the_list_searches_filters_and_pages(client: TestClient, owner: Account, csrf: str) -> None:
    for index in range(53):
        _product(client, owner, {"name": f"Item {index:02d}", "unit_price": "9.5"})
    _product(client, owner, {"name": "Recycled paper", "kind": "goods", "unit": "ream"})
    retired = _product(client, owner, {"name": "Fax service"})
    client.patch(f"/api/v1/products/{retired['id']}", headers=owner.headers, json={"active": False})
    first = client.get("/sales/products")
    assert first.text.count('class="row-link"') == 50
    assert "9.50" in first.text and "Fax service" not in first.text
    following = re.search(r'href="(/sales/products\?cursor=[^"]+)"', first.text)
    assert following
    second = client.get(following.group(1).replace("&amp;", "&"))
    assert second.text.count('class="row-link"') == 4
    assert "Recycled paper" in second.text and "First page" in second.text

    found = client.get("/sales/products?q=recycled")
    assert found.text.count('class="row-link"') == 1 and "/ ream" in found.text
    assert client.get("/sales/products?kind=goods").text.count('class="row-link"') == 1
    inactive = client.get("/sales/products?status=inactive")
    assert inactive.text.count('class="row-link"') == 1 and "Inactive" in inactive.text
    nothing = client.get("/sales/products?q=zzz")
    assert "No product matches" in nothing.text
    # A mangled cursor starts the list again rather than failing.
    assert client.get("/sales/products?cursor=%%%", follow_redirects=False).status_code == 303


def test_a_product_is_added_shown_changed_and_deleted(
    client: TestClient, owner: Account, csrf: str
) -> None:
    form = client.get("/sales/products/new")
    assert form.status_code == 200
    # The chart's account for sales of services (the default kind) is chosen already.
    assert re.search(r'<option value="706"[^>]*selected', form.text)
    assert re.search(r'<option value="EUR"[^>]*selected', form.text)
    assert "607 · Achats de marchandises" in form.text  # offered for purchases
    assert '<option value="607"' not in form.text.split('id="f-expense_account"')[0]

    created = _post(client, "/sales/products/new", csrf, FORM)
    assert created.status_code == 303, created.text
    detail_url = created.headers["location"]
    assert detail_url.endswith("?notice=created")
    detail = client.get(detail_url)
    assert "The product is added." in detail.text
    assert "P-00001" in detail.text and "1\u202f200.50 EUR per hour" in detail.text
    assert "706" in detail.text and "Senior consultant." in detail.text
    product_id = detail_url.split("/")[3].split("?")[0]

    edit = client.get(f"/sales/products/{product_id}/edit")
    assert 'value="1200.50"' in edit.text and 'value="P-00001"' in edit.text
    saved = _post(
        client,
        f"/sales/products/{product_id}/edit",
        csrf,
        {**FORM, "sku": "CONSULT", "unit_price": "0.125", "expense_account": "604"},
    )
    assert saved.status_code == 303, saved.text
    api = client.get(f"/api/v1/products/{product_id}", headers=owner.headers).json()
    assert (api["sku"], api["unit_price"], api["expense_account"]) == ("CONSULT", "0.125", "604")
    assert "0.125" in client.get(f"/sales/products/{product_id}").text

    off = _post(client, f"/sales/products/{product_id}/deactivate", csrf)
    assert off.status_code == 303
    page = client.get(off.headers["location"])
    assert "The product is deactivated" in page.text and "Reactivate" in page.text
    assert "Consulting" not in client.get("/sales/products").text
    on = _post(client, f"/sales/products/{product_id}/reactivate", csrf)
    assert "The product is active again." in client.get(on.headers["location"]).text

    gone = _post(client, f"/sales/products/{product_id}/delete", csrf)
    assert gone.headers["location"] == "/sales/products?notice=deleted"
    assert "The product is deleted." in client.get(gone.headers["location"]).text
    assert client.get(f"/sales/products/{product_id}").status_code == 404


def test_the_form_shows_each_error_beside_its_field(
    client: TestClient, owner: Account, csrf: str
) -> None:
    _product(client, owner, {"name": "Existing", "sku": "TAKEN"})
    refused = _post(
        client,
        "/sales/products/new",
        csrf,
        {
            **FORM,
            "name": "",
            "unit_price": "-3",
            "tax_category": "",
            "income_account": "607",
            "currency": "XYZ",
        },
    )
    assert refused.status_code == 422
    text = refused.text
    assert "Please correct the 5 fields marked below." in text
    for field, message in [
        ("name", "Give the product a name."),
        ("unit_price", "Between 0 and"),
        ("tax_category", "Choose a tax category."),
        ("currency", "A three-letter currency code"),
        ("income_account", "607 is an expense account; choose an income account."),
    ]:
        error = re.search(rf'<p class="field-error" id="f-{field}-error">.*?</p>', text, re.S)
        assert error and message in error.group(0), field
        assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', text), field
    # What was typed stays in the form.
    assert 'value="-3"' in text and "Senior consultant." in text

    taken = _post(client, "/sales/products/new", csrf, {**FORM, "sku": "TAKEN"})
    assert taken.status_code == 409
    assert re.search(r'id="f-sku-error">.*?TAKEN is the SKU of Existing', taken.text, re.S)
    precise = _post(client, "/sales/products/new", csrf, {**FORM, "unit_price": "1.1234567"})
    assert precise.status_code == 422 and "At most 6 decimal places." in precise.text
    assert client.get("/api/v1/products", headers=owner.headers).json()["items"][1:] == []


def test_import_previews_then_imports(client: TestClient, owner: Account, csrf: str) -> None:
    text = "name,sku,unit_price,kind\nPaper,PAPER,4.125,goods\nAdvice,,90,\n"
    checked = client.post(
        "/sales/products/import",
        data={"csrf_token": csrf, "action": "check"},
        files={"file": ("products.csv", text.encode(), "text/csv")},
    )
    assert checked.status_code == 200, checked.text
    assert "2 products will be created" in checked.text
    assert "next free" in checked.text and "4.125" in checked.text
    assert client.get("/api/v1/products", headers=owner.headers).json()["items"] == []
    content = re.search(r'name="content" value="([^"]*)"', checked.text, re.S)
    assert content
    sent = content.group(1).replace("&#34;", '"').replace("&amp;", "&")
    done = _post(client, "/sales/products/import", csrf, {"action": "import", "content": sent})
    assert done.status_code == 303 and done.headers["location"].endswith("notice=imported")
    names = [
        p["name"] for p in client.get("/api/v1/products", headers=owner.headers).json()["items"]
    ]
    assert names == ["Advice", "Paper"]

    exported = client.get("/sales/products/export")
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text.startswith("sku,name,description,kind")
    assert "PAPER,Paper,,goods,,4.125,EUR,standard,707,,true" in exported.text


def test_import_reports_every_row_and_imports_nothing(
    client: TestClient, owner: Account, csrf: str
) -> None:
    bad = "name,unit_price,tax_category\nGood,1,\n,2,\nBad,-1,luxury\n"
    report = client.post(
        "/sales/products/import",
        data={"csrf_token": csrf, "action": "check"},
        files={"file": ("products.csv", bad.encode(), "text/csv")},
    )
    assert report.status_code == 422
    assert "The file has 3 problems; nothing was imported." in report.text
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td><code>(\w+)</code></td>', report.text)
    assert rows == [("3", "name"), ("4", "unit_price"), ("4", "tax_category")]
    # The confirmation re-checks what it is sent: no shortcut past the checks.
    forced = _post(client, "/sales/products/import", csrf, {"action": "import", "content": bad})
    assert forced.status_code == 422
    no_file = _post(client, "/sales/products/import", csrf, {"action": "check"})
    assert no_file.status_code == 422 and "Choose a CSV file to import." in no_file.text
    unknown = client.post(
        "/sales/products/import",
        data={"csrf_token": csrf, "action": "check"},
        files={"file": ("p.csv", b"name,colour\nX,red\n", "text/csv")},
    )
    assert unknown.status_code == 422 and "Unknown column: colour." in unknown.text
    assert client.get("/api/v1/products", headers=owner.headers).json()["items"] == []


def test_a_delete_refused_explains_itself(
    client: TestClient, owner: Account, csrf: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from comptoir.catalog.service import products

    sold = _product(client, owner, {"name": "On an invoice"})
    monkeypatch.setattr(products, "USED_BY", [lambda session, product_id: True])
    refused = _post(client, f"/sales/products/{sold['id']}/delete", csrf)
    assert refused.status_code == 409
    assert "deactivate it instead" in refused.text
    assert client.get(f"/api/v1/products/{sold['id']}", headers=owner.headers).status_code == 200


def test_a_viewer_sees_the_catalog_but_cannot_change_it(client: TestClient, owner: Account) -> None:
    paper = _product(client, owner, {"name": "Paper"})
    accept_new(client, invite(client, owner, "viewer@example.net", "viewer"))
    csrf = web_login(client, "viewer@example.net")
    listing = client.get("/sales/products")
    assert listing.status_code == 200 and "Paper" in listing.text
    assert 'href="/sales/products/new"' not in listing.text
    detail = client.get(f"/sales/products/{paper['id']}")
    assert detail.status_code == 200 and "Deactivate" not in detail.text
    assert client.get("/sales/products/new").status_code == 403
    assert client.get("/sales/products/import").status_code == 403
    for path in (
        "new",
        f"{paper['id']}/edit",
        f"{paper['id']}/deactivate",
        f"{paper['id']}/delete",
    ):
        response = _post(client, f"/sales/products/{path}", csrf, FORM)
        assert response.status_code == 403, path
        assert response.headers["content-type"].startswith("text/html")
    assert client.get(f"/api/v1/products/{paper['id']}", headers=owner.headers).json()["active"]


def test_pages_need_a_login(client: TestClient) -> None:
    response = client.get("/sales/products", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
