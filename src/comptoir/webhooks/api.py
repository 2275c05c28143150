"""/api/v1/webhooks: endpoints, the events catalogue, test events, secret rotation, the
delivery log with manual retries, and per-endpoint figures. Admins only."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from comptoir.identity.service.sessions import Principal
from comptoir.kit.settings import Settings
from comptoir.outbox import catalog
from comptoir.server.deps import DbSession, get_settings, require_scope
from comptoir.server.openapi import problem_responses
from comptoir.webhooks import schemas
from comptoir.webhooks.models import WebhookDelivery, WebhookEndpoint
from comptoir.webhooks.service import endpoints, log, messages

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
Reader = Annotated[Principal, require_scope("webhooks:read")]
Writer = Annotated[Principal, require_scope("webhooks:write")]
AppSettings = Annotated[Settings, Depends(get_settings)]
Limit = Annotated[int, Query(ge=1, le=200, description="At most 200")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the last page")]


def _endpoint(endpoint: WebhookEndpoint) -> schemas.EndpointOut:
    return schemas.EndpointOut.model_validate(endpoint, from_attributes=True)


def _with_secret(endpoint: WebhookEndpoint) -> schemas.EndpointWithSecret:
    return schemas.EndpointWithSecret(
        **_endpoint(endpoint).model_dump(),
        secret=endpoint.secret,
        previous_secret=endpoints.previous_secret(endpoint),
    )


def _deliveries(session: DbSession, found: Sequence[WebhookDelivery]) -> list[schemas.DeliveryOut]:
    attempts = log.attempts_of(session, [delivery.id for delivery in found])
    return [
        schemas.DeliveryOut(
            id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            webhook_id=messages.message_id(delivery.id),
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            retry_requested_at=delivery.retry_requested_at,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            created_at=delivery.created_at,
            succeeded_at=delivery.succeeded_at,
            body=delivery.body,
            attempt_log=[
                schemas.AttemptOut.model_validate(attempt, from_attributes=True)
                for attempt in attempts.get(delivery.id, [])
            ],
        )
        for delivery in found
    ]


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@router.get("", summary="List webhook endpoints")
def list_endpoints(
    principal: Reader, session: DbSession, limit: Limit = 50, cursor: Cursor = None
) -> schemas.EndpointPage:
    """The organization's endpoints, newest first, without their secrets (read one endpoint
    for its secret); paginate with `next_cursor`."""
    page = endpoints.list_endpoints(session, limit=limit, cursor=cursor)
    return schemas.EndpointPage(
        items=[_endpoint(endpoint) for endpoint in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a webhook endpoint",
    responses=problem_responses(409),
)
def create_endpoint(
    body: schemas.EndpointIn, settings: AppSettings, principal: Writer, session: DbSession
) -> schemas.EndpointWithSecret:
    """Events of the types listed (all of them when `event_types` is empty) are sent to `url`,
    signed with the `secret` answered here. The URL must be http(s) and resolve to public
    addresses only, unless the server sets `COMPTOIR_WEBHOOKS_ALLOW_PRIVATE`; an unknown
    event type is refused with 422. At most 50 endpoints per organization (409
    `too_many_endpoints`)."""
    endpoint = endpoints.create(session, settings, body.model_dump())
    return _with_secret(endpoint)


@router.get("/events", summary="Events a webhook can receive")
def list_events(principal: Reader) -> schemas.EventTypeList:
    """Every event type the application sends to webhooks, with what it means and a sample of
    its `data`: a delivery's body is `{type, timestamp, data}`."""
    return schemas.EventTypeList(
        items=[
            schemas.EventTypeOut(
                type=kind.name,
                resource=kind.resource,
                description=kind.description,
                sample=kind.sample,
            )
            for kind in catalog.all_types()
        ]
    )


@router.get("/{endpoint_id}", summary="Get a webhook endpoint and its secret")
def get_endpoint(
    endpoint_id: uuid.UUID, principal: Reader, session: DbSession
) -> schemas.EndpointWithSecret:
    """With its signing secret, and the previous one while it still signs after a rotation."""
    return _with_secret(endpoints.get(session, endpoint_id))


@router.patch("/{endpoint_id}", summary="Change a webhook endpoint")
def update_endpoint(
    endpoint_id: uuid.UUID,
    body: schemas.EndpointPatch,
    settings: AppSettings,
    principal: Writer,
    session: DbSession,
) -> schemas.EndpointOut:
    """Changes only the fields sent, checked as on creation. `enabled: true` re-enables an
    endpoint disabled by hand or by failures and clears its run of failures; `enabled:
    false` stops deliveries (they wait, and are sent once it is enabled again)."""
    endpoint = endpoints.update(session, settings, endpoint_id, body.model_dump(exclude_unset=True))
    return _endpoint(endpoint)


