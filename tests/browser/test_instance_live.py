"""The instance page follows its instance live over a WebSocket, served by daphne as in production
(pytest-django's live server speaks no WebSocket), with a real engine running the steps."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import wait_ready
from tests.browser.conftest import screenshot
from tests.factories import UserFactory, VersionFactory, role_group
from workflows import engine
from workflows.roles import OPERATORS

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WAITING = {
    "version": 1,
    "settings": {},
    "nodes": [
        {"id": "receive", "type": "task", "label": "Receive", "position": {"x": 0, "y": 0}, "config": {"handler": "demo.noop"}},
        {"id": "cool_off", "type": "wait", "label": "Cool off", "position": {"x": 260, "y": 0}, "config": {"for_s": 2}},
        {"id": "ship", "type": "task", "label": "Ship", "position": {"x": 520, "y": 0}, "config": {"handler": "demo.noop"}},
    ],
    "edges": [{"id": "e1", "source": "receive", "target": "cool_off"}, {"id": "e2", "source": "cool_off", "target": "ship"}],
}


def test_the_instance_page_shows_each_step_as_it_happens_without_polling(browser, server):
    user = UserFactory(username="olga")
    user.groups.add(role_group(OPERATORS))
    name = VersionFactory(graph=WAITING).template.name
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    instance_requests: list[str] = []
    page.goto(f"{server.url}/login/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", "pw-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")

    instance, _ = engine.start_instance(name)
    page.on("request", lambda r: instance_requests.append(r.url) if f"/api/v1/instances/{instance.pk}/" in r.url else None)
    page.goto(f"{server.url}/designer/instances/{instance.pk}/")
    wait_ready(page)
    page.wait_for_function("() => window.__flowdesk.live === 'socket' || window.__flowdesk.live === 'done'")

    expect(page.get_by_test_id("node-cool_off")).to_have_attribute("data-status", "waiting", timeout=10_000)
    expect(page.get_by_test_id("live-mode")).to_have_text("live")
    screenshot(page, "instance-live-waiting")
    expect(page.get_by_test_id("node-ship")).to_have_attribute("data-status", "completed", timeout=15_000)
    expect(page.get_by_test_id("toolbar-status")).to_contain_text("Completed")
    screenshot(page, "instance-live-completed")

    assert any('"type": "instance_completed"' in f or '"type":"instance_completed"' in f for f in frames), frames[-3:]
    # a refresh per burst of events, not one a second: the 2 s wait alone would have cost 2+ polls
    assert len(instance_requests) <= len({f for f in frames}) + 2
    # done once the socket has brought the last events too (the page may show Completed from its read first)
    page.wait_for_function("() => window.__flowdesk.live === 'done'", timeout=10_000)
    context.close()
