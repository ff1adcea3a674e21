"""The demo templates open at a zoom where their steps can be read, at 1440×900."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.canvas import open_editor
from tests.browser.conftest import screenshot
from workflows import authoring
from workflows.roles import ANALYSTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMOS = Path(__file__).resolve().parents[2] / "workflows" / "demo" / "templates"


def zoom(page) -> float:
    matrix = page.evaluate("() => getComputedStyle(document.querySelector('.react-flow__viewport')).transform")
    return float(matrix.split("(")[1].split(",")[0])


@pytest.mark.parametrize("demo", sorted(p.stem for p in DEMOS.glob("*.json")))
def test_a_demo_template_opens_at_a_readable_zoom(page_for, demo):
    version, _ = authoring.load_template(json.loads((DEMOS / f"{demo}.json").read_text()))
    page = open_editor(page_for("ana", ANALYSTS), version.template.name)
    assert zoom(page) >= 0.75
    first = page.locator(".react-flow__node").first
    assert first.bounding_box()["x"] >= page.get_by_test_id("canvas").bounding_box()["x"]  # its start is in view
    screenshot(page, f"designer-demo-{demo}")
