"""Settings → API & webhooks, second part: webhook endpoints, their secret, figures and
delivery log, with test events and manual retries."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from comptoir.kit.errors import Conflict, DomainError, FieldError, ValidationFailed
from comptoir.kit.settings import Settings
from comptoir.outbox import catalog
from comptoir.server.deps import get_settings
from comptoir.web.websession import (
    CurrentVisitor,
    Db,
    FormState,
    PostedForm,
    Visitor,
    discard,
    failed_form,
    notice,
    parse_id,
    redirect,
    render,
    web_router,
)
from comptoir.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from comptoir.webhooks.service import endpoints, log, messages

router = web_router()

T = TypeVar("T")
AppSettings = Annotated[Settings, Depends(get_settings)]
LOG_PAGE = 50
ENDPOINT_FIELDS = ("url", "description", "events", "enabled")
NOTICES = {
    "created": "The endpoint is added. Send it a test event to check the receiver.",
    "saved": "The endpoint is saved.",
    "rotated": "The secret is rotated. The old one keeps signing beside it for 24 hours.",
    "test_sent": "A test event is on its way; it shows in the log below.",
    "retried": "The delivery is due again; the next attempt shows in the log.",
    "enabled": "The endpoint is enabled again; new events go to it.",
    "deleted": "The endpoint is deleted, with its delivery log.",
}
DISABLED_REASONS = {
    "gone": "It answered 410 Gone, which says the receiver no longer exists.",
    "failing": "Every delivery failed for 5 days in a row.",
    "manual": "It was disabled by hand.",
}
STATUS_LABELS = {
    "pending": "Pending",
    "delivering": "Sending",
    "succeeded": "Delivered",
    "failed": "Failed",
}


@dataclass(frozen=True)
class EventGroup:
    resource: str
    events: list[catalog.EventType]


@dataclass(frozen=True)
class Row:
    """An endpoint of the list with its last day's success rate."""

    endpoint: WebhookEndpoint
    stats: log.Rate


@dataclass(frozen=True)
class LogRow:
    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]
    body: str


def _groups() -> list[EventGroup]:
    groups: dict[str, list[catalog.EventType]] = {}
    for kind in catalog.all_types():
        groups.setdefault(kind.resource, []).append(kind)
    return [EventGroup(resource, kinds) for resource, kinds in groups.items()]


def _form_of(endpoint: WebhookEndpoint | None) -> FormState:
    if endpoint is None:
        return FormState({"url": "", "description": "", "events": "all", "enabled": "on"})
    return FormState(
        {
            "url": endpoint.url,
            "description": endpoint.description,
            "events": "some" if endpoint.event_types else "all",
            "enabled": "on" if endpoint.enabled else "",
        }
    )


def _posted(posted: FormData) -> tuple[dict[str, str], list[str], dict[str, Any]]:
    """The form as typed, the events ticked, and the values the service takes."""
    values = {name: str(posted.get(name, "")) for name in ENDPOINT_FIELDS}
    ticked = [str(item) for item in posted.getlist("event_types")]
    chosen = ticked if values["events"] == "some" else []
    return (
        values,
        ticked,
        {
            "url": values["url"].strip(),
            "description": values["description"],
            "event_types": chosen,
            "enabled": values["enabled"] == "on",
        },
    )


def _events_errors(values: dict[str, str], chosen: Sequence[str]) -> list[FieldError]:
    if values["events"] == "some" and not chosen:
        return [FieldError("events", "Tick at least one event, or choose every event.", "required")]
    return []


def _checked(values: dict[str, str], chosen: Sequence[str], call: Callable[[], T]) -> T:
    """The service's answer, with the form's own problem added to the service's, so that every
    problem shows at once. Failing after the service has written is fine: a failed form rolls
    the unit of work back."""
    own = _events_errors(values, chosen)
    try:
        result = call()
    except ValidationFailed as exc:
        raise ValidationFailed([*exc.errors, *own]) from None
    if own:
        raise ValidationFailed(own)
    return result


def _failed(session: Db, exc: DomainError, values: dict[str, str]) -> FormState:
    if isinstance(exc, ValidationFailed):
        exc = ValidationFailed(
            [
                FieldError("events" if e.field == "event_types" else e.field, e.message, e.code)
                for e in exc.errors
            ]
        )
    return failed_form(session, exc, values)


def _list_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    form: FormState | None = None,
    ticked: Sequence[str] = (),
) -> Response:
    page = endpoints.list_endpoints(session, limit=endpoints.MAX_ENDPOINTS, cursor=None)
    rates = log.success_rates(session, [endpoint.id for endpoint in page.items], "24h")
    rows = [Row(endpoint, rates[endpoint.id]) for endpoint in page.items]
    form = form or _form_of(None)
    return render(
        request,
        "webhooks/settings_webhooks.html",
        {
            "section": "settings",
            "tab": "api",
            "subtab": "webhooks",
            "rows": rows,
            "form": form,
            "ticked": frozenset(ticked),
            "groups": _groups(),
            "notice": notice(request, NOTICES),
            "reasons": DISABLED_REASONS,
        },
        status_code=form.status,
    )


