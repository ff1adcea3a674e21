"""What issue 11 added to the graph, in the designer: the signal step, fire-and-forget and
heartbeats on worker steps, a step's compensation (saga) with its own retry policy, and the
workflow's saga setting and named queries; the server's errors on each of their fields."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import connect, drop_from_palette, graph, open_editor, pick_handler, wait_saved
from tests.browser.conftest import screenshot
from workflows import authoring
from workflows.roles import ANALYSTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def graph_with(*nodes: dict, settings: dict | None = None) -> dict:
    placed = [{**n, "position": {"x": 320 * i, "y": 0}} for i, n in enumerate(nodes)]
    edges = [{"id": f"e{i}", "source": a["id"], "target": b["id"], "port": "out"} for i, (a, b) in enumerate(zip(placed, placed[1:]))]
    return {"version": 1, "settings": settings or {}, "nodes": placed, "edges": edges}


def node_config(page, node_id: str) -> dict:
    return next(n for n in graph(page)["nodes"] if n["id"] == node_id)["config"]


def show_settings(page) -> None:
    """Select nothing: the inspector shows the workflow's settings."""
    page.keyboard.press("Escape")
    box = page.get_by_test_id("canvas").bounding_box()
    page.mouse.click(box["x"] + 30, box["y"] + 30)
    expect(page.get_by_test_id("inspector")).to_have_attribute("data-node", "")


def test_a_signal_step_waits_for_a_named_signal_and_leaves_by_out_or_timeout(page_for):
    authoring.create_template(name="orders", title="Orders", graph=graph_with({"id": "intake", "type": "task", "config": {"handler": "demo.noop"}}))
    page = open_editor(page_for("ana", ANALYSTS), "orders")
    entry = page.get_by_test_id("palette-signal")
    expect(entry).to_contain_text("Wait for signal")
    expect(page.get_by_role("region", name="Flow").get_by_test_id("palette-signal")).to_have_count(1)
    expect(entry.locator("svg path")).to_have_count(1)  # its own icon, not the unknown type's circle

    node = drop_from_palette(page, "signal", 640, 160)
    card = page.get_by_test_id(f"node-{node}")
    expect(card.locator("[data-port]")).to_have_count(2)
    assert [p.get_attribute("data-port") for p in card.locator("[data-port]").all()] == ["out", "timeout"]
    inspector = page.get_by_test_id("inspector")
    expect(inspector).to_have_attribute("data-node", node)
    # the signal's own fields come first: its name (required) and the timeout that chooses the 'timeout' port
    expect(inspector.locator(".fd-form > .fd-field .fd-label")).to_contain_text(["Label", "Id", "Signal name *", "Timeout (s)"])
    name_error = inspector.get_by_test_id("field-error-config.name")
    expect(name_error).to_have_text("name the signal this node waits for", timeout=15_000)

    name = inspector.get_by_test_id("field-config.name")
    name.fill("order paid")
    expect(name_error).to_have_text("letters, digits and _ . : - only, at most 100", timeout=15_000)  # said once, in words
    name.fill("approve")
    inspector.get_by_test_id("field-config.timeout_s").fill("3600")
    expect(inspector.get_by_test_id("words-config.timeout_s")).to_have_text("= 1 h")
    expect(name_error).to_have_count(0, timeout=15_000)
    expect(card.locator(".fd-node-phrase")).to_have_text("waits for 'approve' · 1\u00a0h\u00a0timeout")

    connect(page, "intake", node)
    late = drop_from_palette(page, "end", 660, 560)
    connect(page, node, late, port="timeout")
    wait_saved(page)
    assert node_config(page, node) == {"name": "approve", "timeout_s": 3600}
    assert {"source": node, "target": late, "port": "timeout"}.items() <= next(e for e in graph(page)["edges"] if e["target"] == late).items()
    page.get_by_test_id(f"node-{node}").click()
    screenshot(page, "designer-signal")


