"""The decisions an approval offers and its fields' defaults, in the designer: unticking a decision
takes its port off the node (and out of the escalation's and the preview's choices), an edge left on
a port that went away is drawn as stray and named by validation, and a field's default (a value or
a {{ template }}) is written typed, previewed, saved and published."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import graph, open_editor, open_problems, publish, wait_saved
from tests.browser.conftest import screenshot
from workflows import authoring
from workflows.models import TemplateVersion
from workflows.roles import ANALYSTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def review_graph(extra_edges: list[dict] | None = None) -> dict:
    """intake → review (approval) → done on approved; `extra_edges` adds more, to an end step ``fix``."""
    review = {
        "title": "Approve {{ input.what }}",
        "assignees": ["ann"],
        "form": [{"name": "amount", "type": "number", "label": "Amount"}, {"name": "urgent", "type": "boolean", "label": "Urgent"}],
    }
    nodes = [
        {"id": "intake", "type": "task", "position": {"x": 0, "y": 80}, "config": {"handler": "demo.noop"}},
        {"id": "review", "type": "approval", "position": {"x": 300, "y": 40}, "config": review},
        {"id": "done", "type": "end", "position": {"x": 640, "y": 0}, "config": {}},
    ]
    if extra_edges:
        nodes.append({"id": "fix", "type": "end", "position": {"x": 640, "y": 200}, "config": {}})
    edges = [
        {"id": "e1", "source": "intake", "target": "review", "port": "out"},
        {"id": "e2", "source": "review", "target": "done", "port": "approved"},
        *(extra_edges or []),
    ]
    return {"version": 1, "settings": {}, "nodes": nodes, "edges": edges}


def ports_of(page, node: str) -> list[str]:
    return [p.get_attribute("data-port") for p in page.get_by_test_id(f"node-{node}").locator("[data-port]").all()]


def node_config(page, node_id: str) -> dict:
    return next(n for n in graph(page)["nodes"] if n["id"] == node_id)["config"]


def test_unticking_a_decision_takes_its_port_away_and_the_defaults_are_saved_and_published(page_for):
    template = authoring.create_template(name="expenses", title="Expenses", graph=review_graph())
    page = open_editor(page_for("ana", ANALYSTS), "expenses")
    card = page.get_by_test_id("node-review")
    assert ports_of(page, "review") == ["approved", "rejected", "changes", "timeout"]
    card.click()
    inspector = page.get_by_test_id("inspector")
    offered = inspector.get_by_test_id("field-config.outcomes")
    expect(offered.locator("input[type=checkbox]:checked")).to_have_count(3)  # absent: all three

    # from the keyboard: Space on "Request changes" unticks it, and the port leaves the node
    changes = inspector.get_by_test_id("field-config.outcomes.changes")
    changes.focus()
    page.keyboard.press("Space")
    expect(changes).not_to_be_checked()
    expect(card.locator("[data-port]")).to_have_count(3)
    assert ports_of(page, "review") == ["approved", "rejected", "timeout"]
    assert node_config(page, "review")["outcomes"] == ["approved", "rejected"]
    preview = inspector.get_by_test_id("form-preview")
    expect(preview.get_by_test_id("preview-decisions").locator("[data-outcome]")).to_have_text(["Approve", "Reject"])

    # the last decision cannot be unticked: it stays, and says why
    page.keyboard.press("Shift+Tab")  # to "Reject"
    expect(inspector.get_by_test_id("field-config.outcomes.rejected")).to_be_focused()
    page.keyboard.press("Space")
    approved = inspector.get_by_test_id("field-config.outcomes.approved")
    approved.focus()
    page.keyboard.press("Space")
    expect(approved).to_be_checked()
    expect(inspector.get_by_test_id("outcomes-said")).to_have_text("The task must offer at least one decision.")
    assert ports_of(page, "review") == ["approved", "timeout"]
    inspector.get_by_test_id("field-config.outcomes.rejected").check()
    expect(inspector.get_by_test_id("outcomes-said")).to_be_hidden()
    assert ports_of(page, "review") == ["approved", "rejected", "timeout"]

    # an escalation that decides offers only the decisions the task offers
    inspector.get_by_test_id("field-config.due_s").fill("86400")
    inspector.get_by_test_id("field-config.escalation.action").select_option("decide")
    outcome = inspector.get_by_test_id("field-config.escalation.outcome")
    expect(outcome.locator("option")).to_have_text(["—", "Approve", "Reject"])
    outcome.select_option("rejected")

    # defaults: an expression for the number, a word for the yes/no field
    inspector.get_by_test_id("form-field-0-default").fill("{{ input.amount }}")
    inspector.get_by_test_id("form-field-1-default").fill("true")
    expect(inspector.get_by_test_id("field-error-config.form.0.default")).to_have_count(0)
    amount = preview.get_by_test_id("preview-field-amount")
    expect(amount.locator("input")).to_have_value("{{ input.amount }}")
    expect(amount.locator("input")).to_have_class("fd-preview-input is-expr")
    expect(preview.get_by_test_id("preview-field-urgent").locator("input[type=checkbox]")).to_be_checked()
    inspector.get_by_test_id("form-field-1-default").fill("maybe")  # not a yes/no: said on the field
    expect(inspector.get_by_test_id("field-error-config.form.1.default")).to_have_text("true, false or a {{ expression }}")
    inspector.get_by_test_id("form-field-1-default").fill("true")

    wait_saved(page)
    offered.scroll_into_view_if_needed()
    screenshot(page, "designer-approval-outcomes")
    inspector.get_by_test_id("form-field-0").scroll_into_view_if_needed()
    screenshot(page, "designer-approval-default")
    preview.scroll_into_view_if_needed()
    screenshot(page, "designer-approval-outcomes-preview")

    draft = page.request.get(f"{page.base}/api/v1/templates/expenses/draft/")
    assert draft.ok
    saved = next(n for n in draft.json()["graph"]["nodes"] if n["id"] == "review")["config"]
    assert saved["outcomes"] == ["approved", "rejected"]
    assert saved["escalation"] == {"action": "decide", "outcome": "rejected"}
    assert saved["form"] == [
        {"name": "amount", "type": "number", "label": "Amount", "default": "{{ input.amount }}"},
        {"name": "urgent", "type": "boolean", "label": "Urgent", "default": True},
    ]

    publish(page)
    version = template.versions.get(number=1)
    assert version.status == TemplateVersion.Status.PUBLISHED
    published = next(n for n in version.graph["nodes"] if n["id"] == "review")["config"]
    assert published["outcomes"] == ["approved", "rejected"]
    assert published["form"][0]["default"] == "{{ input.amount }}"
    assert page.errors == []


def test_a_number_default_is_written_as_a_number_and_all_three_decisions_omit_the_key(page_for):
    authoring.create_template(name="budget", title="Budget", graph=review_graph())
    page = open_editor(page_for("ana", ANALYSTS), "budget")
    page.get_by_test_id("node-review").click()
    inspector = page.get_by_test_id("inspector")
    inspector.get_by_test_id("form-field-0-default").fill("250")
    inspector.get_by_test_id("field-config.outcomes.rejected").uncheck()
    expect(page.get_by_test_id("node-review").locator("[data-port]")).to_have_count(3)
    inspector.get_by_test_id("field-config.outcomes.rejected").check()
    wait_saved(page)
    config = node_config(page, "review")
    assert "outcomes" not in config
    assert config["form"][0]["default"] == 250
    expect(inspector.get_by_test_id("form-preview").get_by_test_id("preview-field-amount").locator("input")).to_have_value("250")
    assert ports_of(page, "review") == ["approved", "rejected", "changes", "timeout"]


def test_an_edge_left_on_a_decision_no_longer_offered_is_stray_and_named_by_validation(page_for):
    fix = {"id": "e3", "source": "review", "target": "fix", "port": "changes"}
    authoring.create_template(name="claims", title="Claims", graph=review_graph([fix]))
    page = open_editor(page_for("ana", ANALYSTS), "claims")
    card = page.get_by_test_id("node-review")
    card.click()
    inspector = page.get_by_test_id("inspector")
    inspector.get_by_test_id("field-config.outcomes.changes").uncheck()

    # the port is drawn as stray (the edge stays until the analyst reconnects or deletes it)
    stray = card.locator('[data-port="changes"]')
    expect(stray).to_have_class("fd-port tone-stray")
    expect(stray).to_contain_text("changes ⚠")
    assert ports_of(page, "review") == ["approved", "rejected", "timeout", "changes"]
    expect(inspector.get_by_test_id("outcome-stray-changes")).to_have_text("⚠ 1 connection still leaves this port: reconnect or delete it")
    open_problems(page)
    expect(page.get_by_test_id("problems")).to_contain_text("has no port 'changes'", timeout=15_000)
    expect(card).to_have_attribute("data-error", "true")
    screenshot(page, "designer-approval-outcomes-stray")

    # ticked again: the port is the node's own once more, and the problem goes
    inspector.get_by_test_id("field-config.outcomes.changes").check()
    expect(stray).to_have_class("fd-port tone-warn")
    expect(inspector.get_by_test_id("outcome-stray-changes")).to_have_count(0)
    expect(page.get_by_test_id("problems")).not_to_contain_text("has no port", timeout=15_000)
    assert {(e["source"], e["port"]) for e in graph(page)["edges"]} == {("intake", "out"), ("review", "approved"), ("review", "changes")}
    assert page.errors == []
