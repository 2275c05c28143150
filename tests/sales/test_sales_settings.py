"""Sales settings: the API and Settings → Sales, with its payment providers."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient

from tests.conftest import Account
from tests.identity.test_members import accept_new, bearer, invite
from tests.parties.test_pages import web_login


def test_read_and_change_the_settings(client: TestClient, owner: Account) -> None:
    first = client.get("/api/v1/sales/settings", headers=owner.headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["invoice_number_format"] == "F-{YYYY}-{SEQ:05}"
    assert body["reminders_enabled"] is False
    assert body["reminder_offsets"] == [-3, 7, 30]
    assert body["late_payment_terms"].startswith("Pénalités de retard")
    changed = client.patch(
        "/api/v1/sales/settings",
        headers=owner.headers,
        json={
            "invoice_number_format": "INV-{YY}{MM}-{SEQ:04}",
            "quote_validity_days": 45,
            "quote_approval_threshold": "5000.00",
            "iban": "FR76 3000 6000 0112 3456 7890 189",
            "bic": "AGRIFRPP",
            "footer": "SARL au capital de 10 000 €",
            "reminders_enabled": True,
            "reminder_offsets": [30, -5, 0, 14],
        },
    )
    assert changed.status_code == 200, changed.text
    result = changed.json()
    assert result["invoice_number_format"] == "INV-{YY}{MM}-{SEQ:04}"
    assert result["quote_validity_days"] == 45
    assert result["quote_approval_threshold"] == "5000.00"
    assert result["iban"] == "FR7630006000011234567890189"
    assert result["reminders_enabled"] is True
    assert result["reminder_offsets"] == [-5, 0, 14, 30]
    assert client.get("/api/v1/sales/settings", headers=owner.headers).json() == result
    cleared = client.patch(
        "/api/v1/sales/settings",
        headers=owner.headers,
        json={"footer": None, "quote_approval_threshold": None},
    ).json()
    assert (cleared["footer"], cleared["quote_approval_threshold"]) == (None, None)
    assert cleared["reminder_offsets"] == [-5, 0, 14, 30]


def test_bad_settings_are_refused_field_by_field(client: TestClient, owner: Account) -> None:
    before = client.get("/api/v1/sales/settings", headers=owner.headers).json()
    cases = [
        ({"reminder_offsets": [7, 7]}, "reminder_offsets", "duplicate"),
        ({"reminder_offsets": [-61]}, "reminder_offsets", "out_of_range"),
        ({"reminder_offsets": [366]}, "reminder_offsets", "out_of_range"),
        ({"reminder_offsets": list(range(11))}, "reminder_offsets", None),
        ({"reminders_enabled": "yes"}, "reminders_enabled", None),
        ({"quote_validity_days": 0}, "quote_validity_days", None),
        ({"invoice_number_format": "F-{YYYY}"}, "invoice_number_format", None),
        ({"iban": "FR00 1234"}, "iban", None),
        ({"quote_approval_threshold": "-1"}, "quote_approval_threshold", None),
    ]
    for body, field, code in cases:
        response = client.patch("/api/v1/sales/settings", headers=owner.headers, json=body)
        assert response.status_code == 422, (body, response.text)
        error = response.json()["errors"][0]
        assert error["field"] == field, (body, error)
        if code:
            assert error["code"] == code
    # One bad field and nothing of the request is kept.
    mixed = client.patch(
        "/api/v1/sales/settings",
        headers=owner.headers,
        json={"footer": "Kept?", "reminder_offsets": [1, 1]},
    )
    assert mixed.status_code == 422
    assert client.get("/api/v1/sales/settings", headers=owner.headers).json() == before


def test_who_may_read_and_change_them(client: TestClient, owner: Account) -> None:
    accountant = bearer(accept_new(client, invite(client, owner, "books@example.net")))
    assert client.get("/api/v1/sales/settings", headers=accountant).status_code == 200
    refused = client.patch("/api/v1/sales/settings", headers=accountant, json={"footer": "x"})
    assert refused.status_code == 403


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'id="f-{field}-error">.*?<span>(.*?)</span>', html, re.S)
    assert found, f"no error beside {field}"
    return unescape(found.group(1))


def _form(csrf: str, **values: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "invoice_number_format": "F-{YYYY}-{SEQ:05}",
        "credit_note_number_format": "AV-{YYYY}-{SEQ:05}",
        "quote_number_format": "D-{YYYY}-{SEQ:05}",
        "quote_validity_days": "30",
        "quote_approval_threshold": "",
        "footer": "",
        "bank_name": "",
        "iban": "",
        "bic": "",
        "late_payment_terms": "",
        "reminder_offsets": "-3, 7, 30",
    } | values


def test_the_settings_page_saves_and_explains(client: TestClient, owner: Account) -> None:
    csrf = web_login(client, owner)
    page = client.get("/settings/sales")
    assert page.status_code == 200
    assert 'href="/settings/sales"' in page.text
    assert 'value="F-{YYYY}-{SEQ:05}"' in page.text
    wrong = client.post(
        "/settings/sales",
        data=_form(csrf, reminder_offsets="7, 7", quote_validity_days="forever", iban="FR00"),
    )
    assert wrong.status_code == 422
    assert _field_error(wrong.text, "reminder_offsets") == "7 appears twice."
    assert _field_error(wrong.text, "quote_validity_days") == "A number of days from 1 to 365."
    assert _field_error(wrong.text, "iban")
    assert 'value="forever"' in wrong.text
    saved = client.post(
        "/settings/sales",
        data=_form(
            csrf,
            reminders_enabled="on",
            reminder_offsets="14; -2, 3",
            quote_approval_threshold="2 500,50",
            bank_name="Banque Populaire",
        ),
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    result = client.get("/api/v1/sales/settings", headers=owner.headers).json()
    assert result["reminders_enabled"] is True
    assert result["reminder_offsets"] == [-2, 3, 14]
    assert result["quote_approval_threshold"] == "2500.50"
    assert result["bank_name"] == "Banque Populaire"
    assert "The sales settings are saved." in client.get(saved.headers["location"]).text


def test_providers_are_connected_from_the_page(client: TestClient, owner: Account) -> None:
    csrf = web_login(client, owner)
    missing = client.post(
        "/settings/sales/providers",
        data={"csrf_token": csrf, "provider": "generic", "account": "", "method": "card"},
    )
    assert missing.status_code == 422
    assert _field_error(missing.text, "account") == "Choose the bank account the money goes to."
    made = client.post(
        "/settings/sales/providers",
        data={"csrf_token": csrf, "provider": "generic", "account": "512", "method": "online"},
    )
    assert made.status_code == 200, made.text
    secret = re.search(r'id="new-secret" value="(whsec_[^"]+)"', made.text)
    assert secret, "the new secret is shown once"
    listed = client.get("/api/v1/payment-providers", headers=owner.headers).json()
    assert listed[0]["method"] == "online"
    assert listed[0]["secret_hint"] == f"{secret.group(1)[:6]}…{secret.group(1)[-4:]}"
    assert unescape(listed[0]["callback_url"]) in unescape(made.text)
    again = client.get("/settings/sales")
    assert secret.group(1) not in again.text
    assert listed[0]["secret_hint"] in again.text

    stripe = client.post(
        "/settings/sales/providers",
        data={
            "csrf_token": csrf,
            "provider": "stripe",
            "account": "512",
            "method": "card",
            "secret": "not-a-stripe-secret",
        },
    )
    assert stripe.status_code == 422
    assert "whsec_" in _field_error(stripe.text, "secret")
    assert "not-a-stripe-secret" not in stripe.text

    rotated = client.post("/settings/sales/providers/generic/rotate", data={"csrf_token": csrf})
    new_secret = re.search(r'id="new-secret" value="(whsec_[^"]+)"', rotated.text)
    assert new_secret
    assert new_secret.group(1) != secret.group(1)
    gone = client.post(
        "/settings/sales/providers/generic/delete",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert client.get("/api/v1/payment-providers", headers=owner.headers).json() == []
    unknown = client.post("/settings/sales/providers/paypal/delete", data={"csrf_token": csrf})
    assert unknown.status_code == 404


def _png(width: int, height: int) -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (width, height), (37, 99, 235)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_logo_prints_on_documents(client: TestClient, owner: Account) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    from tests.sales.helpers import customer, invoice

    assert client.get("/api/v1/sales/settings/logo", headers=owner.headers).status_code == 404
    for content, code in (
        (b"", "required"),
        (b"GIF89a not really", "invalid_image"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "invalid_image"),
        (_png(5000, 10), "invalid_image"),
        (b"\0" * (512 * 1024 + 1), "too_large"),
    ):
        refused = client.put(
            "/api/v1/sales/settings/logo",
            headers=owner.headers,
            files={"file": ("logo.png", content, "image/png")},
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0] == refused.json()["errors"][0] | {
            "field": "logo",
            "code": code,
        }
    logo = _png(400, 120)
    saved = client.put(
        "/api/v1/sales/settings/logo",
        headers=owner.headers,
        files={"file": ("logo.png", logo, "image/png")},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["has_logo"] is True
    fetched = client.get("/api/v1/sales/settings/logo", headers=owner.headers)
    assert (fetched.content, fetched.headers["content-type"]) == (logo, "image/png")

    acme = customer(client, owner)
    issued = invoice(client, owner, acme["id"])
    pdf = client.get(f"/api/v1/invoices/{issued['id']}/pdf", headers=owner.headers).content
    page = PdfReader(BytesIO(pdf)).pages[0]
    assert [image.image.size for image in page.images] == [(400, 120)]

    removed = client.delete("/api/v1/sales/settings/logo", headers=owner.headers)
    assert removed.status_code == 204
    assert client.get("/api/v1/sales/settings", headers=owner.headers).json()["has_logo"] is False
    # The issued invoice keeps the PDF it was printed with.
    again = client.get(f"/api/v1/invoices/{issued['id']}/pdf", headers=owner.headers).content
    assert again == pdf


def test_the_logo_is_uploaded_on_the_settings_page(client: TestClient, owner: Account) -> None:
    csrf = web_login(client, owner)
    wrong = client.post(
        "/settings/sales/logo",
        data={"csrf_token": csrf},
        files={"logo": ("logo.gif", b"GIF89a", "image/gif")},
    )
    assert wrong.status_code == 422
    assert "The logo is not a readable PNG or JPEG image." in unescape(wrong.text)
    saved = client.post(
        "/settings/sales/logo",
        data={"csrf_token": csrf},
        files={"logo": ("logo.png", _png(300, 100), "image/png")},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = client.get("/settings/sales?notice=logo_saved")
    assert 'src="/settings/sales/logo"' in page.text
    assert client.get("/settings/sales/logo").headers["content-type"] == "image/png"
    removed = client.post(
        "/settings/sales/logo/delete", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert client.get("/settings/sales/logo").status_code == 404
