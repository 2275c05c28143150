"""/api/v1/payment-providers: connecting a payment provider, its secret and callback URL,
and the log of the events it delivered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from comptoir.identity.service.sessions import Principal
from comptoir.kit.settings import Settings
from comptoir.sales import schemas
from comptoir.sales.service import callbacks, providers
from comptoir.server.deps import DbSession, get_settings, require_scope

router = APIRouter(prefix="/api/v1", tags=["payment providers"])

Reader = Annotated[Principal, require_scope("payments:read")]
# The secret lets whoever holds it book payments: connections are the organization's
# settings, kept to owners and administrators.
Admin = Annotated[Principal, require_scope("organization:write")]
Config = Annotated[Settings, Depends(get_settings)]


def provider_out(connection: providers.Connection, base_url: str) -> schemas.ProviderOut:
    row = connection.row
    return schemas.ProviderOut.model_validate(
        {
            "provider": row.provider,
            "name": providers.PROVIDERS[row.provider],
            "callback_url": providers.callback_url(base_url, row),
            "signature_header": callbacks.SIGNATURE_HEADERS[row.provider],
            "account": connection.account_code,
            "method": row.method,
            "active": row.active,
            "secret": connection.secret,
            "secret_hint": providers.secret_hint(row.secret),
            "created_at": row.created_at,
        }
    )


@router.get("/payment-providers", summary="Connected payment providers")
def list_providers(
    principal: Reader, session: DbSession, config: Config
) -> list[schemas.ProviderOut]:
    """Each with the callback URL to give the provider; secrets show only their hint."""
    return [provider_out(c, config.base_url) for c in providers.list_connections(session)]


@router.get("/payment-providers/{provider}", summary="One payment provider connection")
def get_provider(
    provider: schemas.ProviderName, principal: Reader, session: DbSession, config: Config
) -> schemas.ProviderOut:
    """404 when the provider is not connected."""
    return provider_out(providers.get(session, provider), config.base_url)


@router.put(
    "/payment-providers/{provider}",
    summary="Connect a payment provider, or change its connection",
    responses={201: {"model": schemas.ProviderOut, "description": "Connected"}},
)
def put_provider(
    provider: schemas.ProviderName,
    body: schemas.ProviderIn,
    principal: Admin,
    session: DbSession,
    config: Config,
    response: Response,
) -> schemas.ProviderOut:
    """Creates the connection (201) or changes it (200). `account` (a bank or cash
    account, where the money the provider collects is booked) is required to connect.
    Without `secret`, a new connection gets a `whsec_` secret made here, returned once in
    `secret`; for Stripe, send the signing secret Stripe shows for the endpoint. Give the
    provider `callback_url`."""
    connection, created = providers.connect(session, provider, body.model_dump(exclude_unset=True))
    if created:
        response.status_code = status.HTTP_201_CREATED
    return provider_out(connection, config.base_url)


@router.post(
    "/payment-providers/{provider}/rotate-secret",
    summary="Replace the signing secret",
)
def rotate_secret(
    provider: schemas.ProviderName, principal: Admin, session: DbSession, config: Config
) -> schemas.ProviderOut:
    """A new secret, returned once in `secret`; the old one stops working at once, so
    give the new one to the integration right away. 409 for Stripe, whose secret is
    rolled in Stripe's dashboard and saved here with PUT."""
    return provider_out(providers.rotate_secret(session, provider), config.base_url)


@router.delete(
    "/payment-providers/{provider}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Disconnect a payment provider",
)
def delete_provider(provider: schemas.ProviderName, principal: Admin, session: DbSession) -> None:
    """Its callback URL answers 404 from now on; the events it delivered stay listed."""
    providers.disconnect(session, provider)


@router.get(
    "/payment-providers/{provider}/events",
    summary="Events a payment provider delivered",
)
def list_events(
    provider: schemas.ProviderName,
    principal: Reader,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> schemas.ProviderEventPage:
    """Newest first: each event once, with what Comptoir did (`payment_recorded`,
    `ignored` or `rejected`, with why in `detail`). Duplicate deliveries are not listed:
    they did nothing."""
    page = callbacks.list_events(session, provider, limit=limit, cursor=cursor)
    return schemas.ProviderEventPage(
        items=[
            schemas.ProviderEventOut.model_validate(event, from_attributes=True)
            for event in page.items
        ],
        next_cursor=page.next_cursor,
    )
