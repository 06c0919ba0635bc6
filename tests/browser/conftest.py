"""Headless Chromium (Debian's package, driven by Playwright) and the two sides of a live chat.

Chromium comes from ``apt-get install chromium`` (scripts/with-services.sh
installs it when missing), never from ``playwright install``. Without it the
browser tests skip, unless ``CI`` is set: then they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from botcopy_handover.console import create_app
from botcopy_handover.testing._server import LoopbackServer
from botcopy_handover.testing.emulator import BotcopyEmulator
from tests.browser.desk import Desk, console_config

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """Debian's chromium, if installed."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; scripts/with-services.sh installs chromium")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module.

    Not per session: Playwright's sync API holds an event loop open in the
    main thread while it runs, which would break every asyncio test after it.
    """
    path = chromium_path()
    if path is None:
        _unavailable("chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (the test extra)")
    from playwright.sync_api import expect

    # Generous: CI has two cores, and a console process starts in seconds there.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser profile per test; every page's script errors fail the test."""
    ctx = browser.new_context(viewport={"width": 1180, "height": 760})
    ctx.set_default_timeout(20_000)
    errors: list[str] = []
    ctx.on("weberror", lambda error: errors.append(str(error.error)))
    yield ctx
    ctx.close()
    assert errors == []


@pytest.fixture
def desk() -> Iterator[Desk]:
    """The emulator and one console (memory state), webhook and pushes wired both ways."""
    with BotcopyEmulator(reply_deadline=5.0) as emulator:
        server = LoopbackServer(create_app(console_config(emulator)), lifespan="on").start()
        emulator.webhook_url = f"{server.url}/botcopy"
        try:
            yield Desk(emulator, [server])
        finally:
            server.stop()


@pytest.fixture
def redis_url() -> str:
    """The Redis from scripts/with-services.sh."""
    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set; run the tests through scripts/with-services.sh")
        pytest.skip("REDIS_URL is not set (run through scripts/with-services.sh)")
    return url


@pytest.fixture
def redis_prefix() -> str:
    """A key namespace no other test shares."""
    return f"test-console-{uuid.uuid4().hex[:8]}:"
