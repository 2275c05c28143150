"""Fixtures of the webhook delivery tests: a receiver on loopback, settings that allow it,
a worker with those settings, and endpoints and events written the way the app writes them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from comptoir.kit.db import Database
from comptoir.kit.settings import Settings
from comptoir.kit.tenancy import all_tenants, set_organization
from comptoir.outbox import service as outbox
from comptoir.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from comptoir.webhooks.service import messages
from comptoir.worker.runner import Worker
from tests.webhooks.receiver import Receiver

# Catalogued events no notification or job listens to: only webhooks hear of them.
HAPPENED = "customer.updated"
OTHER = "product.updated"
INTERNAL = "approval_rules.changed"


@pytest.fixture
def hook_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhooks_allow_private": True,
            "webhook_timeout_seconds": 0.5,
            "webhook_retry_schedule": (0, 5, 300, 1800),
        }
    )


@pytest.fixture
def hook_worker(database: Database, hook_settings: Settings) -> Worker:
    return Worker(database, hook_settings, name="hooks", periodic_tasks={})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver().running() as running:
        yield running


def add_endpoint(
    database: Database,
    organization_id: str | uuid.UUID,
    url: str,
    *,
    event_types: tuple[str, ...] = (),
    secret: str | None = None,
) -> WebhookEndpoint:
    with database.unit_of_work() as session:
        set_organization(session, uuid.UUID(str(organization_id)))
        endpoint = WebhookEndpoint(
            url=url,
            event_types=list(event_types),
            secret=secret or messages.new_secret(),
            description="",
        )
        session.add(endpoint)
        session.flush()
    return endpoint


def emit(
    database: Database,
    organization_id: str | uuid.UUID | None,
    event_type: str = HAPPENED,
    data: dict[str, Any] | None = None,
) -> uuid.UUID:
    with database.unit_of_work() as session:
        if organization_id is not None:
            set_organization(session, uuid.UUID(str(organization_id)))
        return outbox.emit(session, event_type, data or {"id": str(uuid.uuid4())}).id


def deliveries(database: Database) -> list[WebhookDelivery]:
    with database.unit_of_work(write=False) as session, all_tenants(session):
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at)))


def attempts(database: Database) -> list[WebhookAttempt]:
    with database.unit_of_work(write=False) as session, all_tenants(session):
        return list(
            session.scalars(
                select(WebhookAttempt).order_by(WebhookAttempt.number, WebhookAttempt.started_at)
            )
        )


def endpoint_row(database: Database, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    with database.unit_of_work(write=False) as session, all_tenants(session):
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        assert endpoint is not None
        return endpoint
