"""HTTP behaviour shared by every route: problems, limits, headers, health, metrics, docs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from comptoir.app import create_app
from comptoir.kit.db import Database
from comptoir.kit.settings import Settings
from tests.conftest import Account


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"] == "urn:comptoir:problem:not_found"
    wrong_method = client.put("/api/v1/auth/login")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"


def test_malformed_json_is_a_400_problem(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"


def test_validation_problem_lists_fields(client: TestClient, owner: Account) -> None:
    response = client.get("/api/v1/audit-events?limit=999", headers=owner.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"
    bad_uuid = client.get("/api/v1/members/123", headers=owner.headers)
    assert bad_uuid.status_code == 422
    assert bad_uuid.json()["errors"][0]["field"] == "member_id"


def test_oversized_body_is_413_declared_or_streamed(client: TestClient) -> None:
    big = b"{" + b" " * 1_100_000 + b"}"
    declared = client.post(
        "/api/v1/auth/login", content=big, headers={"content-type": "application/json"}
    )
    assert declared.status_code == 413
    assert declared.json()["code"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b" " * 100_000

    streamed = client.post(
        "/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413


def test_request_id_is_generated_or_echoed(client: TestClient) -> None:
    generated = client.get("/health/live")
    assert len(generated.headers["x-request-id"]) == 32
    echoed = client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    hostile = client.get("/health/live", headers={"X-Request-ID": "<script>" * 20})
    assert hostile.headers["x-request-id"] != "<script>" * 20
    problem = client.get("/api/v1/nothing", headers={"X-Request-ID": "trace-42"})
    assert problem.json()["request_id"] == "trace-42"


def test_security_headers(client: TestClient) -> None:
    response = client.get("/health/live")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_health(client: TestClient) -> None:
    assert client.get("/health/live").json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "migrations": "ok"}


def test_ready_is_503_when_migrations_are_pending(tmp_path, settings: Settings) -> None:
    empty = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with TestClient(create_app(settings, empty)) as fresh:
        response = fresh.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"].startswith("pending")


def test_metrics_count_requests_by_route(client: TestClient, owner: Account) -> None:
    client.get("/api/v1/auth/me", headers=owner.headers)
    text = client.get("/metrics").text
    assert "comptoir_http_requests_total" in text
    assert 'route="/api/v1/auth/me"' in text


def test_openapi_and_docs_are_served_locally(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/auth/register" in spec["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/auth/me", "/api/v1/members", "/api/v1/audit-events"])
def test_protected_routes_need_a_token(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.json()["code"] == "missing_token"


def test_openapi_document_is_valid(client: TestClient) -> None:
    from openapi_spec_validator import validate

    validate(client.get("/api/openapi.json").json())


def test_browsers_get_an_html_page_for_unknown_pages(client: TestClient) -> None:
    page = client.get("/no-such-page", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<html" in page.text
    api = client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert api.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/api/v1/auth/me", '{"name": "a\\u0000b"}'),
        ("GET", "/api/v1/journal-entries?reference=a%00b", None),
        ("POST", "/api/v1/auth/login", '{"email": "x\\u0000@example.com", "password": "p"}'),
    ],
)
def test_nul_characters_are_refused(
    client: TestClient, owner: Account, method: str, path: str, body: str | None
) -> None:
    response = client.request(
        method, path, content=body, headers={**owner.headers, "content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "nul_character"


def test_file_imports_take_larger_bodies_than_json(client: TestClient) -> None:
    from tests.conftest import register

    owner = register(client)
    # 2 MB of CSV: over the JSON limit, within an import's. Its header is wrong, so the
    # import itself answers (422), not the size check (413).
    padding = "x" * 100
    text = "name,shoe_size\n" + "".join(f"{padding},{i}\n" for i in range(20_000))
    assert 1_048_576 < len(text) < 5 * 1024 * 1024
    for path in ("/api/v1/products/import", "/api/v1/customers/import"):
        answered = client.post(
            path, headers=owner.headers, files={"file": ("big.csv", text.encode(), "text/csv")}
        )
        assert answered.status_code == 422, (path, answered.text)
    too_big = client.post(
        "/api/v1/products/import",
        headers=owner.headers,
        files={"file": ("huge.csv", b"name\n" + b"x\n" * 3_500_000, "text/csv")},
    )
    assert too_big.status_code == 413
    assert "6291456 bytes" in too_big.json()["detail"]
    json_body = client.post(
        "/api/v1/products",
        headers={**owner.headers, "content-type": "application/json"},
        content=b'{"name": "' + b"x" * 2_000_000 + b'"}',
    )
    assert json_body.status_code == 413
