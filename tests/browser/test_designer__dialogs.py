"""The designer's dialogs: focus starts in the first field, Escape closes, focus goes back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import open_editor
from tests.browser.conftest import screenshot
from tests.factories import chain_graph
from workflows import authoring
from workflows.roles import ANALYSTS, OPERATORS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def focused_testid(page) -> str | None:
    return page.evaluate("() => document.activeElement && document.activeElement.getAttribute('data-testid')")


def test_the_publish_dialog_starts_in_the_note_so_a_typed_space_stays_in_the_note(page_for):
    authoring.create_template(name="claims", title="Claims", graph=chain_graph("intake", "review"))
    page = open_editor(page_for("ana", ANALYSTS), "claims")
    page.get_by_test_id("btn-publish").click()
    dialog = page.get_by_test_id("publish-dialog")
    expect(dialog).to_be_visible()
    assert focused_testid(page) == "publish-note"
    page.keyboard.type("first cut of the claims flow")
    expect(dialog).to_be_visible()  # a space typed into the × would have closed it
    expect(dialog.get_by_test_id("publish-note")).to_have_value("first cut of the claims flow")
    screenshot(page, "designer-publish-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert focused_testid(page) == "btn-publish"


def test_the_run_dialog_starts_in_the_input(page_for):
    template = authoring.create_template(name="claims", title="Claims", graph=chain_graph("intake", "review"))
    authoring.publish(template)
    page = open_editor(page_for("ana", ANALYSTS, OPERATORS), "claims")
    page.get_by_test_id("btn-run").click()
    dialog = page.get_by_test_id("run-dialog")
    expect(dialog).to_be_visible()
    assert focused_testid(page) == "run-input"
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert focused_testid(page) == "btn-run"
