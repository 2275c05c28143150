"""Property-based fuzzing of every API operation from its OpenAPI description: whatever a
client sends, the answer is never a server error, every error is a problem document, and
every answer is one the document describes (status, media type, headers, body schema)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from comptoir.app import create_app
from comptoir.kit.db import Database
from comptoir.kit.settings import Settings
from tests.conftest import PG_URL, empty_pg_database, register

# Operations whose success would end the fuzzer's own session.
SKIPPED = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/change-password")}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzz_app(
    database_template: str, pg_worker_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    workdir = tmp_path_factory.mktemp("fuzz")
    if PG_URL:
        url = pg_worker_database
    else:
        shutil.copyfile(database_template, workdir / "fuzz.sqlite3")
        url = f"sqlite:///{Path(workdir) / 'fuzz.sqlite3'}"
    database = Database(url)
    app = create_app(
        Settings(
            env="test",
            data_dir=workdir,
            database_url=url,
            secret_key="f" * 48,
            log_format="text",
            log_level="CRITICAL",
        ),
        database,
    )
    yield app
    if PG_URL:
        empty_pg_database(database)
    database.dispose()


@pytest.fixture(scope="module")
def fuzz_headers(fuzz_app: Any) -> dict[str, str]:
    with TestClient(fuzz_app) as client:
        return register(client, organization_name="Fuzz SARL").headers


def _operations() -> list[tuple[str, str]]:
    spec = create_app(Settings(env="test", database_url="sqlite://", secret_key="f" * 48)).openapi()
    return sorted(
        (method.upper(), path)
        for path, methods in spec["paths"].items()
        for method in methods
        if (method.upper(), path) not in SKIPPED
    )


@pytest.mark.parametrize(("method", "path"), _operations())
def test_no_input_makes_the_api_fail(
    fuzz_app: Any, fuzz_headers: dict[str, str], method: str, path: str
) -> None:
    operation = schemathesis.openapi.from_asgi("/api/openapi.json", fuzz_app)[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        # The same cases on every run: a failure in CI is one a developer can replay.
        derandomize=True,
    )
    def check(case: Any) -> None:
        response = case.call_and_validate(
            headers={**(case.headers or {}), **fuzz_headers}, checks=CHECKS
        )
        if response.status_code >= 400:
            content_type = response.headers.get("content-type")
            if isinstance(content_type, list):
                content_type = content_type[0]
            assert content_type == "application/problem+json", response.text
            assert response.json()["code"]

    check()
