"""The inspector says each problem once, in words, on the field it is about."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import drop_from_palette, open_editor
from tests.browser.conftest import screenshot
from workflows import authoring
from workflows.roles import ANALYSTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def graph_with(*nodes: dict) -> dict:
    placed = [{**n, "position": {"x": 320 * i, "y": 0}} for i, n in enumerate(nodes)]
    edges = [{"id": f"e{i}", "source": a["id"], "target": b["id"], "port": "out"} for i, (a, b) in enumerate(zip(placed, placed[1:]))]
    return {"version": 1, "settings": {}, "nodes": placed, "edges": edges}


def test_an_expression_error_is_said_once(page_for):
    graph = graph_with(
        {"id": "intake", "type": "task", "config": {"handler": "demo.noop"}},
        {"id": "big", "type": "condition", "config": {"expression": "input.amount >"}},
    )
    authoring.create_template(name="claims", title="Claims", graph=graph)
    page = open_editor(page_for("ana", ANALYSTS), "claims")
    page.get_by_test_id("node-big").click()
    inspector = page.get_by_test_id("inspector")
    field_error = inspector.get_by_test_id("field-error-config.expression")
    expect(field_error).to_be_visible()
    message = field_error.inner_text().strip()
    assert message
    page.wait_for_timeout(1500)  # the live check answers ~300 ms after the field shows
    assert inspector.inner_text().count(message) == 1, inspector.inner_text()
    screenshot(page, "designer-expression-error-once")


def test_a_new_wait_step_asks_for_a_duration_or_a_moment_on_its_field(page_for):
    graph = graph_with({"id": "intake", "type": "task", "config": {"handler": "demo.noop"}})
    authoring.create_template(name="claims", title="Claims", graph=graph)
    page = open_editor(page_for("ana", ANALYSTS), "claims")
    node = drop_from_palette(page, "wait", 700, 300)
    inspector = page.get_by_test_id("inspector")
    expect(inspector).to_have_attribute("data-node", node)
    expect(inspector.get_by_test_id("field-error-config.for_s")).to_have_text("set Wait for (s) or Until", timeout=15_000)
    expect(inspector).not_to_contain_text("is not valid under any of the given schemas")
    screenshot(page, "designer-wait-new")
