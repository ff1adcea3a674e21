"""The Version field of map, loop and sub-workflow: a picker of the chosen child template's published
versions ("Latest published" by default), disabled until a workflow is chosen, and a pin that
the chosen template does not have is dropped or said, never kept silently."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import open_editor, open_problems, wait_saved
from tests.browser.conftest import screenshot
from tests.factories import UserFactory, chain_graph, graph_of
from workflows import authoring
from workflows.models import Template
from workflows.roles import ANALYSTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIELD = "field-config.version"


def published(name: str, title: str, *notes: str):
    """A template published by olga once per change note (v1, v2, …), each version a step longer."""
    olga = UserFactory(username="olga")
    template = authoring.create_template(name=name, title=title, graph=chain_graph("a"))
    for i, note in enumerate(notes):
        if i:
            authoring.save_draft(template, chain_graph(*[f"s{n}" for n in range(i + 1)]))
        authoring.publish(template, change_note=note, user=olga)
    return template


@pytest.fixture
def children(db):
    """resize-image: three published versions and a draft (v4) that cannot be pinned; send-report: one version."""
    resize = published("resize-image", "Resize image", "First cut", "Adds WebP", "Sharper thumbnails")
    authoring.save_draft(resize, chain_graph("x", "y", "z", "w"))
    published("send-report", "Send report", "Weekly figures")


def gallery(child_config: dict | None = None) -> None:
    nodes = [("fetch", "task", {"handler": "demo.noop"}), ("child", "subworkflow", child_config or {})]
    authoring.create_template(name="gallery", title="Gallery", graph=graph_of(nodes, [("fetch", "child")]))


def saved_config(page, node: str) -> dict:
    """The node's config in the draft as the API returns it (what autosave stored)."""
    response = page.request.get(f"{page.base}/api/v1/templates/gallery/draft/")
    assert response.ok, response.text()
    return next(n["config"] for n in response.json()["graph"]["nodes"] if n["id"] == node)


def options(inspector) -> list[str]:
    return inspector.get_by_test_id("options-config.version").locator("[role=option]").evaluate_all(
        "els => els.map(e => e.getAttribute('data-testid').replace('version-option-', ''))"
    )


