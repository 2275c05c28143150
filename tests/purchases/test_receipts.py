"""Receipts of expenses and bills through the API: what is kept, what is refused, and who
may open them."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from comptoir.kit import clock
from tests.conftest import Account, register
from tests.files.samples import PDF, image
from tests.notifications.helpers import member
from tests.purchases.expense_helpers import expense, set_rules, submitted
from tests.purchases.helpers import bill, supplier

Upload = tuple[str, bytes, str]


def upload(client: TestClient, who: Account | dict[str, str], path: str, *files: Upload) -> Any:
    headers = who.headers if isinstance(who, Account) else who
    return client.post(
        f"{path}/receipts", headers=headers, files=[("file", item) for item in files]
    )


def opened(client: TestClient, url: str) -> Any:
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


@pytest.fixture
def draft(client: TestClient, owner: Account) -> str:
    return f"/api/v1/expenses/{expense(client, owner)['id']}"


def test_a_pdf_and_a_png_are_kept_and_open_by_their_links(
    client: TestClient, owner: Account, draft: str
) -> None:
    png = image("PNG", (1200, 800))
    response = upload(
        client,
        owner,
        draft,
        ("ticket.pdf", PDF, "application/pdf"),
        ("photo.png", png, "image/png"),
    )
    assert response.status_code == 201, response.text
    pdf_receipt, png_receipt = response.json()
    assert (pdf_receipt["filename"], pdf_receipt["content_type"]) == (
        "ticket.pdf",
        "application/pdf",
    )
    assert pdf_receipt["thumbnail_url"] is None
    assert pdf_receipt["uploaded_by"] == owner.user_id
    assert opened(client, pdf_receipt["url"]).content == PDF
    assert png_receipt["size"] == len(png)
    thumbnail = opened(client, png_receipt["thumbnail_url"])
    assert thumbnail.status_code == 200
    assert thumbnail.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumbnail.content)) as thumb:
        assert thumb.size == (320, 213)
    listed = client.get(f"{draft}/receipts", headers=owner.headers).json()
    assert [item["id"] for item in listed] == [pdf_receipt["id"], png_receipt["id"]]
    assert client.get(draft, headers=owner.headers).json()["receipts"] == 2


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("receipt.jpg", b"Just some text pretending to be a photo", "unsupported_type"),
        ("receipt.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "unsupported_type"),
        ("receipt.png", b"<html><script>alert(1)</script></html>", "unsupported_type"),
        ("broken.png", image("PNG")[:60], "unsupported_type"),
        ("empty.pdf", b"", "empty"),
        ("huge.pdf", b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024), "too_large"),
    ],
    ids=["text-as-jpg", "exe-as-jpg", "html-as-png", "cut-png", "empty", "over-10-mb"],
)
def test_what_is_not_a_receipt_is_refused(
    client: TestClient, owner: Account, draft: str, name: str, content: bytes, code: str
) -> None:
    response = upload(client, owner, draft, (name, content, "image/jpeg"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("file", code)
    assert client.get(f"{draft}/receipts", headers=owner.headers).json() == []


def test_one_bad_file_refuses_the_whole_upload(
    client: TestClient, owner: Account, draft: str
) -> None:
    response = upload(
        client,
        owner,
        draft,
        ("good.pdf", PDF, "application/pdf"),
        ("bad.jpg", b"not an image", "image/jpeg"),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file[1]"
    assert client.get(f"{draft}/receipts", headers=owner.headers).json() == []


def test_a_body_over_the_upload_limit_gets_a_clean_413(
    client: TestClient, owner: Account, draft: str
) -> None:
    response = upload(
        client, owner, draft, ("big.pdf", b"%PDF-1.7\n" + b"0" * (12 * 1024 * 1024), "x/y")
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_path_tricks_in_the_name_are_made_safe(
    client: TestClient, owner: Account, draft: str
) -> None:
    response = upload(client, owner, draft, ("../../etc/passwd.pdf", PDF, "application/pdf"))
    assert response.status_code == 201, response.text
    [kept] = response.json()
    assert kept["filename"] == "passwd.pdf"
    download = opened(client, kept["url"])
    assert download.status_code == 200
    assert "passwd.pdf" in download.headers["content-disposition"]
    assert "/" not in download.headers["content-disposition"].split("filename=")[1]


def test_links_expire(client: TestClient, owner: Account, draft: str) -> None:
    [kept] = upload(client, owner, draft, ("ticket.pdf", PDF, "application/pdf")).json()
    with clock.travel(timedelta(seconds=301)):
        response = opened(client, kept["url"])
    assert response.status_code == 410
    # A fresh list gives fresh links.
    [again] = client.get(f"{draft}/receipts", headers=owner.headers).json()
    assert opened(client, again["url"]).status_code == 200


def test_another_organization_reaches_none_of_it(
    client: TestClient, owner: Account, draft: str
) -> None:
    [kept] = upload(client, owner, draft, ("ticket.pdf", PDF, "application/pdf")).json()
    other = register(client, organization_name="Other SARL")
    theirs = f"/api/v1/expenses/{expense(client, other)['id']}"
    [their_file] = upload(client, other, theirs, ("theirs.pdf", PDF, "application/pdf")).json()
    assert client.get(f"{draft}/receipts", headers=other.headers).status_code == 404
    assert upload(client, other, draft, ("x.pdf", PDF, "application/pdf")).status_code == 404
    assert client.delete(f"{draft}/receipts/{kept['id']}", headers=other.headers).status_code == 404
    # Their file under our expense, or our signature on their file: nothing.
    assert (
        client.delete(f"{draft}/receipts/{their_file['id']}", headers=owner.headers).status_code
        == 404
    )
    forged = kept["url"].replace(kept["id"], their_file["id"])
    assert opened(client, forged).status_code == 404
    assert opened(client, their_file["url"]).status_code == 200  # the link itself is the key


def test_staff_reach_only_their_own_expenses_receipts(
    client: TestClient, owner: Account, draft: str
) -> None:
    sales = member(client, owner, "sales@example.net", "sales")
    assert client.get(f"{draft}/receipts", headers=sales).status_code == 404
    mine = f"/api/v1/expenses/{expense(client, sales)['id']}"
    assert upload(client, sales, mine, ("a.pdf", PDF, "application/pdf")).status_code == 201


def test_receipts_are_added_at_any_time_and_removed_only_before_approval(
    client: TestClient, owner: Account
) -> None:
    set_rules(client, owner, [{"up_to": None, "steps": []}])
    draft = expense(client, owner)
    path = f"/api/v1/expenses/{draft['id']}"
    [first] = upload(client, owner, path, ("a.pdf", PDF, "application/pdf")).json()
    assert client.delete(f"{path}/receipts/{first['id']}", headers=owner.headers).status_code == 204
    assert client.get(f"{path}/receipts", headers=owner.headers).json() == []
    assert opened(client, first["url"]).status_code == 404
    paid = submitted(client, owner)
    path = f"/api/v1/expenses/{paid['id']}"
    [late] = upload(client, owner, path, ("late.pdf", PDF, "application/pdf")).json()
    kept = client.delete(f"{path}/receipts/{late['id']}", headers=owner.headers)
    assert (kept.status_code, kept.json()["code"]) == (409, "receipt_kept")


def test_deleting_a_draft_takes_its_receipts(
    client: TestClient, owner: Account, draft: str
) -> None:
    [kept] = upload(client, owner, draft, ("a.pdf", PDF, "application/pdf")).json()
    assert client.delete(draft, headers=owner.headers).status_code == 204
    assert opened(client, kept["url"]).status_code == 404


def test_bills_take_receipts_too(client: TestClient, owner: Account) -> None:
    party = supplier(client, owner)
    draft = bill(client, owner, party["id"], approve=False)
    path = f"/api/v1/bills/{draft['id']}"
    response = upload(client, owner, path, ("facture.pdf", PDF, "application/pdf"))
    assert response.status_code == 201, response.text
    listed = client.get(f"{path}/receipts", headers=owner.headers).json()
    assert [item["filename"] for item in listed] == ["facture.pdf"]
    other = register(client, organization_name="Other SARL")
    assert client.get(f"{path}/receipts", headers=other.headers).status_code == 404
    assert upload(client, other, path, ("x.pdf", PDF, "application/pdf")).status_code == 404