def test_a_compensation_is_a_handler_with_an_optional_retry_policy_of_its_own(page_for):
    reserve = {"id": "reserve", "type": "task", "label": "Reserve resources", "config": {"handler": "demo.reserve_resources"}}
    authoring.create_template(name="saga", title="Saga", graph=graph_with(reserve, {"id": "commit", "type": "task", "config": {"handler": "demo.commit_transaction"}}))
    page = open_editor(page_for("ana", ANALYSTS), "saga")
    page.get_by_test_id("node-reserve").click()
    inspector = page.get_by_test_id("inspector")
    field = inspector.get_by_test_id("compensate-config.compensate")
    expect(field.locator(".fd-label")).to_have_text("Compensation handler")
    expect(field.locator(".fd-help")).to_contain_text("undoes this step when the workflow fails")
    expect(inspector.get_by_test_id("toggle-config.compensate.retry")).to_have_count(0)  # nothing to retry before a handler

    pick_handler(inspector, "demo.release_resources", field="config.compensate")
    wait_saved(page)
    assert node_config(page, "reserve")["compensate"] == "demo.release_resources"
    expect(page.get_by_test_id("node-reserve").get_by_test_id("node-tag-undo")).to_have_text("↶undo: demo.release_resources")
    # the workflow does not undo anything yet: the field says where to turn it on
    expect(inspector.get_by_test_id("hint-config.compensate")).to_contain_text("Undo completed steps (saga)")

    own = inspector.get_by_test_id("toggle-config.compensate.retry")
    own.check()
    policy = inspector.get_by_test_id("field-config.compensate.retry")
    expect(policy).to_contain_text("Retry policy of the compensation")
    max_attempts = policy.get_by_test_id("field-config.compensate.retry.max_attempts")
    expect(max_attempts).to_have_value("3")
    max_attempts.fill("5")
    wait_saved(page)
    assert node_config(page, "reserve")["compensate"] == {"handler": "demo.release_resources", "retry": {"max_attempts": 5}}
    screenshot(page, "designer-compensation")

    own.uncheck()  # back to the name: the step's own policy applies
    wait_saved(page)
    assert node_config(page, "reserve")["compensate"] == "demo.release_resources"
    own.check()  # the policy switched off comes back
    wait_saved(page)
    assert node_config(page, "reserve")["compensate"] == {"handler": "demo.release_resources", "retry": {"max_attempts": 5}}

    pick_handler(inspector, "demo.rollback_processing", field="config.compensate")  # another handler keeps the policy
    wait_saved(page)
    assert node_config(page, "reserve")["compensate"] == {"handler": "demo.rollback_processing", "retry": {"max_attempts": 5}}

    box = inspector.get_by_test_id("field-config.compensate")
    box.click()
    box.fill("")
    inspector.get_by_test_id("handler-option-none").click()
    wait_saved(page)
    assert "compensate" not in node_config(page, "reserve")
    expect(page.get_by_test_id("node-reserve").get_by_test_id("node-tag-undo")).to_have_count(0)
    assert page.errors == []


def test_the_servers_errors_on_a_compensation_land_on_its_handler_and_its_policy(page_for):
    bad = {"handler": "ghost.undo", "retry": {"max_attempts": 3}}
    nodes = (
        {"id": "reserve", "type": "task", "config": {"handler": "demo.reserve_resources", "compensate": bad}},
        {"id": "each", "type": "map", "config": {"items": "input.rows", "handler": "demo.noop", "compensate": "ghost.refund"}},
    )
    authoring.create_template(name="saga", title="Saga", graph=graph_with(*nodes, settings={"on_failure": "compensate"}))
    page = open_editor(page_for("ana", ANALYSTS), "saga")
    page.get_by_test_id("node-reserve").click()
    inspector = page.get_by_test_id("inspector")
    error = inspector.get_by_test_id("field-error-config.compensate")
    expect(error).to_contain_text("no handler named 'ghost.undo' is registered", timeout=15_000)
    expect(inspector.get_by_test_id("field-config.compensate")).to_have_value("ghost.undo")  # the object's handler, shown
    expect(inspector.get_by_test_id("toggle-config.compensate.retry")).to_be_checked()
    expect(inspector.get_by_test_id("inspector-problems")).to_have_count(0)  # nothing said only at the top
    expect(inspector.get_by_test_id("hint-config.compensate")).to_have_count(0)  # the saga is on

    page.get_by_test_id("node-each").click()
    expect(inspector).to_have_attribute("data-node", "each")
    # a map's compensation sits with its per-item handler, and is said to be unknown there
    expect(inspector.get_by_test_id("choice-handler-workflow").get_by_test_id("compensate-config.compensate")).to_be_visible()
    expect(inspector.get_by_test_id("field-error-config.compensate")).to_contain_text("no handler named 'ghost.refund'", timeout=15_000)
    # a map always waits for its items: no Wait for it to untick
    inspector.locator("details.fd-section > summary").click()
    expect(inspector.get_by_test_id("field-config.wait")).to_have_count(0)
    expect(inspector.get_by_test_id("field-config.heartbeat_s")).to_be_visible()


