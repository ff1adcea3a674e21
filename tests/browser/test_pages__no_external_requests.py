"""Every page Flowdesk serves works on a machine without internet: a real browser logs in and walks
them all (daphne, as bin/run serves them) recording every request, WebSocket, console error and
Content Security Policy violation; a request to another origin or a console error fails the test.
The error pages and the API docs are photographed at 1440x900 (test-artifacts/screenshots/)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.template.loader import render_to_string
from playwright.sync_api import expect

from tests.browser.canvas import wait_ready
from tests.browser.conftest import screenshot
from tests.browser.test_csp import LISTEN, WAITING
from tests.factories import UserFactory, VersionFactory, chain_graph, role_group
from workflows import engine
from workflows.roles import ANALYSTS, OPERATORS

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NETWORK = ("http", "https", "ws", "wss")


class Recorder:
    """What one page did on the network and in its console, from before its first script."""

    def __init__(self, page, origin: str):
        self.page, self.origin = page, origin
        self.requests: list[str] = []
        self.sockets: list[str] = []
        self.errors: list[str] = []
        self.expected_failures: set[str] = set()  # pages that answer 4xx/5xx on purpose
        page.add_init_script(LISTEN)
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("websocket", lambda ws: self.sockets.append(ws.url))
        page.on("console", self._console)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        # Chromium logs a document that answers an error status; that is the point of those pages.
        if message.text.startswith("Failed to load resource") and where in self.expected_failures:
            return
        self.errors.append(f"{self.page.url}: {message.text} ({where})")

    def visit(self, path: str, status: int = 200) -> None:
        url = self.origin + path
        if status >= 400:
            self.expected_failures.add(url)
        response = self.page.goto(url)
        assert response is not None and response.status == status, f"{path}: {response and response.status}"
        self.page.wait_for_load_state("networkidle")
        self.check(path)

    def check(self, where: str) -> None:
        violations = self.page.evaluate("() => window.__csp || []")
        assert not violations, f"{where}: CSP violations {violations}"
        external = [u for u in self.requests + self.sockets if urlsplit(u).scheme in NETWORK and self._elsewhere(u)]
        assert not external, f"{where}: requests to another origin {external}"
        assert not self.errors, f"{where}: console errors {self.errors}"

    def _elsewhere(self, url: str) -> bool:
        mine, theirs = urlsplit(self.origin), urlsplit(url)
        return theirs.hostname != mine.hostname or theirs.port != mine.port


def log_in(page, recorder: Recorder, username: str) -> None:
    recorder.visit("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{recorder.origin}/")
    recorder.check("the overview after logging in")


def post_form(page, action: str, *, with_token: bool) -> None:
    """Submits a form the page did not offer (as a stale tab or a crafted link would)."""
    page.evaluate(
        """([action, withToken]) => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = action;
            const token = document.cookie.split('; ').find((c) => c.startsWith('csrftoken='));
            if (withToken && token) {
                const field = Object.assign(document.createElement('input'), {type: 'hidden', name: 'csrfmiddlewaretoken', value: token.split('=')[1]});
                form.append(field);
            }
            for (const [name, value] of [['name', 'refused'], ['title', 'Refused']]) {
                form.append(Object.assign(document.createElement('input'), {type: 'hidden', name, value}));
            }
            document.body.append(form);
            form.submit();
        }""",
        [action, with_token],
    )
    page.wait_for_load_state("networkidle")


def test_every_page_loads_nothing_from_another_origin_and_logs_no_error(browser, server):
    VersionFactory(template__name="billing", template__title="Billing", graph=chain_graph("a", "b"))
    name = VersionFactory(template__name="dispatch", template__title="Dispatch", graph=WAITING).template.name
    instance, _ = engine.start_instance(name)
    admin = UserFactory(username="ada", is_staff=True, is_superuser=True)
    for role in (ANALYSTS, OPERATORS):
        admin.groups.add(role_group(role))

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    recorder = Recorder(page, server.url)
    log_in(page, recorder, "ada")

    recorder.visit("/")
    recorder.visit("/designer/")
    recorder.visit(f"/designer/t/{name}/")
    wait_ready(page)
    recorder.check("the editor")
    recorder.visit(f"/designer/instances/{instance.pk}/")
    wait_ready(page)
    expect(page.get_by_test_id("node-hold")).to_have_attribute("data-status", "waiting", timeout=20_000)
    recorder.check("the instance page")

    recorder.visit("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Flowdesk API", timeout=20_000)
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    recorder.check("the API docs")
    screenshot(page, "api-docs")

    for path in ("/admin/", "/admin/workflows/template/", "/admin/workflows/instance/", f"/admin/workflows/instance/{instance.pk}/change/", "/admin/auth/user/"):
        recorder.visit(path)

    recorder.visit("/designer/no-such-page/", status=404)
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    screenshot(page, "error-404")
    page.get_by_role("link", name="Go to the overview").click()
    page.wait_for_url(f"{server.url}/")
    recorder.check("back home from the 404 page")

    # a form whose CSRF token is missing (a stale tab): the product's 403, saying what to do
    recorder.expected_failures.add(f"{server.url}/logout/")
    post_form(page, "/logout/", with_token=False)
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_text("reload the page")).to_be_visible()
    recorder.check("the CSRF failure page")

    # the login page itself, logged out
    context.clear_cookies()
    recorder.visit("/login/")
    recorder.check("the login page")
    assert recorder.requests, "the recorder saw no request at all"
    context.close()


def test_the_error_pages_have_the_products_look_and_a_way_back(browser, server):
    UserFactory(username="otto").groups.add(role_group(OPERATORS))
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    recorder = Recorder(page, server.url)
    log_in(page, recorder, "otto")

    # an operator may not create templates: PermissionDenied is the product's 403, with its reason
    recorder.visit("/designer/")
    recorder.expected_failures.add(f"{server.url}/designer/new/")
    post_form(page, "/designer/new/", with_token=True)
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_text("Only analysts may change templates")).to_be_visible()
    expect(page.get_by_role("link", name="Back")).to_have_attribute("href", f"{server.url}/designer/")
    recorder.check("the 403 page")
    screenshot(page, "error-403")

    # the 500 page as Django sends it (rendered with no context), served from this origin
    broken = f"{server.url}/broken-page/"
    recorder.expected_failures.add(broken)
    page.route(broken, lambda route: route.fulfill(status=500, content_type="text/html", body=render_to_string("500.html")))
    recorder.visit("/broken-page/", status=500)
    expect(page.get_by_role("heading", name="Something went wrong")).to_be_visible()
    expect(page.locator(".topbar .brand")).to_have_css("color", "rgb(48, 86, 211)")  # the site's stylesheet applies
    screenshot(page, "error-500")
    page.get_by_role("link", name="Go to the overview").click()
    page.wait_for_url(f"{server.url}/")
    recorder.check("back home from the 500 page")
    context.close()
