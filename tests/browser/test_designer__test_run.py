"""A test run of the draft with a mocked failure: the canvas shows the failure route taken."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import open_editor
from tests.browser.conftest import screenshot
from workflows import authoring
from workflows.models import Instance

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def node(id: str, label: str, x: int, y: int, **config) -> dict:
    return {"id": id, "type": "task", "label": label, "position": {"x": x, "y": y}, "config": {"handler": "demo.noop", **config}}


PAYMENT = {
    "version": 1,
    "settings": {},
    "nodes": [
        node("charge", "Charge card", 0, 100, on_failure="route"),
        node("ship", "Ship order", 320, 0),
        node("refund", "Release reservation", 320, 220),
    ],
    "edges": [
        {"id": "ok", "source": "charge", "target": "ship", "port": "out"},
        {"id": "failed", "source": "charge", "target": "refund", "port": "failure"},
    ],
}


def test_a_mocked_failure_takes_the_failure_route_on_the_canvas(analyst_page, live_engine):
    template = authoring.create_template(name="payment", title="Payment", graph=PAYMENT)
    page = open_editor(analyst_page, "payment")
    expect(page.locator('.react-flow__node[data-id="charge"] .react-flow__handle.source[data-handleid="failure"]')).to_be_visible()

    page.get_by_test_id("btn-test-run").click()
    panel = page.get_by_test_id("test-run-panel")
    expect(panel.get_by_test_id("mock-charge")).to_be_visible()
    expect(panel.get_by_test_id("mock-refund")).to_be_visible()  # every worker step can be mocked
    panel.get_by_test_id("test-input").fill('{"order": 17, "amount": 99.5}')
    panel.get_by_test_id("mock-mode-charge").select_option("fail")
    panel.get_by_test_id("mock-fail-type-charge").fill("CardDeclined")
    panel.get_by_test_id("mock-fail-message-charge").fill("insufficient funds")
    panel.get_by_test_id("btn-start-test-run").click()

    result = page.get_by_test_id("test-run-result")
    expect(result).to_have_attribute("data-status", "completed", timeout=30_000)  # the failure was handled
    expect(page.get_by_test_id("node-charge")).to_have_attribute("data-status", "failed")
    expect(page.get_by_test_id("node-refund")).to_have_attribute("data-status", "completed")
    expect(page.get_by_test_id("node-ship")).to_have_attribute("data-status", "skipped")
    expect(page.get_by_test_id("edge-failed")).to_have_attribute("data-run", "taken")
    expect(page.get_by_test_id("edge-ok")).to_have_attribute("data-run", "not-taken")
    expect(page.get_by_test_id("run-banner")).to_be_visible()

    # the failing step tells what the mock made it raise
    page.get_by_test_id("node-charge").click()
    details = page.get_by_test_id("step-details")
    expect(details).to_have_attribute("data-node", "charge")
    expect(details.get_by_test_id("step-error")).to_have_text("CardDeclined: insufficient funds")
    expect(details).to_contain_text("Port taken")  # the port, named as one (it read "Took failure")
    expect(details).not_to_contain_text("Took")
    screenshot(page, "designer-test-run-failure-route")

    instance = Instance.objects.get(template=template)
    assert instance.is_test and instance.input == {"order": 17, "amount": 99.5}
    assert instance.mocks == {"charge": {"fail": {"type": "CardDeclined", "message": "insufficient funds"}}}
    statuses = dict(instance.steps.values_list("node_id", "status"))
    assert statuses == {"charge": "failed", "refund": "completed", "ship": "skipped"}
