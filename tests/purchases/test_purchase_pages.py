"""The purchases pages: expenses, their receipts, the approvals inbox and bills, driven as a
browser posts its forms."""

from __future__ import annotations

import io
import re
from html import unescape
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import PASSWORD, Account, register
from tests.identity.test_members import accept_new, bearer, invite
from tests.parties.test_pages import web_login
from tests.purchases.helpers import bill, bill_lines, supplier


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 180, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'id="f-{field}-error">.*?<span>(.*?)</span>', html, re.S)
    assert found, f"no error beside {field}"
    return unescape(found.group(1))


def _id_from(response: Any) -> str:
    location = response.headers["location"]
    found = re.search(r"/purchases/\w+/([0-9a-f-]{36})", location)
    assert found, location
    return found.group(1)


def _expense_form(**fields: str) -> dict[str, str]:
    return {
        "date": "2026-03-02",
        "supplier_name": "Taxi Bleu",
        "description": "Taxi to the client",
        "amount": "12.00",
        "currency": "EUR",
        "tax_code": "FR-20",
        "category": "travel",
        "paid_by": "company",
        "account": "512",
        "project": "",
        "note": "",
    } | fields


def _staff(client: TestClient, owner: Account, role: str = "sales") -> dict[str, Any]:
    body = accept_new(
        client, invite(client, owner, f"{role}-member@example.com", role), "Sam Staff"
    )
    return {"email": f"{role}-member@example.com", "headers": bearer(body)}


def _one_step_rule(client: TestClient, owner: Account, kind: str = "expense") -> None:
    response = client.put(
        f"/api/v1/approval-rules/{kind}",
        headers=owner.headers,
        json={"rules": [{"up_to": None, "steps": ["admin"]}]},
    )
    assert response.status_code == 200, response.text


def test_expense_pages_render_and_show_field_errors(client: TestClient, owner: Account) -> None:
    csrf = web_login(client, owner)
    listing = client.get("/purchases/expenses")
    assert listing.status_code == 200
    assert "No expenses yet." in listing.text
    assert 'href="/purchases/approvals"' in listing.text
    form = client.get("/purchases/expenses/new")
    assert form.status_code == 200
    assert 'capture="environment"' in form.text
    assert 'accept="image/*,application/pdf"' in form.text
    wrong = client.post(
        "/purchases/expenses/new",
        data={"csrf_token": csrf, **_expense_form(amount="-3", description="", category="")},
    )
    assert wrong.status_code == 422
    assert _field_error(wrong.text, "description")
    assert _field_error(wrong.text, "amount")
    assert _field_error(wrong.text, "category")
    assert 'value="Taxi Bleu"' in wrong.text
    bad_file = client.post(
        "/purchases/expenses/new",
        data={"csrf_token": csrf, **_expense_form()},
        files={"file": ("receipt.jpg", b"just some text, not a photo", "image/jpeg")},
    )
    assert bad_file.status_code == 422
    assert _field_error(bad_file.text, "file")
    assert "No expenses yet." in client.get("/purchases/expenses").text


