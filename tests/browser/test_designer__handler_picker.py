"""The handler picker says what each handler does and what it reads (issue 9 §4), and a new
workflow's Run dialog starts from an input suggested by what its steps read."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import drop_from_palette, open_editor, publish, wait_ready, wait_saved
from tests.browser.conftest import screenshot
from tests.factories import chain_graph
from workflows import authoring
from workflows.core.handlers import handlers
from workflows.models import Instance
from workflows.roles import ANALYSTS, OPERATORS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIELD = "field-config.handler"


def visible_options(page) -> list[str]:
    return page.get_by_test_id("options-config.handler").locator("[role=option]").evaluate_all(
        "els => els.map(e => e.getAttribute('data-testid').replace('handler-option-', ''))"
    )


def test_each_handler_in_the_picker_shows_its_description_and_is_found_by_either(page_for):
    authoring.create_template(name="claims", title="Claims", graph=chain_graph("intake", "review"))
    page = open_editor(page_for("ana", ANALYSTS), "claims")
    page.get_by_test_id("node-intake").click()
    inspector = page.get_by_test_id("inspector")
    box = inspector.get_by_test_id(FIELD)
    expect(box).to_have_value("demo.noop")
    expect(inspector.get_by_test_id("description-config.handler")).to_have_text("Does nothing; returns its input.")
    expect(inspector.get_by_test_id("handler-input-fields")).to_have_text("demo.noop does not describe its input.")

    # opened, every handler is listed with its one-line description under its name
    box.click()
    expect(box).to_have_attribute("aria-expanded", "true")
    assert visible_options(page) == handlers.names()
    for h in handlers.all():
        option = inspector.get_by_test_id(f"handler-option-{h.name}")
        expect(option.locator(".fd-picker-name")).to_have_text(h.name)
        if h.description:
            expect(option.locator(".fd-picker-desc")).to_have_text(h.description)
        else:  # other test modules register handlers without one: nothing is shown for it
            expect(option.locator(".fd-picker-desc")).to_have_count(0)
    screenshot(page, "designer-handler-picker")

    # found by words of its description as well as by name
    box.fill("round-robin leave")
    assert visible_options(page) == ["demo.generate_schedule"]
    box.fill("demo.fla")
    assert visible_options(page) == ["demo.flaky"]
    box.fill("zebra")
    expect(inspector.get_by_role("listbox")).to_contain_text("No handler matches “zebra”.")

    # Escape leaves the choice as it was; the keyboard chooses
    page.keyboard.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value("demo.noop")
    expect(inspector).to_have_attribute("data-node", "intake")  # Escape closed the list, not the selection
    box.fill("blocked words")
    page.keyboard.press("Enter")
    expect(box).to_have_value("demo.content_filter")
    page.wait_for_function("() => window.__flowdesk.getGraph().nodes[0].config.handler === 'demo.content_filter'")
    expect(inspector.get_by_test_id("description-config.handler")).to_have_text("Refuses prompts with blocked words (not retried).")


def test_the_chosen_handler_lists_what_it_reads_and_hints_at_a_required_field_the_input_leaves_out(page_for):
    steps = chain_graph("check", handler="demo.check_compliance", input={"max_shifts_per_week": 4})
    authoring.create_template(name="rota", title="Rota", graph=steps)
    page = open_editor(page_for("ana", ANALYSTS), "rota")
    page.get_by_test_id("node-check").click()
    inspector = page.get_by_test_id("inspector")
    reads = inspector.get_by_test_id("handler-input-fields")
    expect(reads.get_by_test_id("reads-assignments")).to_contain_text("assignments")
    expect(reads.get_by_test_id("reads-assignments")).to_contain_text("list of object")
    expect(reads.get_by_test_id("reads-assignments")).to_contain_text("required")
    expect(reads.get_by_test_id("reads-assignments")).to_contain_text("the generated schedule")
    expect(reads.get_by_test_id("reads-max_shifts_per_week")).to_contain_text("whole number")
    expect(reads.get_by_test_id("reads-missing-assignments")).to_have_text("not in Input")
    expect(reads.get_by_test_id("reads-missing-max_shifts_per_week")).to_have_count(0)
    # a hint, not a blocker: the draft is still valid
    expect(page.get_by_test_id("validation-status")).to_have_attribute("data-state", "valid")
    screenshot(page, "designer-handler-reads")

    inspector.get_by_test_id("field-config.input").fill(json.dumps({"assignments": "{{ steps.plan.output }}", "max_shifts_per_week": 4}))
    expect(reads.get_by_test_id("reads-missing-assignments")).to_have_count(0)


def test_a_new_workflow_opens_its_run_dialog_with_an_input_suggested_by_what_its_step_reads(page_for, live_engine):
    page = page_for("ana", ANALYSTS, OPERATORS)
    page.goto(f"{page.base}/designer/")
    page.get_by_test_id("create-title").fill("Poster")
    page.get_by_test_id("create-submit").click()
    page.wait_for_url("**/designer/t/poster/")
    wait_ready(page)

    # a task that hands {{ input.x }} to the prompt the handler reads, its handler found by what it does
    node = drop_from_palette(page, "task", 300, 200)
    inspector = page.get_by_test_id("inspector")
    inspector.get_by_test_id("field-label").fill("Check prompt")
    inspector.get_by_test_id(FIELD).click()
    inspector.get_by_test_id(FIELD).fill("prompt length")
    inspector.get_by_test_id("handler-option-demo.validate_prompt").click()
    expect(inspector.get_by_test_id("reads-missing-prompt")).to_have_count(0)  # no input yet: the workflow input as is
    inspector.get_by_test_id("field-config.input").fill('{"size": 64}')
    expect(inspector.get_by_test_id("reads-missing-prompt")).to_be_visible()
    inspector.get_by_test_id("field-config.input").fill('{"prompt": "{{ input.x }}"}')
    expect(inspector.get_by_test_id("reads-missing-prompt")).to_have_count(0)
    page.wait_for_function(f"() => window.__flowdesk.getGraph().nodes.find(n => n.id === '{node}').config.input.prompt === '{{{{ input.x }}}}'")
    wait_saved(page)

    # the test run suggests it too, before anything is published
    page.get_by_test_id("tab-test").click()
    assert json.loads(page.get_by_test_id("test-input").input_value()) == {"x": "a lighthouse at dawn"}

    publish(page)

    page.get_by_test_id("btn-run").click()
    dialog = page.get_by_test_id("run-dialog")
    run_input = dialog.get_by_test_id("run-input")
    expect(run_input).to_be_focused()  # the first field, still (issue 9 §4)
    assert json.loads(run_input.input_value()) == {"x": "a lighthouse at dawn"}
    expect(dialog.get_by_test_id("input-suggested")).to_contain_text("Suggested from what step “Check prompt” reads")
    screenshot(page, "designer-run-suggested-input")

    # the suggestion is a real input: the instance runs with it
    dialog.get_by_test_id("btn-start-run").click()
    page.wait_for_url(re.compile(r"/instances/[0-9a-f-]{36}/$"))
    wait_ready(page)
    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "completed", timeout=30_000)
    instance = Instance.objects.get(pk=page.url.rstrip("/").rsplit("/", 1)[1])
    assert instance.input == {"x": "a lighthouse at dawn"}
