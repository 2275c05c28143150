"""Keeping uploaded receipts: what is accepted, what is refused, and what is kept of it."""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from comptoir.files.service import files
from comptoir.files.service.checks import MAX_BYTES
from comptoir.files.service.storage import MissingObject, Storage, storage_for
from comptoir.kit.db import Database
from comptoir.kit.errors import NotFound, ValidationFailed
from comptoir.kit.settings import Settings
from tests.conftest import Account, register
from tests.files.samples import PDF, image, noise, store, tenant_session


@pytest.fixture
def org(client: TestClient) -> Account:
    return register(client, organization_name="Receipts SARL")


def half(content: bytes) -> bytes:
    return content[: len(content) // 2]


def refused(database: Database, storage: Storage, org: Account, content: bytes, name: str) -> str:
    with pytest.raises(ValidationFailed) as caught:
        store(database, storage, org.organization_id, content, name)
    [error] = caught.value.errors
    assert error.field == "file"
    return error.code


def test_an_image_is_kept_with_its_hash_and_a_thumbnail(
    database: Database, storage: Storage, org: Account
) -> None:
    content = image("PNG", (1600, 900), "RGBA")
    stored = store(database, storage, org.organization_id, content, "Ticket resto.png")
    assert stored.content_type == "image/png"
    assert stored.filename == "Ticket resto.png"
    assert stored.size == len(content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert stored.storage_key.startswith(f"{org.organization_id}/")
    assert storage.get(stored.storage_key) == content
    assert stored.thumbnail_key is not None
    with Image.open(io.BytesIO(storage.get(stored.thumbnail_key))) as thumb:
        assert thumb.format == "JPEG"
        assert thumb.size == (320, 180)


def test_a_jpeg_gets_a_thumbnail_and_a_pdf_none(
    database: Database, storage: Storage, org: Account
) -> None:
    photo = store(database, storage, org.organization_id, image("JPEG", (300, 4000)), "a.JPEG")
    assert (photo.content_type, photo.filename) == ("image/jpeg", "a.jpeg")
    assert photo.thumbnail_key is not None
    with Image.open(io.BytesIO(storage.get(photo.thumbnail_key))) as thumb:
        assert thumb.size == (24, 320)
    pdf = store(database, storage, org.organization_id, PDF, "bill.pdf")
    assert (pdf.content_type, pdf.thumbnail_key) == ("application/pdf", None)
    assert storage.get(pdf.storage_key) == PDF


def test_the_type_comes_from_the_content_not_the_name(
    database: Database, storage: Storage, org: Account
) -> None:
    png = store(database, storage, org.organization_id, image("PNG"), "scan.pdf")
    assert (png.content_type, png.filename) == ("image/png", "scan.png")
    pdf = store(database, storage, org.organization_id, PDF, "photo.jpg")
    assert (pdf.content_type, pdf.filename) == ("application/pdf", "photo.pdf")
    unnamed = store(database, storage, org.organization_id, image("JPEG"), "IMG_0001")
    assert unnamed.filename == "IMG_0001.jpg"


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200), "receipt.png"),
        (b"<!doctype html><script>alert(document.cookie)</script>", "receipt.png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "r.jpg"),
        # The right magic bytes and nothing of an image behind them.
        (b"\x89PNG\r\n\x1a\n" + b"<script>alert(1)</script>" * 10, "receipt.png"),
        (b"\xff\xd8\xff\xe0" + bytes(100), "receipt.jpg"),
        # A real PNG cut in half.
        (image("PNG", (400, 400))[:60], "receipt.png"),
        # Real images cut in half: the header reads well, the pixels do not.
        (half(noise("JPEG")), "receipt.jpg"),
        (half(noise("PNG")), "receipt.png"),
        (b"%PD", "receipt.pdf"),
        (b"PK\x03\x04" + bytes(50), "receipt.pdf"),
    ],
    ids=[
        "exe",
        "html",
        "svg",
        "png-magic-only",
        "jpeg-magic-only",
        "cut-png",
        "half-jpeg",
        "half-png",
        "pdf-prefix",
        "zip",
    ],
)
def test_what_is_not_a_jpeg_png_or_pdf_is_refused_whatever_its_name(
    database: Database, storage: Storage, org: Account, content: bytes, name: str
) -> None:
    assert refused(database, storage, org, content, name) == "unsupported_type"


