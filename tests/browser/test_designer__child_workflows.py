"""Map, loop and sub-workflow in the designer (issue 10 §5): the palette offers them, the inspector
picks child templates from the published ones and switches between a choice's options, the canvas
says what each does, and publishing names a child template that is gone."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.canvas import connect, drop_from_palette, graph, open_editor, pick_handler, wait_saved
from tests.browser.conftest import screenshot
from tests.factories import chain_graph, graph_of
from workflows import authoring
from workflows.models import Template
from workflows.roles import ANALYSTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def published(name: str, title: str, description: str = "") -> Template:
    template = authoring.create_template(name=name, title=title, description=description, graph=chain_graph("a"))
    authoring.publish(template)
    return template


@pytest.fixture
def children(db):
    """Two published templates a workflow may start, and a draft-only one it may not."""
    published("resize-image", "Resize image", "Scales a picture to the gallery's sizes.")
    published("send-report", "Send report", "E-mails the weekly figures.")
    authoring.create_template(name="half-done", title="Half done", graph=chain_graph("a"))


def next_to(page, node: str, right: float, down: float) -> tuple[float, float]:
    """Where (in the canvas) to drop a step for it to land ``right`` and ``down`` node sizes from ``node``."""
    box, canvas = page.get_by_test_id(f"node-{node}").bounding_box(), page.get_by_test_id("canvas").bounding_box()
    return box["x"] - canvas["x"] + box["width"] * (0.5 + right), box["y"] - canvas["y"] + 24 + box["height"] * down


def node_config(page, node: str) -> dict:
    return next(n["config"] for n in graph(page)["nodes"] if n["id"] == node)


def test_an_analyst_maps_over_items_starts_a_published_child_and_is_told_when_it_is_gone(page_for, children):
    authoring.create_template(name="gallery", title="Gallery", graph=chain_graph("fetch"))
    page = open_editor(page_for("ana", ANALYSTS), "gallery")
    for kind in ("map", "loop", "subworkflow"):
        expect(page.get_by_test_id(f"palette-{kind}")).to_be_visible()
    inspector = page.get_by_test_id("inspector")

    # a map: over the fetched list, one handler call per item
    x, y = next_to(page, "fetch", 1.4, -1.5)
    each = drop_from_palette(page, "map", x, y)
    expect(inspector).to_have_attribute("data-node", each)
    expect(inspector.get_by_test_id("choice-handler")).to_have_attribute("aria-pressed", "true")
    inspector.get_by_test_id("field-config.items").fill("steps.fetch.output")
    pick_handler(inspector, "demo.noop")
    connect(page, "fetch", each)
    expect(page.get_by_test_id(f"node-{each}")).to_contain_text("for each in steps.fetch.output · 10 at a time")
    assert node_config(page, each) == {"items": "steps.fetch.output", "handler": "demo.noop"}
    screenshot(page, "designer-map-inspector")

    # a sub-workflow: the picker lists published templates (not drafts, not this one) with titles
    x, y = next_to(page, each, 0, 3)
    child = drop_from_palette(page, "subworkflow", x, y)
    expect(inspector).to_have_attribute("data-node", child)
    box = inspector.get_by_test_id("field-config.workflow")
    box.click()
    options = inspector.get_by_test_id("options-config.workflow")
    expect(options.locator("[role=option]")).to_have_count(2)
    expect(inspector.get_by_test_id("template-option-resize-image")).to_contain_text("Resize image")
    expect(inspector.get_by_test_id("template-option-send-report")).to_contain_text("Send report")
    screenshot(page, "designer-template-picker")
    box.fill("scales picture")  # found by its description too
    expect(options.locator("[role=option]")).to_have_count(1)
    inspector.get_by_test_id("template-option-resize-image").click()
    expect(box).to_have_value("resize-image")
    expect(inspector.get_by_test_id("title-config.workflow")).to_contain_text("Resize image")
    connect(page, each, child)
    expect(page.get_by_test_id(f"node-{child}")).to_contain_text("runs resize-image")
    expect(page.get_by_test_id("validation-status")).to_have_attribute("data-state", "valid")
    screenshot(page, "designer-subworkflow-inspector")

    wait_saved(page)
    nodes = {n["id"]: n for n in Template.objects.get(name="gallery").draft().graph["nodes"]}
    assert nodes[each]["type"] == "map" and nodes[each]["config"] == {"items": "steps.fetch.output", "handler": "demo.noop"}
    assert nodes[child]["type"] == "subworkflow" and nodes[child]["config"] == {"workflow": "resize-image"}

    # the child template is archived meanwhile: publishing is refused, naming the step and the field
    Template.objects.filter(name="resize-image").update(archived_at=timezone.now())
    page.get_by_test_id("btn-publish").click()
    dialog = page.get_by_test_id("publish-dialog")
    dialog.get_by_test_id("btn-confirm-publish").click()
    errors = dialog.get_by_test_id("publish-errors")
    expect(errors).to_contain_text(child)
    expect(errors).to_contain_text("no published template named 'resize-image'")
    assert Template.objects.get(name="gallery").latest_published() is None
    screenshot(page, "designer-subworkflow-unknown-on-publish")
    errors.get_by_role("button").first.click()  # goes to the step
    expect(inspector).to_have_attribute("data-node", child)
    expect(inspector.get_by_test_id("field-error-config.workflow")).to_contain_text("no published template named 'resize-image'")


def test_a_loop_chooses_its_child_by_expression_from_an_allowed_list_with_the_keyboard(page_for, children):
    loop = {"id": "again", "type": "loop", "label": "Again", "position": {"x": 320, "y": 0}, "config": {"workflow": "send-report", "count": 5, "max_iterations": 10}}
    start = {"id": "start", "type": "task", "position": {"x": 0, "y": 0}, "config": {"handler": "demo.noop"}}
    graph_ = {"version": 1, "settings": {}, "nodes": [start, loop], "edges": [{"id": "e1", "source": "start", "target": "again"}]}
    authoring.create_template(name="weekly", title="Weekly", graph=graph_)
    page = open_editor(page_for("ana", ANALYSTS), "weekly")
    expect(page.get_by_test_id("node-again")).to_contain_text("×5 · runs send-report")
    page.get_by_test_id("node-again").click()
    inspector = page.get_by_test_id("inspector")
    expect(inspector.get_by_test_id("choice-count")).to_have_attribute("aria-pressed", "true")
    expect(inspector.get_by_test_id("field-config.allowed_workflows")).to_have_count(0)  # a plain name needs no list

    # an expression chooses the child: the list it may choose from appears, and is asked for
    box = inspector.get_by_test_id("field-config.workflow")
    box.click()
    box.fill("{{ input.kind }}")
    expect(inspector.get_by_test_id("template-option-expression")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(box).to_have_value("{{ input.kind }}")
    hint = inspector.get_by_test_id("hint-config.workflow")
    expect(hint).to_contain_text("Allowed workflows")
    expect(hint).to_have_class("fd-hint warn")
    expect(inspector.get_by_test_id("field-error-config.allowed_workflows")).to_contain_text("needs Allowed workflows")

    # names added from the keyboard: type, ↓ through the matches, Enter
    add = inspector.get_by_test_id("field-config.allowed_workflows.add")
    add.click()
    add.fill("re")  # both names hold it; the first is active
    page.keyboard.press("Enter")
    expect(add).to_have_value("")
    add.press("ArrowDown")  # opens the list without resize-image, send-report active
    expect(inspector.get_by_test_id("template-option-resize-image")).to_have_count(0)
    expect(inspector.get_by_test_id("template-option-send-report")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(inspector.get_by_test_id("field-config.allowed_workflows.0")).to_contain_text("resize-imageResize image")
    expect(inspector.get_by_test_id("field-config.allowed_workflows.1")).to_contain_text("send-reportSend report")
    expect(hint).to_have_class("fd-hint ")
    assert node_config(page, "again")["allowed_workflows"] == ["resize-image", "send-report"]
    expect(page.get_by_test_id("node-again")).to_contain_text("×5 · runs one of resize-image, send-report")
    expect(page.get_by_test_id("validation-status")).to_have_attribute("data-state", "valid")
    screenshot(page, "designer-loop-inspector")

    # Repeat: while a condition holds; the count comes back on switching back
    inspector.get_by_test_id("choice-while").click()
    inspector.get_by_test_id("field-config.while").fill("iteration.index < 3")
    assert "count" not in node_config(page, "again")
    expect(page.get_by_test_id("node-again")).to_contain_text("while iteration.index < 3")
    expect(page.get_by_test_id("validation-status")).to_have_attribute("data-state", "valid")
    screenshot(page, "designer-loop-inspector-while")
    inspector.get_by_test_id("choice-count").click()
    expect(inspector.get_by_test_id("field-config.count")).to_have_value("5")
    config = node_config(page, "again")
    assert config["count"] == 5 and "while" not in config
    wait_saved(page)


def test_choosing_the_workflow_answers_its_required_line_at_once(page_for, children):
    """The server checks ~500 ms after a change, plus the round trip: until then "config: 'workflow'
    is a required property" stayed under the Workflow just chosen. A missing value now given is
    answered without waiting; any other problem still waits for the server."""
    nodes = [("fetch", "task", {"handler": "demo.noop"}), ("child", "subworkflow", {})]
    authoring.create_template(name="gallery", title="Gallery", graph=graph_of(nodes, [("fetch", "child")]))
    page = open_editor(page_for("ana", ANALYSTS), "gallery")
    page.get_by_test_id("node-child").click()
    inspector = page.get_by_test_id("inspector")
    required = inspector.get_by_test_id("field-error-config.workflow")
    expect(required).to_have_text("config: 'workflow' is a required property")

    # no check reaches the server from here: whatever the field says next, the inspector said itself
    page.route("**/validate/", lambda route: route.abort())
    box = inspector.get_by_test_id("field-config.workflow")
    box.click()
    inspector.get_by_test_id("template-option-resize-image").click()
    expect(box).to_have_value("resize-image")
    expect(required).to_have_count(0)
    expect(page.get_by_test_id("validation-status")).to_have_attribute("data-state", "error")  # the check was refused
    expect(page.get_by_test_id("node-child")).to_have_attribute("data-error", "true")  # the server has not said otherwise yet

    page.unroute("**/validate/")
    page.get_by_test_id("problems").get_by_role("button", name="Check again").click()
    expect(page.get_by_test_id("validation-status")).to_have_attribute("data-state", "valid")
    expect(page.get_by_test_id("node-child")).not_to_have_attribute("data-error", "true")
    wait_saved(page)
