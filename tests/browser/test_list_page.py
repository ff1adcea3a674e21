"""The template list in a real browser."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.factories import VersionFactory, chain_graph
from workflows.models import TemplateVersion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_analyst_finds_creates_and_opens_templates(analyst_page):
    VersionFactory(template__name="billing", template__title="Billing", template__tags=["finance"], number=1, graph=chain_graph("a", "b"))
    VersionFactory(template__name="onboarding", template__title="Employee onboarding", template__tags=["hr"], template__description="Accounts, equipment and a first-week plan for a new hire", number=3)
    VersionFactory(template__name="refunds", template__title="Refunds", template__tags=["finance", "support"], status=TemplateVersion.Status.DRAFT, number=1)
    page = analyst_page
    page.goto(f"{page.base}/designer/")
    row = page.get_by_test_id("template-row-billing")
    assert "Billing" in row.inner_text() and "v1" in row.inner_text()
    assert "draft" in page.get_by_test_id("template-row-refunds").inner_text()
    screenshot(page, "designer-list")

    page.get_by_label("Tag").select_option("finance")  # a choice filters at once
    page.wait_for_url("**/designer/?*tag=finance*")
    assert page.get_by_test_id("template-row-onboarding").count() == 0
    assert page.get_by_test_id("template-row-refunds").count() == 1
    page.goto(f"{page.base}/designer/")
    page.get_by_test_id("create-title").fill("Order approval")
    page.get_by_test_id("create-submit").click()
    page.wait_for_url("**/designer/t/order-approval/")
    assert page.locator("#flowdesk-designer").get_attribute("data-can-edit") == "true"
