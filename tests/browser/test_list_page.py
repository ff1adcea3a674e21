"""The template list in a real browser."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.factories import VersionFactory, chain_graph

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_analyst_finds_creates_and_opens_templates(analyst_page):
    VersionFactory(template__name="billing", template__title="Billing", template__tags=["finance"], number=1, graph=chain_graph("a", "b"))
    page = analyst_page
    page.goto(f"{page.base}/designer/")
    row = page.get_by_test_id("template-row-billing")
    assert "Billing" in row.inner_text() and "v1" in row.inner_text()
    screenshot(page, "designer-list")
    page.get_by_test_id("create-title").fill("Order approval")
    page.get_by_test_id("create-submit").click()
    page.wait_for_url("**/designer/t/order-approval/")
    assert page.locator("#flowdesk-designer").get_attribute("data-can-edit") == "true"
