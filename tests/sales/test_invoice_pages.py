"""The invoice, credit-note and payment pages through the test client: the list's filters
and pages, the editor (errors beside the cells, live totals, rows, products), issuing,
the record-payment dialog, the PDF preview, credit notes, payments, aged receivables,
other organizations' ids and the CSRF check."""

from __future__ import annotations

import io
import re
from html import unescape
from typing import Any

import pypdf
import pytest
from fastapi.testclient import TestClient

from comptoir.sales.views import common
from comptoir.worker.runner import Worker
from tests.conftest import PASSWORD, Account, register
from tests.identity.test_members import accept_new, invite
from tests.mail.smtp import SmtpServer, settings, smtp
from tests.parties.test_pages import web_login
from tests.sales.helpers import customer, invoice, pay
from tests.sales.mailbox import pdf_of, received

__all__ = ["settings", "smtp"]


@pytest.fixture
def csrf(client: TestClient, owner: Account) -> str:
    return web_login(client, owner)


def _api(client: TestClient, owner: Account, path: str) -> Any:
    response = client.get(f"/api/v1/{path}", headers=owner.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _editor(customer_text: str, lines: list[dict[str, str]], **header: str) -> dict[str, Any]:
    """The editor as the browser posts it: every field, blanks included, one tax select
    per line."""
    form: dict[str, Any] = {
        "kind": "invoice",
        "customer": customer_text,
        "issue_date": "2026-02-01",
        "due_date": "",
        "payment_terms": "",
        "currency": "",
        "reference": "",
        "notes": "",
        "action": "save",
    }
    for index, line in enumerate(lines):
        values = {
            "product": "",
            "description": "",
            "quantity": "",
            "unit": "",
            "unit_price": "",
            "discount_percent": "",
            "tax_codes": "",
            "account": "",
        } | line
        form.update({f"lines.{index}.{name}": value for name, value in values.items()})
    form.update(header)
    return form


THREE_LINES = [
    {
        "description": "Consulting",
        "quantity": "3",
        "unit": "h",
        "unit_price": "100",
        "tax_codes": "FR-20",
    },
    {"description": "Books", "quantity": "2", "unit_price": "45,50", "tax_codes": "FR-10"},
    {"description": "Training day", "quantity": "1", "unit_price": "250.00", "tax_codes": "FR-20"},
]


def _error_beside(html: str, input_id: str) -> str:
    match = re.search(rf'id="{input_id}-error"[^>]*>.*?<span>(.*?)</span>', html, re.S)
    assert match, f"no error beside {input_id}"
    return unescape(match.group(1))


def _value_of(html: str, input_id: str) -> str:
    match = re.search(rf'id="{input_id}"[^>]*?value="([^"]*)"', html, re.S)
    assert match, f"no input {input_id}"
    return unescape(match.group(1))


def _total(html: str, name: str) -> str:
    match = re.search(rf'data-total="{name}">([^<]+)<', html)
    assert match, f"no total {name}"
    return unescape(match.group(1)).replace("\u202f", "")


def _tax_amount(html: str, code: str) -> str:
    match = re.search(rf'data-tax="{re.escape(code)}">.*?<dd class="num">([^<]+)</dd>', html, re.S)
    assert match, f"no tax row {code}"
    return unescape(match.group(1))


def _partial(client: TestClient, csrf: str, path: str, form: dict[str, Any], **query: str) -> Any:
    """An HTMX request of the editor: the form posted, the token in the header."""
    return client.post(
        path,
        params=query,
        data=form,
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )


def _numbers_listed(html: str) -> list[str]:
    return re.findall(r'class="row-link document-number" href="[^"]+">([^<]+)</a>', html)


def _selected(html: str, select_id: str) -> str:
    match = re.search(rf'id="{select_id}".*?</select>', html, re.S)
    assert match, f"no select {select_id}"
    chosen = re.search(r'<option value="([^"]*)" selected>', match.group(0))
    return chosen.group(1) if chosen else ""


def _created_id(response: Any) -> str:
    assert response.status_code == 303, response.text
    match = re.fullmatch(
        r"/sales/(?:invoices|credit-notes)/([0-9a-f-]{36})\?notice=\w+",
        response.headers["location"],
    )
    assert match, response.headers["location"]
    return match.group(1)


def _pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


# -- the list ----------------------------------------------------------------------------


def test_an_empty_list_invites_to_write_the_first_invoice(client: TestClient, csrf: str) -> None:
    page = client.get("/sales/invoices")
    assert page.status_code == 200
    assert "No invoices yet." in page.text
    assert 'href="/sales/invoices/new"' in page.text
    assert 'aria-current="page">Invoices</a>' in page.text
    for link in (
        "/sales/quotes",
        "/sales/credit-notes",
        "/sales/payments",
        "/sales/reports/aged-receivables",
    ):
        assert f'href="{link}"' in page.text


def test_the_list_filters_by_status_customer_dates_and_text_sorts_and_pages(
    client: TestClient, owner: Account, csrf: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    acme = customer(client, owner, name="Acme")
    bolt = customer(client, owner, name="Bolt SARL")
    overdue = invoice(client, owner, acme["id"], issue_date="2026-01-10", due_date="2026-01-31")
    open_one = invoice(
        client,
        owner,
        acme["id"],
        issue_date="2026-02-01",
        due_date="2099-12-31",
        reference="PO-777",
    )
    paid = invoice(client, owner, bolt["id"], issue_date="2026-03-01", due_date="2099-12-31")
    pay(client, owner, bolt["id"], paid["totals"]["gross"], [(paid["id"], paid["totals"]["gross"])])
    invoice(client, owner, bolt["id"], issue=False, issue_date="2026-03-05")

    everything = client.get("/sales/invoices").text
    assert sorted(_numbers_listed(everything)) == sorted(
        ["Draft", overdue["number"], open_one["number"], paid["number"]]
    )
    assert "Overdue" in everything
    by_status = {
        status: _numbers_listed(client.get("/sales/invoices", params={"status": status}).text)
        for status in ("draft", "overdue", "open", "paid")
    }
    assert by_status == {
        "draft": ["Draft"],
        "overdue": [overdue["number"]],
        "open": sorted([overdue["number"], open_one["number"]], reverse=True),
        "paid": [paid["number"]],
    }
    of_bolt = client.get("/sales/invoices", params={"customer": f"{bolt['code']} · Bolt SARL"})
    assert sorted(_numbers_listed(of_bolt.text)) == sorted(["Draft", paid["number"]])
    assert _numbers_listed(client.get("/sales/invoices", params={"q": "po-777"}).text) == [
        open_one["number"]
    ]
    february = client.get(
        "/sales/invoices", params={"date_from": "2026-02-01", "date_to": "2026-02-28"}
    )
    assert _numbers_listed(february.text) == [open_one["number"]]
    unknown = client.get("/sales/invoices", params={"customer": "NOPE", "date_from": "soon"})
    assert _error_beside(unknown.text, "f-customer") == "No such customer: pick one from the list."
    assert _error_beside(unknown.text, "f-date_from") == "A date such as 2026-01-31."

    monkeypatch.setattr(common, "PAGE_SIZE", 2)
    seen: list[str] = []
    url: str | None = "/sales/invoices?sort=issue_date"
    while url:
        page = client.get(url).text
        seen += _numbers_listed(page)
        found = re.search(r'href="([^"]+)">Next page', page)
        url = unescape(found.group(1)) if found else None
    assert seen == [overdue["number"], open_one["number"], paid["number"], "Draft"]


# -- the editor --------------------------------------------------------------------------


def test_a_draft_is_refused_with_the_errors_beside_their_cells(
    client: TestClient, owner: Account, csrf: str
) -> None:
    acme = customer(client, owner)
    lines = [
        THREE_LINES[0],
        {},
        {"description": "Oops", "quantity": "abc", "unit_price": "10", "tax_codes": "FR-20"},
        {"description": "No price", "quantity": "1"},
    ]
    refused = client.post("/sales/invoices/new", data={**_editor("", lines), "csrf_token": csrf})
    assert refused.status_code == 422
    assert _error_beside(refused.text, "f-customer") == "Choose a customer."
    assert _error_beside(refused.text, "line-2-quantity") == "This is not a number."
    assert _error_beside(refused.text, "line-3-unit_price") == "Give a unit price."
    assert 'id="line-2-quantity" name="lines.2.quantity" value="abc"' in refused.text
    assert ">Consulting</textarea>" in refused.text
    assert "Please correct the 3 fields marked below." in refused.text

    stranger = client.post(
        "/sales/invoices/new",
        data={**_editor("C99999 · Nobody", [THREE_LINES[0]]), "csrf_token": csrf},
    )
    assert _error_beside(stranger.text, "f-customer") == "No such customer."
    blank_date = client.post(
        "/sales/invoices/new",
        data={**_editor(acme["code"], [THREE_LINES[0]], issue_date=""), "csrf_token": csrf},
    )
    assert _error_beside(blank_date.text, "f-issue_date") == "Choose the date of the document."
    assert _api(client, owner, "invoices")["items"] == []


def test_a_draft_is_saved_with_the_tax_engine_totals_and_edited(
    client: TestClient, owner: Account, csrf: str
) -> None:
    acme = customer(client, owner, name="Acme")
    form = _editor(
        f"{acme['code']} · Acme",
        [*THREE_LINES[:2], {}, THREE_LINES[2]],
        reference="PO-7",
        notes="Thank you\r\nfor your order",
    )
    invoice_id = _created_id(
        client.post(
            "/sales/invoices/new", data={**form, "csrf_token": csrf}, follow_redirects=False
        )
    )
    saved = _api(client, owner, f"invoices/{invoice_id}")
    assert saved["status"] == "draft"
    assert saved["totals"] == {"net": "641.00", "tax": "119.10", "gross": "760.10"}
    assert [(line["description"], line["tax_codes"]) for line in saved["lines"]] == [
        ("Consulting", ["FR-20"]),
        ("Books", ["FR-10"]),
        ("Training day", ["FR-20"]),
    ]
    assert saved["lines"][1]["unit_price"] == "45.5"
    assert (saved["reference"], saved["notes"]) == ("PO-7", "Thank you\nfor your order")

    page = client.get(f"/sales/invoices/{invoice_id}?notice=created")
    assert "The draft is saved." in page.text
    assert (_total(page.text, "net"), _total(page.text, "gross")) == ("641.00", "760.10")
    assert (_tax_amount(page.text, "FR-20"), _tax_amount(page.text, "FR-10")) == ("110.00", "9.10")
    assert "Draft invoice" in page.text
    assert f'src="/sales/invoices/{invoice_id}/pdf"' in page.text

    edit = client.get(f"/sales/invoices/{invoice_id}/edit")
    assert edit.status_code == 200
    assert _value_of(edit.text, "f-customer") == f"{acme['code']} · Acme"
    assert _value_of(edit.text, "line-1-unit_price") == "45.50"
    assert _selected(edit.text, "line-1-tax") == "FR-10"
    # Without script, "remove" posts the form: the rows come back as typed, one fewer.
    rows = _editor(f"{acme['code']} · Acme", THREE_LINES, action="remove-1")
    fewer = client.post(f"/sales/invoices/{invoice_id}/edit", data={**rows, "csrf_token": csrf})
    assert fewer.status_code == 200
    assert _value_of(fewer.text, "line-1-unit_price") == "250.00"
    assert 'id="line-2-' not in fewer.text
    changed = _editor(f"{acme['code']} · Acme", [THREE_LINES[0], THREE_LINES[2]])
    saved_again = client.post(
        f"/sales/invoices/{invoice_id}/edit",
        data={**changed, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert _created_id(saved_again) == invoice_id
    assert _api(client, owner, f"invoices/{invoice_id}")["totals"]["gross"] == "660.00"


def test_the_live_totals_and_the_rows_follow_what_is_typed(
    client: TestClient, owner: Account, csrf: str
) -> None:
    acme = customer(client, owner, name="Acme")
    typed = _editor(f"{acme['code']} · Acme", [*THREE_LINES[:2], {}, THREE_LINES[2]])
    totals = _partial(client, csrf, "/sales/editor/totals", typed)
    assert totals.status_code == 200
    assert (
        _total(totals.text, "net"),
        _total(totals.text, "tax"),
        _total(totals.text, "gross"),
    ) == ("641.00", "119.10", "760.10")
    assert (_tax_amount(totals.text, "FR-20"), _tax_amount(totals.text, "FR-10")) == (
        "110.00",
        "9.10",
    )
    assert '<span id="line-1-net" class="line-net" hx-swap-oob="true">91.00</span>' in totals.text
    assert '<span id="line-2-net" class="line-net" hx-swap-oob="true"></span>' in totals.text
    assert "Due 3 Mar 2026 (30 days)." in totals.text or "Due 3 mars 2026 (30 days)." in totals.text

    wrong = _partial(client, csrf, "/sales/editor/totals", {**typed, "lines.1.quantity": "two"})
    assert "Line 2, quantity: This is not a number." in wrong.text

    more = _partial(client, csrf, "/sales/editor/lines", typed, add="true")
    assert more.status_code == 200
    assert 'id="line-4-product"' in more.text and "autofocus" in more.text
    assert _total(more.text, "gross") == "760.10"
    # A new row takes the tax the engine picks for this customer, as a line without tax
    # codes gets through the API.
    draft = client.post(
        "/api/v1/invoices",
        headers=owner.headers,
        json={"customer": acme["id"], "lines": [{"description": "Any", "unit_price": "1"}]},
    ).json()
    assert _selected(more.text, "line-4-tax") == draft["lines"][0]["tax_codes"][0]
    fewer = _partial(client, csrf, "/sales/editor/lines", typed, remove="0")
    assert ">Books</textarea>" in fewer.text.split('id="line-1-')[0]

    product = client.post(
        "/api/v1/products",
        headers=owner.headers,
        json={
            "name": "Croissant",
            "sku": "CRO",
            "unit_price": "1.2",
            "unit": "piece",
            "kind": "goods",
            "tax_category": "reduced",
        },
    )
    assert product.status_code == 201, product.text
    picked = _partial(
        client,
        csrf,
        "/sales/editor/lines",
        {**typed, "lines.2.product": "CRO · Croissant"},
        fill="2",
    )
    assert ">Croissant</textarea>" in picked.text
    assert _value_of(picked.text, "line-2-unit_price") == "1.20"
    assert _value_of(picked.text, "line-2-unit") == "piece"
    assert _selected(picked.text, "line-2-tax") == "FR-10"
    # No French rate serves this category: the catalog's values still fill the row, and
    # the tax says why it cannot be picked.
    client.post(
        "/api/v1/products",
        headers=owner.headers,
        json={"name": "Odd", "sku": "ODD", "unit_price": "3", "tax_category": "reduced_3"},
    )
    odd = _partial(
        client, csrf, "/sales/editor/lines", {**typed, "lines.2.product": "ODD"}, fill="2"
    )
    assert _value_of(odd.text, "line-2-unit_price") == "3.00"
    assert "reduced_3" in _error_beside(odd.text, "line-2-tax_codes")
    unknown = _partial(
        client, csrf, "/sales/editor/lines", {**typed, "lines.2.product": "NOPE"}, fill="2"
    )
    assert _error_beside(unknown.text, "line-2-product") == "No such product."

    retaxed = _partial(client, csrf, "/sales/editor/taxes", {**typed, "lines.2.tax_codes": ""})
    without_token = client.post("/sales/editor/totals", data=typed)
    assert without_token.status_code == 403
    assert 'id="line-2-taxes" class="line-taxes" hx-swap-oob="true"' in retaxed.text
    assert 'id="line-0-taxes"' not in retaxed.text
    options = client.get("/sales/editor/customers", params={"customer": "acm"})
    assert f'<option value="{acme["code"]} · Acme">' in options.text


def test_issuing_and_recording_payments_through_the_dialog(
    client: TestClient, owner: Account, csrf: str
) -> None:
    acme = customer(client, owner)
    draft = invoice(client, owner, acme["id"], issue=False)
    empty = client.post(
        "/api/v1/invoices", headers=owner.headers, json={"customer": acme["id"], "lines": []}
    ).json()
    refused = client.post(f"/sales/invoices/{empty['id']}/issue", data={"csrf_token": csrf})
    assert refused.status_code == 422
    assert "Add at least one line before issuing." in refused.text

    issued = client.post(
        f"/sales/invoices/{draft['id']}/issue", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert issued.headers["location"] == f"/sales/invoices/{draft['id']}?notice=issued"
    page = client.get(issued.headers["location"]).text
    number = _api(client, owner, f"invoices/{draft['id']}")["number"]
    assert number in page and "The invoice is issued" in page
    assert 'data-dialog="payment-dialog"' in page
    assert _value_of(page, "payment-amount") == "1200.00"
    assert "open data-open-on-load" not in page

    unreadable = {
        "date": "2026-02-10",
        "amount": "abc",
        "method": "bank_transfer",
        "account": "512",
        "reference": "",
        "csrf_token": csrf,
    }
    shown_again = client.post(f"/sales/invoices/{draft['id']}/payment", data=unreadable)
    assert shown_again.status_code == 422
    assert (
        'id="payment-dialog"' in shown_again.text and "open data-open-on-load" in shown_again.text
    )
    assert _error_beside(shown_again.text, "payment-amount") == "This is not a number."
    assert _api(client, owner, "payments")["items"] == []

    part = client.post(
        f"/sales/invoices/{draft['id']}/payment",
        data={**unreadable, "amount": "500", "reference": "VIR-1"},
        follow_redirects=False,
    )
    assert part.headers["location"] == f"/sales/invoices/{draft['id']}?notice=payment"
    after = _api(client, owner, f"invoices/{draft['id']}")
    assert (after["status"], after["amount_due"]) == ("partially_paid", "700.00")
    more = client.post(
        f"/sales/invoices/{draft['id']}/payment",
        data={**unreadable, "amount": "800,00"},
        follow_redirects=False,
    )
    assert more.status_code == 303
    paid = _api(client, owner, f"invoices/{draft['id']}")
    assert (paid["status"], paid["amount_due"]) == ("paid", "0.00")
    payments = _api(client, owner, "payments")["items"]
    assert sorted((p["amount"], p["unallocated"]) for p in payments) == [
        ("500.00", "0.00"),
        ("800.00", "100.00"),
    ]
    final = client.get(f"/sales/invoices/{draft['id']}").text
    assert 'badge-doc-paid">Paid</span>' in final
    assert [
        step
        for step in ("Created", "Issued", "Payment recorded", "Paid in full")
        if f'<p class="timeline-label">{step}' in final
    ] == ["Created", "Issued", "Payment recorded", "Paid in full"]
    assert 'data-dialog="payment-dialog"' not in final
    assert _total(final, "due") == "0.00"


def test_an_invoice_is_sent_from_the_dialog_over_smtp(
    client: TestClient, owner: Account, csrf: str, worker: Worker, smtp: SmtpServer
) -> None:
    acme = customer(client, owner, name="Acme")
    issued = invoice(client, owner, acme["id"])
    page = client.get(f"/sales/invoices/{issued['id']}").text
    assert 'data-dialog="send-dialog"' in page
    assert _value_of(page, "send-to") == "ap@acme.test"
    assert "{document_number}" in _value_of(page, "send-subject")

    refused = client.post(
        f"/sales/invoices/{issued['id']}/send",
        data={"to": "ap@acme.test, nobody", "subject": "Hi", "message": "", "csrf_token": csrf},
    )
    assert refused.status_code == 422
    assert 'id="send-dialog"' in refused.text and "open data-open-on-load" in refused.text
    assert _error_beside(refused.text, "send-to")
    assert _value_of(refused.text, "send-to") == "ap@acme.test, nobody"

    sent = client.post(
        f"/sales/invoices/{issued['id']}/send",
        data={
            "to": "ap@acme.test; boss@acme.test",
            "subject": "Invoice {document_number}",
            "message": "Hello,\r\n\r\n{amount_due} is due on {due_date}.",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert sent.headers["location"] == f"/sales/invoices/{issued['id']}?notice=sent"
    assert _api(client, owner, f"invoices/{issued['id']}")["status"] == "sent"
    worker.drain()
    messages = received(smtp)
    assert sorted(m["To"] for m in messages) == ["ap@acme.test", "boss@acme.test"]
    assert {m["Subject"] for m in messages} == {f"Invoice {issued['number']}"}
    assert pdf_of(messages[0])[0] == f"{issued['number']}.pdf"
    after = client.get(f"/sales/invoices/{issued['id']}").text
    assert '<p class="timeline-label">Sent</p>' in after
    assert after.count('badge-sent">Sent</span>') == 2
    assert "Send again" in after


def test_the_pdf_is_framed_by_the_page_and_downloaded(
    client: TestClient, owner: Account, csrf: str
) -> None:
    acme = customer(client, owner, language="en")
    draft = invoice(client, owner, acme["id"], issue=False)
    preview = client.get(f"/sales/invoices/{draft['id']}/pdf")
    assert preview.status_code == 200
    assert preview.headers["content-type"] == "application/pdf"
    assert preview.headers["content-disposition"].startswith("inline;")
    assert preview.headers["content-security-policy"] == "frame-ancestors 'self'"
    assert preview.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert "DRAFT" in _pdf_text(preview.content)
    page = client.get(f"/sales/invoices/{draft['id']}")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"

    client.post(f"/sales/invoices/{draft['id']}/issue", data={"csrf_token": csrf})
    number = _api(client, owner, f"invoices/{draft['id']}")["number"]
    download = client.get(f"/sales/invoices/{draft['id']}/pdf", params={"download": "1"})
    assert download.headers["content-disposition"] == f'attachment; filename="{number}.pdf"'
    api_pdf = client.get(f"/api/v1/invoices/{draft['id']}/pdf", headers=owner.headers)
    assert download.content == api_pdf.content
    assert "€1,200.00" in _pdf_text(download.content)


# -- credit notes ------------------------------------------------------------------------


def test_an_invoice_is_credited_cancelled_and_its_credit_applied_and_refunded(
    client: TestClient, owner: Account, csrf: str
) -> None:
    acme = customer(client, owner, name="Acme")
    first = invoice(client, owner, acme["id"])
    made = client.post(
        f"/sales/invoices/{first['id']}/credit-note",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    note_id = _created_id(made)
    note_page = client.get(made.headers["location"]).text
    assert "Draft credit note" in note_page and first["number"] in note_page
    locked = client.get(f"/sales/credit-notes/{note_id}/edit").text
    assert re.search(r'id="f-customer"[^>]*readonly', locked)
    half = _editor(
        f"{acme['code']} · Acme",
        [{"description": "Consulting", "quantity": "1", "unit_price": "500", "tax_codes": "FR-20"}],
        kind="credit_note",
        currency="EUR",
    )
    client.post(f"/sales/credit-notes/{note_id}/edit", data={**half, "csrf_token": csrf})
    issued = client.post(
        f"/sales/credit-notes/{note_id}/issue", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert issued.headers["location"] == f"/sales/credit-notes/{note_id}?notice=issued"
    credited = _api(client, owner, f"invoices/{first['id']}")
    assert (credited["status"], credited["amount_due"]) == ("partially_paid", "600.00")
    cancel_refused = client.post(f"/sales/invoices/{first['id']}/cancel", data={"csrf_token": csrf})
    assert cancel_refused.status_code == 409
    assert "Part of this invoice is paid or credited" in cancel_refused.text

    second = invoice(client, owner, acme["id"])
    cancelled = client.post(
        f"/sales/invoices/{second['id']}/cancel", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert cancelled.headers["location"] == f"/sales/invoices/{second['id']}?notice=cancelled"
    assert _api(client, owner, f"invoices/{second['id']}")["status"] == "cancelled"
    assert "badge-doc-cancelled" in client.get(cancelled.headers["location"]).text

    # A standalone credit note: its credit goes to the first invoice, the rest is refunded.
    # Dated as the cancellation's, the latest credit note: numbers follow dates.
    latest = max(note["issue_date"] for note in _api(client, owner, "credit-notes")["items"])
    standalone = _editor(
        f"{acme['code']} · Acme",
        [{"description": "Goodwill", "quantity": "1", "unit_price": "200", "tax_codes": ""}],
        kind="credit_note",
        issue_date=latest,
    )
    goodwill_id = _created_id(
        client.post(
            "/sales/credit-notes/new",
            data={**standalone, "csrf_token": csrf},
            follow_redirects=False,
        )
    )
    issued_too = client.post(
        f"/sales/credit-notes/{goodwill_id}/issue",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert issued_too.status_code == 303, issued_too.text
    page = client.get(f"/sales/credit-notes/{goodwill_id}").text
    assert _selected(page, "apply-invoice") == first["id"]
    too_much = client.post(
        f"/sales/credit-notes/{goodwill_id}/apply",
        data={"invoice": first["id"], "amount": "250", "csrf_token": csrf},
    )
    assert too_much.status_code == 422
    assert _error_beside(too_much.text, "apply-amount").startswith("Between 0 and 200.00")
    applied = client.post(
        f"/sales/credit-notes/{goodwill_id}/apply",
        data={"invoice": first["id"], "amount": "150", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert applied.headers["location"] == f"/sales/credit-notes/{goodwill_id}?notice=applied"
    assert _api(client, owner, f"invoices/{first['id']}")["amount_due"] == "450.00"
    # Another credit note is paid back, partly.
    refundable = {**standalone, "lines.0.description": "Returned goods", "lines.0.unit_price": "80"}
    refundable_id = _created_id(
        client.post(
            "/sales/credit-notes/new",
            data={**refundable, "csrf_token": csrf},
            follow_redirects=False,
        )
    )
    client.post(f"/sales/credit-notes/{refundable_id}/issue", data={"csrf_token": csrf})
    refund = {
        "date": latest,
        "amount": "50",
        "method": "bank_transfer",
        "account": "512",
        "reference": "RB-1",
        "csrf_token": csrf,
    }
    over = client.post(
        f"/sales/credit-notes/{refundable_id}/refund", data={**refund, "amount": "90"}
    )
    assert over.status_code == 422
    assert "At most 80.00" in _error_beside(over.text, "refund-amount")
    refunded = client.post(
        f"/sales/credit-notes/{refundable_id}/refund", data=refund, follow_redirects=False
    )
    assert refunded.headers["location"] == f"/sales/credit-notes/{refundable_id}?notice=refunded"
    out = [p for p in _api(client, owner, "payments")["items"] if p["direction"] == "out"]
    assert [(p["amount"], p["reference"]) for p in out] == [("50.00", "RB-1")]
    assert "30.00 left to use" in client.get(f"/sales/credit-notes/{refundable_id}").text
    notes = client.get("/sales/credit-notes").text
    assert len(_numbers_listed(notes)) == 4


# -- payments and receivables ------------------------------------------------------------


def test_payments_are_listed_and_their_credit_allocated(
    client: TestClient, owner: Account, csrf: str
) -> None:
    acme = customer(client, owner, name="Acme")
    bolt = customer(client, owner, name="Bolt")
    due = invoice(client, owner, acme["id"])
    on_account = pay(client, owner, acme["id"], "300.00", [])
    pay(client, owner, bolt["id"], "20.00", [], on="2026-03-01")

    listed = client.get("/sales/payments", params={"customer": acme["code"]}).text
    assert f'href="/sales/payments/{on_account["id"]}"' in listed
    assert "20.00" not in listed
    march = client.get("/sales/payments", params={"date_from": "2026-03-01"}).text
    assert f'href="/sales/payments/{on_account["id"]}"' not in march
    assert client.get("/sales/payments", params={"direction": "out"}).text.count("row-link") == 0

    page = client.get(f"/sales/payments/{on_account['id']}").text
    assert "Nothing settled yet" in page
    assert _selected(page, "allocate-invoice") == due["id"]
    assert _value_of(page, "allocate-amount") == "300.00"
    refused = client.post(
        f"/sales/payments/{on_account['id']}/allocate",
        data={"invoice": due["id"], "amount": "400", "csrf_token": csrf},
    )
    assert refused.status_code == 422
    assert "unallocated" in _error_beside(refused.text, "allocate-amount")
    done = client.post(
        f"/sales/payments/{on_account['id']}/allocate",
        data={"invoice": due["id"], "amount": "300", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.headers["location"] == f"/sales/payments/{on_account['id']}?notice=allocated"
    settled = client.get(done.headers["location"]).text
    assert due["number"] in settled and "Allocate the credit" not in settled
    assert _api(client, owner, f"invoices/{due['id']}")["amount_due"] == "900.00"


def test_aged_receivables_show_what_each_customer_owed(
    client: TestClient, owner: Account, csrf: str
) -> None:
    acme = customer(client, owner, name="Acme")
    invoice(client, owner, acme["id"], issue_date="2026-01-05", due_date="2026-01-31")
    pay(client, owner, acme["id"], "100.00", [], on="2026-01-20")
    page = client.get("/sales/reports/aged-receivables", params={"as_of": "2026-03-15"})
    assert page.status_code == 200
    row = re.search(r"<tr>\s*<td class=\"cell-primary\">.*?Acme.*?</tr>", page.text, re.S)
    assert row
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(0))
    # Not due, 1-30, 31-60 (44 days late), 61-90, over 90, credit, owed.
    assert cells == ["", "", "1\u202f200.00", "", "", "\u2212100.00", "1\u202f100.00"]
    empty = client.get("/sales/reports/aged-receivables", params={"as_of": "2025-12-31"})
    assert "Nothing was owed on" in empty.text


# -- access ------------------------------------------------------------------------------


def test_another_organizations_invoice_answers_the_not_found_page(
    client: TestClient, owner: Account, csrf: str
) -> None:
    other = register(client, organization_name="Theirs SARL")
    theirs = invoice(client, other, customer(client, other)["id"])
    for path in ("", "/edit", "/pdf", "/payment"):
        page = client.get(f"/sales/invoices/{theirs['id']}{path}")
        assert page.status_code == 404, path
        assert "Page not found" in page.text
    issued = client.post(
        f"/sales/invoices/{theirs['id']}/payment", data={"amount": "1", "csrf_token": csrf}
    )
    assert issued.status_code == 404
    assert client.get("/sales/invoices/not-an-id").status_code == 404
    assert _api(client, other, "payments")["items"] == []


def test_a_form_without_its_csrf_token_is_refused(
    client: TestClient, owner: Account, csrf: str
) -> None:
    acme = customer(client, owner)
    refused = client.post("/sales/invoices/new", data=_editor(acme["code"], THREE_LINES))
    assert refused.status_code == 403
    assert "This form has expired" in refused.text
    draft = invoice(client, owner, acme["id"], issue=False)
    forged = client.post(f"/sales/invoices/{draft['id']}/issue", data={"csrf_token": "x" * 43})
    assert forged.status_code == 403
    assert _api(client, owner, f"invoices/{draft['id']}")["status"] == "draft"
    assert _api(client, owner, "invoices")["items"][0]["id"] == draft["id"]


def test_a_sales_member_drafts_invoices_but_records_no_payment(
    client: TestClient, owner: Account
) -> None:
    acme = customer(client, owner)
    issued = invoice(client, owner, acme["id"])
    accept_new(client, invite(client, owner, "seller@example.net", role="sales"))
    client.cookies.clear()
    csrf = web_login(client, "seller@example.net", PASSWORD)
    page = client.get(f"/sales/invoices/{issued['id']}").text
    assert "Record payment" not in page and "Create a credit note" not in page
    refused = client.post(
        f"/sales/invoices/{issued['id']}/payment",
        data={"amount": "10", "csrf_token": csrf},
    )
    assert refused.status_code == 403
    assert client.get("/sales/invoices/new").status_code == 200
