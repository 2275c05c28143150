"""Request and response bodies of the webhooks API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from comptoir.webhooks.service import log

ENDPOINT_ID = "01939d2f-d0dd-77ee-d8ff-590011aa522b"
DELIVERY_ID = "01939d30-1a2b-7c3d-8e4f-5a6b7c8d9e0f"
EXAMPLE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw4bXx1B2c3dE="  # noqa: S105 - an example
URL = "https://hooks.example.com/comptoir"
DeliveryStatus = log.DeliveryStatus
ENDPOINT_EXAMPLE: dict[str, Any] = {
    "id": ENDPOINT_ID,
    "url": URL,
    "description": "Shop back office",
    "event_types": ["invoice.issued", "invoice.paid"],
    "enabled": True,
    "disabled_reason": None,
    "disabled_at": None,
    "failing_since": None,
    "previous_secret_expires_at": None,
    "created_at": "2026-11-21T09:30:00Z",
    "updated_at": "2026-11-21T09:30:00Z",
}


class EndpointIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": URL,
                    "description": "Invoices to the shop's back office",
                    "event_types": ["invoice.issued", "invoice.paid"],
                    "enabled": True,
                }
            ]
        },
    )

    url: str = Field(
        max_length=2000,
        description="An http(s) URL on a public address (private ones need "
        "`COMPTOIR_WEBHOOKS_ALLOW_PRIVATE`); no credentials, no #fragment",
        examples=[URL],
    )
    description: str = Field(default="", max_length=500, examples=["Shop back office"])
    event_types: list[str] = Field(
        default_factory=list,
        max_length=200,
        description="Event types from `GET /api/v1/webhooks/events`; empty: every event",
        examples=[["invoice.issued", "invoice.paid"]],
    )
    enabled: bool = Field(default=True, examples=[True])


class EndpointPatch(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"enabled": True}, {"event_types": []}]},
    )

    url: str | None = Field(default=None, max_length=2000, examples=[URL])
    description: str | None = Field(default=None, max_length=500, examples=["Shop back office"])
    event_types: list[str] | None = Field(
        default=None,
        max_length=200,
        description="Replaces the subscription; empty: every event",
        examples=[["invoice.paid"]],
    )
    enabled: bool | None = Field(
        default=None,
        description="true clears why the endpoint was disabled and its run of failures",
        examples=[True],
    )


class EndpointOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ENDPOINT_EXAMPLE]})

    id: uuid.UUID
    url: str
    description: str
    event_types: list[str] = Field(description="Empty: every event")
    enabled: bool
    disabled_reason: Literal["gone", "failing", "manual"] | None = Field(
        description="gone: the receiver answered 410; failing: failures for days; "
        "manual: disabled by someone"
    )
    disabled_at: datetime | None
    failing_since: datetime | None = Field(
        description="Start of the current run of failed attempts; cleared by a success"
    )
    previous_secret_expires_at: datetime | None = Field(
        description="Until then the secret before the last rotation signs too"
    )
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(EndpointOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **ENDPOINT_EXAMPLE,
                    "secret": EXAMPLE_SECRET,
                    "previous_secret": None,
                }
            ]
        }
    )

    secret: str = Field(
        description="Verifies the `webhook-signature` header", examples=[EXAMPLE_SECRET]
    )
    previous_secret: str | None = Field(
        description="The secret before the last rotation, while it still signs (24 hours)"
    )


class EndpointPage(BaseModel):
    items: list[EndpointOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class EventTypeOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "payment.received",
                    "resource": "payment",
                    "description": "A customer payment was recorded (amount in minor units).",
                    "sample": {"id": "01939d2e-ad42-7075-b144-7f5d2c3b6a00", "amount": 95820},
                }
            ]
        }
    )

    type: str
    resource: str = Field(description="What the event is about: the type before the dot")
    description: str
    sample: dict[str, Any] = Field(description="A realistic `data` of this event")


class EventTypeList(BaseModel):
    items: list[EventTypeOut]


class AttemptOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": 1,
                    "trigger": "schedule",
                    "started_at": "2026-11-21T09:31:00Z",
                    "duration_ms": 182,
                    "request_headers": {
                        "webhook-id": "msg_01939d301a2b7c3d8e4f5a6b7c8d9e0f",
                        "webhook-timestamp": "1795253460",
                        "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
                        "content-type": "application/json",
                    },
                    "response_status": 500,
                    "response_body": "Internal Server Error",
                    "error": None,
                    "next_attempt_at": "2026-11-21T09:31:05Z",
                }
            ]
        }
    )

    number: int = Field(description="1 for the first attempt")
    trigger: Literal["schedule", "manual"]
    started_at: datetime
    duration_ms: int
    request_headers: dict[str, Any]
    response_status: int | None = Field(description="None when no answer came")
    response_body: str | None = Field(description="The first 4 KB of the answer")
    error: str | None = Field(description="Network errors, timeouts, refused targets")
    next_attempt_at: datetime | None = Field(description="None: no further attempt planned")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": DELIVERY_ID,
                    "endpoint_id": ENDPOINT_ID,
                    "event_id": "01939d30-0f1e-7d2c-9b3a-4f5e6d7c8b9a",
                    "event_type": "invoice.issued",
                    "webhook_id": "msg_01939d301a2b7c3d8e4f5a6b7c8d9e0f",
                    "status": "pending",
                    "attempts": 1,
                    "next_attempt_at": "2026-11-21T09:31:05Z",
                    "retry_requested_at": None,
                    "last_status_code": 500,
                    "last_error": None,
                    "created_at": "2026-11-21T09:31:00Z",
                    "succeeded_at": None,
                    "body": '{"type":"invoice.issued","timestamp":"2026-11-21T09:31:00Z",'
                    '"data":{"id":"01939d2e-9c31-7f64-a033-6e4c1b2a5f99"}}',
                    "attempt_log": [],
                }
            ]
        }
    )

    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID | None = Field(description="None for test events")
    event_type: str
    webhook_id: str = Field(description="The `webhook-id` header: the receiver's idempotency key")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    retry_requested_at: datetime | None = Field(
        description="Set by a manual retry until its attempt is made"
    )
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    succeeded_at: datetime | None
    body: str = Field(description="The exact JSON sent, `{type, timestamp, data}`")
    attempt_log: list[AttemptOut] = Field(description="Every attempt, oldest first")


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class DeliveryCounts(BaseModel):
    pending: int
    delivering: int
    succeeded: int
    failed: int


class StatsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "period": "24h",
                    "since": "2026-11-20T09:30:00Z",
                    "until": "2026-11-21T09:30:00Z",
                    "attempts": 120,
                    "successes": 114,
                    "failures": 6,
                    "success_rate": "95.00",
                    "latency_avg_ms": "183.4",
                    "latency_p50_ms": 160,
                    "latency_p95_ms": 410,
                    "deliveries": {"pending": 1, "delivering": 0, "succeeded": 112, "failed": 2},
                    "last_success_at": "2026-11-21T09:29:41Z",
                    "last_failure_at": "2026-11-21T07:02:13Z",
                }
            ]
        }
    )

    period: log.Period
    since: datetime
    until: datetime
    attempts: int = Field(description="Attempts started in the period")
    successes: int = Field(description="Attempts answered 2xx")
    failures: int
    success_rate: str | None = Field(
        description="Percent of attempts answered 2xx, a decimal string; null without attempts",
        examples=["95.00"],
    )
    latency_avg_ms: str | None = Field(
        description="Decimal string, milliseconds", examples=["183.4"]
    )
    latency_p50_ms: int | None
    latency_p95_ms: int | None
    deliveries: DeliveryCounts = Field(description="Deliveries created in the period, by status")
    last_success_at: datetime | None = Field(description="Over the whole log")
    last_failure_at: datetime | None = Field(description="Over the whole log")
