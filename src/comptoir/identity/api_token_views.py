"""Settings → API & webhooks, first part: personal access tokens and the organization's limits.

A new or regenerated secret is handed to the next page through a short-lived cookie that the
page deletes as it shows it, so that reloading never shows the secret again and never posts
the form twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from fastapi import Request, Response

from comptoir.identity.roles import ADMIN_ROLES
from comptoir.identity.service import api_tokens
from comptoir.kit import clock
from comptoir.kit.errors import DomainError, FieldError, NotFound, ValidationFailed
from comptoir.kit.scopes import RESOURCES, SCOPES
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

router = web_router()

NEW_SECRET_COOKIE = "comptoir_new_token"  # noqa: S105 (a cookie name)
# Long enough to follow the redirect, short enough that a secret never lingers in the browser.
NEW_SECRET_SECONDS = 120
EXPIRY_CHOICES = (
    ("none", "Never"),
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In a year"),
    ("date", "On a date…"),
)
NOTICES = {
    "revoked": "The token is revoked: it no longer works.",
    "limits_saved": "The organization's API limits are saved.",
}
TOKEN_FIELDS = (
    "name",
    "expiry",
    "expires_on",
    "ip_allowlist",
    "requests_per_minute",
    "requests_per_hour",
)
# The service names fields as the API does; the form has fields of its own.
FORM_FIELD = {"expires_at": "expires_on"}
USAGE_DAYS = 30
CHART_WIDTH = 720
CHART_HEIGHT = 160


@dataclass(frozen=True)
class ScopeRow:
    """One resource of the scope grid, with the scopes of it the member may grant."""

    resource: str
    description: str
    read: str | None
    write: str | None


def _scope_rows(visitor: Visitor) -> list[ScopeRow]:
    rows = []
    for resource, text in RESOURCES.items():
        read, write = f"{resource}:read", f"{resource}:write"
        row = ScopeRow(
            resource,
            text[0].upper() + text[1:],
            read if read in SCOPES and visitor.can(read) else None,
            write if write in SCOPES and visitor.can(write) else None,
        )
        if row.read or row.write:
            rows.append(row)
    return rows


def _blank_form() -> FormState:
    return FormState(dict.fromkeys(TOKEN_FIELDS, "") | {"expiry": "90", "scopes": ""})


def _field_of(error: FieldError) -> str:
    if error.field.startswith("ip_allowlist"):
        return "ip_allowlist"
    return FORM_FIELD.get(error.field, error.field)


def _form_error(session: Db, exc: DomainError, values: dict[str, str]) -> FormState:
    if isinstance(exc, ValidationFailed):
        exc = ValidationFailed([FieldError(_field_of(e), e.message, e.code) for e in exc.errors])
    return failed_form(session, exc, values)


def _take_new_secret(request: Request) -> tuple[uuid.UUID, str] | None:
    """The secret set by the last creation or regeneration, if this browser has one."""
    raw = request.cookies.get(NEW_SECRET_COOKIE, "")
    token_id, _, secret = raw.partition(":")
    if not secret.startswith(api_tokens.TOKEN_PREFIX):
        return None
    try:
        return uuid.UUID(token_id), secret
    except ValueError:
        return None


def _with_new_secret(request: Request, url: str, token_id: uuid.UUID, secret: str) -> Response:
    response = redirect(url)
    response.set_cookie(
        NEW_SECRET_COOKIE,
        f"{token_id}:{secret}",
        max_age=NEW_SECRET_SECONDS,
        path="/settings/api",
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.base_url.startswith("https"),
    )
    return response


def _tokens_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    form: FormState | None = None,
    limits_form: FormState | None = None,
    chosen: frozenset[str] = frozenset(),
) -> Response:
    everyone = request.query_params.get("all") == "1" and visitor.principal.role in ADMIN_ROLES
    tokens = api_tokens.list_tokens(session, visitor.principal, everyone=everyone, limit=200)
    new_secret = _take_new_secret(request)
    shown = None
    if new_secret is not None:
        # By id: a regenerated old token may be far down the list, or on another page.
        try:
            shown = api_tokens.get(session, visitor.principal, new_secret[0])
        except NotFound:
            shown = None
    limits = api_tokens.organization_limits(session)
    form = form or _blank_form()
    limits_form = limits_form or FormState(
        {
            "org_requests_per_minute": str(limits.per_minute),
            "org_requests_per_hour": str(limits.per_hour),
        }
    )
    response = render(
        request,
        "identity/settings_api.html",
        {
            "section": "settings",
            "tab": "api",
            "subtab": "tokens",
            "tokens": tokens.items,
            "everyone": everyone,
            "may_see_everyone": visitor.principal.role in ADMIN_ROLES,
            "new_token": shown,
            "new_secret": new_secret[1] if shown is not None and new_secret else None,
            "form": form,
            "chosen": chosen,
            "scope_rows": _scope_rows(visitor),
            "expiry_choices": EXPIRY_CHOICES,
            "limits": limits,
            "limits_form": limits_form,
            "notice": notice(request, NOTICES),
        },
        status_code=max(form.status, limits_form.status),
    )
    if new_secret is not None:
        response.delete_cookie(NEW_SECRET_COOKIE, path="/settings/api")
    return response


@router.get("/settings/api")
def api_settings(request: Request, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("api_tokens:read")
    return _tokens_page(request, visitor, session)


def _expiry(values: dict[str, str], errors: list[FieldError]) -> datetime | None:
    """The chosen expiry as a moment: the end of the chosen day, in UTC."""
    choice = values["expiry"]
    if choice in {"", "none"}:
        return None
    if choice == "date":
        try:
            day = date.fromisoformat(values["expires_on"].strip())
        except ValueError:
            errors.append(FieldError("expires_on", "Give a date, as YYYY-MM-DD.", "invalid"))
            return None
        return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
    if choice.isdigit() and choice in {value for value, _ in EXPIRY_CHOICES}:
        return clock.now() + timedelta(days=int(choice))
    errors.append(FieldError("expiry", "Choose when the token expires.", "invalid_choice"))
    return None


def _number(values: dict[str, str], name: str, errors: list[FieldError]) -> int | None:
    text = values[name].strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 12:
        errors.append(FieldError(name, "Give a whole number, or leave empty.", "invalid"))
        return None
    return int(text)


@router.post("/settings/api/tokens")
def create_token(
    request: Request, visitor: CurrentVisitor, session: Db, posted: PostedForm
) -> Response:
    visitor.require("api_tokens:write")
    values = {name: str(posted.get(name, "")) for name in TOKEN_FIELDS}
    values["scopes"] = ""
    scopes = [str(scope) for scope in posted.getlist("scopes")]
    errors: list[FieldError] = []
    expires_at = _expiry(values, errors)
    per_minute = _number(values, "requests_per_minute", errors)
    per_hour = _number(values, "requests_per_hour", errors)
    allowlist = [line.strip() for line in values["ip_allowlist"].splitlines() if line.strip()]
    try:
        if errors:
            raise ValidationFailed(errors)
        token, secret = api_tokens.create(
            session,
            visitor.principal,
            name=values["name"],
            scopes=scopes,
            expires_at=expires_at,
            ip_allowlist=allowlist,
            requests_per_minute=per_minute,
            requests_per_hour=per_hour,
        )
    except DomainError as exc:
        state = _form_error(session, exc, values)
        return _tokens_page(request, visitor, session, form=state, chosen=frozenset(scopes))
    return _with_new_secret(request, "/settings/api#new-token", token.id, secret)


@router.post("/settings/api/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("api_tokens:write")
    api_tokens.revoke(session, visitor.principal, parse_id(token_id))
    return redirect("/settings/api?notice=revoked")


@router.post("/settings/api/tokens/{token_id}/regenerate")
def regenerate_token(
    request: Request, token_id: str, visitor: CurrentVisitor, session: Db
) -> Response:
    visitor.require("api_tokens:write")
    identifier = parse_id(token_id)
    api_tokens.get(session, visitor.principal, identifier)
    try:
        owned, secret = api_tokens.regenerate(session, visitor.principal, identifier)
    except DomainError as exc:
        discard(session, exc)
        return _token_page(
            request, visitor, session, identifier, alert=exc.detail, status_code=exc.status
        )
    return _with_new_secret(request, "/settings/api#new-token", owned.token.id, secret)


@dataclass(frozen=True)
class Bar:
    day: date
    requests: int
    errors: int
    throttled: int
    x: float
    height: float
    error_height: float


def _chart(days: list[api_tokens.DayUsage]) -> tuple[list[Bar], int]:
    """Bars of a fixed-size chart, scaled to the busiest day."""
    peak = max((day.requests for day in days), default=0)
    slot = CHART_WIDTH / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        height = (day.requests / peak * (CHART_HEIGHT - 4)) if peak else 0.0
        failing = min(day.errors + day.throttled, day.requests)
        error_height = (failing / peak * (CHART_HEIGHT - 4)) if peak else 0.0
        bars.append(
            Bar(
                day.day,
                day.requests,
                day.errors,
                day.throttled,
                round(index * slot + slot * 0.15, 2),
                round(height, 2),
                round(error_height, 2),
            )
        )
    return bars, peak


def _token_page(
    request: Request,
    visitor: Visitor,
    session: Db,
    token_id: uuid.UUID,
    *,
    alert: str | None = None,
    status_code: int = 200,
) -> Response:
    owned = api_tokens.get(session, visitor.principal, token_id)
    days = api_tokens.usage(session, visitor.principal, token_id, USAGE_DAYS)
    bars, peak = _chart(days)
    return render(
        request,
        "identity/api_token.html",
        {
            "section": "settings",
            "tab": "api",
            "subtab": "tokens",
            "owned": owned,
            "token": owned.token,
            "bars": bars,
            "peak": peak,
            "totals": {
                "requests": sum(day.requests for day in days),
                "errors": sum(day.errors for day in days),
                "throttled": sum(day.throttled for day in days),
            },
            "chart": {
                "width": CHART_WIDTH,
                "height": CHART_HEIGHT,
                "bar": round(CHART_WIDTH / USAGE_DAYS * 0.7, 2),
            },
            "scope_text": SCOPES,
            "is_mine": owned.token.user_id == visitor.user.id,
            "limits": api_tokens.organization_limits(session),
            "alert": alert,
        },
        status_code=status_code,
    )


@router.get("/settings/api/tokens/{token_id}")
def token_page(request: Request, token_id: str, visitor: CurrentVisitor, session: Db) -> Response:
    visitor.require("api_tokens:read")
    return _token_page(request, visitor, session, parse_id(token_id, "No such access token."))


@router.post("/settings/api/limits")
def save_limits(
    request: Request, visitor: CurrentVisitor, session: Db, posted: PostedForm
) -> Response:
    visitor.require("organization:write")
    values = {
        name: str(posted.get(name, ""))
        for name in ("org_requests_per_minute", "org_requests_per_hour")
    }
    errors: list[FieldError] = []
    numbers = {}
    for name, text in values.items():
        cleaned = text.strip().replace(" ", "")
        if not cleaned.isdigit() or len(cleaned) > 12:
            errors.append(FieldError(name, "Give a whole number.", "invalid"))
        else:
            numbers[name] = int(cleaned)
    try:
        if errors:
            raise ValidationFailed(errors)
        api_tokens.set_organization_limits(
            session, numbers["org_requests_per_minute"], numbers["org_requests_per_hour"]
        )
    except ValidationFailed as exc:
        renamed = ValidationFailed(
            [
                FieldError(
                    e.field if e.field.startswith("org_") else f"org_{e.field}", e.message, e.code
                )
                for e in exc.errors
            ]
        )
        state = failed_form(session, renamed, values)
        return _tokens_page(request, visitor, session, limits_form=state)
    return redirect("/settings/api?notice=limits_saved#limits")
