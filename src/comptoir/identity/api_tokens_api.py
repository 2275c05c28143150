"""Personal access tokens API: create, list, revoke and regenerate tokens, their usage, the
scopes they can carry, and the organization's rate limits."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from comptoir.identity import api_token_schemas as schemas
from comptoir.identity.service import api_tokens
from comptoir.identity.service.sessions import Principal
from comptoir.kit.scopes import SCOPES
from comptoir.server.deps import DbSession, require_login, require_scope
from comptoir.server.openapi import problem_responses

router = APIRouter(prefix="/api/v1/api-tokens", tags=["api tokens"])

Reader = Annotated[Principal, require_scope("api_tokens:read")]
# Tokens are managed from a log-in session only: a token could otherwise regenerate a broader
# sibling and read its secret, or mint children free of its own expiry and allowlist.
Writer = Annotated[Principal, require_scope("api_tokens:write", tokens=False)]


def token_out(owned: api_tokens.OwnedToken) -> schemas.ApiTokenOut:
    token = owned.token
    return schemas.ApiTokenOut(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        scopes=list(token.scopes),
        ip_allowlist=list(token.ip_allowlist),
        requests_per_minute=token.requests_per_minute,
        requests_per_hour=token.requests_per_hour,
        expires_at=token.expires_at,
        created_at=token.created_at,
        regenerated_at=token.regenerated_at,
        last_used_at=token.last_used_at,
        last_used_ip=token.last_used_ip,
        revoked_at=token.revoked_at,
        status=owned.status,
        user_id=token.user_id,
        user_email=owned.owner_email,
        user_name=owned.owner_name,
    )


def secret_out(owned: api_tokens.OwnedToken, raw: str) -> schemas.ApiTokenSecret:
    return schemas.ApiTokenSecret(**token_out(owned).model_dump(), token=raw)


@router.get("/scopes", summary="Scopes a token can carry")
def list_scopes(principal: Annotated[Principal, require_login(tokens=True)]) -> schemas.ScopeList:
    """Every scope of the `<resource>:read|write` vocabulary, with what it allows. A token
    can carry the scopes its creator holds (see `scopes` in `GET /api/v1/auth/me`)."""
    return schemas.ScopeList(
        items=[schemas.ScopeOut(scope=scope, description=text) for scope, text in SCOPES.items()]
    )


@router.get("/limits", summary="The organization's API rate limits")
def get_limits(principal: Reader, session: DbSession) -> schemas.ApiLimits:
    """How many requests each token may send per minute and per hour, unless the token
    sets lower limits of its own."""
    limits = api_tokens.organization_limits(session)
    return schemas.ApiLimits(
        requests_per_minute=limits.per_minute, requests_per_hour=limits.per_hour
    )


@router.put("/limits", summary="Change the organization's API rate limits")
def put_limits(
    body: schemas.ApiLimits,
    principal: Annotated[Principal, require_scope("organization:write", tokens=False)],
    session: DbSession,
) -> schemas.ApiLimits:
    """Per minute 1 to 100,000, per hour 1 to 10,000,000, and no more per minute than per
    hour. Applies to the next request of every token; a token's own lower limits stay.
    From a log-in session only: a personal access token gets 403 `token_not_allowed`."""
    limits = api_tokens.set_organization_limits(
        session, body.requests_per_minute, body.requests_per_hour
    )
    return schemas.ApiLimits(
        requests_per_minute=limits.per_minute, requests_per_hour=limits.per_hour
    )


@router.get("", summary="List access tokens", responses=problem_responses(403))
def list_tokens(
    principal: Reader,
    session: DbSession,
    everyone: Annotated[
        bool,
        Query(alias="all", description="Every member's tokens (owners and administrators only)."),
    ] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> schemas.ApiTokenPage:
    """Your tokens, newest first, revoked and expired ones included; never their secrets.
    With `all=true`, owners and administrators see every member's (403 `admin_required`
    for others); `user_email` says whose each one is."""
    page = api_tokens.list_tokens(session, principal, everyone=everyone, limit=limit, cursor=cursor)
    return schemas.ApiTokenPage(
        items=[token_out(owned) for owned in page.items], next_cursor=page.next_cursor
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an access token")
def create_token(
    body: schemas.ApiTokenCreate, principal: Writer, session: DbSession
) -> schemas.ApiTokenSecret:
    """Answers the token's secret (`token`) this once: store it, it cannot be shown again.

    The token acts as you, with the scopes chosen, never more than you hold yourself: 422
    on `scopes` naming any unknown scope or one you lack. At each request it is also held to
    your role of the moment (a demotion shrinks your tokens).

    From a log-in session only: a personal access token gets 403 `token_not_allowed`.
    """
    token, raw = api_tokens.create(
        session,
        principal,
        name=body.name,
        scopes=body.scopes,
        expires_at=body.expires_at,
        ip_allowlist=body.ip_allowlist,
        requests_per_minute=body.requests_per_minute,
        requests_per_hour=body.requests_per_hour,
    )
    return secret_out(api_tokens.OwnedToken(token, principal.email, principal.name), raw)


@router.get("/{token_id}", summary="Get an access token")
def get_token(token_id: uuid.UUID, principal: Reader, session: DbSession) -> schemas.ApiTokenOut:
    """One of your tokens (owners and administrators: any token of the organization)."""
    return token_out(api_tokens.get(session, principal, token_id))


@router.post("/{token_id}/revoke", summary="Revoke an access token")
def revoke_token(token_id: uuid.UUID, principal: Writer, session: DbSession) -> schemas.ApiTokenOut:
    """The token stops working at once (401 `token_revoked`). Your own tokens; owners and
    administrators may revoke any member's. Revoking again changes nothing. From a log-in
    session only: a personal access token gets 403 `token_not_allowed`."""
    return token_out(api_tokens.revoke(session, principal, token_id))


@router.post(
    "/{token_id}/regenerate",
    summary="Regenerate an access token's secret",
    responses=problem_responses(403, 409),
)
def regenerate_token(
    token_id: uuid.UUID, principal: Writer, session: DbSession
) -> schemas.ApiTokenSecret:
    """A new secret for the same token and settings, shown this once; the old secret stops
    working at once. Only the token's owner may do it (403 `not_token_owner`), from a log-in
    session (a personal access token gets 403 `token_not_allowed`); a revoked or expired
    token cannot be regenerated (409 `token_revoked`, `token_expired`)."""
    owned, raw = api_tokens.regenerate(session, principal, token_id)
    return secret_out(owned, raw)


@router.get("/{token_id}/usage", summary="An access token's requests per day")
def token_usage(
    token_id: uuid.UUID,
    principal: Reader,
    session: DbSession,
    days: Annotated[
        int, Query(ge=1, le=366, description="How many days back, today included.")
    ] = 30,
) -> schemas.ApiTokenUsageOut:
    """Requests, errors (status 400 and above) and requests refused by the rate limit, per
    UTC day, oldest first. Counts reach the database every few seconds, not at once."""
    rows = api_tokens.usage(session, principal, token_id, days)
    return schemas.ApiTokenUsageOut(
        token_id=token_id,
        days=[
            schemas.UsageDayOut(
                day=row.day, requests=row.requests, errors=row.errors, throttled=row.throttled
            )
            for row in rows
        ],
        requests=sum(row.requests for row in rows),
        errors=sum(row.errors for row in rows),
        throttled=sum(row.throttled for row in rows),
    )