@router.delete(
    "/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a webhook endpoint"
)
def delete_endpoint(endpoint_id: uuid.UUID, principal: Writer, session: DbSession) -> Response:
    """The endpoint goes with its deliveries and their log; nothing more is sent to it."""
    endpoints.delete(session, endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{endpoint_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a test event",
    responses=problem_responses(409),
)
def send_test(endpoint_id: uuid.UUID, principal: Writer, session: DbSession) -> schemas.DeliveryOut:
    """Queues a `webhook.test` delivery, due at once; the worker sends it like any event and
    its attempts show in the delivery log. A disabled endpoint answers 409
    `endpoint_disabled`."""
    delivery = endpoints.send_test(session, endpoint_id)
    return _deliveries(session, [delivery])[0]


@router.post("/{endpoint_id}/rotate-secret", summary="Rotate the signing secret")
def rotate_secret(
    endpoint_id: uuid.UUID, principal: Writer, session: DbSession
) -> schemas.EndpointWithSecret:
    """A new secret signs from now on; for 24 hours the old one signs too (two signatures,
    space-separated, in `webhook-signature`), so receivers can switch without losing events."""
    return _with_secret(endpoints.rotate_secret(session, endpoint_id))


@router.get("/{endpoint_id}/deliveries", summary="The delivery log of an endpoint")
def list_deliveries(
    endpoint_id: uuid.UUID,
    principal: Reader,
    session: DbSession,
    delivery_status: Annotated[
        schemas.DeliveryStatus | None, Query(alias="status", description="Only this status")
    ] = None,
    event_type: Annotated[
        str | None, Query(max_length=80, description="Only this event type")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> schemas.DeliveryPage:
    """Deliveries newest first, each with the body sent and every attempt (request headers,
    response status and first 4 KB of the answer, duration, next attempt); paginate with
    `next_cursor`."""
    page = log.list_deliveries(
        session,
        endpoint_id,
        status=delivery_status,
        event_type=event_type,
        limit=limit,
        cursor=cursor,
    )
    return schemas.DeliveryPage(
        items=_deliveries(session, page.items), next_cursor=page.next_cursor
    )


@router.get("/{endpoint_id}/deliveries/{delivery_id}", summary="One delivery and its attempts")
def get_delivery(
    endpoint_id: uuid.UUID, delivery_id: uuid.UUID, principal: Reader, session: DbSession
) -> schemas.DeliveryOut:
    """A delivery of this endpoint with its body and every attempt; another endpoint's
    delivery answers 404."""
    return _deliveries(session, [log.get_delivery(session, endpoint_id, delivery_id)])[0]


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Retry a delivery now",
    responses=problem_responses(409),
)
def retry_delivery(
    endpoint_id: uuid.UUID, delivery_id: uuid.UUID, principal: Writer, session: DbSession
) -> schemas.DeliveryOut:
    """Makes any delivery (failed, succeeded or waiting) due now for one manual attempt, with
    the same `webhook-id` and body; the retry schedule does not resume after it. A delivery
    being sent answers 409 `delivery_in_progress`; a disabled endpoint 409
    `endpoint_disabled`."""
    delivery = log.retry(session, endpoint_id, delivery_id)
    return _deliveries(session, [delivery])[0]


@router.get("/{endpoint_id}/stats", summary="Delivery figures of an endpoint")
def endpoint_stats(
    endpoint_id: uuid.UUID,
    principal: Reader,
    session: DbSession,
    period: Annotated[log.Period, Query(description="The last 24 hours, 7 or 30 days")] = "24h",
) -> schemas.StatsOut:
    """Over the period: attempts, successes (2xx answers) and the success rate in percent,
    latency (average, median and 95th percentile, in milliseconds), deliveries created by
    status; and the times of the last success and failure ever."""
    figures = log.stats(session, endpoint_id, period)
    return schemas.StatsOut(
        period=period,
        since=figures.since,
        until=figures.until,
        attempts=figures.attempts,
        successes=figures.successes,
        failures=figures.failures,
        success_rate=_decimal(figures.success_rate),
        latency_avg_ms=_decimal(figures.latency_avg_ms),
        latency_p50_ms=figures.latency_p50_ms,
        latency_p95_ms=figures.latency_p95_ms,
        deliveries=schemas.DeliveryCounts(**figures.deliveries),
        last_success_at=figures.last_success_at,
        last_failure_at=figures.last_failure_at,
    )
