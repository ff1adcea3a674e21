"""Finding your way on a big canvas: the mini map moves the view and holds still while a step is
dragged (it catches up on the drop); zoomed far out, steps drop their small print."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import open_editor, wait_saved
from workflows import authoring

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wide_graph(columns: int = 12) -> dict:
    """A chain much wider than the canvas: the editor opens on its start."""
    nodes = [{"id": f"s{i}", "type": "task", "label": f"Step {i}", "position": {"x": i * 400, "y": (i % 3) * 150}, "config": {"handler": "demo.noop"}} for i in range(columns)]
    edges = [{"id": f"e{i}", "source": f"s{i}", "target": f"s{i + 1}", "port": "out"} for i in range(columns - 1)]
    return {"version": 1, "settings": {}, "nodes": nodes, "edges": edges}


def viewport_x(page) -> float:
    """The canvas's horizontal pan, from React Flow's viewport transform."""
    return page.evaluate("() => new DOMMatrix(getComputedStyle(document.querySelector('.react-flow__viewport')).transform).m41")


def minimap_rect(page, index: int) -> dict:
    return page.evaluate(
        "(i) => { const r = document.querySelectorAll('[data-testid=minimap] > rect')[i]; return {x: +r.getAttribute('x'), y: +r.getAttribute('y')} }",
        index,
    )


def test_a_click_in_the_mini_map_moves_the_view_there(analyst_page):
    authoring.create_template(name="wide", title="Wide", graph=wide_graph())
    page = open_editor(analyst_page, "wide")
    minimap = page.get_by_test_id("minimap")
    expect(minimap).to_be_visible()
    expect(minimap.locator(":scope > rect")).to_have_count(12 + 1)  # the steps and the visible area
    expect(page.get_by_test_id("node-s11")).not_to_be_in_viewport()

    before = viewport_x(page)
    box = minimap.bounding_box()
    page.mouse.click(box["x"] + box["width"] - 8, box["y"] + box["height"] / 2)

    assert viewport_x(page) < before - 1000  # the view moved right, to the end of the chain
    expect(page.get_by_test_id("node-s11")).to_be_in_viewport()


def test_the_mini_map_holds_still_during_a_drag_and_follows_the_drop(analyst_page):
    authoring.create_template(name="wide", title="Wide", graph=wide_graph())
    page = open_editor(analyst_page, "wide")
    start = minimap_rect(page, 0)
    box = page.get_by_test_id("node-s0").locator(".fd-node-label").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 200, steps=8)

    assert minimap_rect(page, 0) == start

    page.mouse.up()
    page.wait_for_function("(y) => +document.querySelector('[data-testid=minimap] > rect').getAttribute('y') > y", arg=start["y"] + 100)
    wait_saved(page)  # the move is saved before the test ends


def zoom(page) -> float:
    return page.evaluate("() => new DOMMatrix(getComputedStyle(document.querySelector('.react-flow__viewport')).transform).a")


def test_zoomed_far_out_the_steps_keep_their_size_but_drop_their_small_print(analyst_page):
    authoring.create_template(name="wide", title="Wide", graph=wide_graph(40))
    page = open_editor(analyst_page, "wide")
    canvas, node = page.get_by_test_id("canvas"), page.get_by_test_id("node-s0")
    subtitle = node.locator(".fd-node-sub")
    expect(subtitle).to_be_visible()
    width = node.bounding_box()["width"] / zoom(page)

    page.locator(".react-flow__controls-fitview").click()

    expect(canvas).to_have_class(re.compile(r"\bis-far\b"))
    expect(subtitle).to_be_hidden()
    expect(node.locator(".fd-node-label")).to_be_visible()
    assert abs(node.bounding_box()["width"] / zoom(page) - width) < 2  # the same size: nothing is re-measured

    for _ in range(20):
        if zoom(page) >= 0.45:
            break
        page.locator(".react-flow__controls-zoomin").click()
        page.wait_for_timeout(50)
    expect(canvas).not_to_have_class(re.compile(r"\bis-far\b"))
    expect(subtitle).to_be_visible()
