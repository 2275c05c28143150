"""The OpenAPI document, completed from what the routes already say.

FastAPI describes bodies, parameters and answers; it knows nothing of the problem
documents the application answers errors with, of the scope guard, nor of examples.
``install`` adds them to every operation from the route itself (its guard, its
parameters, its body), so that a new route is documented like the others without
anything to remember: 401/403/429 behind the guard, 404 with path ids, 422 with input,
the router's own codes (``responses=problem_responses(409)``), one problem example per
status, and an example of every JSON body, written on the models or built from their
schema.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from comptoir.server.problems import PROBLEM_TYPE

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
BEARER = "bearer"
LOGIN_PATH = "/api/v1/auth/login"

# The status, code, title and detail of each example, and the description of the status.
_STATUSES: dict[int, tuple[str, str, str, str]] = {
    400: (
        "malformed_json",
        "Malformed JSON",
        "The request body is not valid JSON.",
        "The body is not valid JSON",
    ),
    401: (
        "missing_token",
        "Authentication required",
        "Send an access token: Authorization: Bearer <token>.",
        "No valid access token (missing, expired, revoked)",
    ),
    403: (
        "insufficient_scope",
        "Forbidden",
        "Your role does not allow this (invoices:write).",
        "The token or role lacks the scope, or the token may not be used from here",
    ),
    404: (
        "not_found",
        "Not found",
        "No such record in this organization.",
        "Unknown id, or another organization's",
    ),
    409: (
        "conflict",
        "Conflict",
        "The change conflicts with the record's current state.",
        "The record's state does not allow this",
    ),
    410: ("gone", "No longer available", "This link has expired.", "No longer available"),
    413: (
        "payload_too_large",
        "Payload too large",
        "The request body is larger than allowed.",
        "The body is too large",
    ),
    415: (
        "unsupported_media_type",
        "Unsupported media type",
        "This file type is not accepted.",
        "The file type is not accepted",
    ),
    422: (
        "validation_failed",
        "Invalid input",
        "amount: Must be greater than zero.",
        "Invalid input: `errors` names each field",
    ),
    429: (
        "rate_limited",
        "Too many requests",
        "Too many requests; retry in 12 seconds.",
        "Rate limit reached: wait `Retry-After` seconds",
    ),
    503: (
        "unavailable",
        "Service unavailable",
        "The database is busy or unreachable; try again shortly.",
        "Busy: retry after `Retry-After` seconds",
    ),
}


class FieldProblem(BaseModel):
    """One invalid field of a 422 answer."""

    field: str = Field(description="Dotted path of the field", examples=["lines.0.quantity"])
    message: str = Field(examples=["Must be greater than zero."])
    code: str = Field(description="Stable, for programs", examples=["invalid"])
    row: int | None = Field(
        default=None, description="File imports: the 1-based row of the file", examples=[3]
    )


class Problem(BaseModel):
    """An RFC 9457 problem document: the body of every error."""

    model_config = ConfigDict(title="Problem")

    type: str = Field(examples=[PROBLEM_TYPE + "not_found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    code: str = Field(description="Stable machine-readable code", examples=["not_found"])
    detail: str = Field(examples=["No such record in this organization."])
    instance: str | None = Field(default=None, description="The request's path")
    request_id: str | None = Field(
        default=None, description="Quote it when asking for support (also `X-Request-ID`)"
    )
    errors: list[FieldProblem] | None = Field(default=None, description="422 only")


def problem_example(status: int, path: str = "/api/v1/...") -> dict[str, Any]:
    code, title, detail, _ = _STATUSES.get(status, ("http_error", "HTTP error", "Error.", ""))
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
        "instance": path,
        "request_id": "01J9Z6Q3W8K2M4N6P8R0T2V4X6",
    }
    if status == 422:
        body["errors"] = [
            {"field": "amount", "message": "Must be greater than zero.", "code": "invalid"}
        ]
    return body


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route's own error statuses for ``responses=``, each answered with a problem."""
    return {status: {"description": _STATUSES[status][3]} for status in statuses}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_responses(*media_types: str) -> dict[int | str, dict[str, Any]]:
    """A 200 that may also be a file download, for ``responses=``: its media types."""
    return {200: {"content": {media_type: {} for media_type in media_types}}}


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` answer the completed document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(generate(), app.routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: dict[str, Any], routes: list[Any]) -> dict[str, Any]:
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem_schema.pop("$defs", {}))
    schemas["Problem"] = problem_schema
    components.setdefault("securitySchemes", {})[BEARER] = {
        "type": "http",
        "scheme": "bearer",
        "description": "A log-in access token (JWT) or a personal access token (`cpt_...`)",
    }
    for schema in schemas.values():
        for example in schema.get("examples", []):
            _restore_nulls(example, schema, schemas)
    facts = _route_facts(routes)
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            fact = facts.get((method.upper(), path))
            if fact is not None:
                _complete_operation(operation, path, fact)
            _add_examples(operation, schemas)
    for unused in ("HTTPValidationError", "ValidationError"):
        if not _references(document, f"#/components/schemas/{unused}"):
            schemas.pop(unused, None)
    return document


class _Facts:
    def __init__(self, route: APIRoute) -> None:
        self.authenticated = any(_scopes(route.dependant))
        self.statuses = set(_declared_statuses(route.dependant))
        kinds = set(_parameter_kinds(route.dependant))
        self.path_params = "path" in kinds
        self.has_input = bool(kinds - {"path"}) or route.body_field is not None
        self.has_body = route.body_field is not None


def _parameter_kinds(dependant: Dependant) -> Iterator[str]:
    """Where the route and its dependencies read parameters: path, query, header, cookie."""
    for kind in ("path", "query", "header", "cookie"):
        if getattr(dependant, f"{kind}_params"):
            yield kind
    for sub in dependant.dependencies:
        yield from _parameter_kinds(sub)


def _declared_statuses(dependant: Dependant) -> Iterator[int]:
    """What dependencies say they may answer (``problem_statuses`` on the function)."""
    for sub in dependant.dependencies:
        yield from getattr(sub.call, "problem_statuses", ())
        yield from _declared_statuses(sub)


def _scopes(dependant: Dependant) -> Iterator[str]:
    for sub in dependant.dependencies:
        scope = getattr(sub.call, "required_scope", None)
        if isinstance(scope, str):
            yield scope
        yield from _scopes(sub)


def _route_facts(routes: list[Any], prefix: str = "") -> dict[tuple[str, str], _Facts]:
    facts: dict[tuple[str, str], _Facts] = {}
    for route in routes:
        # FastAPI keeps an included router as one entry holding the router's own routes.
        inner = getattr(route, "original_router", None)
        if inner is not None:
            facts |= _route_facts(inner.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute) and route.include_in_schema:
            for method in route.methods or ():
                facts[(method, prefix + route.path_format)] = _Facts(route)
    return facts


def _complete_operation(operation: dict[str, Any], path: str, fact: _Facts) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    validation = responses.get("422", {}).get("content", {}).get("application/json", {})
    if validation.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
        del responses["422"]
    statuses = set(fact.statuses)
    if fact.authenticated:
        statuses |= {401, 403, 429}
        operation["security"] = [{BEARER: []}]
    if path == LOGIN_PATH:
        statuses.add(429)
    if fact.path_params:
        statuses.add(404)
    if fact.path_params or fact.has_input:
        statuses.add(422)
    if fact.has_body:
        statuses |= {400, 413}
    statuses |= {int(status) for status in responses if status.isdigit() and int(status) >= 400}
    for status in sorted(statuses):
        entry = responses.setdefault(str(status), {})
        entry.setdefault("description", _STATUSES.get(status, ("", "", "", "Error"))[3])
        entry["content"] = {
            PROBLEM_MEDIA_TYPE: {
                "schema": {"$ref": PROBLEM_REF},
                "example": problem_example(status, path),
            }
        }
        if status in {429, 503}:
            entry.setdefault("headers", {})["Retry-After"] = {
                "description": "Seconds to wait before retrying",
                "schema": {"type": "integer"},
            }
    operation["responses"] = dict(sorted(responses.items()))


def _add_examples(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    media_types: list[dict[str, Any]] = []
    body = operation.get("requestBody", {}).get("content", {})
    media_types += [media for kind, media in body.items() if _is_json(kind)]
    for status, response in operation.get("responses", {}).items():
        if status.startswith("2"):
            content = response.get("content", {})
            media_types += [media for kind, media in content.items() if _is_json(kind)]
    for media in media_types:
        if "schema" in media and "example" not in media and "examples" not in media:
            media["example"] = example_of(media["schema"], schemas)


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema


def _nullable(schema: dict[str, Any], schemas: dict[str, Any]) -> bool:
    schema = _resolve(schema, schemas)
    kind = schema.get("type")
    return (
        kind == "null"
        or (isinstance(kind, list) and "null" in kind)
        or any(_nullable(option, schemas) for option in schema.get("anyOf", []))
    )


def _restore_nulls(value: Any, schema: dict[str, Any], schemas: dict[str, Any]) -> None:
    """FastAPI writes the document without its ``None`` values, those of the models'
    examples too: put back the nulls of required fields, which the answers do carry."""
    schema = _resolve(schema, schemas)
    options = [_resolve(o, schemas) for o in schema.get("anyOf", [])] or [schema]
    for option in options:
        if isinstance(value, dict) and "properties" in option:
            properties = option["properties"]
            for name in option.get("required", []):
                if name not in value and _nullable(properties.get(name, {}), schemas):
                    value[name] = None
            for name, item in value.items():
                if name in properties:
                    _restore_nulls(item, properties[name], schemas)
        elif isinstance(value, list) and "items" in option:
            for item in value:
                _restore_nulls(item, option["items"], schemas)


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _references(node: Any, ref: str) -> bool:
    if isinstance(node, dict):
        return node.get("$ref") == ref or any(_references(v, ref) for v in node.values())
    if isinstance(node, list):
        return any(_references(v, ref) for v in node)
    return False


# Example values of string fields by name, when the model gives none: a decimal string
# for money, quantities and rates (never a float), plausible codes elsewhere.
_NAMED_STRINGS: tuple[tuple[str, str], ...] = (
    (r"currency$", "EUR"),
    (r"country$", "FR"),
    (r"(^|_)(language|locale)$", "fr"),
    (r"email$", "ada@example.com"),
    (r"(^|_)(url|link|callback_url)$", "https://example.com/hooks/comptoir"),
    (r"(^|_)(quantity|qty)$", "2"),
    (r"exchange_rate$", "1.0823"),
    (r"(rate|percent|percentage)$", "20"),
    (
        r"(amount|total|price|balance|debit|credit|subtotal|tax|due|paid|outstanding|"
        r"threshold|cost|value|converted|net|gross|allocated|settled|remaining)$",
        "120.00",
    ),
    (r"iban$", "FR7630006000011234567890189"),
    (r"bic$", "AGRIFRPP"),
    (r"phone$", "+33 1 23 45 67 89"),
    (r"tax_code$", "FR-20"),
    (r"(^|_)(code|sku|product)$", "CONSULT-H"),
    (r"(^|_)journal(_code)?$", "VT"),
    (r"(^|_)(number|invoice|bill|credit_note)$", "INV-2026-0001"),
    (r"(^|_)(customer|supplier|party)$", "C-0001"),
    (r"(^|_)account$", "512"),
    (r"(^|_)(name|legal_name|organization_name|display_name|label)$", "Acme SARL"),
    (r"(^|_)(description|notes|memo|comment|reason|message|footer)$", "Monthly retainer"),
    (r"(^|_)reference$", "PO-2026-014"),
    (r"password$", "correct horse battery staple"),
    (r"token$", "cpt_8Jq3XnVhK2yLmT5pW9rB4cD7fG1sA6eZ"),
    (r"(^|_)(status|state)$", "draft"),
)
_FORMATS = {
    "uuid": "0192f7a4-6b1e-7c3d-9a2b-3c4d5e6f7a8b",
    "date": "2026-01-31",
    "date-time": "2026-01-31T09:30:00Z",
    "time": "09:30:00",
    "email": "ada@example.com",
    "uri": "https://example.com/hooks/comptoir",
    "ipv4": "203.0.113.7",
    "ipv6": "2001:db8::7",
    "binary": "",
    "duration": "P30D",
}
_MAX_DEPTH = 8


def example_of(
    schema: dict[str, Any], schemas: dict[str, Any], name: str = "", depth: int = 0
) -> Any:
    """A value that validates against ``schema``: the model's own example where it has one,
    else built field by field (field examples, defaults, enums, formats, names)."""
    if "$ref" in schema:
        return example_of(_resolve(schema, schemas), schemas, name, depth)
    for key in ("examples", "example"):
        if key in schema:
            value = schema[key]
            return copy.deepcopy(value[0] if key == "examples" and value else value)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return example_of(options[0], schemas, name, depth)
    if "allOf" in schema:
        return example_of(schema["allOf"][0], schemas, name, depth)
    default = schema.get("default")
    if default is not None and not isinstance(default, list | dict):
        return default
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        return _object_example(schema, schemas, depth)
    if kind == "array":
        items = schema.get("items")
        if not items or depth >= _MAX_DEPTH or schema.get("maxItems") == 0:
            return []
        count = max(1, schema.get("minItems", 1))
        return [example_of(items, schemas, _singular(name), depth + 1) for _ in range(count)]
    if kind == "string":
        return _string_example(schema, name)
    if kind in {"integer", "number"}:
        return _number_example(schema, kind)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return {}


def _object_example(schema: dict[str, Any], schemas: dict[str, Any], depth: int) -> Any:
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    keep = properties if depth < _MAX_DEPTH else {k: properties[k] for k in required}
    return {key: example_of(value, schemas, key, depth + 1) for key, value in keep.items()}


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") else name


def _string_example(schema: dict[str, Any], name: str) -> str:
    value = _FORMATS.get(schema.get("format", ""))
    if value is None:
        value = next(
            (text for pattern, text in _NAMED_STRINGS if re.search(pattern, name.lower())),
            "text",
        )
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if len(value) < low:
        value = value + "x" * (low - len(value))
    if high is not None and len(value) > high:
        value = value[:high]
    return value


def _number_example(schema: dict[str, Any], kind: str) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
    if "exclusiveMinimum" in schema and "minimum" not in schema:
        low = low + 1
    value = max(1, low)
    high = schema.get("maximum")
    if high is not None and value > high:
        value = high
    return int(value) if kind == "integer" else value


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every (method, path, operation) of the document."""
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            yield method.upper(), path, operation
