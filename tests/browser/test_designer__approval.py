"""The approval node in the designer (issue 12 §4): its own inspector (who decides, the context
lines, the form's fields with their types, choices and order, the escalation), a preview of the
reviewer's form, the server's errors on the field row they are about, publishing it; and the
instance page listing the open approval tasks with who holds them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from approvals import service
from approvals.models import Task
from tests.browser.canvas import connect, drop_from_palette, graph, open_editor, publish, wait_ready, wait_saved
from tests.browser.conftest import screenshot
from tests.engine.conftest import drain_all
from tests.factories import UserFactory, VersionFactory, graph_of
from workflows import authoring, engine
from workflows.models import TemplateVersion
from workflows.roles import ANALYSTS, OPERATORS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def node_config(page, node_id: str) -> dict:
    return next(n for n in graph(page)["nodes"] if n["id"] == node_id)["config"]


def add_field(inspector, index: int, label: str, kind: str) -> None:
    inspector.get_by_test_id("add-config.form").click()
    card = inspector.get_by_test_id(f"form-field-{index}")
    label_box = card.get_by_test_id(f"form-field-{index}-label")
    expect(label_box).to_be_focused()  # a new field asks for its label first
    label_box.fill(label)
    card.get_by_test_id(f"form-field-{index}-type").select_option(kind)


def test_an_analyst_builds_an_approval_with_a_form_and_publishes_it(page_for):
    intake = {"id": "intake", "type": "task", "position": {"x": 0, "y": 0}, "config": {"handler": "demo.noop"}}
    template = authoring.create_template(name="budget", title="Budget", graph={"version": 1, "settings": {}, "nodes": [intake], "edges": []})
    page = open_editor(page_for("ana", ANALYSTS), "budget")
    expect(page.get_by_test_id("palette-approval")).to_contain_text("Approval")
    node = drop_from_palette(page, "approval", 700, 200)
    card = page.get_by_test_id(f"node-{node}")
    # the canvas draws the type's own ports, in its order
    assert [p.get_attribute("data-port") for p in card.locator("[data-port]").all()] == ["approved", "rejected", "changes", "timeout"]
    connect(page, "intake", node)
    done = drop_from_palette(page, "end", 720, 560)
    connect(page, node, done, port="approved")

    card.click()
    inspector = page.get_by_test_id("inspector")
    expect(inspector).to_have_attribute("data-node", node)
    expect(inspector.get_by_test_id("approval-inspector")).to_be_visible()
    expect(inspector.get_by_test_id("field-error-config.assignees")).to_contain_text("name the assignees or candidate groups who decide", timeout=15_000)

    inspector.get_by_test_id("field-config.title").fill("Approve {{ input.what }}")
    inspector.get_by_test_id("field-config.instructions").fill("Check the amount against the plan <b>first</b>.")
    people = inspector.get_by_test_id("field-config.assignees")
    UserFactory(username="annabel", first_name="Annabel", last_name="Park")
    people.fill("anna")  # the directory suggests who starts so, with their full name
    suggested = inspector.get_by_test_id("suggestions-config.assignees").locator("option")
    expect(suggested).to_have_count(1)
    expect(suggested).to_have_attribute("value", "annabel")
    expect(suggested).to_have_attribute("label", "Annabel Park")
    people.fill("ann")
    people.press("Enter")
    people.fill("bob, a b")  # a comma ends a name
    people.press("Enter")
    expect(inspector.get_by_test_id("chip-config.assignees.1")).to_have_text("bob×")
    expect(inspector.get_by_test_id("field-error-config.assignees")).to_contain_text("'a b' is not a username", timeout=15_000)
    expect(inspector.get_by_test_id("chip-config.assignees.2")).to_have_class("fd-chip  has-error")
    inspector.get_by_role("button", name="Remove assignee a b").click()
    expect(inspector.get_by_test_id("field-error-config.assignees")).to_have_count(0, timeout=15_000)
    groups = inspector.get_by_test_id("field-config.groups")
    Group.objects.get_or_create(name="managers")
    groups.fill("mana")
    expect(inspector.get_by_test_id("suggestions-config.groups").locator("option")).to_have_attribute("value", "managers")
    groups.fill("managers")
    groups.press("Enter")

    inspector.get_by_test_id("add-config.context").click()
    inspector.get_by_test_id("field-config.context.0.label").fill("Amount")
    inspector.get_by_test_id("field-config.context.0.value").fill("{{ input.amount }}")

    # three fields: a number, a paragraph and a choice; the name follows the label
    add_field(inspector, 0, "Amount", "number")
    inspector.get_by_test_id("form-field-0-required").check()
    inspector.get_by_test_id("form-field-0-min").fill("0")
    expect(inspector.get_by_test_id("form-field-0-name")).to_have_value("amount")
    add_field(inspector, 1, "Reason", "textarea")
    inspector.get_by_test_id("form-field-1-help").fill("Why, in a sentence or two")
    add_field(inspector, 2, "Cost centre", "choice")
    # a choice field without choices: the server's check lands on that row's choices
    choices_error = inspector.get_by_test_id("field-error-config.form.2.choices")
    expect(choices_error).to_have_text("field 'cost_centre': a choice field needs its choices", timeout=15_000)
    expect(inspector.get_by_test_id("form-field-2")).to_have_class("fd-ff has-error is-open")
    expect(inspector.get_by_test_id("inspector-problems")).to_have_count(0)  # said on the field, not at the top
    screenshot(page, "designer-approval-choice-error")

    inspector.get_by_test_id("form-field-2-add-choice").click()
    first = inspector.get_by_test_id("form-field-2-choice-0")
    expect(first).to_be_focused()
    first.fill("Sales")
    first.press("Enter")  # Enter adds the next choice
    inspector.get_by_test_id("form-field-2-choice-1").fill("Operations")
    inspector.get_by_test_id("form-field-2-choice-1").press("Enter")
    inspector.get_by_test_id("form-field-2-choice-2").fill("Research")
    inspector.get_by_test_id("form-field-2-choice-2-up").click()
    expect(choices_error).to_have_count(0, timeout=15_000)

    # reorder from the keyboard: the moved field keeps the focus on its arrow
    up = inspector.get_by_test_id("form-field-2-up")
    up.focus()
    page.keyboard.press("Enter")
    moved_up = inspector.get_by_test_id("form-field-1-up")
    expect(moved_up).to_be_focused()
    expect(inspector.get_by_test_id("form-fields-said")).to_have_text("Cost centre moved to position 2 of 3")
    expect(inspector.get_by_test_id("form-field-1")).to_have_attribute("data-name", "cost_centre")

    # the preview shows the reviewer's form: the same fields, in order, as read-only inputs of their types
    preview = inspector.get_by_test_id("form-preview")
    expect(preview).to_contain_text("Approve {{ input.what }}")
    expect(preview).to_contain_text("Check the amount against the plan <b>first</b>.")  # text, never markup
    fields = preview.locator("[data-testid^=preview-field-]")
    expect(fields).to_have_count(3)
    assert [f.get_attribute("data-type") for f in fields.all()] == ["number", "choice", "textarea"]
    expect(preview.get_by_test_id("preview-field-amount").locator("input[type=number]")).to_be_disabled()
    expect(preview.get_by_test_id("preview-field-amount")).to_contain_text("Amount *")
    expect(preview.get_by_test_id("preview-field-amount")).to_contain_text("at least 0")
    expect(preview.get_by_test_id("preview-field-cost_centre").locator("option")).to_have_text(["—", "Sales", "Research", "Operations"])
    expect(preview.get_by_test_id("preview-field-reason").locator("textarea")).to_be_disabled()
    expect(preview.get_by_test_id("preview-field-reason")).to_contain_text("Why, in a sentence or two")

    # a deadline with an escalation: each action shows only its own settings
    inspector.get_by_test_id("field-config.due_s").fill("172800")
    action = inspector.get_by_test_id("field-config.escalation.action")
    action.select_option("decide")
    expect(inspector.get_by_test_id("field-config.escalation.group")).to_have_count(0)
    expect(inspector.get_by_test_id("field-error-config.escalation.outcome")).to_contain_text("say which decision is taken", timeout=15_000)
    action.select_option("reassign")
    expect(inspector.get_by_test_id("field-config.escalation.outcome")).to_have_count(0)
    expect(inspector.get_by_test_id("field-error-config.escalation.group")).to_contain_text("name the group the overdue task goes to", timeout=15_000)
    inspector.get_by_test_id("field-config.escalation.group").fill("directors")
    expect(inspector.get_by_test_id("field-error-config.escalation.group")).to_have_count(0, timeout=15_000)

    wait_saved(page)
    expect(page.get_by_test_id(f"node-{node}").locator(".fd-node-phrase")).to_have_text("by ann, bob +1 · 3 fields · due\u00a0in\u00a02\u00a0d")
    assert node_config(page, node) == {
        "title": "Approve {{ input.what }}",
        "instructions": "Check the amount against the plan <b>first</b>.",
        "assignees": ["ann", "bob"],
        "groups": ["managers"],
        "context": {"Amount": "{{ input.amount }}"},
        "form": [
            {"name": "amount", "type": "number", "label": "Amount", "required": True, "min": 0},
            {"name": "cost_centre", "type": "choice", "label": "Cost centre", "choices": ["Sales", "Research", "Operations"]},
            {"name": "reason", "type": "textarea", "label": "Reason", "help": "Why, in a sentence or two"},
        ],
        "due_s": 172800,
        "escalation": {"action": "reassign", "group": "directors"},
    }
    inspector.get_by_test_id("field-config.title").scroll_into_view_if_needed()
    screenshot(page, "designer-approval")
    inspector.get_by_test_id("form-field-1-toggle").focus()
    screenshot(page, "designer-approval-form")
    inspector.get_by_test_id("form-preview").scroll_into_view_if_needed()
    screenshot(page, "designer-approval-preview")

    publish(page)
    version = template.versions.get(number=1)
    assert version.status == TemplateVersion.Status.PUBLISHED
    assert [f["name"] for f in next(n for n in version.graph["nodes"] if n["id"] == node)["config"]["form"]] == ["amount", "cost_centre", "reason"]


def test_deleting_and_moving_fields_keeps_the_focus_in_the_editor(page_for):
    form = [{"name": "a", "type": "text"}, {"name": "b", "type": "number"}, {"name": "c", "type": "boolean"}]
    review = {"id": "review", "type": "approval", "position": {"x": 0, "y": 0}, "config": {"title": "Review", "groups": ["managers"], "form": form}}
    authoring.create_template(name="review", title="Review", graph={"version": 1, "settings": {}, "nodes": [review], "edges": []})
    page = open_editor(page_for("ana", ANALYSTS), "review")
    page.get_by_test_id("node-review").click()
    inspector = page.get_by_test_id("inspector")
    # more than two fields open folded, each saying what it is
    expect(inspector.get_by_test_id("form-field-1-toggle")).to_have_attribute("aria-expanded", "false")
    expect(inspector.get_by_test_id("form-field-1")).to_contain_text("b · Number")

    down = inspector.get_by_test_id("form-field-0-down")
    down.focus()
    page.keyboard.press("Enter")
    expect(inspector.get_by_test_id("form-field-1-down")).to_be_focused()
    page.keyboard.press("Enter")  # to the end: its down arrow is off, the focus goes to its up arrow
    expect(inspector.get_by_test_id("form-field-2-up")).to_be_focused()
    expect(inspector.get_by_test_id("form-field-2")).to_have_attribute("data-name", "a")

    inspector.get_by_test_id("form-field-0-delete").click()  # b goes; the focus goes to the next field
    expect(inspector.get_by_test_id("form-field-0-toggle")).to_be_focused()
    wait_saved(page)
    assert [f["name"] for f in node_config(page, "review")["form"]] == ["c", "a"]

    page.keyboard.press("Control+z")  # undo brings the field back, with its card
    expect(inspector.locator("[data-testid^=form-field-][data-name]")).to_have_count(3)
    assert page.errors == []


def approval_graph() -> dict:
    """Two approvals side by side after an intake: one claimed, one offered to a person and a group."""
    review = {"title": "Approve {{ input.what }}", "assignees": ["ann", "bob"], "groups": ["managers"], "form": [{"name": "amount", "type": "number"}]}
    legal = {"title": "Legal check <script>alert(1)</script>", "assignees": ["cy"], "quorum": 1}
    graph = graph_of(
        [("intake", "task", {"handler": "demo.noop"}), ("review", "approval", review), ("legal", "approval", legal)],
        [("intake", "review"), ("intake", "legal")],
    )
    for node, (x, y) in zip(graph["nodes"], [(0, 100), (320, 0), (320, 220)]):
        node["position"] = {"x": x, "y": y}
    return graph


@pytest.fixture
def mail_now(settings):
    """Task e-mail sent in the engine's thread (the mail pool's own connection would outlive the test database)."""
    settings.FLOWDESK = {**settings.FLOWDESK, "TASK_MAIL_SYNC": True}


def test_the_instance_page_lists_the_open_approval_tasks_and_who_holds_them(page_for, mail_now):
    Group.objects.create(name="managers")
    for name in ("ann", "bob", "cy"):
        UserFactory(username=name)
    name = VersionFactory(graph=approval_graph()).template.name
    instance, _ = engine.start_instance(name, input={"what": "the budget"})
    drain_all(instance.pk)
    legal = Task.objects.get(instance=instance, node_id="legal")
    service.claim(legal.assignees.get(), legal.pk)
    review = Task.objects.get(instance=instance, node_id="review")
    Task.objects.filter(pk=review.pk).update(due_at=timezone.now() - timedelta(hours=2))  # long overdue

    page = page_for("olga", OPERATORS)
    page.goto(f"{page.base}/instances/{instance.pk}/")
    wait_ready(page)
    section = page.get_by_test_id("open-tasks")
    expect(section).to_contain_text("Waiting for approval (2)")
    rows = section.get_by_test_id("open-task")
    expect(rows).to_have_count(2)
    first, second = rows.nth(0), rows.nth(1)  # the overdue one first
    expect(first.get_by_test_id("open-task-link")).to_have_text("Approve the budget")
    expect(first.get_by_test_id("open-task-link")).to_have_attribute("href", f"/inbox/{review.pk}/")
    expect(first.get_by_test_id("open-task-holder")).to_contain_text("offered to ann, bob, group managers · since")
    expect(first).to_have_attribute("data-overdue", "true")
    expect(first.get_by_test_id("open-task-due")).to_contain_text("overdue by 2 h")
    expect(second.get_by_test_id("open-task-link")).to_have_text("Legal check <script>alert(1)</script>")  # text, not markup
    expect(second.get_by_test_id("open-task-holder")).to_contain_text("claimed by cy · since")
    expect(second.get_by_test_id("open-task-due")).to_have_count(0)
    section.scroll_into_view_if_needed()
    screenshot(page, "instance-open-approvals")

    # the step's config, read-only: the same inspector with nothing to change
    page.get_by_test_id("node-review").click()
    page.get_by_test_id("tab-inspector").click()
    config = page.get_by_test_id("approval-inspector")
    expect(config.get_by_test_id("chips-config.assignees")).to_contain_text("annbob")
    expect(config.get_by_test_id("form-field-0-toggle")).to_contain_text("amount · Number")
    expect(config.get_by_test_id("add-config.form")).to_have_count(0)
    expect(config.get_by_test_id("form-field-0-up")).to_have_count(0)
    expect(config.get_by_test_id("preview-field-amount")).to_be_visible()
    screenshot(page, "instance-approval-step-config")

    # the section is read-only data: the same list as JSON, and nothing for a finished instance
    answer = page.request.get(f"{page.base}/instances/{instance.pk}/?tasks=open").json()
    assert [(t["node"], t["claimed_by"], t["overdue"]) for t in answer["tasks"]] == [("review", None, True), ("legal", "cy", False)]
