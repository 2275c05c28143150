"""Builds the FastAPI application from the domain routers."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from comptoir import __version__, wiring
from comptoir.audit import api as audit_api
from comptoir.audit import views as audit_views
from comptoir.catalog import api as catalog_api
from comptoir.catalog import views as catalog_views
from comptoir.compliance import api as compliance_api
from comptoir.compliance import vat_api, vat_views
from comptoir.compliance import views as compliance_views
from comptoir.files import views as files_views
from comptoir.identity import api as identity_api
from comptoir.identity import api_token_views, api_tokens_api
from comptoir.identity import views as identity_views
from comptoir.identity.service.tokens import AuthConfig
from comptoir.kit.db import Database
from comptoir.kit.settings import Settings, get_settings
from comptoir.ledger import api as ledger_api
from comptoir.ledger import views as ledger_views
from comptoir.mail import api as mail_api
from comptoir.mail import views as mail_views
from comptoir.notifications import api as notifications_api
from comptoir.notifications import views as notifications_views
from comptoir.parties import api as parties_api
from comptoir.parties import views as parties_views
from comptoir.purchases import api as purchases_api
from comptoir.purchases import views as purchases_views
from comptoir.reporting import api as reporting_api
from comptoir.reporting import fiscal_year_api, fiscal_year_views
from comptoir.reporting import views as reporting_views
from comptoir.sales import api as sales_api
from comptoir.sales import views as sales_views
from comptoir.server import health, openapi, problems, ratelimit
from comptoir.server.api_usage import ApiTokenMiddleware, UsageRecorder
from comptoir.server.middleware import BodyLimitMiddleware, RequestContextMiddleware
from comptoir.tax import api as tax_api
from comptoir.tax import views as tax_views
from comptoir.web import pages, websession
from comptoir.webhooks import api as webhooks_api
from comptoir.webhooks import views as webhooks_views
from comptoir.worker.runner import start_in_thread

DESCRIPTION = """
Comptoir's REST API. Authenticate with `POST /api/v1/auth/login` and send the access
token as `Authorization: Bearer <token>`. Errors are RFC 9457 problem documents
(`application/problem+json`) with a stable `code`.
"""


# The paths that take files, and how large a body they accept: a CSV import is up to 5 MB
# of text, plus the multipart envelope of a browser's form.
FILE_UPLOADS = (
    (
        re.compile(
            r"/api/v1/(customers|suppliers|products)/import"
            r"|/(sales/customers|purchases/suppliers|sales/products)/import"
        ),
        6 * 1024 * 1024,
    ),
    # Receipts: files of up to 10 MB each, plus the envelope; larger bodies get a clean 413.
    (
        re.compile(
            r"/api/v1/(expenses|bills)/[^/]+/receipts|/purchases/(expenses|bills)/[^/]+/receipts"
        ),
        11 * 1024 * 1024,
    ),
    # The expense form takes the receipt's photo along with the expense.
    (re.compile(r"/purchases/expenses/new|/purchases/expenses/[^/]+/edit"), 11 * 1024 * 1024),
    # A FEC import: a year of entries, up to 50 MB, plus the envelope.
    (re.compile(r"/api/v1/accounting/fec/import|/accounting/fec/import"), 51 * 1024 * 1024),
)

# Every router of the application, in the order they are mounted.
ROUTERS = (
    identity_api.auth,
    identity_api.orgs,
    identity_api.team,
    audit_api.router,
    mail_api.router,
    ledger_api.router,
    compliance_api.router,
    vat_api.router,
    tax_api.router,
    parties_api.router,
    sales_api.router,
    catalog_api.router,
    notifications_api.router,
    purchases_api.router,
    reporting_api.router,
    fiscal_year_api.router,
    api_tokens_api.router,
    webhooks_api.router,
    health.router,
    identity_views.router,
    mail_views.router,
    audit_views.router,
    ledger_views.router,
    compliance_views.router,
    vat_views.router,
    parties_views.router,
    tax_views.router,
    catalog_views.router,
    sales_views.router,
    files_views.router,
    notifications_views.router,
    purchases_views.router,
    reporting_views.router,
    fiscal_year_views.router,
    api_token_views.router,
    webhooks_views.router,
    pages.router,
)


def create_app(
    settings: Settings | None = None, database: Database | None = None, *, worker: bool = False
) -> FastAPI:
    wiring.connect()
    settings = settings or get_settings()
    database = database or Database(settings.effective_database_url)
    usage = UsageRecorder(database, settings.api_usage_flush_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = None
        if worker:
            thread, stop = start_in_thread(database, settings)
        try:
            yield
        finally:
            if stop is not None:
                stop.set()
                thread.join(timeout=10)
            usage.flush()

    app = FastAPI(
        title="Comptoir API",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.rate_limiter = ratelimit.from_settings(settings)
    app.state.api_usage = usage
    app.state.auth_config = AuthConfig(
        secret_key=settings.resolved_secret_key(),
        base_url=settings.base_url,
        access_token_ttl=timedelta(minutes=settings.access_token_minutes),
        refresh_token_ttl=timedelta(days=settings.refresh_token_days),
        web_session_ttl=timedelta(days=settings.web_session_days),
    )
    problems.install(app, html_page=websession.error_page)
    openapi.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount(
        "/static", StaticFiles(directory=str(files("comptoir.web") / "static")), name="static"
    )

    @app.get("/api/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="Comptoir API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/vendor/swagger-ui/favicon-32x32.png",
        )

    app.add_middleware(ApiTokenMiddleware, recorder=usage)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, uploads=FILE_UPLOADS)
    app.add_middleware(RequestContextMiddleware, trusted_proxies=settings.trusted_proxies)
    return app


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory`` with several processes (``comptoir serve --workers``)."""
    return create_app(worker=os.environ.get("COMPTOIR_RUN_WORKER", "1") == "1")
