"""The demo templates open at a zoom where their steps can be read, at 1440×900, and their Run
dialog starts with their example input."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import open_editor
from tests.browser.conftest import screenshot
from workflows import authoring
from workflows.demo.management.commands.demo_setup import demo_templates
from workflows.roles import ANALYSTS, OPERATORS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMOS = demo_templates()  # children first: a workflow that starts one is published after it


def zoom(page) -> float:
    matrix = page.evaluate("() => getComputedStyle(document.querySelector('.react-flow__viewport')).transform")
    return float(matrix.split("(")[1].split(",")[0])


@pytest.mark.parametrize("demo", sorted(data["name"] for data in DEMOS))
def test_a_demo_template_opens_at_a_readable_zoom(page_for, demo):
    for data in DEMOS:
        authoring.load_template(data)
    page = open_editor(page_for("ana", ANALYSTS), demo)
    assert zoom(page) >= 0.75
    first = page.locator(".react-flow__node").first
    assert first.bounding_box()["x"] >= page.get_by_test_id("canvas").bounding_box()["x"]  # its start is in view
    screenshot(page, f"designer-demo-{demo}")


@pytest.mark.parametrize("demo", ["audit-test-cycle", "learning-path", "media-pipeline", "batch-image-generation"])
def test_a_demos_run_dialog_prefills_its_example_input(page_for, demo):
    for data in DEMOS:
        authoring.load_template(data)
    page = open_editor(page_for("ana", ANALYSTS, OPERATORS), demo)
    page.get_by_test_id("btn-run").click()
    box = page.get_by_test_id("run-dialog").get_by_test_id("run-input")
    expect(box).to_be_visible()
    assert json.loads(box.input_value()) == next(d["example_input"] for d in DEMOS if d["name"] == demo)
    screenshot(page, f"designer-demo-run-{demo}")