def test_a_worker_step_can_run_without_being_waited_for_and_report_heartbeats(page_for):
    authoring.create_template(name="mail", title="Mail", graph=graph_with({"id": "intake", "type": "task", "config": {"handler": "demo.noop"}}, {"id": "ping", "type": "task", "config": {"handler": "demo.noop"}}))
    page = open_editor(page_for("ana", ANALYSTS), "mail")
    page.get_by_test_id("node-ping").click()
    inspector = page.get_by_test_id("inspector")
    section = inspector.locator("details.fd-section")
    expect(section.locator("summary")).to_have_text("Execution: waiting, retries, timeouts, joins, failures")
    section.locator("summary").click()
    wait = inspector.get_by_test_id("field-config.wait")
    expect(wait).to_be_checked()
    expect(inspector.locator('[data-field="config.wait"]')).to_contain_text("Wait for it")
    wait.uncheck()
    expect(inspector.locator('[data-field="config.wait"]')).to_contain_text("no: fire and forget")
    expect(page.get_by_test_id("node-ping").get_by_test_id("node-tag-detached")).to_have_text("fire and forget")
    inspector.get_by_test_id("field-config.heartbeat_s").fill("30")
    wait_saved(page)
    assert node_config(page, "ping") == {"handler": "demo.noop", "wait": False, "heartbeat_s": 30}
    expect(page.get_by_test_id("node-intake").get_by_test_id("node-tag-detached")).to_have_count(0)

    # a step nobody waits for cannot route its failure: the server says so on On failure
    inspector.get_by_test_id("field-config.on_failure").select_option(label="route")
    expect(inspector.get_by_test_id("field-error-config.on_failure")).to_contain_text("a step that is not waited for cannot route its failure", timeout=15_000)
    inspector.get_by_test_id("field-config.heartbeat_s").fill("0")
    expect(inspector.get_by_test_id("field-error-config.heartbeat_s")).to_contain_text("less than or equal to the minimum of 0", timeout=15_000)
    screenshot(page, "designer-fire-and-forget")


