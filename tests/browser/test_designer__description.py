"""One description: the settings panel shows and edits the template's, which the list shows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import open_editor
from tests.browser.conftest import screenshot
from tests.factories import chain_graph
from workflows import authoring
from workflows.models import Template
from workflows.roles import ANALYSTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_settings_panel_edits_the_description_the_template_list_shows(page_for):
    authoring.create_template(name="claims", title="Claims", description="Claims from intake to payout", graph=chain_graph("intake", "review"))
    page = page_for("ana", ANALYSTS)
    page.goto(f"{page.base}/designer/")
    expect(page.get_by_test_id("template-row-claims")).to_contain_text("Claims from intake to payout")

    open_editor(page, "claims")
    field = page.get_by_test_id("inspector").get_by_test_id("field-template-description")
    expect(field).to_have_value("Claims from intake to payout")
    field.fill("Claims from intake to payout, with a fraud check")
    page.get_by_test_id("inspector").get_by_text("Workflow timeout (s)").click()  # leave the field
    expect(page.get_by_test_id("template-description-status")).to_have_text("Saved to the template.")
    assert Template.objects.get(name="claims").description == "Claims from intake to payout, with a fraud check"
    assert "description" not in Template.objects.get(name="claims").draft().graph["settings"]
    screenshot(page, "designer-settings-description")

    page.goto(f"{page.base}/designer/")
    expect(page.get_by_test_id("template-row-claims")).to_contain_text("with a fraud check")


def test_an_older_graph_description_can_be_moved_to_the_template(page_for):
    graph = chain_graph("intake", "review")
    graph["settings"]["description"] = "Written in the graph by an older designer"
    authoring.create_template(name="claims", title="Claims", graph=graph)
    page = open_editor(page_for("ana", ANALYSTS), "claims")
    old = page.get_by_test_id("old-description")
    expect(old).to_contain_text("Written in the graph by an older designer")
    old.get_by_role("button", name="Move it here").click()
    expect(page.get_by_test_id("field-template-description")).to_have_value("Written in the graph by an older designer")
    expect(old).to_have_count(0)
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-state", "saved")
    template = Template.objects.get(name="claims")
    assert template.description == "Written in the graph by an older designer"
    assert "description" not in template.draft().graph["settings"]