@router.get("/settings/webhooks")
def webhooks_settings(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("webhooks:read")
    return _list_page(request, visitor, session)


@router.post("/settings/webhooks")
def create_endpoint(
    request: Request,
    visitor: CurrentVisitor,
    session: Db,
    settings: AppSettings,
    posted: PostedForm,
) -> Response:
    visitor.require("webhooks:write")
    values, ticked, clean = _posted(posted)
    try:
        endpoint = _checked(
            values, clean["event_types"], lambda: endpoints.create(session, settings, clean)
        )
    except DomainError as exc:
        return _list_page(request, visitor, session, _failed(session, exc, values), ticked)
    return redirect(f"/settings/webhooks/{endpoint.id}?notice=created")


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _endpoint_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    endpoint_id: uuid.UUID,
    *,
    form: FormState | None = None,
    ticked: Sequence[str] | None = None,
    alert: str | None = None,
    status_code: int = 200,
) -> Response:
    endpoint = endpoints.get(session, endpoint_id)
    status = request.query_params.get("status") or None
    if status not in log.STATUSES:
        status = None
    cursor = request.query_params.get("cursor") or None
    try:
        page = log.list_deliveries(
            session, endpoint_id, status=status, limit=LOG_PAGE, cursor=cursor
        )
    except DomainError:
        # A cursor copied wrong starts the log again from the newest delivery.
        page = log.list_deliveries(session, endpoint_id, status=status, limit=LOG_PAGE)
    attempts = log.attempts_of(session, [delivery.id for delivery in page.items])
    form = form or _form_of(endpoint)
    return render(
        request,
        "webhooks/endpoint.html",
        {
            "section": "settings",
            "tab": "api",
            "subtab": "webhooks",
            "endpoint": endpoint,
            "previous_secret": endpoints.previous_secret(endpoint),
            "stats": log.stats(session, endpoint_id, "24h"),
            "log": [
                LogRow(delivery, attempts.get(delivery.id, []), _pretty(delivery.body))
                for delivery in page.items
            ],
            "next_cursor": page.next_cursor,
            "status": status,
            "statuses": STATUS_LABELS,
            "form": form,
            "ticked": frozenset(endpoint.event_types if ticked is None else ticked),
            "groups": _groups(),
            "reasons": DISABLED_REASONS,
            "webhook_id": messages.message_id,
            "notice": notice(request, NOTICES),
            "alert": alert,
        },
        status_code=max(status_code, form.status),
    )


@router.get("/settings/webhooks/{endpoint_id}")
def endpoint_page(
    request: Request, endpoint_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("webhooks:read")
    return _endpoint_page(request, visitor, session, parse_id(endpoint_id))


@router.post("/settings/webhooks/{endpoint_id}")
def update_endpoint(
    request: Request,
    endpoint_id: str,
    visitor: CurrentVisitor,
    session: Db,
    settings: AppSettings,
    posted: PostedForm,
) -> Response:
    visitor.require("webhooks:write")
    identifier = parse_id(endpoint_id)
    endpoints.get(session, identifier)
    values, ticked, clean = _posted(posted)
    try:
        _checked(
            values,
            clean["event_types"],
            lambda: endpoints.update(session, settings, identifier, clean),
        )
    except DomainError as exc:
        state = _failed(session, exc, values)
        return _endpoint_page(request, visitor, session, identifier, form=state, ticked=ticked)
    return redirect(f"/settings/webhooks/{identifier}?notice=saved")


def _act(
    request: Request, visitor: Visitor, session: Db, endpoint_id: uuid.UUID, exc: DomainError
) -> Response:
    discard(session, exc)
    return _endpoint_page(
        request, visitor, session, endpoint_id, alert=exc.detail, status_code=exc.status
    )


@router.post("/settings/webhooks/{endpoint_id}/enable")
def enable_endpoint(
    request: Request,
    endpoint_id: str,
    visitor: CurrentVisitor,
    session: Db,
    settings: AppSettings,
) -> Response:
    visitor.require("webhooks:write")
    identifier = parse_id(endpoint_id)
    endpoints.update(session, settings, identifier, {"enabled": True})
    return redirect(f"/settings/webhooks/{identifier}?notice=enabled")


@router.post("/settings/webhooks/{endpoint_id}/rotate-secret")
def rotate_secret(
    request: Request, endpoint_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("webhooks:write")
    identifier = parse_id(endpoint_id)
    endpoints.rotate_secret(session, identifier)
    return redirect(f"/settings/webhooks/{identifier}?notice=rotated#secret")


@router.post("/settings/webhooks/{endpoint_id}/test")
def send_test(request: Request, endpoint_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("webhooks:write")
    identifier = parse_id(endpoint_id)
    try:
        endpoints.send_test(session, identifier)
    except Conflict as exc:
        return _act(request, visitor, session, identifier, exc)
    return redirect(f"/settings/webhooks/{identifier}?notice=test_sent#log")


@router.post("/settings/webhooks/{endpoint_id}/delete")
def delete_endpoint(
    request: Request, endpoint_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("webhooks:write")
    endpoints.delete(session, parse_id(endpoint_id))
    return redirect("/settings/webhooks?notice=deleted")


@router.post("/settings/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry")
def retry_delivery(
    request: Request, endpoint_id: str, delivery_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("webhooks:write")
    identifier = parse_id(endpoint_id)
    delivery = parse_id(delivery_id)
    try:
        log.retry(session, identifier, delivery)
    except Conflict as exc:
        return _act(request, visitor, session, identifier, exc)
    return redirect(f"/settings/webhooks/{identifier}?notice=retried#log")
