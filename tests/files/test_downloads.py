"""Signed download links: the only way to a stored file's bytes, for a few minutes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from comptoir.app import create_app
from comptoir.files.models import StoredFile
from comptoir.files.service import files
from comptoir.files.service.storage import storage_for
from comptoir.kit import clock
from comptoir.kit.db import Database
from comptoir.kit.errors import NotFound
from comptoir.kit.settings import Settings
from tests.conftest import register
from tests.files.samples import PDF, image, store

SECRET = "test-secret-key-that-is-long-enough-0123456789"


def link(stored: StoredFile, variant: files.Variant = "original", expires_in: int = 300) -> str:
    url = files.signed_url(
        stored, secret=SECRET, base_url="http://testserver", variant=variant, expires_in=expires_in
    )
    assert url.startswith("http://testserver/files/")
    return url.removeprefix("http://testserver")


def max_age(cache_control: str) -> int:
    private, age = cache_control.split(", ")
    assert private == "private"
    return int(age.removeprefix("max-age="))


@pytest.fixture
def receipt(client: TestClient, database: Database, settings: Settings) -> StoredFile:
    org = register(client, organization_name="Mine SARL")
    content = image("PNG", (640, 480))
    return store(database, storage_for(settings), org.organization_id, content, "reçu n°1.png")


@pytest.fixture
def theirs(client: TestClient, database: Database, settings: Settings) -> StoredFile:
    org = register(client, organization_name="Theirs SARL")
    return store(database, storage_for(settings), org.organization_id, PDF, "secret.pdf")


def test_a_signed_link_opens_the_file_without_logging_in(
    client: TestClient, receipt: StoredFile, settings: Settings
) -> None:
    client.cookies.clear()
    response = client.get(link(receipt))
    assert response.status_code == 200
    assert response.content == storage_for(settings).get(receipt.storage_key)
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"] == (
        "inline; filename=\"re_u n_1.png\"; filename*=UTF-8''re%C3%A7u%20n%C2%B01.png"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert 290 <= max_age(response.headers["cache-control"]) <= 300


def test_the_thumbnail_has_its_own_link(client: TestClient, receipt: StoredFile) -> None:
    response = client.get(link(receipt, "thumbnail"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert "reçu%20n%C2%B01-thumbnail.jpg" in response.headers["content-disposition"].replace(
        "%C3%A7", "ç"
    )
    with Image.open(io.BytesIO(response.content)) as thumb:
        assert thumb.size == (320, 240)
    # The original's signature does not open the thumbnail, nor the other way round.
    original = link(receipt)
    assert client.get(original.replace("/original?", "/thumbnail?")).status_code == 404


def test_a_pdf_has_no_thumbnail_link(theirs: StoredFile) -> None:
    with pytest.raises(NotFound):
        link(theirs, "thumbnail")


def test_a_tampered_link_answers_404(client: TestClient, receipt: StoredFile) -> None:
    url = link(receipt)
    path, query = url.split("?")
    params = {key: value[0] for key, value in parse_qs(query).items()}
    signature = params["signature"]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    later = str(int(params["expires"]) + 3600)
    for bad in (
        f"{path}?expires={params['expires']}&signature={flipped}",
        f"{path}?expires={later}&signature={signature}",
        f"{path}?expires={params['expires']}&signature={signature.upper()}",
        f"{path}?expires={params['expires']}",
        f"{path}?expires=-1&signature={signature}",
        f"{path}?expires={params['expires']}&signature=é",
        path,
        f"/files/not-a-uuid/original?{query}",
        f"{path.replace('/original', '/raw')}?{query}",
    ):
        response = client.get(bad)
        assert response.status_code == 404, bad
        assert response.headers["content-type"].startswith("text/html")
        assert receipt.filename not in response.text


def test_another_organizations_file_is_unreachable_with_my_signature(
    client: TestClient, receipt: StoredFile, theirs: StoredFile
) -> None:
    mine = link(receipt)
    assert client.get(mine).status_code == 200
    response = client.get(mine.replace(str(receipt.id), str(theirs.id)))
    assert response.status_code == 404
    assert PDF not in response.content


def test_a_leaked_storage_key_opens_nothing(
    client: TestClient, receipt: StoredFile, settings: Settings
) -> None:
    query = urlsplit(link(receipt)).query
    for path in (
        f"/files/{receipt.storage_key}",
        f"/files/{receipt.storage_key}?{query}",
        f"/files/{receipt.storage_key}/original?{query}",
        f"/static/../files/{receipt.storage_key}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.content != storage_for(settings).get(receipt.storage_key)


def test_a_link_expires(client: TestClient, receipt: StoredFile) -> None:
    url = link(receipt, expires_in=300)
    with clock.travel(timedelta(seconds=250)):
        response = client.get(url)
        assert response.status_code == 200
        assert 40 <= max_age(response.headers["cache-control"]) <= 50
    with clock.travel(timedelta(seconds=301)):
        response = client.get(url)
        assert response.status_code == 410
        assert "expired" in response.text
    # An expired link whose signature is wrong says nothing about the file.
    with clock.travel(timedelta(seconds=301)):
        assert client.get(url.replace("signature=", "signature=0")).status_code == 404


def test_a_file_whose_bytes_are_lost_answers_404(
    client: TestClient, receipt: StoredFile, settings: Settings
) -> None:
    storage_for(settings).delete(receipt.storage_key)
    assert client.get(link(receipt)).status_code == 404


@pytest.fixture
def s3_client(s3_settings: Settings, database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(s3_settings, database)) as test_client:
        yield test_client


def test_files_in_a_bucket_are_served_through_the_same_links(
    s3_client: TestClient, s3_settings: Settings, database: Database
) -> None:
    org = register(s3_client, organization_name="Bucket SARL")
    stored = store(database, storage_for(s3_settings), org.organization_id, PDF, "bill.pdf")
    assert not (s3_settings.data_dir / "files").exists()
    response = s3_client.get(link(stored))
    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    with clock.travel(timedelta(seconds=301)):
        assert s3_client.get(link(stored)).status_code == 200
        assert s3_client.get(link(stored, expires_in=-1)).status_code == 410
