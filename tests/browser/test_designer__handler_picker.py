"""The handler picker says what each handler does, not only its name."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import open_editor
from tests.factories import chain_graph
from workflows import authoring
from workflows.core.handlers import handlers
from workflows.roles import ANALYSTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_each_handler_in_the_picker_shows_its_one_line_description(page_for):
    authoring.create_template(name="claims", title="Claims", graph=chain_graph("intake", "review"))
    page = open_editor(page_for("ana", ANALYSTS), "claims")
    page.get_by_test_id("node-intake").click()
    picker = page.get_by_test_id("inspector").get_by_test_id("field-config.handler")
    expect(picker).to_have_value("demo.noop")
    described = [h for h in handlers.all() if h.description.strip()]
    assert described, "the demo handlers have descriptions"
    for h in described[:5]:
        first = h.description.strip().splitlines()[0].replace("``", "").strip()
        option = picker.locator(f'option[value="{h.name}"]')
        expect(option).to_contain_text(f"{h.name} — {first[:30]}")
