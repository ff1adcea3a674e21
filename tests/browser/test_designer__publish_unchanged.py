"""Publishing offers a new version only for a change; a test run of an unchanged draft is no change."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import open_editor, pick_handler, wait_saved
from tests.browser.conftest import screenshot
from workflows import authoring
from workflows.roles import ANALYSTS, OPERATORS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def step(id: str, x: int) -> dict:
    return {"id": id, "type": "task", "label": id.title(), "position": {"x": x, "y": 0}, "config": {"handler": "demo.noop"}}


GRAPH = {
    "version": 1,
    "settings": {},
    "nodes": [step("intake", 0), step("review", 320)],
    "edges": [{"id": "e1", "source": "intake", "target": "review", "port": "out"}],
}


def test_an_unchanged_draft_offers_no_publish_and_a_test_run_of_it_is_not_a_draft(page_for, live_engine):
    authoring.publish(authoring.create_template(name="claims", title="Claims", graph=GRAPH))
    page = open_editor(page_for("ana", ANALYSTS, OPERATORS), "claims")
    subtitle = page.locator(".fd-subtitle")
    expect(subtitle).to_contain_text("v1")
    expect(subtitle).not_to_contain_text("draft")

    page.get_by_test_id("btn-publish").click()
    dialog = page.get_by_test_id("publish-dialog")
    expect(dialog.get_by_test_id("btn-confirm-publish")).to_have_text("No changes since v1")
    expect(dialog.get_by_test_id("btn-confirm-publish")).to_be_disabled()
    screenshot(page, "designer-publish-unchanged")
    page.keyboard.press("Escape")

    # a test run saves the draft it runs: a copy of v1, which is not a change
    page.get_by_test_id("btn-test-run").click()
    panel = page.get_by_test_id("test-run-panel")
    panel.get_by_test_id("btn-start-test-run").click()
    expect(page.get_by_test_id("test-run-result")).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(subtitle).not_to_contain_text("draft")
    page.goto(f"{page.base}/designer/")
    expect(page.get_by_test_id("template-row-claims")).to_contain_text("published")
    expect(page.get_by_test_id("template-row-claims").locator("[data-draft]")).to_have_count(0)

    # a change of behaviour is a draft, and publishable
    page = open_editor(page, "claims")
    page.get_by_test_id("node-review").click()
    pick_handler(page.get_by_test_id("inspector"), "demo.fail")
    wait_saved(page)
    expect(page.locator(".fd-subtitle")).to_contain_text("v1 + draft")
    page.get_by_test_id("btn-publish").click()
    expect(page.get_by_test_id("btn-confirm-publish")).to_have_text("Publish v2")
    expect(page.get_by_test_id("btn-confirm-publish")).to_be_enabled()