def test_an_expense_with_its_receipt_goes_through_approval(
    client: TestClient, owner: Account
) -> None:
    _one_step_rule(client, owner)
    staff = _staff(client, owner)
    csrf = web_login(client, staff["email"], PASSWORD)
    created = client.post(
        "/purchases/expenses/new",
        data={"csrf_token": csrf, "action": "submit", **_expense_form()},
        files={"file": ("ticket.png", png(), "image/png")},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    expense_id = _id_from(created)
    page = client.get(created.headers["location"])
    assert "The expense is submitted for approval." in page.text
    assert "Awaiting approval" in page.text
    assert "ticket.png" in page.text
    assert "/files/" in page.text and "/thumbnail?" in page.text
    # The staff member who submitted it has no approve button, and cannot approve.
    assert f'action="/purchases/expenses/{expense_id}/approve"' not in page.text
    refused = client.post(f"/purchases/expenses/{expense_id}/approve", data={"csrf_token": csrf})
    assert refused.status_code == 403

    csrf = web_login(client, owner)
    inbox = client.get("/purchases/approvals")
    assert inbox.status_code == 200
    assert "Taxi to the client" in inbox.text
    assert "1 of 1" in inbox.text
    assert f'value="expense:{expense_id}"' in inbox.text
    shown = client.get(f"/purchases/expenses/{expense_id}")
    assert f'action="/purchases/expenses/{expense_id}/approve"' in shown.text
    approved = client.post(
        f"/purchases/expenses/{expense_id}/approve",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    done = client.get(approved.headers["location"])
    assert "The expense is approved." in done.text
    assert "Paid" in done.text
    assert "The journal entry" in done.text
    body = client.get(f"/api/v1/expenses/{expense_id}", headers=owner.headers).json()
    assert body["status"] == "paid"
    assert body["entry_id"]


def test_rejection_with_a_reason_then_edit_and_resubmit(client: TestClient, owner: Account) -> None:
    _one_step_rule(client, owner)
    staff = _staff(client, owner, "warehouse")
    csrf = web_login(client, staff["email"], PASSWORD)
    created = client.post(
        "/purchases/expenses/new",
        data={"csrf_token": csrf, "action": "submit", **_expense_form(paid_by="employee")},
        follow_redirects=False,
    )
    expense_id = _id_from(created)
    csrf = web_login(client, owner)
    no_reason = client.post(
        "/purchases/approvals/reject",
        data={"csrf_token": csrf, "item": f"expense:{expense_id}", "reason": " "},
    )
    assert no_reason.status_code == 422
    assert "Say why it is rejected." in no_reason.text
    rejected = client.post(
        "/purchases/approvals/reject",
        data={"csrf_token": csrf, "item": f"expense:{expense_id}", "reason": "Wrong project"},
        follow_redirects=False,
    )
    assert rejected.status_code == 303
    assert "Nothing waits for your approval." in client.get("/purchases/approvals").text

    csrf = web_login(client, staff["email"], PASSWORD)
    page = client.get(f"/purchases/expenses/{expense_id}")
    assert "Rejected: Wrong project" in page.text
    edit = client.get(f"/purchases/expenses/{expense_id}/edit")
    assert edit.status_code == 200
    assert 'value="12.00"' in edit.text
    saved = client.post(
        f"/purchases/expenses/{expense_id}/edit",
        data={
            "csrf_token": csrf,
            "action": "submit",
            **_expense_form(project="ACME", paid_by="employee"),
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    again = client.get(saved.headers["location"])
    assert "Awaiting approval" in again.text
    assert "ACME" in again.text


def test_bulk_approval_reports_each_item(client: TestClient, owner: Account) -> None:
    _one_step_rule(client, owner)
    staff = _staff(client, owner)
    ids = []
    for amount in ("10.00", "20.00"):
        created = client.post(
            "/api/v1/expenses",
            headers=staff["headers"],
            json={"description": "Lunch", "amount": amount, "category": "meals"},
        )
        assert created.status_code == 201, created.text
        submitted = client.post(
            f"/api/v1/expenses/{created.json()['id']}/submit", headers=staff["headers"]
        )
        assert submitted.status_code == 200, submitted.text
        ids.append(created.json()["id"])
    csrf = web_login(client, owner)
    stranger = register(client, organization_name="Other SARL")
    theirs = client.post(
        "/api/v1/expenses",
        headers=stranger.headers,
        json={"description": "Not yours", "amount": "5.00", "category": "meals"},
    ).json()["id"]
    report = client.post(
        "/purchases/approvals/approve",
        data={
            "csrf_token": csrf,
            "items": [f"expense:{ids[0]}", f"expense:{theirs}", f"expense:{ids[1]}", "junk"],
        },
    )
    assert report.status_code == 200
    assert "2 of 3 approved." in report.text
    assert "No such expense." in report.text
    for expense_id in ids:
        body = client.get(f"/api/v1/expenses/{expense_id}", headers=owner.headers).json()
        assert body["status"] == "paid"
    assert "Nothing waits for your approval." in report.text


def test_receipts_phone_page_and_viewer(client: TestClient, owner: Account) -> None:
    csrf = web_login(client, owner)
    created = client.post(
        "/purchases/expenses/new",
        data={"csrf_token": csrf, **_expense_form()},
        follow_redirects=False,
    )
    expense_id = _id_from(created)
    phone = client.get(f"/purchases/expenses/{expense_id}/receipts")
    assert phone.status_code == 200
    assert 'accept="image/*" capture="environment"' in phone.text
    empty = client.post(f"/purchases/expenses/{expense_id}/receipts", data={"csrf_token": csrf})
    assert empty.status_code == 422
    uploaded = client.post(
        f"/purchases/expenses/{expense_id}/receipts",
        data={"csrf_token": csrf},
        files={"file": ("photo.png", png(), "image/png")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303
    shown = client.get(uploaded.headers["location"])
    assert "Receipt added." in shown.text
    file_id = re.search(r'/receipts/([0-9a-f-]{36})"', shown.text)
    assert file_id
    viewer = client.get(f"/purchases/expenses/{expense_id}/receipts/{file_id.group(1)}")
    assert viewer.status_code == 200
    assert 'class="receipt-large"' in viewer.text
    inline = client.get(f"/purchases/expenses/{expense_id}/receipts/{file_id.group(1)}/inline")
    assert inline.status_code == 200
    assert inline.headers["content-type"] == "image/png"
    stranger = register(client, organization_name="Other SARL")
    web_login(client, stranger)
    assert client.get(f"/purchases/expenses/{expense_id}").status_code == 404
    assert client.get(f"/purchases/expenses/{expense_id}/receipts").status_code == 404
    assert client.get("/purchases/expenses/not-an-id").status_code == 404


def test_members_see_only_their_own_expenses(client: TestClient, owner: Account) -> None:
    created = client.post(
        "/api/v1/expenses",
        headers=owner.headers,
        json={"description": "Owner's dinner", "amount": "80.00", "category": "meals"},
    )
    assert created.status_code == 201, created.text
    staff = _staff(client, owner)
    web_login(client, staff["email"], PASSWORD)
    listing = client.get("/purchases/expenses")
    assert "Owner's dinner" not in unescape(listing.text)
    assert client.get(f"/purchases/expenses/{created.json()['id']}").status_code == 404
    assert 'href="/purchases/approvals"' not in listing.text


def test_suggestions_prefill_from_the_last_expense(client: TestClient, owner: Account) -> None:
    made = supplier(client, owner)
    created = client.post(
        "/api/v1/expenses",
        headers=owner.headers,
        json={
            "description": "Paper",
            "amount": "24.00",
            "category": "software",
            "tax_code": "FR-20",
            "supplier": made["id"],
        },
    )
    assert created.status_code == 201, created.text
    web_login(client, owner)
    found = client.get("/purchases/expenses/suggestions", params={"supplier": made["id"]})
    assert found.json() == {"category": "software", "tax_code": "FR-20"}
    nothing = client.get("/purchases/expenses/suggestions", params={"supplier": "junk"})
    assert nothing.json() == {"category": None, "tax_code": None}


def _bill_form(supplier_id: str, **fields: str) -> dict[str, str]:
    return {
        "supplier": supplier_id,
        "supplier_number": "FA-2026-001",
        "issue_date": "2026-02-01",
        "payment_terms": "",
        "due_date": "",
        "currency": "",
        "project": "",
        "notes": "",
        "rows": "3",
        "lines.0.description": "Paper",
        "lines.0.quantity": "2",
        "lines.0.unit_price": "50,00",
        "lines.0.tax_code": "FR-20",
        "lines.0.account": "606",
        "lines.1.description": "",
        "lines.1.unit_price": "",
        "lines.2.description": "Desk",
        "lines.2.quantity": "1",
        "lines.2.unit_price": "300",
        "lines.2.tax_code": "FR-20",
        "lines.2.account": "",
    } | fields


def test_bill_pages_from_draft_to_posted(client: TestClient, owner: Account) -> None:
    made = supplier(client, owner)
    csrf = web_login(client, owner)
    assert "No bills yet." in client.get("/purchases/bills").text
    form = client.get("/purchases/bills/new")
    assert form.status_code == 200
    assert 'name="lines.2.account"' in form.text
    more = client.post(
        "/purchases/bills/new",
        data={"csrf_token": csrf, "action": "add_rows", **_bill_form(made["id"])},
    )
    assert more.status_code == 200
    assert 'name="lines.4.description"' in more.text
    # The error of the third row (second line sent) shows beside that row's account cell.
    wrong = client.post("/purchases/bills/new", data={"csrf_token": csrf, **_bill_form(made["id"])})
    assert wrong.status_code == 422
    assert 'id="f-lines.2.account-error"' in wrong.text
    assert "No bills yet." in client.get("/purchases/bills").text
    created = client.post(
        "/purchases/bills/new",
        data={"csrf_token": csrf, **_bill_form(made["id"], **{"lines.2.account": "606"})},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    bill_id = _id_from(created)
    page = client.get(created.headers["location"])
    assert "The bill is saved as a draft." in page.text
    assert "400.00" in page.text and "480.00" in page.text
    twin = client.post(
        "/purchases/bills/new",
        data={
            "csrf_token": csrf,
            **_bill_form(made["id"], supplier_number="fa-2026 -001", **{"lines.2.account": "606"}),
        },
        follow_redirects=False,
    )
    twin_page = client.get(twin.headers["location"])
    assert "Possible duplicate" in twin_page.text
    assert f'href="/purchases/bills/{bill_id}"' in twin_page.text
    assert "Possible duplicate" in client.get("/purchases/bills").text
    edit = client.get(f"/purchases/bills/{bill_id}/edit")
    assert 'value="FA-2026-001"' in edit.text
    submitted = client.post(
        f"/purchases/bills/{bill_id}/submit", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert submitted.status_code == 303
    shown = client.get(submitted.headers["location"])
    # Alone in the company, the owner approves their own bill, and the page says so.
    assert "Approve your own bill" in shown.text
    approved = client.post(
        f"/purchases/bills/{bill_id}/approve", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert approved.status_code == 303
    posted = client.get(approved.headers["location"])
    assert "The bill is approved and posted." in posted.text
    assert "The journal entry" in posted.text
    assert "Approved by its submitter" in posted.text
    deleted = client.post(f"/purchases/bills/{bill_id}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 409
    assert "only drafts can be deleted" in deleted.text
    stranger = register(client, organization_name="Other SARL")
    web_login(client, stranger)
    assert client.get(f"/purchases/bills/{bill_id}").status_code == 404


def test_bills_wait_in_the_inbox_with_the_approval_steps(
    client: TestClient, owner: Account
) -> None:
    _one_step_rule(client, owner, "bill")
    accountant = accept_new(
        client, invite(client, owner, "books@example.com", "accountant"), "Ann Books"
    )
    made = supplier(client, owner)
    created = client.post(
        "/api/v1/bills",
        headers=bearer(accountant),
        json={
            "supplier": made["id"],
            "supplier_number": "X-1",
            "issue_date": "2026-02-01",
            "lines": bill_lines(),
        },
    )
    assert created.status_code == 201, created.text
    bill_id = created.json()["id"]
    assert (
        client.post(f"/api/v1/bills/{bill_id}/submit", headers=bearer(accountant)).status_code
        == 200
    )
    web_login(client, "books@example.com", PASSWORD)
    assert "Nothing waits for your approval." in client.get("/purchases/approvals").text
    csrf = web_login(client, owner)
    inbox = client.get("/purchases/approvals")
    assert f'value="bill:{bill_id}"' in inbox.text
    assert "Bill X-1" in inbox.text
    assert 'class="badge nav-count"' in inbox.text
    report = client.post(
        "/purchases/approvals/approve", data={"csrf_token": csrf, "only": f"bill:{bill_id}"}
    )
    assert "1 of 1 approved." in report.text
    assert (
        client.get(f"/api/v1/bills/{bill_id}", headers=owner.headers).json()["status"] == "posted"
    )


def test_a_supplier_payment_settles_the_bill_it_names(client: TestClient, owner: Account) -> None:
    made = supplier(client, owner)
    posted = bill(client, owner, made["id"])
    csrf = web_login(client, owner)
    assert "No supplier payments yet." in client.get("/purchases/payments").text
    form = client.get(
        "/purchases/payments/new", params={"supplier": made["id"], "bill": posted["id"]}
    )
    assert form.status_code == 200
    assert f'name="pay.{posted["id"]}" value="120.00"' in form.text
    chosen = client.post(
        "/purchases/payments/new",
        data={"csrf_token": csrf, "action": "supplier", "supplier": made["id"]},
    )
    assert f'name="pay.{posted["id"]}"' in chosen.text
    too_much = client.post(
        "/purchases/payments/new",
        data={
            "csrf_token": csrf,
            "supplier": made["id"],
            "date": "2026-03-01",
            "amount": "500",
            "currency": "EUR",
            "method": "bank_transfer",
            "account": "512",
            f"pay.{posted['id']}": "130,00",
        },
    )
    assert too_much.status_code == 422
    assert f'id="f-pay.{posted["id"]}-error"' in too_much.text
    recorded = client.post(
        "/purchases/payments/new",
        data={
            "csrf_token": csrf,
            "supplier": made["id"],
            "date": "2026-03-01",
            "amount": "150,00",
            "currency": "EUR",
            "method": "bank_transfer",
            "account": "512",
            "reference": "VIR-42",
            f"pay.{posted['id']}": "120,00",
        },
        follow_redirects=False,
    )
    assert recorded.status_code == 303, recorded.text
    page = client.get(recorded.headers["location"])
    assert "The payment is recorded" in page.text
    assert "30.00" in page.text and "advance" in page.text
    assert (
        client.get(f"/api/v1/bills/{posted['id']}", headers=owner.headers).json()["status"]
        == "paid"
    )
    assert "VIR-42" in client.get("/purchases/payments").text
    report = client.get("/purchases/reports/aged-payables", params={"as_of": "2026-02-15"})
    assert report.status_code == 200
    assert made["name"] in report.text and "120.00" in report.text
    assert client.get("/purchases/reports/aged-payables?as_of=junk").status_code == 200


def test_the_reject_dialog_keeps_its_reason_and_receipts_go_on_bills(
    client: TestClient, owner: Account
) -> None:
    _one_step_rule(client, owner)
    staff = _staff(client, owner)
    created = client.post(
        "/api/v1/expenses",
        headers=staff["headers"],
        json={"description": "Train", "amount": "45.00", "category": "travel"},
    )
    expense_id = created.json()["id"]
    client.post(f"/api/v1/expenses/{expense_id}/submit", headers=staff["headers"])
    csrf = web_login(client, owner)
    empty = client.post(
        f"/purchases/expenses/{expense_id}/reject", data={"csrf_token": csrf, "reason": ""}
    )
    assert empty.status_code == 422
    assert "data-open-on-load" in empty.text
    assert _field_error(empty.text, "reason") == "Say why it is rejected."
    made = supplier(client, owner)
    posted = bill(client, owner, made["id"])
    added = client.post(
        f"/purchases/bills/{posted['id']}/receipts",
        data={"csrf_token": csrf, "back": "page"},
        files={"file": ("bill.png", png(), "image/png")},
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = client.get(added.headers["location"])
    assert "Receipt added." in page.text
    assert "bill.png" in page.text
    # A posted bill keeps its receipts as evidence of the entry.
    assert "Remove</button>" not in page.text
