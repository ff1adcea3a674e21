"""Labels and values from a graph are text, never markup (DESIGN §9: no XSS from a graph)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import open_editor, wait_ready
from tests.browser.conftest import screenshot
from workflows import authoring, engine
from workflows.models import Instance

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LABEL = "<img src=x onerror=alert(1)>"
TITLE = "Escapes <img src=x onerror=alert(3)>"
INPUT = {"note": "<img src=x onerror=alert(2)>"}

GRAPH = {
    "version": 1,
    "settings": {},
    "nodes": [
        {"id": "evil", "type": "task", "label": LABEL, "position": {"x": 0, "y": 0}, "config": {"handler": "demo.noop"}},
        {"id": "after", "type": "task", "label": "After", "position": {"x": 300, "y": 0}, "config": {"handler": "demo.noop"}},
    ],
    "edges": [{"id": "e1", "source": "evil", "target": "after", "port": "out"}],
}


def no_markup_from_the_graph(page, dialogs: list) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(200)  # let a failed image load fire its onerror, were there one
    assert dialogs == []
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate("() => document.querySelectorAll('img[onerror]').length") == 0


def test_a_label_with_markup_shows_as_text_in_the_editor_and_on_the_instance_page(analyst_page, live_engine):
    template = authoring.create_template(name="escapes", title=TITLE, description="<b>bold?</b>", graph=GRAPH)
    authoring.publish(template, change_note="<script>alert(4)</script>")
    authoring.save_draft(template, GRAPH)  # a draft again, so the editor loads a draft
    instance, _ = engine.start_instance("escapes", input=INPUT)
    page = analyst_page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    page.goto(f"{page.base}/designer/")
    expect(page.get_by_test_id("template-row-escapes")).to_contain_text(TITLE)
    no_markup_from_the_graph(page, dialogs)

    open_editor(page, "escapes")
    expect(page.get_by_test_id("node-evil").locator(".fd-node-label")).to_have_text(LABEL)
    expect(page.locator(".fd-toolbar h1")).to_have_text(TITLE)
    assert page.title().startswith(TITLE)
    page.get_by_test_id("node-evil").click()
    expect(page.get_by_test_id("inspector").get_by_test_id("field-label")).to_have_value(LABEL)
    page.get_by_test_id("btn-versions").click()
    expect(page.get_by_test_id("version-1")).to_contain_text("<script>alert(4)</script>")
    no_markup_from_the_graph(page, dialogs)
    screenshot(page, "designer-escaping-editor")

    page.goto(f"{page.base}/designer/instances/{instance.pk}/")
    wait_ready(page)
    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(page.get_by_test_id("node-evil").locator(".fd-node-label")).to_have_text(LABEL)
    expect(page.get_by_test_id("instance-panel")).to_contain_text(LABEL)  # the step list
    expect(page.get_by_test_id("instance-output")).to_contain_text(INPUT["note"])  # noop passes its input on
    no_markup_from_the_graph(page, dialogs)
    screenshot(page, "designer-escaping-instance")
    assert Instance.objects.get(pk=instance.pk).status == "completed"
