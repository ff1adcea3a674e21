"""A real browser (Debian's Chromium driven by Playwright) against a live server and a real engine.

Screenshots of the main screens are kept in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.conftest import Engine, Web
from tests.factories import UserFactory, role_group
from workflows.roles import ANALYSTS, OPERATORS

# Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are still
# synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("FLOWDESK_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser

# A live server, a worker and React's debounced autosave/validation: give assertions room.
expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: bin/test installs Debian's chromium package")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def sign_in(browser):
    """``sign_in(url, "olga", OPERATORS)``: a page of its own browser context, signed in through the
    login form of the server at ``url`` (the live server, a daphne ``Web``); ``page.errors`` collects
    its uncaught JavaScript errors."""
    contexts = []

    def make(url: str, username: str, *groups: str, viewport=(1440, 900)):
        user = UserFactory(username=username)
        for name in groups:
            user.groups.add(role_group(name))
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(f"{username} at {page.url}: {error}"))
        page.goto(f"{url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "pw-12345")
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/")
        page.base = url
        return page

    yield make
    for context in contexts:
        context.close()


def _pages_on(sign_in, url: str):
    """A factory of signed-in pages on ``url``, and its teardown: it waits for their traffic to
    settle, and an uncaught JavaScript error on any of them fails the test."""
    pages = []
    traffic = _Traffic()

    def make(username: str, *groups: str, viewport=(1440, 900)):
        page = sign_in(url, username, *groups, viewport=viewport)
        traffic.watch(page)
        pages.append(page)
        return page

    def close():
        # a save still in flight when the test ends would race the flush of the test database
        traffic.settle()
        errors = [error for page in pages for error in page.errors]
        if errors:
            pytest.fail("uncaught errors in the page:\n" + "\n".join(errors))

    return make, close


@pytest.fixture
def page_for(live_server, sign_in):
    """``page_for("ana", ANALYSTS)``: a browser page logged in through the real login form."""
    make, close = _pages_on(sign_in, live_server.url)
    yield make
    close()


@pytest.fixture
def served_page_for(server, sign_in):
    """``page_for`` on daphne with a real engine (WebSockets work, steps run)."""
    make, close = _pages_on(sign_in, server.url)
    yield make
    close()


class _Traffic:
    """Requests the test's pages have in flight, so teardown can wait for the app to go quiet."""

    def __init__(self):
        self.pending = 0
        self.last = time.monotonic()
        self.pages = []

    def watch(self, page) -> None:
        self.pages.append(page)
        page.on("request", lambda _: self._change(+1))
        page.on("requestfinished", lambda _: self._change(-1))
        page.on("requestfailed", lambda _: self._change(-1))

    def _change(self, delta: int) -> None:
        self.pending += delta
        self.last = time.monotonic()

    def settle(self, quiet: float = 1.2, limit: float = 8.0) -> None:
        """Until nothing is in flight and nothing started for ``quiet`` seconds (autosave waits 1 s)."""
        if not self.pages:
            return
        page, end = self.pages[0], time.monotonic() + limit
        while time.monotonic() < end and (self.pending > 0 or time.monotonic() - self.last < quiet):
            try:
                page.wait_for_timeout(100)  # lets Playwright deliver the request events
            except Exception:  # the page is gone: so is its traffic
                return


@pytest.fixture
def analyst_page(page_for):
    return page_for("ana", ANALYSTS, OPERATORS)


@pytest.fixture
def live_engine(live_server, tmp_path):
    """``manage.py engine`` on the live server's database (the tests' committed data)."""
    engine = Engine(tmp_path).start()
    yield engine
    engine.stop()


@pytest.fixture
def daphne(tmp_path):
    """daphne as in production (WebSockets, collected static files) on the test database; no engine
    (the live server speaks no WebSocket)."""
    call_command("collectstatic", "--noinput", verbosity=0)
    web = Web(tmp_path).start()
    yield web
    web.stop()


@pytest.fixture
def server(daphne, tmp_path):
    """daphne and an engine on the test database."""
    engine = Engine(tmp_path).start()
    yield daphne
    engine.stop()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
