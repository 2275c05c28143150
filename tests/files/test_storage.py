"""The storage contract, kept alike by the local directory and the S3 bucket."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from comptoir.files.service.storage import (
    LocalStorage,
    MissingObject,
    S3Storage,
    Storage,
    storage_for,
)
from comptoir.kit.settings import Settings


def new_key() -> str:
    return f"{uuid.uuid4()}/{uuid.uuid4().hex}"


def test_what_is_put_is_got_back(storage: Storage) -> None:
    key = new_key()
    storage.put(key, b"%PDF-1.7 first", "application/pdf")
    assert storage.get(key) == b"%PDF-1.7 first"
    storage.put(key, b"%PDF-1.7 second", "application/pdf")
    assert storage.get(key) == b"%PDF-1.7 second"


def test_a_missing_key_is_reported_as_missing(storage: Storage) -> None:
    with pytest.raises(MissingObject):
        storage.get(new_key())


def test_delete_forgets_and_may_be_repeated(storage: Storage) -> None:
    key, other = new_key(), new_key()
    storage.put(key, b"one", "application/pdf")
    storage.put(other, b"two", "application/pdf")
    storage.delete(key)
    storage.delete(key)
    with pytest.raises(MissingObject):
        storage.get(key)
    assert storage.get(other) == b"two"


# Fixed ids: parallel test workers must collect the same parameters.
ORG = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
HEX = "4f1c2b3a5d6e7f8091a2b3c4d5e6f708"


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        f"{ORG}/../../{HEX}",
        f"{ORG}/{HEX}/../x",
        f"/{ORG}/{HEX}",
        f"{ORG}/receipt.png",
        "",
    ],
)
def test_only_keys_the_service_makes_are_accepted(storage: Storage, key: str) -> None:
    with pytest.raises(ValueError, match="not a storage key"):
        storage.put(key, b"x", "application/pdf")
    with pytest.raises(ValueError, match="not a storage key"):
        storage.get(key)
    with pytest.raises(ValueError, match="not a storage key"):
        storage.delete(key)


def test_local_files_live_under_the_data_directory_and_leave_no_temporary_file(
    settings: Settings,
) -> None:
    storage = storage_for(settings)
    assert isinstance(storage, LocalStorage)
    assert storage.directory == settings.data_dir / "files"
    key = new_key()
    storage.put(key, b"content", "application/pdf")
    organization, name = key.split("/")
    assert [p.name for p in (settings.data_dir / "files" / organization).iterdir()] == [name]
    assert (settings.data_dir / "files" / key).read_bytes() == b"content"


def test_a_failed_local_write_keeps_the_previous_content(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    key = new_key()
    storage.put(key, b"before", "application/pdf")
    with pytest.raises(TypeError):
        storage.put(key, "not bytes", "application/pdf")  # type: ignore[arg-type]
    assert storage.get(key) == b"before"
    assert [p.name for p in (tmp_path / key).parent.iterdir()] == [key.split("/")[1]]


def test_a_configured_bucket_is_used(s3_settings: Settings) -> None:
    storage = storage_for(s3_settings)
    assert isinstance(storage, S3Storage)
    key = new_key()
    storage.put(key, b"in the bucket", "application/pdf")
    listed = storage.client.list_objects_v2(Bucket=s3_settings.s3_bucket)
    assert [item["Key"] for item in listed["Contents"]] == [key]
    head = storage.client.head_object(Bucket=s3_settings.s3_bucket, Key=key)
    assert head["ContentType"] == "application/pdf"
