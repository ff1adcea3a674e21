"""Building a workflow from an empty canvas with the mouse and the keyboard, up to a completed run."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import connect, drag_connection, drop_from_palette, edge_pairs, edge_point, graph, open_problems, pick_handler, wait_ready, wait_saved
from tests.browser.conftest import screenshot
from tests.factories import UserFactory
from workflows import authoring
from workflows.models import Instance, Template, TemplateVersion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STEPS = [("Receive order", 120, 140), ("Check stock", 420, 140), ("Pack parcel", 420, 400), ("Ship parcel", 700, 400)]


def add_step(page, label: str, x: float, y: float) -> str:
    node = drop_from_palette(page, "task", x, y)
    inspector = page.get_by_test_id("inspector")
    expect(inspector).to_have_attribute("data-node", node)  # the dropped node is selected
    inspector.get_by_test_id("field-label").fill(label)
    pick_handler(inspector, "demo.noop")
    expect(page.get_by_test_id(f"node-{node}")).to_contain_text(label)
    return node


def test_an_analyst_builds_publishes_and_runs_a_workflow_from_an_empty_canvas(analyst_page, live_engine):
    page = analyst_page
    page.goto(f"{page.base}/designer/")
    page.get_by_test_id("create-title").fill("Parcel dispatch")
    page.get_by_test_id("create-submit").click()
    page.wait_for_url("**/designer/t/parcel-dispatch/")
    wait_ready(page)
    expect(page.locator(".react-flow__node")).to_have_count(0)

    # four steps from the palette, configured in the inspector, chained with the mouse
    receive, check, pack, ship = (add_step(page, label, x, y) for label, x, y in STEPS)
    connect(page, receive, check)
    connect(page, check, pack)
    connect(page, pack, ship)
    expect(page.get_by_test_id("validation-status")).to_have_attribute("data-state", "valid")

    # drawing a back edge with the mouse is refused on the spot, saying why
    drag_connection(page, pack, check)
    expect(page.get_by_test_id("toast").filter(has_text="cycle")).to_be_visible()
    assert edge_pairs(page) == {(receive, check, "out"), (check, pack, "out"), (pack, ship, "out")}

    wait_saved(page)
    template = Template.objects.get(name="parcel-dispatch")
    draft = template.draft()
    assert [(n["id"], n["label"], n["config"]["handler"]) for n in draft.graph["nodes"]] == [
        (node, label, "demo.noop") for node, (label, _, _) in zip((receive, check, pack, ship), STEPS)
    ]
    assert {(e["source"], e["target"]) for e in draft.graph["edges"]} == {(receive, check), (check, pack), (pack, ship)}
    screenshot(page, "designer-build-graph")

    # a cycle arrives from elsewhere (an integration saving the draft through the API); the
    # designer names the nodes on it, on the canvas and in the problems list
    cyclic = json.loads(json.dumps(draft.graph))
    cyclic["edges"].append({"id": "back", "source": pack, "target": check, "port": "out"})
    authoring.save_draft(template, cyclic, user=UserFactory(username="integration"), revision=draft.revision)
    page.reload()
    wait_ready(page)
    open_problems(page)
    for node in (check, pack):
        expect(page.get_by_test_id(f"node-{node}")).to_have_attribute("data-error", "true")
        expect(page.get_by_test_id(f"problem-{node}")).to_contain_text("cycle")
    for node in (receive, ship):
        expect(page.get_by_test_id(f"node-{node}")).not_to_have_attribute("data-error", "true")
    assert page.locator("[data-testid^=problem-]").count() == 2
    expect(page.get_by_test_id("validation-status")).to_have_attribute("data-state", "invalid")
    screenshot(page, "designer-build-cycle")

    # fix it: click the back edge, press Delete
    page.mouse.click(*edge_point(page, "back"))
    expect(page.locator('.react-flow__edge[data-id="back"]')).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("Delete")
    expect(page.locator('.react-flow__edge[data-id="back"]')).to_have_count(0)
    expect(page.get_by_test_id("validation-status")).to_have_attribute("data-state", "valid")
    expect(page.locator("[data-error=true]")).to_have_count(0)
    assert len(graph(page)["nodes"]) == 4
    wait_saved(page)
    assert "back" not in {e["id"] for e in template.draft().graph["edges"]}

    # publish with a change note
    page.get_by_test_id("btn-publish").click()
    dialog = page.get_by_test_id("publish-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("publish-note").fill("First version: receive, check, pack and ship")
    screenshot(page, "designer-build-publish")
    dialog.get_by_test_id("btn-confirm-publish").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("toast").filter(has_text="Published version 1")).to_be_visible()
    version = template.versions.get(number=1)
    assert version.status == TemplateVersion.Status.PUBLISHED
    assert version.change_note == "First version: receive, check, pack and ship"
    assert len(version.graph["nodes"]) == 4 and len(version.graph["edges"]) == 3

    # run it with an input; the instance page shows every step completed
    page.get_by_test_id("btn-run").click()
    run = page.get_by_test_id("run-dialog")
    run.get_by_test_id("run-input").fill('{"order": 4711, "express": true}')
    run.get_by_test_id("btn-start-run").click()
    page.wait_for_url(re.compile(r"/instances/[0-9a-f-]{36}/$"))
    wait_ready(page)
    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "completed", timeout=30_000)
    for node in (receive, check, pack, ship):
        expect(page.get_by_test_id(f"node-{node}")).to_have_attribute("data-status", "completed")
    instance = Instance.objects.get(pk=page.url.rstrip("/").rsplit("/", 1)[1])
    assert instance.status == "completed" and instance.input == {"order": 4711, "express": True}
    assert instance.version_id == version.pk and not instance.is_test
    screenshot(page, "designer-build-instance-completed")


def test_each_node_on_a_cycle_counts_the_problems_the_list_shows_for_it(analyst_page):
    cyclic = {
        "version": 1,
        "settings": {},
        "nodes": [{"id": n, "type": "task", "label": n.title(), "position": {"x": 300 * i, "y": 0}, "config": {"handler": "demo.noop"}} for i, n in enumerate(["start", "first", "second"])],
        "edges": [
            {"id": "e1", "source": "start", "target": "first", "port": "out"},
            {"id": "e2", "source": "first", "target": "second", "port": "out"},
            {"id": "e3", "source": "second", "target": "first", "port": "out"},
        ],
    }
    authoring.create_template(name="loops", title="Loops", graph=cyclic)
    page = analyst_page
    page.goto(f"{page.base}/designer/t/loops/")
    wait_ready(page)
    open_problems(page)
    for node in ("first", "second"):
        expect(page.get_by_test_id(f"node-{node}")).to_have_attribute("data-error", "true")
        expect(page.get_by_test_id(f"problem-{node}").first).to_be_visible()
    badges = {node: page.get_by_test_id(f"node-{node}").locator(".fd-node-errors").inner_text() for node in ("first", "second")}
    listed = {node: str(page.get_by_test_id(f"problem-{node}").count()) for node in ("first", "second")}
    assert badges == listed
