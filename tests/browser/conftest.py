"""A real browser (Debian's Chromium driven by Playwright) against a live server and a real engine.

Screenshots of the main screens are kept in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from tests.e2e.conftest import Engine
from tests.factories import UserFactory
from workflows.roles import ANALYSTS, OPERATORS

# Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are still
# synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("FLOWDESK_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


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
def page_for(browser, live_server):
    """``page_for("ana", ANALYSTS)``: a browser page logged in through the real login form."""
    contexts = []

    def make(username: str, *groups: str, viewport=(1440, 900)):
        user = UserFactory(username=username)
        for name in groups:
            user.groups.add(Group.objects.get(name=name))
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "pw-12345")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.base = live_server.url
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def analyst_page(page_for):
    return page_for("ana", ANALYSTS, OPERATORS)


@pytest.fixture
def live_engine(live_server, tmp_path):
    """``manage.py engine`` on the live server's database (the tests' committed data)."""
    engine = Engine(tmp_path).start()
    yield engine
    engine.stop()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
