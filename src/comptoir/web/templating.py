"""The Jinja environment of the web UI: templates, static URLs, dates and labels."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_time, get_datetime_format
from babel.localedata import locale_identifiers
from babel.numbers import get_territory_currencies
from markupsafe import Markup, escape
from starlette.templating import Jinja2Templates

from comptoir.identity.roles import ROLE_LABELS, Role
from comptoir.identity.service import organizations

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
_ENGLISH = Locale("en")
_URL = re.compile(r"https?://[^\s<>\"']+")
_PLAIN_LOCALE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")

DateStyle = Literal["full", "long", "medium", "short"]


@cache
def static_url(path: str) -> str:
    """The file's URL with a content hash, so that a new release is never served stale."""
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]
    return f"/static/{path}?v={digest}"


def role_label(value: str) -> str:
    try:
        return ROLE_LABELS[Role(value)]
    except ValueError:
        return value


def role_options(actor_role: str) -> list[tuple[str, str]]:
    """Roles someone with ``actor_role`` may hand out: only owners make owners."""
    return [
        (role.value, label)
        for role, label in ROLE_LABELS.items()
        if role != Role.OWNER or actor_role == Role.OWNER
    ]


def country_name(code: str | None) -> str:
    return organizations.country_names().get(code or "", code or "")


def month_name(number: int) -> str:
    return str(_ENGLISH.months["format"]["wide"][number])


def locale_name(identifier: str) -> str:
    try:
        return str(Locale.parse(identifier).get_display_name(_ENGLISH))
    except (UnknownLocaleError, ValueError):
        return identifier


@cache
def country_options() -> list[tuple[str, str, str]]:
    """(code, name, currency) of every country; the currency lets the form suggest one."""
    return [
        (code, name, next(iter(get_territory_currencies(code, tender=True)), ""))
        for code, name in organizations.country_names().items()
    ]


@cache
def currency_options() -> list[tuple[str, str]]:
    """Currencies some country uses today, by code, with their English names."""
    in_use = {
        currency
        for territory in get_global("territory_currencies")
        for currency in get_territory_currencies(territory, tender=True)
    }
    return sorted((code, f"{code} — {_ENGLISH.currencies.get(code, code)}") for code in in_use)


def currency_choices(current: str | None) -> list[tuple[str, str]]:
    """Every currency in use, plus ``current`` when it is an older one kept by an organization."""
    options = currency_options()
    if current and current not in dict(options):
        return [(current, current), *options]
    return options


@cache
def locale_options() -> list[tuple[str, str]]:
    """Languages and language-country pairs (no script variants), by English name."""
    plain = (i for i in locale_identifiers() if _PLAIN_LOCALE.fullmatch(i))
    return sorted(((i, locale_name(i)) for i in plain), key=lambda item: item[1])


def locale_choices(current: str | None) -> list[tuple[str, str]]:
    options = locale_options()
    if current and current not in dict(options):
        return [(current, locale_name(current)), *options]
    return options


def _locale_and_zone(context: Any) -> tuple[Locale, ZoneInfo]:
    """Dates follow the current organization's conventions: its locale and time zone."""
    organization = context.get("organization")
    locale, zone = _ENGLISH, ZoneInfo("UTC")
    if organization is None:
        return locale, zone
    try:
        locale = Locale.parse(organization.locale)
    except (UnknownLocaleError, ValueError, TypeError):
        locale = _ENGLISH
    try:
        zone = ZoneInfo(organization.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return locale, zone


@jinja2.pass_context
def datetime_filter(context: Any, value: datetime | None, style: DateStyle = "medium") -> str:
    """Date in ``style`` and time to the minute: seconds are noise in a list."""
    if value is None:
        return ""
    locale, zone = _locale_and_zone(context)
    local = value.astimezone(zone)
    date = format_date(local, format=style, locale=locale)
    time = format_time(local, format="short", tzinfo=zone, locale=locale)
    pattern = str(get_datetime_format(style, locale=locale))
    return pattern.replace("{1}", str(date)).replace("{0}", str(time))


@jinja2.pass_context
def date_filter(context: Any, value: datetime | None, style: DateStyle = "long") -> str:
    if value is None:
        return ""
    locale, zone = _locale_and_zone(context)
    return str(format_date(value.astimezone(zone), format=style, locale=locale))


def linkify(text: str | None) -> Markup:
    """Escaped text whose web addresses become links (the bodies of sent mail)."""

    def link(match: re.Match[str]) -> str:
        url = match.group(0)
        trimmed = url.rstrip(".,;:)")
        rest = url[len(trimmed) :]
        return f'<a href="{trimmed}" rel="noopener noreferrer">{trimmed}</a>{rest}'

    return Markup(_URL.sub(link, str(escape(text or ""))))  # noqa: S704 - input escaped above


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        static_url=static_url,
        role_label=role_label,
        role_options=role_options,
        country_name=country_name,
        month_name=month_name,
        locale_name=locale_name,
        country_options=country_options,
        currency_choices=currency_choices,
        locale_choices=locale_choices,
        month_options=[(str(month), month_name(month)) for month in range(1, 13)],
        timezone_options=[
            (zone, zone.replace("_", " ")) for zone in organizations.timezone_names()
        ],
    )
    env.filters.update(datetime=datetime_filter, date=date_filter, linkify=linkify)
    return env


templates = Jinja2Templates(env=_environment())