def test_an_analyst_pins_a_published_version_and_another_template_drops_the_pin(page_for, children):
    gallery()
    page = open_editor(page_for("ana", ANALYSTS), "gallery")
    page.get_by_test_id("node-child").click()
    inspector = page.get_by_test_id("inspector")
    box = inspector.get_by_test_id(FIELD)

    # nothing to list before a workflow is chosen: disabled, and the hint says what to do
    expect(box).to_be_disabled()
    expect(box).to_have_attribute("placeholder", "Choose a workflow first")
    hint = inspector.get_by_test_id("pin-hint-config.version")
    expect(hint).to_have_text("Choose the Workflow first: its published versions are listed here.")
    expect(box).to_have_attribute("aria-describedby", hint.get_attribute("id"))

    inspector.get_by_test_id("field-config.workflow").click()
    inspector.get_by_test_id("template-option-resize-image").click()
    expect(box).to_be_enabled()
    expect(box).to_have_value("Latest published")
    expect(hint).to_contain_text("Starts the newest published version of resize-image each time")

    # opened: Latest published (the current choice), then the published versions newest first, not the draft
    box.click()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(inspector.get_by_test_id("version-option-1")).to_be_visible()
    assert options(inspector) == ["latest", "3", "2", "1"]
    expect(inspector.get_by_test_id("version-option-latest")).to_have_attribute("aria-selected", "true")
    expect(inspector.get_by_test_id("version-option-latest")).to_have_attribute("data-current", "true")
    expect(inspector.get_by_test_id("version-option-latest")).to_contain_text("now v3; follows each new publish")
    expect(inspector.get_by_test_id("version-option-3")).to_contain_text("latest")
    expect(inspector.get_by_test_id("version-option-2")).to_contain_text("by olga")
    expect(inspector.get_by_test_id("version-option-2")).to_contain_text("Adds WebP")

    # the keyboard chooses: ↓ ↓ from Latest published is v2
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(inspector.get_by_test_id("version-option-2")).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", inspector.get_by_test_id("version-option-2").get_attribute("id"))
    screenshot(page, "designer-version-picker")
    page.get_by_test_id("inspector").screenshot(path="/tmp/picker-version-open.png")
    page.keyboard.press("Enter")
    expect(box).to_have_value("v2")
    expect(inspector.get_by_test_id("pin-hint-config.version")).to_have_text(
        "Always starts v2 of resize-image, also after newer versions are published."
    )
    wait_saved(page)
    assert saved_config(page, "child") == {"workflow": "resize-image", "version": 2}

    # typing filters: by number, by words of the change note; Escape leaves the pin as it was
    box.click()
    box.fill("v1")
    assert options(inspector) == ["1"]
    box.fill("webp")
    assert options(inspector) == ["2"]
    box.fill("v9")
    expect(inspector.get_by_test_id("empty-config.version")).to_have_text(
        "No published version of resize-image matches “v9”: type a number like 3, or clear the search."
    )
    page.keyboard.press("Escape")
    expect(box).to_have_value("v2")
    expect(inspector).to_have_attribute("data-node", "child")

    # another template: v2 was resize-image's, so the pin goes, and the field says so
    inspector.get_by_test_id("field-config.workflow").click()
    inspector.get_by_test_id("template-option-send-report").click()
    expect(box).to_have_value("Latest published")
    cleared = inspector.get_by_test_id("pin-cleared-config.version")
    expect(cleared).to_contain_text("v2 was a version of resize-image, so it is no longer pinned")
    expect(cleared).to_contain_text("send-report starts at its latest published version")
    wait_saved(page)
    assert saved_config(page, "child") == {"workflow": "send-report"}
    screenshot(page, "designer-version-pin-cleared")

    box.click()
    assert options(inspector) == ["latest", "1"]  # send-report's own versions now
    page.keyboard.press("Escape")

    # one change: undo gives back the workflow with its pin
    page.get_by_test_id("btn-undo").click()
    expect(inspector.get_by_test_id("field-config.workflow")).to_have_value("resize-image")
    expect(box).to_have_value("v2")
    expect(inspector.get_by_test_id("pin-cleared-config.version")).to_have_count(0)
    wait_saved(page)
    assert saved_config(page, "child") == {"workflow": "resize-image", "version": 2}


def test_a_pin_the_template_does_not_have_is_said_and_latest_published_replaces_it(page_for, children):
    gallery({"workflow": "resize-image", "version": 4})  # v4 is resize-image's draft: it cannot start
    page = open_editor(page_for("ana", ANALYSTS), "gallery")
    page.get_by_test_id("node-child").click()
    inspector = page.get_by_test_id("inspector")
    box = inspector.get_by_test_id(FIELD)
    expect(box).to_have_value("v4")
    problem = inspector.get_by_test_id("pin-problem-config.version")
    expect(problem).to_have_text("resize-image has no published version 4 (published: v3, v2, v1): choose one, or Latest published.")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_attribute("aria-describedby", problem.get_attribute("id"))
    expect(inspector.get_by_test_id("pin-hint-config.version")).to_have_count(0)  # not "Always starts v4"
    screenshot(page, "designer-version-unknown-pin")

    box.click()
    box.fill("latest")
    page.keyboard.press("Enter")
    expect(box).to_have_value("Latest published")
    expect(problem).to_have_count(0)
    expect(box).not_to_have_attribute("aria-invalid", "true")
    wait_saved(page)
    assert saved_config(page, "child") == {"workflow": "resize-image"}


def test_an_expression_lists_no_versions_and_drops_the_pin(page_for, children):
    nodes = [("each", "map", {"items": "input.rows", "workflow": "resize-image", "version": 3})]
    authoring.create_template(name="gallery", title="Gallery", graph=graph_of(nodes))
    page = open_editor(page_for("ana", ANALYSTS), "gallery")
    page.get_by_test_id("node-each").click()
    inspector = page.get_by_test_id("inspector")
    box = inspector.get_by_test_id(FIELD)
    expect(box).to_have_value("v3")

    # an expression chooses the child when the step runs: there is no one template's versions to list
    workflow = inspector.get_by_test_id("field-config.workflow")
    workflow.click()
    workflow.fill("{{ item.kind }}")
    page.keyboard.press("Enter")
    expect(box).to_be_disabled()
    expect(box).to_have_value("Latest published")
    expect(inspector.get_by_test_id("pin-hint-config.version")).to_contain_text("An expression chooses the workflow when the step runs")
    wait_saved(page)
    assert saved_config(page, "each") == {"items": "input.rows", "workflow": "{{ item.kind }}"}


