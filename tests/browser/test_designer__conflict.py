"""Two analysts edit the same draft: the later save is refused, nobody's work is silently lost."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import (
    drop_from_palette,
    graph,
    node_ids,
    open_editor,
    wait_saved,
)
from tests.browser.conftest import screenshot
from tests.factories import chain_graph
from workflows import authoring
from workflows.models import Template
from workflows.roles import ANALYSTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def label_of(page, node: str) -> str:
    return next(n.get("label", "") for n in graph(page)["nodes"] if n["id"] == node)


def test_the_second_save_is_refused_with_a_reload_offer_and_keeps_the_second_analysts_work(page_for):
    g = chain_graph("intake", "review")
    for i, n in enumerate(g["nodes"]):
        n["position"] = {"x": 300 * i, "y": 0}
    template = authoring.create_template(name="claims", title="Claims", graph=g)
    ana = open_editor(page_for("ana", ANALYSTS), "claims")
    bob = open_editor(page_for("bob", ANALYSTS), "claims")  # both start from revision 1

    # ana renames a step; autosave stores it
    ana.get_by_test_id("node-intake").click()
    ana.get_by_test_id("inspector").get_by_test_id("field-label").fill("Intake (by Ana)")
    wait_saved(ana)
    assert Template.objects.get(pk=template.pk).draft().graph["nodes"][0]["label"] == "Intake (by Ana)"

    # bob, still on the old revision, adds a step: his save is refused
    added = drop_from_palette(bob, "task", 300, 600)
    banner = bob.get_by_test_id("conflict-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("ana")
    expect(banner.get_by_test_id("btn-reload-theirs")).to_be_visible()
    expect(bob.get_by_test_id("save-status")).to_have_attribute("data-state", "conflict")
    draft = Template.objects.get(pk=template.pk).draft()
    assert added not in {n["id"] for n in draft.graph["nodes"]}, "the refused save must not reach the server"
    assert draft.graph["nodes"][0]["label"] == "Intake (by Ana)"
    # his work is still on his canvas, and kept in his browser
    expect(bob.get_by_test_id(f"node-{added}")).to_be_visible()
    backup = bob.evaluate("() => JSON.parse(localStorage.getItem('flowdesk.draft.claims'))")
    assert added in {n["id"] for n in backup["graph"]["nodes"]}
    screenshot(bob, "designer-conflict-banner")

    # reloading shows ana's change
    banner.get_by_test_id("btn-reload-theirs").click()
    expect(banner).to_be_hidden()
    expect(bob.get_by_test_id("node-intake")).to_contain_text("Intake (by Ana)")
    expect(bob.get_by_test_id(f"node-{added}")).to_have_count(0)
    expect(bob.get_by_test_id("save-status")).to_have_attribute("data-state", "saved")
    # ...and his own version is one undo away
    bob.get_by_test_id("canvas").click(position={"x": 40, "y": 40})  # keyboard focus on the canvas, nothing selected
    bob.keyboard.press("Control+z")
    expect(bob.get_by_test_id(f"node-{added}")).to_be_visible()
    assert label_of(bob, "intake") != "Intake (by Ana)"  # his whole version, as he left it
    bob.keyboard.press("Control+Shift+z")
    expect(bob.get_by_test_id(f"node-{added}")).to_have_count(0)
    assert label_of(bob, "intake") == "Intake (by Ana)"
    wait_saved(bob)
    final = Template.objects.get(pk=template.pk).draft().graph
    assert [n.get("label") for n in final["nodes"] if n["id"] == "intake"] == ["Intake (by Ana)"]
    assert added not in {n["id"] for n in final["nodes"]}
    assert set(node_ids(ana)) == {"intake", "review"}
