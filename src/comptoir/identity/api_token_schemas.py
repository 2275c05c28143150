"""Request and response bodies of the personal access token API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

_TOKEN_EXAMPLE = "cpt_3q2-7wEvr0K1b6HmVJ0Qz0l1xk8bYd9dXvS2pXqYfZc"  # noqa: S105 (made up)


class ApiTokenCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_max_length=5000,
        json_schema_extra={
            "examples": [
                {
                    "name": "Shop synchronisation",
                    "scopes": ["invoices:read", "invoices:write", "parties:read"],
                    "expires_at": "2027-06-30T00:00:00Z",
                    "ip_allowlist": ["203.0.113.0/24"],
                    "requests_per_minute": 120,
                }
            ]
        },
    )

    name: str = Field(
        min_length=1, max_length=100, description="What the token is for, to tell it apart."
    )
    scopes: list[str] = Field(
        min_length=1,
        max_length=100,
        description="Scopes from `GET /api/v1/api-tokens/scopes`, at most your own.",
    )
    expires_at: datetime | None = Field(
        default=None, description="When the token stops working (at most 5 years); none: never."
    )
    ip_allowlist: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="IP addresses or CIDR blocks the token may be used from; empty: anywhere.",
    )
    requests_per_minute: StrictInt | None = Field(
        default=None, ge=1, description="Lower than the organization's limit; none: the same."
    )
    requests_per_hour: StrictInt | None = Field(
        default=None, ge=1, description="Lower than the organization's limit; none: the same."
    )


_TOKEN_OUT_EXAMPLE: dict[str, Any] = {
    "id": "01933b7e-3c1a-7c35-9a43-6c8d2f1e5b20",
    "name": "Shop synchronisation",
    "prefix": "cpt_3q2-7wEv",
    "scopes": ["invoices:read", "invoices:write", "parties:read"],
    "ip_allowlist": ["203.0.113.0/24"],
    "requests_per_minute": 120,
    "requests_per_hour": None,
    "expires_at": "2027-06-30T00:00:00Z",
    "created_at": "2026-11-21T09:30:00Z",
    "regenerated_at": None,
    "last_used_at": "2026-11-21T10:02:13Z",
    "last_used_ip": "203.0.113.5",
    "revoked_at": None,
    "status": "active",
    "user_id": "01933b7d-9f10-7d4e-8a21-3b5c7d9e1f02",
    "user_email": "owner@example.com",
    "user_name": "Marie Martin",
}


class ApiTokenOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_TOKEN_OUT_EXAMPLE]})

    id: uuid.UUID
    name: str
    prefix: str = Field(description="The first characters of the token, to recognise it.")
    scopes: list[str]
    ip_allowlist: list[str]
    requests_per_minute: int | None
    requests_per_hour: int | None
    expires_at: datetime | None
    created_at: datetime
    regenerated_at: datetime | None
    last_used_at: datetime | None
    last_used_ip: str | None
    revoked_at: datetime | None
    status: Literal["active", "expired", "revoked"]
    user_id: uuid.UUID = Field(description="The member the token belongs to and acts as.")
    user_email: str
    user_name: str


class ApiTokenSecret(ApiTokenOut):
    """A token with its secret: answered once, on creation or regeneration."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_TOKEN_OUT_EXAMPLE, "token": _TOKEN_EXAMPLE}]}
    )

    token: str = Field(
        description="The secret, shown this once: send it as `Authorization: Bearer <token>`.",
        examples=[_TOKEN_EXAMPLE],
    )


class ApiTokenPage(BaseModel):
    items: list[ApiTokenOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class ScopeOut(BaseModel):
    scope: str = Field(examples=["invoices:write"])
    description: str = Field(examples=["Create and change invoices"])


class ScopeList(BaseModel):
    items: list[ScopeOut] = Field(description="Every scope, in the vocabulary's order.")


class UsageDayOut(BaseModel):
    day: date = Field(examples=["2026-11-21"])
    requests: int = Field(examples=[1250])
    errors: int = Field(description="Answers of status 400 and above.", examples=[12])
    throttled: int = Field(description="Requests refused by the rate limit (429).", examples=[3])


class ApiTokenUsageOut(BaseModel):
    token_id: uuid.UUID
    days: list[UsageDayOut] = Field(description="One entry per UTC day, oldest first.")
    requests: int = Field(description="Total over the days listed.")
    errors: int
    throttled: int


class ApiLimits(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"requests_per_minute": 300, "requests_per_hour": 10000}]},
    )

    requests_per_minute: StrictInt = Field(ge=1, le=100_000)
    requests_per_hour: StrictInt = Field(ge=1, le=10_000_000)