def test_the_workflow_undoes_completed_steps_and_declares_named_queries(page_for):
    nodes = ({"id": "work", "type": "task", "label": "Do the work", "config": {"handler": "demo.noop"}},)
    authoring.create_template(name="steer", title="Steer", graph=graph_with(*nodes))
    page = open_editor(page_for("ana", ANALYSTS), "steer")
    show_settings(page)
    inspector = page.get_by_test_id("inspector")
    on_failure = inspector.get_by_test_id("field-settings.on_failure")
    expect(on_failure.locator("option")).to_have_text(["default (Fail the workflow)", "Fail the workflow", "Undo completed steps (saga)"])
    expect(inspector.locator('[data-field="settings.on_failure"] .fd-help')).to_contain_text("undo the completed steps")
    on_failure.select_option(label="Undo completed steps (saga)")
    expect(inspector.get_by_test_id("saga-note")).to_contain_text("No step has a compensation handler yet")

    queries = inspector.get_by_test_id("field-settings.queries")
    expect(queries).to_contain_text("No queries")
    inspector.get_by_test_id("add-settings.queries").click()
    name = queries.get_by_test_id("field-settings.queries.0.name")
    name.fill("work status")
    expect(queries.get_by_test_id("field-error-settings.queries.0")).to_contain_text("a name starts with a letter or _")
    name.fill("work_status")
    expect(queries.get_by_test_id("field-error-settings.queries.0")).to_have_count(0)
    expression = queries.get_by_test_id("field-settings.queries.0.expression")
    expression.fill("steps.work.status")
    expect(queries.get_by_test_id("check-settings.queries.0.expression")).to_have_text("✓ looks right")
    inspector.get_by_test_id("add-settings.queries").click()
    queries.get_by_test_id("field-settings.queries.1.name").fill("owner")
    queries.get_by_test_id("field-settings.queries.1.expression").fill("input.owner")
    wait_saved(page)
    settings = graph(page)["settings"]
    assert settings == {"on_failure": "compensate", "queries": {"work_status": "steps.work.status", "owner": "input.owner"}}

    expression.fill("steps.work.(")
    row_error = queries.get_by_test_id("field-error-settings.queries.0")
    expect(row_error).to_contain_text("syntax error", timeout=15_000)
    page.wait_for_timeout(800)  # the live check has answered too: the row says it once
    message = row_error.inner_text().strip()
    assert inspector.inner_text().count(message) == 1, inspector.inner_text()
    expect(inspector.get_by_test_id("inspector-problems")).to_have_count(0)
    screenshot(page, "designer-settings-saga-queries")

    queries.get_by_test_id("remove-settings.queries.0").click()
    wait_saved(page)
    assert graph(page)["settings"]["queries"] == {"owner": "input.owner"}
    page.keyboard.press("Control+z")  # undo brings the row back
    expect(queries.get_by_test_id("field-settings.queries.0.name")).to_have_value("work_status")


def test_the_servers_errors_on_settings_and_a_signal_show_on_their_fields(page_for):
    settings = {"on_failure": "rollback", "queries": {"bad name": "input.x", "broken": "input.(", "fine": "input.y"}}
    nodes = (
        {"id": "intake", "type": "task", "config": {"handler": "demo.noop"}},
        {"id": "gate", "type": "signal", "config": {"timeout_s": 60}},
    )
    authoring.create_template(name="broken", title="Broken", graph=graph_with(*nodes, settings=settings))
    page = open_editor(page_for("ana", ANALYSTS), "broken")
    show_settings(page)
    inspector = page.get_by_test_id("inspector")
    expect(inspector.get_by_test_id("field-error-settings.on_failure")).to_contain_text("'rollback' is not one of ['fail', 'compensate']", timeout=15_000)
    expect(inspector.get_by_test_id("field-settings.on_failure").locator("option:checked")).to_have_text("rollback (not a choice)")  # not shown as the default
    queries = inspector.get_by_test_id("field-settings.queries")
    rows = {row.get_attribute("data-query"): row for row in queries.locator("[data-query]").all()}
    assert list(rows) == ["bad name", "broken", "fine"]  # by name, whatever order the database keeps them in
    expect(rows["bad name"].locator(".fd-field-errors")).to_contain_text("a name starts with a letter or _")
    expect(rows["broken"].locator(".fd-field-errors")).to_contain_text("syntax error")
    expect(rows["fine"].locator(".fd-field-errors")).to_have_count(0)
    expect(queries).not_to_contain_text("does not match")  # the rule is said on the row, in words
    expect(inspector.get_by_test_id("inspector-problems")).to_have_count(0)
    screenshot(page, "designer-settings-errors")

    page.get_by_test_id("node-gate").click()
    expect(inspector.get_by_test_id("field-error-config.name")).to_have_text("name the signal this node waits for")
    expect(page.get_by_test_id("node-gate").locator(".fd-node-phrase")).to_have_count(0)  # nothing to say before it has a name
