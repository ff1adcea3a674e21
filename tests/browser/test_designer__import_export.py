"""Exporting a template from the list page and importing files back, good and broken."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import graph, open_editor, wait_ready
from tests.browser.conftest import screenshot
from tests.factories import VersionFactory
from workflows import authoring
from workflows.models import Template

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def task(id: str, label: str, x: int, **config) -> dict:
    return {"id": id, "type": "task", "label": label, "position": {"x": x, "y": 0}, "config": {"handler": "demo.noop", **config}}


BILLING = {
    "version": 1,
    "settings": {"timeout_s": 600},
    "nodes": [task("collect", "Collect usage", 0), task("invoice", "Create invoice", 300, retry={"max_attempts": 3}), task("mail", "Mail invoice", 600)],
    "edges": [{"id": "e1", "source": "collect", "target": "invoice", "port": "out"}, {"id": "e2", "source": "invoice", "target": "mail", "port": "out"}],
}

BROKEN = {
    "name": "billing",
    "title": "Billing",
    "graph": {
        "version": 1,
        "settings": {},
        "nodes": [task("a", "A", 0), task("b", "B", 300), {"id": "beam", "type": "teleport", "config": {}}],
        "edges": [
            {"id": "e1", "source": "a", "target": "b", "port": "out"},
            {"id": "e2", "source": "b", "target": "a", "port": "out"},
            {"id": "e3", "source": "b", "target": "beam", "port": "out"},
        ],
    },
}


@pytest.fixture
def billing():
    """Published v1 and a draft on top of it (the draft is what an export takes)."""
    version = VersionFactory(template__name="billing", template__title="Billing", template__tags=["finance"], number=1, graph=BILLING)
    draft_graph = json.loads(json.dumps(BILLING))
    draft_graph["nodes"][2]["label"] = "Mail the invoice"
    authoring.save_draft(version.template, draft_graph)
    return version.template


def canvas_nodes(page) -> list[tuple[str, str]]:
    return [(n["id"], n.get("label")) for n in graph(page)["nodes"]]


def test_an_exported_template_imports_back_under_another_name(analyst_page, billing, tmp_path):
    page = analyst_page
    page.goto(f"{page.base}/designer/")
    with page.expect_download() as download_info:
        page.get_by_test_id("export-billing").click()
    download = download_info.value
    assert download.suggested_filename == "billing.json"
    exported = json.loads(download.path().read_text())
    assert exported["name"] == "billing" and exported["title"] == "Billing" and exported["tags"] == ["finance"]
    assert exported["graph"] == billing.draft().graph

    exported.update(name="billing-eu", title="Billing EU")
    upload = tmp_path / "billing-eu.json"
    upload.write_text(json.dumps(exported, indent=2))
    page.get_by_test_id("import-file").set_input_files(upload)
    page.wait_for_url("**/designer/t/billing-eu/")
    wait_ready(page)
    expected = [("collect", "Collect usage"), ("invoice", "Create invoice"), ("mail", "Mail the invoice")]
    assert canvas_nodes(page) == expected
    for node, label in expected:
        expect(page.get_by_test_id(f"node-{node}")).to_contain_text(label)
    assert {(e["source"], e["target"]) for e in graph(page)["edges"]} == {("collect", "invoice"), ("invoice", "mail")}
    expect(page.get_by_test_id("validation-status")).to_have_attribute("data-state", "valid")

    imported = Template.objects.get(name="billing-eu")
    assert imported.title == "Billing EU" and imported.tags == ["finance"]
    assert imported.draft().graph == billing.draft().graph
    assert Template.objects.get(name="billing").draft().graph == exported["graph"]  # the source is untouched


def test_a_broken_file_is_refused_with_the_servers_errors_and_changes_nothing(analyst_page, billing, tmp_path):
    before = billing.draft()
    page = analyst_page
    page.goto(f"{page.base}/designer/")
    upload = tmp_path / "billing.json"
    upload.write_text(json.dumps(BROKEN))
    page.get_by_test_id("import-file").set_input_files(upload)
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_be_visible()
    assert page.url.rstrip("/").endswith("/designer")
    expect(page.get_by_role("status").filter(has_text="billing.json was not imported")).to_be_visible()
    items = errors.locator("li")
    texts = items.all_inner_texts()
    assert any(t.startswith("a") and "cycle" in t for t in texts), texts
    assert any(t.startswith("b") and "cycle" in t for t in texts), texts
    assert any(t.startswith("beam") and "unknown node type 'teleport'" in t for t in texts), texts
    screenshot(page, "designer-import-errors")

    after = Template.objects.get(pk=billing.pk).draft()
    assert (after.pk, after.revision, after.graph) == (before.pk, before.revision, before.graph)
    assert not Template.objects.filter(name__in=["a", "teleport"]).exists()
    open_editor(page, "billing")
    assert [n for n, _ in canvas_nodes(page)] == ["collect", "invoice", "mail"]
    expect(page.get_by_test_id("node-mail")).to_contain_text("Mail the invoice")