def test_a_pin_the_child_has_not_published_is_a_problem_the_designer_lists_and_publishing_refuses(page_for, children):
    """The server's validation names the pin on its node and field: in the Problems panel, in the
    publish dialog; the inspector says it once (its own line, which goes the moment a published
    version is chosen, without waiting for the server's next check)."""
    gallery({"workflow": "resize-image", "version": 7})
    page = open_editor(page_for("ana", ANALYSTS), "gallery")
    expected = "template 'resize-image' has no published version 7 (published: 1, 2, 3)"
    expect(page.get_by_test_id("validation-status")).to_have_attribute("data-state", "invalid")
    open_problems(page)
    problem = page.get_by_test_id("problem-child")
    expect(problem).to_have_count(1)
    expect(problem.locator(".fd-problem-msg")).to_have_text(expected)
    expect(problem.locator(".fd-problem-field")).to_have_text("config.version")
    expect(page.get_by_test_id("node-child")).to_have_attribute("data-error", "true")
    screenshot(page, "designer-version-pin-problem")

    # the problem goes to the step; the Version field says it, once
    problem.click()
    inspector = page.get_by_test_id("inspector")
    expect(inspector).to_have_attribute("data-node", "child")
    expect(inspector.get_by_test_id("pin-problem-config.version")).to_contain_text("resize-image has no published version 7")
    expect(inspector.get_by_test_id("field-error-config.version")).to_have_count(0)
    expect(inspector.get_by_test_id("inspector-problems")).to_have_count(0)

    # publishing is refused, naming the step and the field; nothing is published
    page.get_by_test_id("btn-publish").click()
    dialog = page.get_by_test_id("publish-dialog")
    dialog.get_by_test_id("btn-confirm-publish").click()
    errors = dialog.get_by_test_id("publish-errors")
    expect(errors).to_contain_text(expected)
    expect(errors).to_contain_text("config.version")
    assert Template.objects.get(name="gallery").latest_published() is None
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    # a published version: the field's line goes at once, the server agrees on its next check
    box = inspector.get_by_test_id(FIELD)
    box.click()
    inspector.get_by_test_id("version-option-2").click()
    expect(box).to_have_value("v2")
    expect(inspector.get_by_test_id("pin-problem-config.version")).to_have_count(0)
    expect(page.get_by_test_id("validation-status")).to_have_attribute("data-state", "valid")
    expect(page.get_by_test_id("problem-child")).to_have_count(0)
    expect(page.get_by_test_id("node-child")).not_to_have_attribute("data-error", "true")
    wait_saved(page)
    assert saved_config(page, "child") == {"workflow": "resize-image", "version": 2}


def test_an_expression_pinning_a_version_an_allowed_workflow_lacks_is_said_under_the_version(page_for, children):
    """No one template's versions to list: the server's word is the field's."""
    gallery({"workflow": "{{ input.kind }}", "allowed_workflows": ["resize-image", "send-report"], "version": 3})
    page = open_editor(page_for("ana", ANALYSTS), "gallery")
    page.get_by_test_id("node-child").click()
    inspector = page.get_by_test_id("inspector")
    error = inspector.get_by_test_id("field-error-config.version")
    expect(error).to_have_text("allowed workflow 'send-report' has no published version 3 (published: 1); the pinned Version applies to whichever one is chosen")
    open_problems(page)
    expect(page.get_by_test_id("problem-child")).to_contain_text("'send-report' has no published version 3")

    inspector.get_by_test_id("pin-clear-config.version").click()  # "Use the latest"
    expect(page.get_by_test_id("validation-status")).to_have_attribute("data-state", "valid")
    expect(error).to_have_count(0)
