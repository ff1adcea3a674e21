"""A notify step in the designer: dropped from the palette, its recipients edited as a list, each
entry's problem shown on that entry, the node saying whom it writes to."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import drop_from_palette, open_editor
from tests.browser.conftest import screenshot
from workflows import authoring
from workflows.roles import ANALYSTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_notify_step_is_configured_with_a_list_of_recipients(page_for):
    intake = {"id": "intake", "type": "task", "position": {"x": 0, "y": 0}, "config": {"handler": "demo.noop"}}
    authoring.create_template(name="reports", title="Reports", graph={"version": 1, "settings": {}, "nodes": [intake], "edges": []})
    page = open_editor(page_for("ana", ANALYSTS), "reports")
    expect(page.get_by_test_id("palette-notify")).to_contain_text("Send e-mail")
    node = drop_from_palette(page, "notify", 700, 300)
    inspector = page.get_by_test_id("inspector")
    expect(inspector).to_have_attribute("data-node", node)
    expect(inspector.get_by_test_id("field-error-config.to")).to_contain_text("'to' is a required property", timeout=15_000)

    inspector.get_by_test_id("add-config.to").click()
    first = inspector.get_by_test_id("field-config.to.0")
    expect(first).to_have_attribute("placeholder", "e.g. ops@example.com, user:alice or group:reviewers")
    expect(first).to_have_attribute("aria-label", "recipient 1")
    first.fill("bob@")
    expect(inspector.get_by_test_id("field-error-config.to")).to_contain_text("'bob@' is not an e-mail address, user:USERNAME or group:GROUPNAME", timeout=15_000)

    first.fill("user:alice")
    inspector.get_by_test_id("add-config.to").click()
    inspector.get_by_test_id("field-config.to.1").fill("{{ input.owner }}")
    inspector.get_by_test_id("field-config.subject").fill("Report for {{ input.name }}")
    inspector.get_by_test_id("field-config.body").fill("<p>Hello {{ input.name }}</p>")
    inspector.get_by_test_id("field-config.html").check()
    expect(inspector.get_by_test_id("field-error-config.to")).to_have_count(0, timeout=15_000)
    expect(page.get_by_test_id(f"node-{node}")).to_contain_text("to user:alice, {{ input.owner }}")
    screenshot(page, "designer-notify")
