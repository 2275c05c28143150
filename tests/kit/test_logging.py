"""Logs are one JSON object per line and carry the request id."""

from __future__ import annotations

import json
import logging

from comptoir.kit.context import Origin, reset_origin, set_origin
from comptoir.kit.logging import JsonFormatter


def test_json_lines_carry_request_id_and_extra_fields() -> None:
    record = logging.LogRecord(
        "comptoir.test", logging.INFO, __file__, 1, "request %s", ("done",), None
    )
    record.status = 201
    token = set_origin(Origin(request_id="req-7", ip="203.0.113.9"))
    try:
        line = JsonFormatter().format(record)
    finally:
        reset_origin(token)
    entry = json.loads(line)
    assert entry["message"] == "request done"
    assert entry["request_id"] == "req-7"
    assert entry["status"] == 201
    assert entry["level"] == "info"
    assert "\n" not in line


def test_exceptions_stay_on_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["exception"]
