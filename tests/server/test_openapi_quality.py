"""What the OpenAPI document promises for every operation, checked over the document
itself so that a new route is held to it without anyone remembering to: a summary and a
description, typed bodies, its error answers as problem documents, and valid examples."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from comptoir.app import create_app
from comptoir.kit.settings import Settings
from comptoir.server.openapi import PROBLEM_MEDIA_TYPE, PROBLEM_REF, XLSX, operations
from tests.test_route_contracts import ROUTES

# Answers that are files, not JSON: each says its media type instead of a schema.
FILE_MEDIA_TYPES = {"application/pdf", "image/png", "image/jpeg", "text/csv", "text/plain", XLSX}
# Bodies in someone else's format, read raw: a payment provider's signed event.
RAW_BODIES = {("POST", "/api/v1/payments/callbacks/{provider}")}


@cache
def document() -> dict[str, Any]:
    app = create_app(Settings(env="test", database_url="sqlite://", secret_key="f" * 48))
    return app.openapi()


OPERATIONS = sorted((method, path) for method, path, _ in operations(document()))


def _operation(method: str, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = document()["paths"][path][method.lower()]
    return operation


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _is_typed(schema: dict[str, Any]) -> bool:
    schema = _resolve(schema)
    if "anyOf" in schema or "oneOf" in schema:
        return all(_is_typed(option) for option in schema.get("anyOf", schema.get("oneOf")))
    if schema.get("type") == "array":
        return _is_typed(schema.get("items", {}))
    return bool(schema.get("properties")) or schema.get("type") in {
        "string",
        "integer",
        "number",
        "boolean",
        "null",
    }


def _examples() -> list[tuple[str, dict[str, Any]]]:
    """Every (where, media type object) of the document that carries an example."""
    found = []
    for method, path, operation in operations(document()):
        body = operation.get("requestBody", {}).get("content", {})
        found += [(f"{method} {path} body {kind}", media) for kind, media in body.items()]
        for status, response in operation["responses"].items():
            for kind, media in response.get("content", {}).items():
                found.append((f"{method} {path} {status} {kind}", media))
    return [(where, media) for where, media in found if "example" in media]


def test_the_document_is_valid_openapi() -> None:
    validate(document())


def test_no_operation_mentions_fastapis_validation_error() -> None:
    # The application answers 422 with a problem document, never with FastAPI's shape.
    schemas = document()["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "Problem" in schemas


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation_is_described(method: str, path: str) -> None:
    operation = _operation(method, path)
    assert operation.get("summary"), "give the route a summary="
    assert len(operation.get("description", "").strip()) >= 20, "give the handler a docstring"


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_body_and_answer_is_typed(method: str, path: str) -> None:
    operation = _operation(method, path)
    if "requestBody" in operation and (method, path) not in RAW_BODIES:
        for kind, media in operation["requestBody"]["content"].items():
            assert _is_typed(media.get("schema", {})), f"untyped {kind} request body"
    successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
    assert successes, "no success answer"
    for status, response in successes.items():
        content = response.get("content", {})
        if status == "204":
            assert not content, "204 has no body"
        for kind, media in content.items():
            if kind in FILE_MEDIA_TYPES:
                continue
            assert kind == "application/json", f"{status}: say the file's media type, not {kind}"
            assert _is_typed(media.get("schema", {})), f"{status}: untyped answer"


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_error_is_a_documented_problem(method: str, path: str) -> None:
    operation = _operation(method, path)
    responses = operation["responses"]
    expected = set()
    if operation.get("security"):
        expected |= {"401", "403", "429"}
    if path == "/api/v1/auth/login":
        expected.add("429")
    if "{" in path:
        expected.add("404")
    if "requestBody" in operation or any(
        p["in"] != "path" for p in operation.get("parameters", [])
    ):
        expected.add("422")
    if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", [])):
        expected.add("409")
    missing = expected - set(responses)
    assert not missing, f"undocumented error statuses {sorted(missing)}"
    for status, response in responses.items():
        if int(status) < 400:
            continue
        assert list(response["content"]) == [PROBLEM_MEDIA_TYPE], status
        media = response["content"][PROBLEM_MEDIA_TYPE]
        assert media["schema"] == {"$ref": PROBLEM_REF}, status
        assert media["example"]["status"] == int(status)


def test_only_the_public_operations_need_no_token() -> None:
    public = {
        (method, route.path)
        for route in ROUTES
        for method in route.methods
        if getattr(route.endpoint, "public_route", False)
    }
    unsecured = {
        (method, path)
        for method, path, operation in operations(document())
        if path.startswith("/api/v1/") and not operation.get("security")
    }
    assert unsecured == public


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_json_body_has_an_example(method: str, path: str) -> None:
    operation = _operation(method, path)
    media_types = [
        (f"request {kind}", media)
        for kind, media in operation.get("requestBody", {}).get("content", {}).items()
        if kind == "application/json"
    ]
    media_types += [
        (f"{status} {kind}", media)
        for status, response in operation["responses"].items()
        if status.startswith("2")
        for kind, media in response.get("content", {}).items()
        if kind == "application/json"
    ]
    for where, media in media_types:
        assert "example" in media or "examples" in media, f"{where} has no example"


@pytest.mark.parametrize(
    ("where", "media"), _examples(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_example_matches_its_schema(where: str, media: dict[str, Any]) -> None:
    schema = {**media["schema"], "components": document()["components"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(media["example"]), key=str)
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
