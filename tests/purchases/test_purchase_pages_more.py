"""The pages for reimbursing employees, supplier credit notes and allocating advances,
driven as a browser posts its forms: field errors beside the fields, states moved and
entries posted."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, Account, register
from tests.identity.test_members import accept_new, bearer, invite
from tests.parties.test_pages import web_login
from tests.purchases.expense_helpers import entry_lines, set_rules, submitted
from tests.purchases.helpers import bill, bill_lines, supplier
from tests.purchases.test_supplier_payments import pay

AUTO = [{"up_to": None, "steps": []}]


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'id="f-{re.escape(field)}-error"[^>]*>.*?<span>(.*?)</span>', html, re.S)
    assert found, f"no error beside {field}"
    return unescape(found.group(1))


def _id_from(response: Any) -> str:
    location = response.headers["location"]
    found = re.search(r"/purchases/[\w-]+/([0-9a-f-]{36})", location)
    assert found, location
    return found.group(1)


def _api(client: TestClient, owner: Account, path: str) -> dict[str, Any]:
    response = client.get(path, headers=owner.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


# -- reimbursements -------------------------------------------------------------------------


def test_reimbursing_an_employee_from_the_pages(client: TestClient, owner: Account) -> None:
    set_rules(client, owner, AUTO)
    taxi = submitted(client, owner, paid_by="employee", amount="12.00")
    hotel = submitted(client, owner, paid_by="employee", amount="30.00", tax_code=None)
    assert taxi["status"] == hotel["status"] == "posted"
    csrf = web_login(client, owner)
    listing = client.get("/purchases/reimbursements")
    assert listing.status_code == 200
    assert 'href="/purchases/reimbursements"' in listing.text
    assert "2 expenses paid personally are waiting to be reimbursed." in listing.text
    expense_page = client.get(f"/purchases/expenses/{taxi['id']}")
    link = f"/purchases/reimbursements/new?employee={owner.user_id}&amp;expense={taxi['id']}"
    assert link in expense_page.text
    assert 'href="/purchases/reimbursements/new"' in client.get("/purchases/expenses").text
    # The only member owed is chosen, and all they are owed in the currency is ticked.
    form = client.get("/purchases/reimbursements/new")
    assert form.status_code == 200
    assert "42.00 EUR" in unescape(form.text)
    assert f'value="{taxi["id"]}" checked' in form.text
    assert f'value="{hotel["id"]}" checked' in form.text
    # From the expense's page only that expense is ticked.
    one = client.get(unescape(link))
    assert f'value="{taxi["id"]}" checked' in one.text
    assert f'value="{hotel["id"]}" checked' not in one.text
    values = {
        "csrf_token": csrf,
        "employee": owner.user_id,
        "date": "2026-03-31",
        "account": "512",
        "method": "bank_transfer",
        "reference": "VIR-0331",
        "action": "record",
    }
    early = client.post(
        "/purchases/reimbursements/new",
        data={**values, "date": "2026-03-01", "expense": [taxi["id"], hotel["id"]]},
    )
    assert early.status_code == 422
    assert "On or after the date" in _field_error(early.text, "date")
    assert f'value="{hotel["id"]}" checked' in early.text
    none = client.post("/purchases/reimbursements/new", data=values)
    assert none.status_code == 422
    assert _field_error(none.text, "expenses") == "Tick the expenses to reimburse."
    done = client.post(
        "/purchases/reimbursements/new",
        data={**values, "expense": [taxi["id"], hotel["id"]]},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    reimbursement_id = _id_from(done)
    page = client.get(done.headers["location"])
    assert "The reimbursement is recorded and posted" in page.text
    assert f'href="/purchases/expenses/{taxi["id"]}"' in page.text
    assert f'href="/purchases/expenses/{hotel["id"]}"' in page.text
    assert "42.00" in page.text and "VIR-0331" in page.text
    paid = _api(client, owner, f"/api/v1/expense-reimbursements/{reimbursement_id}")
    assert sorted(entry_lines(client, owner, paid["entry_id"])) == [
        ("421", "12.00", "0.00"),
        ("421", "30.00", "0.00"),
        ("512", "0.00", "42.00"),
    ]
    assert _api(client, owner, f"/api/v1/expenses/{taxi['id']}")["status"] == "reimbursed"
    after = client.get(f"/purchases/expenses/{taxi['id']}")
    assert f'href="/purchases/reimbursements/{reimbursement_id}"' in after.text
    assert "/purchases/reimbursements/new?employee" not in after.text
    assert reimbursement_id in client.get("/purchases/reimbursements").text
    # Reimbursed once: the same expenses again are refused beside the list.
    twice = client.post("/purchases/reimbursements/new", data={**values, "expense": [taxi["id"]]})
    assert twice.status_code == 422
    assert "Nobody is waiting to be reimbursed." in twice.text
    assert "This expense is reimbursed, not awaiting reimbursement." in twice.text


def test_only_approver_roles_reimburse(client: TestClient, owner: Account) -> None:
    set_rules(client, owner, AUTO)
    body = accept_new(client, invite(client, owner, "sales-member@example.com", "sales"), "Sam")
    mine = submitted(client, bearer(body), paid_by="employee", amount="20.00")
    assert mine["status"] == "posted"
    web_login(client, "sales-member@example.com", PASSWORD)
    assert client.get("/purchases/reimbursements/new").status_code == 403
    page = client.get(f"/purchases/expenses/{mine['id']}")
    assert "/purchases/reimbursements/new" not in page.text
    assert 'href="/purchases/reimbursements/new"' not in client.get("/purchases/expenses").text
    assert client.get("/purchases/reimbursements").status_code == 200


def test_choosing_the_employee_without_a_script(client: TestClient, owner: Account) -> None:
    set_rules(client, owner, AUTO)
    body = accept_new(client, invite(client, owner, "sales-member@example.com", "sales"), "Sam")
    theirs = submitted(client, bearer(body), paid_by="employee", amount="20.00")
    mine = submitted(client, owner, paid_by="employee", amount="8.00")
    csrf = web_login(client, owner)
    form = client.get("/purchases/reimbursements/new")
    assert "Choose who is reimbursed" in form.text
    assert 'name="expense"' not in form.text
    missing = client.post(
        "/purchases/reimbursements/new", data={"csrf_token": csrf, "action": "record"}
    )
    assert missing.status_code == 422
    assert _field_error(missing.text, "employee") == "Choose who is reimbursed."
    shown = client.post(
        "/purchases/reimbursements/new",
        data={"csrf_token": csrf, "action": "employee", "employee": str(body["user"]["id"])},
    )
    assert shown.status_code == 200
    assert f'value="{theirs["id"]}" checked' in shown.text
    assert mine["id"] not in shown.text


# -- supplier credit notes ------------------------------------------------------------------


def test_a_credit_note_against_a_bill_from_its_page(client: TestClient, owner: Account) -> None:
    martin = supplier(client, owner)
    posted = bill(client, owner, martin["id"])
    csrf = web_login(client, owner)
    bill_page = client.get(f"/purchases/bills/{posted['id']}")
    assert f'href="/purchases/credit-notes/new?bill={posted["id"]}"' in bill_page.text
    form = client.get(f"/purchases/credit-notes/new?bill={posted['id']}")
    assert form.status_code == 200
    assert 'value="Office supplies"' in form.text
    assert f'<option value="{posted["id"]}" selected' in form.text
    values = {
        "csrf_token": csrf,
        "supplier": martin["id"],
        "bill": posted["id"],
        "supplier_number": "",
        "issue_date": "2026-02-05",
        "rows": "1",
        "lines.0.description": "Office supplies",
        "lines.0.quantity": "1",
        "lines.0.unit_price": "100.00",
        "lines.0.tax_code": "FR-20",
        "lines.0.account": "606",
    }
    unnumbered = client.post("/purchases/credit-notes/new", data={**values, "action": "post"})
    assert unnumbered.status_code == 422
    assert _field_error(unnumbered.text, "supplier_number")
    assert 'value="Office supplies"' in unnumbered.text
    saved = client.post(
        "/purchases/credit-notes/new",
        data={**values, "supplier_number": "AV-1", "action": "save"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    credit_note_id = _id_from(saved)
    draft = client.get(saved.headers["location"])
    assert "Draft" in draft.text
    assert f'action="/purchases/credit-notes/{credit_note_id}/post"' in draft.text
    assert f'href="/purchases/bills/{posted["id"]}"' in draft.text
    done = client.post(
        f"/purchases/credit-notes/{credit_note_id}/post",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    page = client.get(done.headers["location"])
    assert "The credit note is posted" in page.text
    assert "all of it used" in page.text
    credited = _api(client, owner, f"/api/v1/supplier-credit-notes/{credit_note_id}")
    assert credited["status"] == "posted" and credited["entry_id"]
    assert _api(client, owner, f"/api/v1/bills/{posted['id']}")["status"] == "paid"
    again = client.post(f"/purchases/credit-notes/{credit_note_id}/post", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert "only a draft is posted" in unescape(again.text)
    listing = client.get("/purchases/credit-notes")
    assert listing.status_code == 200
    assert "AV-1" in listing.text and f"Bill {posted['supplier_number']}" in listing.text
    # The bill is credited in full: crediting it again is refused above the lines.
    beyond = client.post(
        "/purchases/credit-notes/new", data={**values, "supplier_number": "AV-2", "action": "post"}
    )
    assert beyond.status_code == 422
    assert "can be credited for at most 0.00" in _field_error(beyond.text, "lines")
    assert "AV-2" not in client.get("/purchases/credit-notes").text


def test_copying_a_bill_s_lines_without_a_script(client: TestClient, owner: Account) -> None:
    martin = supplier(client, owner)
    posted = bill(client, owner, martin["id"], lines=bill_lines("75.00"))
    csrf = web_login(client, owner)
    base = {"csrf_token": csrf, "supplier": martin["id"], "issue_date": "2026-02-05", "rows": "0"}
    listed = client.post("/purchases/credit-notes/new", data={**base, "action": "supplier"})
    assert listed.status_code == 200
    assert f'<option value="{posted["id"]}"' in listed.text
    nothing = client.post("/purchases/credit-notes/new", data={**base, "action": "copy"})
    assert nothing.status_code == 422
    assert _field_error(nothing.text, "bill") == "Choose the bill to copy the lines of."
    copied = client.post(
        "/purchases/credit-notes/new", data={**base, "action": "copy", "bill": posted["id"]}
    )
    assert copied.status_code == 200
    assert 'value="75.00"' in copied.text and 'value="Office supplies"' in copied.text


def test_a_standalone_credit_note_is_applied_from_its_page(
    client: TestClient, owner: Account
) -> None:
    martin = supplier(client, owner)
    first = bill(client, owner, martin["id"], supplier_number="F-A")
    second = bill(client, owner, martin["id"], supplier_number="F-B")
    csrf = web_login(client, owner)
    created = client.post(
        "/purchases/credit-notes/new",
        data={
            "csrf_token": csrf,
            "action": "post",
            "supplier": martin["id"],
            "bill": "",
            "supplier_number": "AV-9",
            "issue_date": "2026-02-05",
            "rows": "2",
            "lines.0.description": "Goodwill",
            "lines.0.quantity": "1",
            "lines.0.unit_price": "150.00",
            "lines.0.tax_code": "FR-20",
            "lines.0.account": "606",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    credit_note_id = _id_from(created)
    page = client.get(created.headers["location"])
    assert "180.00" in page.text
    assert f'name="apply.{first["id"]}"' in page.text
    assert f'name="apply.{second["id"]}"' in page.text
    url = f"/purchases/credit-notes/{credit_note_id}/apply"
    too_much = client.post(
        url, data={"csrf_token": csrf, f"apply.{first['id']}": "130.00", "date": "2026-02-06"}
    )
    assert too_much.status_code == 422
    assert "is due on bill F-A" in _field_error(too_much.text, f"apply.{first['id']}")
    over = client.post(
        url,
        data={
            "csrf_token": csrf,
            f"apply.{first['id']}": "120.00",
            f"apply.{second['id']}": "70.00",
        },
    )
    assert over.status_code == 422
    assert "is left on this credit note" in _field_error(over.text, "allocations")
    nothing_written = _api(client, owner, f"/api/v1/bills/{first['id']}")
    assert nothing_written["status"] == "posted"
    applied = client.post(
        url,
        data={
            "csrf_token": csrf,
            f"apply.{first['id']}": "120.00",
            f"apply.{second['id']}": "50,00",
            "date": "2026-02-06",
        },
        follow_redirects=False,
    )
    assert applied.status_code == 303, applied.text
    after = client.get(applied.headers["location"])
    assert "The credit is applied to the bills." in after.text
    assert "10.00 left to apply or to be refunded" in after.text
    assert _api(client, owner, f"/api/v1/bills/{first['id']}")["status"] == "paid"
    partly = _api(client, owner, f"/api/v1/bills/{second['id']}")
    assert (partly["status"], partly["amount_due"]) == ("partially_paid", "70.00")


def test_a_draft_credit_note_is_edited_and_deleted(client: TestClient, owner: Account) -> None:
    martin = supplier(client, owner)
    csrf = web_login(client, owner)
    form = {
        "csrf_token": csrf,
        "action": "save",
        "supplier": martin["id"],
        "supplier_number": "AV-2",
        "issue_date": "2026-02-05",
        "rows": "1",
        "lines.0.description": "Returned chairs",
        "lines.0.quantity": "2",
        "lines.0.unit_price": "40.00",
        "lines.0.tax_code": "FR-20",
        "lines.0.account": "606",
    }
    created = client.post("/purchases/credit-notes/new", data=form, follow_redirects=False)
    assert created.status_code == 303, created.text
    credit_note_id = _id_from(created)
    edit = client.get(f"/purchases/credit-notes/{credit_note_id}/edit")
    assert edit.status_code == 200
    assert 'value="Returned chairs"' in edit.text
    assert f'action="/purchases/credit-notes/{credit_note_id}/edit"' in edit.text
    wrong = client.post(
        f"/purchases/credit-notes/{credit_note_id}/edit",
        data={**form, "lines.0.account": "999999"},
    )
    assert wrong.status_code == 422
    assert _field_error(wrong.text, "lines.0.account")
    changed = client.post(
        f"/purchases/credit-notes/{credit_note_id}/edit",
        data={**form, "lines.0.quantity": "3"},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert _api(client, owner, f"/api/v1/supplier-credit-notes/{credit_note_id}")["gross"] == (
        "144.00"
    )
    deleted = client.post(
        f"/purchases/credit-notes/{credit_note_id}/delete",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert deleted.status_code == 303
    assert "The draft credit note is deleted." in client.get(deleted.headers["location"]).text
    assert client.get(f"/purchases/credit-notes/{credit_note_id}").status_code == 404


# -- advances -------------------------------------------------------------------------------


def test_an_advance_is_allocated_from_the_payment_page(client: TestClient, owner: Account) -> None:
    martin = supplier(client, owner)
    advance = pay(client, owner, martin["id"], "500.00", [], on="2026-01-20")
    posted = bill(client, owner, martin["id"], lines=bill_lines("300.00"), supplier_number="F-1")
    csrf = web_login(client, owner)
    page = client.get(f"/purchases/payments/{advance['id']}")
    assert "Allocate to bills" in page.text
    assert f'name="pay.{posted["id"]}"' in page.text
    url = f"/purchases/payments/{advance['id']}/allocate"
    too_much = client.post(url, data={"csrf_token": csrf, f"pay.{posted['id']}": "400.00"})
    assert too_much.status_code == 422
    assert "is due on bill F-1" in _field_error(too_much.text, f"pay.{posted['id']}")
    bad_date = client.post(
        url, data={"csrf_token": csrf, f"pay.{posted['id']}": "10", "date": "31/01/2026"}
    )
    assert bad_date.status_code == 422
    assert _field_error(bad_date.text, "date") == "A date such as 2026-01-31."
    nothing = client.post(url, data={"csrf_token": csrf})
    assert nothing.status_code == 422
    assert _field_error(nothing.text, "allocations")
    done = client.post(
        url,
        data={"csrf_token": csrf, f"pay.{posted['id']}": "360.00", "date": "2026-02-10"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    after = client.get(done.headers["location"])
    assert "The advance is allocated to the bills." in after.text
    assert "140.00" in after.text
    assert _api(client, owner, f"/api/v1/bills/{posted['id']}")["status"] == "paid"
    assert _api(client, owner, f"/api/v1/supplier-payments/{advance['id']}")["allocated"] == (
        "360.00"
    )


def test_other_organizations_pages_are_unknown(client: TestClient, owner: Account) -> None:
    set_rules(client, owner, AUTO)
    martin = supplier(client, owner)
    posted = bill(client, owner, martin["id"])
    expense = submitted(client, owner, paid_by="employee", amount="9.00")
    paid = client.post(
        "/api/v1/expense-reimbursements",
        headers=owner.headers,
        json={"employee": owner.user_id, "expenses": [expense["id"]], "date": "2026-03-31"},
    )
    assert paid.status_code == 201, paid.text
    credit = client.post(
        "/api/v1/supplier-credit-notes",
        headers=owner.headers,
        json={"bill": posted["id"], "supplier_number": "AV-1", "issue_date": "2026-02-05"},
    )
    assert credit.status_code == 201, credit.text
    advance = pay(client, owner, martin["id"], "50.00", [])
    other = register(client, "other@example.com", organization_name="Autre")
    csrf = web_login(client, other)
    for path in (
        f"/purchases/reimbursements/{paid.json()['id']}",
        f"/purchases/credit-notes/{credit.json()['id']}",
        f"/purchases/credit-notes/{credit.json()['id']}/edit",
        f"/purchases/credit-notes/new?bill={posted['id']}",
    ):
        response = client.get(path)
        if path.endswith(posted["id"]):
            assert response.status_code == 200
            assert "Office supplies" not in response.text
        else:
            assert response.status_code == 404, path
    for path in (
        f"/purchases/credit-notes/{credit.json()['id']}/post",
        f"/purchases/credit-notes/{credit.json()['id']}/apply",
        f"/purchases/payments/{advance['id']}/allocate",
    ):
        assert client.post(path, data={"csrf_token": csrf}).status_code == 404, path
    assert client.get("/purchases/credit-notes/not-an-id").status_code == 404
