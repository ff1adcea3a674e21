"""Automatic layout (dagre): one click tidies a tangled graph left to right, ports in order, and one
undo puts it back."""

from __future__ import annotations

import pytest

from tests.browser.canvas import graph, open_editor, wait_saved
from workflows import authoring

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def step(id: str, x: int, y: int, type: str = "task", **config) -> dict:
    config = config or {"handler": "demo.noop"}
    return {"id": id, "type": type, "label": id.title(), "position": {"x": x, "y": y}, "config": config}


TANGLED = {
    "version": 1,
    "settings": {},
    # drawn right to left, the false branch above the true one, two steps on top of each other
    "nodes": [
        step("start", 900, 200),
        step("check", 600, 200, "condition", expression="input.amount > 100"),
        step("approve", 300, 0),
        step("reject", 300, 0),
        step("notify", 0, 400),
    ],
    "edges": [
        {"id": "e1", "source": "start", "target": "check", "port": "out"},
        {"id": "e2", "source": "check", "target": "reject", "port": "false"},
        {"id": "e3", "source": "check", "target": "approve", "port": "true"},
        {"id": "e4", "source": "approve", "target": "notify", "port": "out"},
        {"id": "e5", "source": "reject", "target": "notify", "port": "out"},
    ],
}


def positions(page) -> dict[str, dict]:
    return {n["id"]: n["position"] for n in graph(page)["nodes"]}


def test_layout_tidies_the_graph_left_to_right_with_true_above_false_and_undo_restores_it(analyst_page):
    authoring.create_template(name="tangled", title="Tangled", graph=TANGLED)
    page = open_editor(analyst_page, "tangled")
    before = positions(page)

    page.get_by_test_id("btn-layout").click()
    page.wait_for_function("() => window.__flowdesk.getGraph().nodes.find((n) => n.id === 'start').position.x < 100")
    after = positions(page)

    assert after["start"]["x"] < after["check"]["x"] < after["approve"]["x"] < after["notify"]["x"]
    assert after["approve"]["x"] == after["reject"]["x"]
    assert after["approve"]["y"] < after["reject"]["y"]  # true above false
    boxes = {id: page.get_by_test_id(f"node-{id}").bounding_box() for id in after}
    for a in boxes:
        for b in boxes:
            if a < b:
                ba, bb = boxes[a], boxes[b]
                assert ba["x"] + ba["width"] <= bb["x"] or bb["x"] + bb["width"] <= ba["x"] or ba["y"] + ba["height"] <= bb["y"] or bb["y"] + bb["height"] <= ba["y"], f"{a} overlaps {b}"
    wait_saved(page)

    page.get_by_test_id("btn-undo").click()
    assert positions(page) == before
    wait_saved(page)
