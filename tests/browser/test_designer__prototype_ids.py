"""Node ids are free text, as the server accepts them (issue 8 §3): `__proto__`, `constructor`,
`toString` and `hasOwnProperty` published and ran, but broke the designer ("t[n.source].add is not
a function") because it kept things by id in plain objects. It keys them by Map now: every view of
such a graph draws, and nothing throws."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import graph, open_editor, pick_handler, wait_ready, wait_saved
from tests.browser.conftest import screenshot
from workflows import authoring, engine
from workflows.models import Instance

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IDS = ["__proto__", "constructor", "toString", "hasOwnProperty"]


def node(id: str, x: int, type: str = "task", **config) -> dict:
    return {"id": id, "type": type, "label": f"Step {id}", "position": {"x": x, "y": 0}, "config": config or {"handler": "demo.noop"}}


# __proto__ -> constructor (a condition) -> toString on true; hasOwnProperty joins toString and
# constructor's false port. The edges are named like the nodes, too.
GRAPH = {
    "version": 1,
    "settings": {},
    "nodes": [node("__proto__", 0), node("constructor", 300, "condition", expression="true"), node("toString", 600), node("hasOwnProperty", 900)],
    "edges": [
        {"id": "__proto__", "source": "__proto__", "target": "constructor", "port": "out"},
        {"id": "constructor", "source": "constructor", "target": "toString", "port": "true"},
        {"id": "toString", "source": "constructor", "target": "hasOwnProperty", "port": "false"},
        {"id": "hasOwnProperty", "source": "toString", "target": "hasOwnProperty", "port": "out"},
    ],
}


def test_a_graph_whose_ids_name_object_builtins_opens_edits_compares_and_runs(analyst_page, live_engine):
    template = authoring.create_template(name="protos", title="Prototype ids", graph=GRAPH)
    authoring.publish(template)
    engine.start_instance("protos")
    broken = {**GRAPH, "nodes": [*GRAPH["nodes"][:3], node("hasOwnProperty", 900, handler="nope.missing")]}
    authoring.save_draft(template, broken)  # a draft whose hasOwnProperty names no handler
    page = analyst_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # the editor draws every step, and the validation error lands on the right one
    open_editor(page, "protos")
    for id in IDS:
        expect(page.get_by_test_id(f"node-{id}")).to_contain_text(f"Step {id}")
    expect(page.get_by_test_id("node-hasOwnProperty")).to_have_attribute("data-error", "true")
    for id in IDS[:3]:
        expect(page.get_by_test_id(f"node-{id}")).not_to_have_attribute("data-error", "true")
    assert [n["id"] for n in graph(page)["nodes"]] == IDS

    # compared with version 1: only hasOwnProperty changed
    page.get_by_test_id("btn-versions").click()
    page.get_by_test_id("btn-compare-1").click()
    expect(page.get_by_test_id("node-hasOwnProperty")).to_have_attribute("data-diff", "changed")
    expect(page.get_by_test_id("node-__proto__")).to_have_attribute("data-diff", "unchanged")
    expect(page.get_by_test_id("edge-__proto__")).to_have_attribute("data-diff", "unchanged")
    page.get_by_test_id("btn-exit-compare").click()

    # fixed, the plan numbers every step and the automatic layout places each one
    page.get_by_test_id("node-hasOwnProperty").click()
    pick_handler(page.get_by_test_id("inspector"), "demo.noop")
    expect(page.get_by_test_id("node-hasOwnProperty")).not_to_have_attribute("data-error", "true")
    page.get_by_test_id("btn-plan").click()
    for batch, id in enumerate(IDS[:3], start=1):
        expect(page.get_by_test_id(f"node-{id}")).to_have_attribute("data-batch", str(batch))
    page.get_by_test_id("btn-layout").click()
    page.wait_for_function("() => window.__flowdesk.getGraph().nodes.every((n, i, all) => i === 0 || n.position.x > all[i - 1].position.x || n.id === 'hasOwnProperty')")
    wait_saved(page)

    # a test run with __proto__ mocked: the mock reaches the server under its id, the canvas shows the path
    page.get_by_test_id("btn-test-run").click()
    panel = page.get_by_test_id("test-run-panel")
    panel.get_by_test_id("mock-mode-__proto__").select_option("output")
    panel.get_by_test_id("mock-output-__proto__").fill('{"mocked": true}')
    panel.get_by_test_id("btn-start-test-run").click()
    expect(page.get_by_test_id("test-run-result")).to_have_attribute("data-status", "completed", timeout=30_000)
    for id in IDS:
        expect(page.get_by_test_id(f"node-{id}")).to_have_attribute("data-status", "completed")
    expect(page.get_by_test_id("edge-constructor")).to_have_attribute("data-run", "taken")
    expect(page.get_by_test_id("edge-toString")).to_have_attribute("data-run", "not-taken")
    page.get_by_test_id("node-__proto__").click()
    expect(page.get_by_test_id("step-details")).to_have_attribute("data-node", "__proto__")
    expect(page.get_by_test_id("step-output")).to_contain_text("mocked")
    screenshot(page, "designer-prototype-ids")
    test_run = Instance.objects.get(template=template, is_test=True)
    assert test_run.mocks == {"__proto__": {"output": {"mocked": True}}}

    # the published version's instance page
    instance = Instance.objects.get(template=template, is_test=False)
    page.goto(f"{page.base}/designer/instances/{instance.pk}/")
    wait_ready(page)
    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "completed", timeout=30_000)
    for id in IDS:
        expect(page.get_by_test_id(f"node-{id}")).to_have_attribute("data-status", "completed")
        expect(page.get_by_test_id("instance-panel")).to_contain_text(f"Step {id}")

    assert errors == []
