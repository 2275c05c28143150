"""`POST /api/v1/tax/validate-id`: the offline rules for every kind, and the optional VIES
lookup against a real HTTP server standing in for the Commission's."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.app import create_app
from comptoir.kit.db import Database
from comptoir.kit.settings import Settings
from tests.conftest import Account, register


def _check(client: TestClient, account: Account, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/tax/validate-id", json=body, headers=account.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.parametrize(
    ("body", "valid", "normalized", "rule"),
    [
        ({"kind": "vat", "value": "fr 40 303 265 045"}, True, "FR40303265045", None),
        ({"kind": "vat", "value": "40303265045", "country": "FR"}, True, "FR40303265045", None),
        ({"kind": "vat", "value": "FR41303265045"}, False, None, "checksum"),
        ({"kind": "vat", "value": "DE13669597"}, False, None, "length"),
        ({"kind": "vat", "value": "QQ123456789"}, False, None, "country"),
        ({"kind": "vat", "value": "123456789", "country": "XX"}, False, None, "country"),
        ({"kind": "vat", "value": "EL094259216"}, True, "EL094259216", None),
        ({"kind": "siren", "value": "303 265 045"}, True, "303265045", None),
        ({"kind": "siren", "value": "303265046"}, False, None, "checksum"),
        ({"kind": "siret", "value": "30326504500013"}, False, None, "checksum"),
        ({"kind": "siret", "value": "3032650450001"}, False, None, "length"),
        (
            {"kind": "iban", "value": "fr76 3000 6000 0112 3456 7890 189"},
            True,
            "FR7630006000011234567890189",
            None,
        ),
        ({"kind": "iban", "value": "FR7630006000011234567890188"}, False, None, "checksum"),
        ({"kind": "bic", "value": "bnpafrpp"}, True, "BNPAFRPP", None),
        ({"kind": "bic", "value": "BNPAFRP"}, False, None, "length"),
        ({"kind": "tpin", "value": "1001234567"}, True, "1001234567", None),
        ({"kind": "tpin", "value": "100123456"}, False, None, "length"),
        ({"kind": "tpin", "value": "10012345AB"}, False, None, "format"),
        ({"kind": "phone", "value": "01 42 68 53 00", "country": "FR"}, True, "+33142685300", None),
        ({"kind": "phone", "value": "+260 97 1234567"}, True, "+260971234567", None),
        ({"kind": "phone", "value": "12"}, False, None, "format"),
        ({"kind": "iban", "value": "   "}, False, None, "empty"),
    ],
)
def test_offline_rules(
    client: TestClient,
    owner: Account,
    body: dict[str, Any],
    valid: bool,
    normalized: str | None,
    rule: str | None,
) -> None:
    result = _check(client, owner, **body)
    assert (result["valid"], result["normalized"], result["rule"]) == (valid, normalized, rule)
    assert (result["reason"] is None) is valid
    # VIES is off unless the server turns it on.
    assert result["online"] is None


def test_malformed_requests_are_problems(client: TestClient, owner: Account) -> None:
    for body in (
        {"kind": "passport", "value": "X"},
        {"kind": "vat", "value": 123},
        {"kind": "vat"},
        {"kind": "vat", "value": "FR40303265045", "country": "FRA"},
        {"kind": "vat", "value": "x" * 201},
    ):
        response = client.post("/api/v1/tax/validate-id", json=body, headers=owner.headers)
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")


def test_asking_for_vies_when_the_server_does_not_allow_it(
    client: TestClient, owner: Account
) -> None:
    result = _check(client, owner, kind="vat", value="FR40303265045", online=True)
    assert result["valid"] is True
    assert result["online"]["checked"] is False
    assert "turned off" in result["online"]["message"]


class _Vies:
    """A VIES stand-in: records what it is asked and answers what the test sets."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.answer: dict[str, Any] = {}


@pytest.fixture
def vies() -> Iterator[tuple[_Vies, str]]:
    state = _Vies()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.requests.append(json.loads(self.rfile.read(length)))
            payload = json.dumps(state.answer).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/check-vat-number"
    finally:
        server.shutdown()
        server.server_close()


def _client_with_vies(settings: Settings, database: Database, url: str) -> TestClient:
    app = create_app(settings.model_copy(update={"vies_enabled": True, "vies_url": url}), database)
    return TestClient(app)


def test_vies_confirms_a_registered_number(
    settings: Settings, database: Database, vies: tuple[_Vies, str]
) -> None:
    state, url = vies
    state.answer = {
        "countryCode": "DE",
        "vatNumber": "136695976",
        "valid": True,
        "name": "Muster GmbH",
        "address": "Musterstraße 1, 10115 Berlin",
    }
    with _client_with_vies(settings, database, url) as client:
        account = register(client)
        result = _check(client, account, kind="vat", value="de136695976")
        assert state.requests == [{"countryCode": "DE", "vatNumber": "136695976"}]
        assert result["online"] == {
            "checked": True,
            "registered": True,
            "name": "Muster GmbH",
            "address": "Musterstraße 1, 10115 Berlin",
            "message": "Registered for VAT according to VIES.",
        }
        # Greek numbers go to VIES as EL; undisclosed details come back as "---".
        state.answer = {"valid": False, "name": "---", "address": "---"}
        greek = _check(client, account, kind="vat", value="EL094259216")
        assert state.requests[-1] == {"countryCode": "EL", "vatNumber": "094259216"}
        assert greek["valid"] is True
        assert greek["online"]["registered"] is False and greek["online"]["name"] is None
        # A number failing the offline check never leaves the building, nor does a
        # request that opts out, nor another kind of identifier.
        count = len(state.requests)
        assert _check(client, account, kind="vat", value="DE136695977")["online"] is None
        assert (
            _check(client, account, kind="vat", value="DE136695976", online=False)["online"] is None
        )
        assert _check(client, account, kind="siren", value="303265045")["online"] is None
        assert len(state.requests) == count
        outside = _check(client, account, kind="vat", value="GB980780684")
        assert outside["valid"] is True and outside["online"]["checked"] is False
        assert len(state.requests) == count


def test_vies_failures_leave_the_offline_verdict(
    settings: Settings, database: Database, vies: tuple[_Vies, str]
) -> None:
    state, url = vies
    state.status = 500
    state.answer = {"actionSucceed": False, "errorWrappers": [{"error": "MS_UNAVAILABLE"}]}
    with _client_with_vies(settings, database, url) as client:
        account = register(client)
        result = _check(client, account, kind="vat", value="FR40303265045")
        assert result["valid"] is True
        assert result["online"]["checked"] is False
        assert "MS_UNAVAILABLE" in result["online"]["message"]

    # Nothing listening on the port: VIES is unreachable.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/check"
    with _client_with_vies(settings, database, closed) as client:
        account = register(client)
        result = _check(client, account, kind="vat", value="FR40303265045")
        assert result["valid"] is True
        assert result["online"]["checked"] is False
        assert "could not be reached" in result["online"]["message"]
