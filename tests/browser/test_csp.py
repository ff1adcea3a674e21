"""The Content Security Policy is on, and nothing Flowdesk serves breaks it: the pages are driven
in a real browser (daphne, as in production, so the instance page's WebSocket is covered) and any
violation — a console report or a ``securitypolicyviolation`` event — fails the test."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import wait_ready
from tests.factories import UserFactory, VersionFactory, chain_graph, role_group
from workflows import engine
from workflows.roles import ANALYSTS, OPERATORS

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WAITING = {
    "version": 1,
    "settings": {},
    "nodes": [
        {"id": "receive", "type": "task", "label": "Receive", "position": {"x": 0, "y": 0}, "config": {"handler": "demo.noop"}},
        {"id": "hold", "type": "wait", "label": "Hold", "position": {"x": 260, "y": 0}, "config": {"for_s": 600}},
    ],
    "edges": [{"id": "e1", "source": "receive", "target": "hold"}],
}

# Recorded from before any page script runs (Playwright injects it outside the page's policy).
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile || document.URL}:${e.lineNumber}`);
});
"""


class Violations:
    def __init__(self, page):
        self.page, self.console = page, []
        page.add_init_script(LISTEN)
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}") if "Content Security Policy" in m.text else None)

    def assert_none(self, where: str) -> None:
        events = self.page.evaluate("() => window.__csp || []")
        assert not events and not self.console, f"{where}: {events} {self.console}"


def signed_in(browser, server, username: str, *roles: str, staff: bool = False):
    user = UserFactory(username=username, is_staff=staff)
    for role in roles:
        user.groups.add(role_group(role))
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    violations = Violations(page)
    page.goto(f"{server.url}/login/")
    assert "default-src 'self'" in page.evaluate("async () => (await fetch(location.href)).headers.get('content-security-policy')")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    violations.assert_none("login and the overview")
    return page, violations


def test_the_designer_list_editor_and_instance_page_run_under_the_policy(browser, server):
    VersionFactory(template__name="billing", template__title="Billing", template__tags=["finance"], graph=chain_graph("a", "b"))
    name = VersionFactory(template__name="dispatch", template__tags=["ops"], graph=WAITING).template.name
    page, violations = signed_in(browser, server, "ana", ANALYSTS, OPERATORS)

    # The list: its filters submit on change and archiving asks first (scripts moved out of the HTML).
    page.goto(f"{server.url}/designer/")
    page.get_by_label("Tag").select_option("finance")
    page.wait_for_url("**/designer/?*tag=finance*")
    expect(page.get_by_test_id("template-row-dispatch")).to_have_count(0)
    page.goto(f"{server.url}/designer/")
    questions: list[str] = []
    page.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    page.get_by_test_id("template-row-billing").get_by_role("button", name="Archive").click()
    expect(page.get_by_test_id("template-row-billing")).to_be_visible()
    assert questions and "Archive billing?" in questions[0]
    violations.assert_none("the template list")

    # The editor: drawn by React Flow (inline styles through the DOM), a node dragged.
    page.goto(f"{server.url}/designer/t/{name}/")
    wait_ready(page)
    node = page.get_by_test_id("node-receive").bounding_box()
    page.mouse.move(node["x"] + 20, node["y"] + node["height"] / 2)
    page.mouse.down()
    page.mouse.move(node["x"] + 80, node["y"] + 140, steps=10)
    page.mouse.up()
    violations.assert_none("the editor")

    # The instance page, followed live over the WebSocket.
    instance, _ = engine.start_instance(name)
    page.goto(f"{server.url}/designer/instances/{instance.pk}/")
    wait_ready(page)
    page.wait_for_function("() => window.__flowdesk.live === 'socket'")
    expect(page.get_by_test_id("node-hold")).to_have_attribute("data-status", "waiting", timeout=15_000)
    violations.assert_none("the instance page")


def test_the_admins_instance_page_and_its_cancel_button_run_under_the_policy(browser, server):
    name = VersionFactory(graph=WAITING).template.name
    instance, _ = engine.start_instance(name)
    page, violations = signed_in(browser, server, "otto", OPERATORS, staff=True)

    page.goto(f"{server.url}/admin/workflows/instance/{instance.pk}/change/")
    questions: list[str] = []
    page.once("dialog", lambda d: (questions.append(d.message), d.accept()))
    page.get_by_role("button", name="Cancel instance").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Cancelled 1 instance")
    assert questions and questions[0].startswith("Cancel this instance?")
    instance.refresh_from_db()
    assert instance.status == "cancelled"
    page.goto(f"{server.url}/admin/workflows/instance/")
    violations.assert_none("the admin")
