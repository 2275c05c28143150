"""Browser-test fixtures: the real app served by uvicorn in a thread, and Chromium.

The server runs once per session against its own SQLite file, with the worker, exactly
as ``comptoir serve`` would; each test gets a fresh browser context (no shared cookies)
and uses addresses of its own, so tests do not depend on one another.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from comptoir.app import create_app
from comptoir.kit.settings import Settings
from tests.conftest import PG_URL, cloned_pg_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery staple"
DESKTOP = {"width": 1280, "height": 800}
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class LiveServer:
    url: str
    data_dir: Path


def _wait_until_live(url: str, thread: threading.Thread) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the server thread stopped while starting")
        try:
            if httpx.get(f"{url}/health/live", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"the server did not answer within {START_TIMEOUT} seconds")


@pytest.fixture(scope="session")
def e2e_database_url(
    database_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The server's own database: a copy of the migrated template, SQLite or PostgreSQL."""
    if PG_URL:
        with cloned_pg_database(database_template, "e2e") as url:
            yield url
        return
    path = tmp_path_factory.mktemp("e2e-db") / "comptoir.sqlite3"
    shutil.copyfile(database_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, e2e_database_url: str
) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("e2e")
    database_url = e2e_database_url
    # Bound before the app starts, so that the port cannot be taken in between.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(
        _env_file=None,
        env="test",
        data_dir=data_dir,
        database_url=database_url,
        secret_key="e2e-secret-key-of-a-reasonable-length-0123456789",
        base_url=url,
        worker_poll_seconds=0.2,
        # Webhook tests deliver to receivers on loopback; usage pages show counts promptly.
        webhooks_allow_private=True,
        api_usage_flush_seconds=1.0,
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, worker=True), log_config=None, lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_until_live(url, thread)
        yield LiveServer(url, data_dir)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is required in CI and missing at {CHROMIUM}")
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(
    browser: Browser, live_server: LiveServer
) -> Iterator[Callable[..., BrowserContext]]:
    """Opens browser contexts (separate cookie jars) on the live server; closes them after."""
    opened: list[BrowserContext] = []

    def open_context(**options: Any) -> BrowserContext:
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    return new_context().new_page()


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.org"


def sign_up(page: Page, email: str, company: str, name: str = "Ada Lovelace") -> None:
    """Create an account and its company through the sign-up form; ends on the dashboard."""
    page.goto("/signup")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Work e-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Company name").fill(company)
    page.get_by_label("Country").select_option("FR")
    page.get_by_label("Base currency").select_option("EUR")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Get started")).to_be_visible()


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def log_out(page: Page) -> None:
    page.locator("summary.user-menu-button").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
