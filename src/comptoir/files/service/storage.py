"""Where the bytes of stored files live: one interface, a local directory or an S3 bucket.

Keys are made by :mod:`comptoir.files.service.files` (``<organization id>/<random hex>``)
and checked again here, so that no name a person typed can ever become a path or an
object name.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.exceptions import ClientError

from comptoir.kit.settings import Settings

KEY_PATTERN = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[0-9a-f]{32}"
)


class MissingObject(LookupError):
    """The storage holds nothing under this key."""


def check_key(key: str) -> str:
    if not KEY_PATTERN.fullmatch(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class Storage(Protocol):
    def put(self, key: str, content: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; :class:`MissingObject` when there are none."""
        ...

    def delete(self, key: str) -> None:
        """Forget ``key``; nothing happens when it is already gone."""
        ...


class LocalStorage:
    """Files in a directory, one sub-directory per organization."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / check_key(key)

    def put(self, key: str, content: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside, then renamed: a crash never leaves half a file under the key.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise MissingObject(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    """Objects in an S3-compatible bucket, under the same keys as on disk."""

    def __init__(self, bucket: str, client: Any) -> None:
        self.bucket = bucket
        self.client = client

    def put(self, key: str, content: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=check_key(key), Body=content, ContentType=content_type
        )

    def get(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise MissingObject(key) from None
            raise
        body: bytes = answer["Body"].read()
        return body

    def delete(self, key: str) -> None:
        # S3 answers a delete of a missing key with success, as the interface wants.
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))


def s3_client(settings: Settings) -> Any:
    secret = settings.s3_secret_access_key
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=secret.get_secret_value() if secret is not None else None,
    )


def storage_for(settings: Settings) -> Storage:
    """The bucket when ``COMPTOIR_S3_BUCKET`` is set, else ``<data dir>/files``."""
    if settings.s3_bucket:
        return S3Storage(settings.s3_bucket, s3_client(settings))
    return LocalStorage(settings.data_dir / "files")
