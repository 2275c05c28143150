"""Both storages the application can use: a local directory, and a real S3-compatible
server (moto's, in this process, on a free port) that boto3 talks to over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from comptoir.files.service.storage import Storage, s3_client, storage_for
from comptoir.kit.settings import Settings


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_settings(settings: Settings, s3_endpoint: str) -> Settings:
    configured = settings.model_copy(
        update={
            "s3_bucket": f"receipts-{uuid.uuid4().hex[:12]}",
            "s3_endpoint_url": s3_endpoint,
            "s3_region": "eu-west-3",
            "s3_access_key_id": "comptoir-test",
            "s3_secret_access_key": SecretStr("comptoir-test-secret"),
        }
    )
    s3_client(configured).create_bucket(
        Bucket=configured.s3_bucket,
        CreateBucketConfiguration={"LocationConstraint": "eu-west-3"},
    )
    return configured


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, settings: Settings) -> Storage:
    if request.param == "local":
        return storage_for(settings)
    return storage_for(request.getfixturevalue("s3_settings"))