def test_empty_and_oversized_files_are_refused(
    database: Database, settings: Settings, org: Account
) -> None:
    storage = storage_for(settings)
    assert refused(database, storage, org, b"", "receipt.pdf") == "empty"
    too_big = PDF + bytes(MAX_BYTES + 1 - len(PDF))
    assert refused(database, storage, org, too_big, "receipt.pdf") == "too_large"
    # An image of a few kilobytes that would unpack to 100 million pixels.
    bomb = image("PNG", (10_000, 10_000), "1")
    assert len(bomb) < 100_000
    assert refused(database, storage, org, bomb, "receipt.png") == "too_large"
    # Exactly 10 MB is still accepted.
    at_limit = store(database, storage, org.organization_id, too_big[:-1], "big.pdf")
    assert at_limit.size == MAX_BYTES
    # Nothing of the refused files reached the storage.
    directory = settings.data_dir / "files" / org.organization_id
    assert [p.name for p in directory.iterdir()] == [at_limit.storage_key.split("/")[1]]


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("..\\..\\windows\\system32\\x.png", "x.png"),
        ("C:\\x\\y.jpg", "y.png"),
        ("/var/www/index.png", "index.png"),
        ("rece\x00ipt\n.png", "receipt.png"),
        ("line\r\nX-Injected: 1.png", "lineX-Injected: 1.png"),
        ("invoice\u202egnp.exe", "invoicegnp.exe.png"),
        ("..", "file.png"),
        ("...png", "png.png"),
        ("", "file.png"),
        ("a..b....png", "a.b.png"),
        ("reçu café.PNG", "reçu café.png"),
    ],
)
def test_file_names_are_made_safe(
    database: Database, settings: Settings, org: Account, name: str, kept: str
) -> None:
    storage = storage_for(settings)
    stored = store(database, storage, org.organization_id, image("PNG", (20, 20)), name)
    assert stored.filename == kept
    # The name never reaches the storage: the bytes sit under the random key only.
    organization_dir = settings.data_dir / "files" / org.organization_id
    assert (organization_dir / stored.storage_key.split("/")[1]).exists()
    assert sorted(p.name for p in settings.data_dir.rglob("*") if p.is_file()) == sorted(
        key.split("/")[1] for key in (stored.storage_key, stored.thumbnail_key) if key
    )


def test_a_long_name_is_cut_keeping_its_extension(
    database: Database, settings: Settings, org: Account
) -> None:
    stored = store(database, storage_for(settings), org.organization_id, PDF, "é" * 400 + ".pdf")
    assert len(stored.filename) == 255
    assert stored.filename.endswith("é.pdf")


def test_files_are_listed_per_owner_and_hidden_from_other_organizations(
    client: TestClient, database: Database, settings: Settings, org: Account
) -> None:
    storage = storage_for(settings)
    expense = uuid.uuid4()
    with tenant_session(database, org.organization_id) as session:
        first, second = (
            files.store(
                session,
                storage,
                owner_type="expense",
                owner_id=expense,
                filename=name,
                content=PDF,
                uploaded_by=uuid.UUID(org.user_id),
            )
            for name in ("first.pdf", "second.pdf")
        )
        files.store(
            session,
            storage,
            owner_type="bill",
            owner_id=expense,
            filename="other.pdf",
            content=PDF,
            uploaded_by=None,
        )
        ids = [first.id, second.id]
    with tenant_session(database, org.organization_id) as session:
        assert [f.id for f in files.list_for(session, "expense", expense)] == ids
        assert files.get(session, ids[0]).uploaded_by_id == uuid.UUID(org.user_id)
    other = register(client, organization_name="Others SARL")
    with tenant_session(database, other.organization_id) as session:
        assert files.list_for(session, "expense", expense) == []
        with pytest.raises(NotFound):
            files.get(session, ids[0])


def test_bytes_follow_the_transaction(database: Database, storage: Storage, org: Account) -> None:
    # Stored then rolled back: the bytes go too.
    with pytest.raises(RuntimeError), tenant_session(database, org.organization_id) as session:
        lost = files.store(
            session,
            storage,
            owner_type="expense",
            owner_id=None,
            filename="lost.png",
            content=image("PNG"),
            uploaded_by=None,
        )
        keys = [lost.storage_key, lost.thumbnail_key]
        raise RuntimeError("the expense could not be saved")
    for key in keys:
        assert key is not None
        with pytest.raises(MissingObject):
            storage.get(key)

    kept = store(database, storage, org.organization_id, image("PNG"), "kept.png")
    assert kept.thumbnail_key is not None
    # Deleted then rolled back: the row stays, and so do its bytes.
    with pytest.raises(RuntimeError), tenant_session(database, org.organization_id) as session:
        files.delete(session, storage, files.get(session, kept.id))
        raise RuntimeError("the expense could not be deleted")
    assert storage.get(kept.storage_key)
    # Deleted and committed: row, file and thumbnail are gone.
    with tenant_session(database, org.organization_id) as session:
        files.delete(session, storage, files.get(session, kept.id))
        assert storage.get(kept.thumbnail_key)  # still there until the commit
    with tenant_session(database, org.organization_id) as session, pytest.raises(NotFound):
        files.get(session, kept.id)
    for key in (kept.storage_key, kept.thumbnail_key):
        with pytest.raises(MissingObject):
            storage.get(key)


def test_the_owner_type_is_checked(database: Database, settings: Settings, org: Account) -> None:
    with (
        tenant_session(database, org.organization_id) as session,
        pytest.raises(ValidationFailed) as caught,
    ):
        files.store(
            session,
            storage_for(settings),
            owner_type="../Expense",
            owner_id=None,
            filename="x.pdf",
            content=PDF,
            uploaded_by=None,
        )
    assert caught.value.errors[0].field == "owner_type"
