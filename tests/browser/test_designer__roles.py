"""Who may edit: operators and reviewers see the editor read-only; analysts edit."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import drag_connection, graph, open_editor, wait_saved
from tests.browser.conftest import screenshot
from workflows import authoring
from workflows.models import Template
from workflows.roles import ANALYSTS, OPERATORS, REVIEWERS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def task(id: str, x: int, y: int) -> dict:
    return {"id": id, "type": "task", "label": id.title(), "position": {"x": x, "y": y}, "config": {"handler": "demo.noop"}}


ROTA = {
    "version": 1,
    "settings": {},
    "nodes": [task("plan", 0, 100), task("notify", 320, 0), task("archive", 320, 220)],
    "edges": [{"id": "e1", "source": "plan", "target": "notify", "port": "out"}, {"id": "e2", "source": "plan", "target": "archive", "port": "out"}],
}


@pytest.fixture
def rota():
    return authoring.create_template(name="rota", title="Rota", graph=ROTA)


def position(page, node: str) -> dict:
    return next(n["position"] for n in graph(page)["nodes"] if n["id"] == node)


def offset(page, a: str, b: str) -> tuple[float, float]:
    """Where step ``b`` is drawn relative to step ``a``, on the screen."""
    box_a, box_b = (page.get_by_test_id(f"node-{n}").bounding_box() for n in (a, b))
    return round(box_b["x"] - box_a["x"]), round(box_b["y"] - box_a["y"])


def drag_node(page, node: str, dx: float, dy: float) -> None:
    box = page.get_by_test_id(f"node-{node}").locator(".fd-node-label").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=10)
    page.mouse.up()


@pytest.mark.parametrize(("username", "role", "can_run"), [("olga", OPERATORS, True), ("rita", REVIEWERS, False)])
def test_operators_and_reviewers_see_the_editor_read_only(page_for, rota, username, role, can_run):
    page = page_for(username, role)
    writes: list[str] = []
    page.on("request", lambda r: writes.append(f"{r.method} {r.url}") if r.method in ("PUT", "PATCH", "DELETE") or r.url.endswith(("/publish/", "/test-runs/")) else None)
    open_editor(page, "rota")

    assert page.locator("#flowdesk-designer").get_attribute("data-can-edit") == "false"
    expect(page.get_by_test_id("readonly-banner")).to_be_visible()
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-state", "readonly")
    expect(page.locator(".fd-palette")).to_have_count(0)
    for hook in ("palette-task", "btn-publish", "btn-undo", "btn-layout"):
        expect(page.get_by_test_id(hook)).to_have_count(0)
    expect(page.get_by_test_id("btn-run")).to_have_count(1 if can_run else 0)
    screenshot(page, f"designer-read-only-{role}")

    # the mouse cannot move a step or draw a connection
    before = position(page, "notify")
    gap = offset(page, "plan", "notify")
    drag_node(page, "notify", 150, 120)  # (pans the view: the step stays where it is in the graph)
    assert position(page, "notify") == before
    assert offset(page, "plan", "notify") == gap
    drag_connection(page, "notify", "archive")
    assert {(e["source"], e["target"]) for e in graph(page)["edges"]} == {("plan", "notify"), ("plan", "archive")}

    # a selected step shows its config, disabled; Delete does nothing
    page.locator(".react-flow__controls-fitview").click()  # the drags above panned the view
    page.get_by_test_id("node-archive").click()
    inspector = page.get_by_test_id("inspector")
    expect(inspector).to_have_attribute("data-node", "archive")
    expect(inspector.get_by_test_id("field-label")).to_be_disabled()
    expect(inspector.get_by_test_id("field-config.handler")).to_be_disabled()
    expect(inspector.get_by_test_id("btn-delete-node")).to_have_count(0)
    page.keyboard.press("Delete")
    page.keyboard.press("Control+z")
    expect(page.get_by_test_id("node-archive")).to_be_visible()
    assert len(graph(page)["nodes"]) == 3

    # test runs need the analyst role too
    page.get_by_test_id("btn-test-run").click()
    expect(page.get_by_test_id("btn-start-test-run")).to_be_disabled()
    expect(page.get_by_test_id("test-run-panel")).to_contain_text("Test runs need the analyst role")

    page.wait_for_load_state("networkidle")
    assert writes == []
    draft = Template.objects.get(pk=rota.pk).draft()
    assert draft.revision == 1 and draft.graph == ROTA


def test_an_analyst_can_edit_the_same_draft(page_for, rota):
    page = open_editor(page_for("ana", ANALYSTS), "rota")
    assert page.locator("#flowdesk-designer").get_attribute("data-can-edit") == "true"
    expect(page.get_by_test_id("readonly-banner")).to_have_count(0)
    for hook in ("palette-task", "btn-publish", "btn-undo", "btn-layout"):
        expect(page.get_by_test_id(hook)).to_be_visible()

    before = position(page, "notify")
    drag_node(page, "notify", 150, 120)
    after = position(page, "notify")
    assert after["x"] > before["x"] + 100 and after["y"] > before["y"] + 80
    drag_connection(page, "notify", "archive")
    expect(page.locator('.react-flow__edge[data-id="e3"]')).to_have_count(1)
    page.get_by_test_id("node-archive").click()
    expect(page.get_by_test_id("inspector").get_by_test_id("field-label")).to_be_enabled()
    wait_saved(page)
    draft = Template.objects.get(pk=rota.pk).draft()
    assert draft.revision > 1
    assert next(n["position"] for n in draft.graph["nodes"] if n["id"] == "notify") == after
    assert {"source": "notify", "target": "archive", "port": "out"}.items() <= next(e for e in draft.graph["edges"] if e["id"] == "e3").items()


def test_a_read_only_user_can_check_the_workflow_as_the_banner_says(page_for, rota):
    page = open_editor(page_for("olga", OPERATORS), "rota")
    expect(page.get_by_test_id("readonly-banner")).to_contain_text("check it")
    page.get_by_test_id("btn-validate").click()
    expect(page.get_by_test_id("validation-status")).to_have_attribute("data-state", "valid", timeout=3_000)
