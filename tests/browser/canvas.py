"""Driving the designer's canvas like a person: the mouse for drags and connections, the keyboard
for deletes, and explicit waits on the app's own signals (``window.__flowdesk.ready``, the save
indicator's ``data-state``) instead of sleeps."""

from __future__ import annotations

from playwright.sync_api import Page, expect

READY = "() => !!(window.__flowdesk && window.__flowdesk.ready)"


def open_editor(page: Page, name: str) -> Page:
    page.goto(f"{page.base}/designer/t/{name}/")
    wait_ready(page)
    return page


def pick_handler(scope, name: str, field: str = "config.handler") -> None:
    """Choose ``name`` in the inspector's handler picker (``scope``: the inspector) by typing it and clicking its option."""
    box = scope.get_by_test_id(f"field-{field}")
    box.click()
    box.fill(name)
    scope.get_by_test_id(f"handler-option-{name}").click()
    expect(box).to_have_value(name)


def wait_ready(page: Page) -> None:
    """The editor (or instance page) has loaded its graph and drawn it."""
    page.wait_for_function(READY)


def graph(page: Page) -> dict:
    """The document the editor holds right now (what it saves)."""
    return page.evaluate("() => window.__flowdesk.getGraph()")


def node_ids(page: Page) -> list[str]:
    return [n["id"] for n in graph(page)["nodes"]]


def edge_pairs(page: Page) -> set[tuple[str, str, str]]:
    return {(e["source"], e["target"], e.get("port", "out")) for e in graph(page)["edges"]}


def canvas_box(page: Page) -> dict:
    return page.get_by_test_id("canvas").bounding_box()


def drop_from_palette(page: Page, kind: str, x: float, y: float) -> str:
    """Drag ``kind`` from the palette and drop it at (x, y) inside the canvas; returns the new node's id."""
    before = set(node_ids(page))
    entry = page.get_by_test_id(f"palette-{kind}")
    entry.scroll_into_view_if_needed()  # the palette scrolls: a type low in it may be out of view
    item = entry.bounding_box()
    box = canvas_box(page)
    page.mouse.move(item["x"] + 24, item["y"] + item["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + x, box["y"] + y, steps=10)
    page.mouse.up()
    page.wait_for_function(f"() => window.__flowdesk.getGraph().nodes.length === {len(before) + 1}")
    (new,) = set(node_ids(page)) - before
    expect(page.get_by_test_id(f"node-{new}")).to_be_visible()
    return new


def _centre(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag_connection(page: Page, source: str, target: str, port: str = "out") -> None:
    """Press on ``source``'s output port and release on ``target``'s input port."""
    out = page.locator(f'.react-flow__node[data-id="{source}"] .react-flow__handle.source[data-handleid="{port}"]')
    into = page.locator(f'.react-flow__node[data-id="{target}"] .react-flow__handle.target')
    sx, sy = _centre(out)
    tx, ty = _centre(into)
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move(tx, ty, steps=10)
    page.mouse.up()


def connect(page: Page, source: str, target: str, port: str = "out") -> None:
    drag_connection(page, source, target, port)
    page.wait_for_function(
        "([s, t, p]) => window.__flowdesk.getGraph().edges.some(e => e.source === s && e.target === t && (e.port || 'out') === p)",
        arg=[source, target, port],
    )


def edge_point(page: Page, edge_id: str) -> tuple[float, float]:
    """A point on the screen where a click lands on this edge (not on a node or another edge)."""
    point = page.evaluate(
        """(id) => {
            const wrap = document.querySelector(`.react-flow__edge[data-id="${id}"]`)
            const path = wrap && (wrap.querySelector('.react-flow__edge-interaction') || wrap.querySelector('path'))
            if (!path) return null
            const total = path.getTotalLength(), m = path.getScreenCTM()
            for (const f of [0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75, 0.2, 0.8]) {
                const p = path.getPointAtLength(total * f)
                const x = m.a * p.x + m.c * p.y + m.e, y = m.b * p.x + m.d * p.y + m.f
                const hit = document.elementFromPoint(x, y)?.closest('.react-flow__edge')
                if (hit && hit.getAttribute('data-id') === id) return [x, y]
            }
            return null
        }""",
        edge_id,
    )
    assert point, f"edge {edge_id} has no visible point free of nodes and other edges"
    return point[0], point[1]


def wait_saved(page: Page, timeout: float = 10_000) -> None:
    """Autosave has stored the current document (the indicator says so and nothing is pending)."""
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-state", "saved", timeout=timeout)


def publish(page: Page, number: int = 1) -> None:
    """Publish through the dialog, as an analyst does, and wait for the toast naming the version."""
    page.get_by_test_id("btn-publish").click()
    dialog = page.get_by_test_id("publish-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("btn-confirm-publish").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("toast").filter(has_text=f"Published version {number}")).to_be_visible()


def open_problems(page: Page) -> None:
    """Expand the problems list under the canvas (a click on its header, when it is folded)."""
    toggle = page.get_by_test_id("btn-problems")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
