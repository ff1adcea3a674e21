"""The overview's dashboard in a browser: an operator sees a template's failures and follows them
into the instance list, filtered. Photographed at 1440x900 and 1280x720."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.engine.conftest import drain_all
from tests.factories import VersionFactory, chain_graph
from workflows import engine
from workflows.models import Instance
from workflows.roles import OPERATORS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def started(name: str, days_ago: int = 0) -> None:
    instance, _ = engine.start_instance(name)
    drain_all(instance.pk)
    if days_ago:
        Instance.objects.filter(pk=instance.pk).update(created_at=timezone.now() - dt.timedelta(days=days_ago))


def test_an_operator_follows_a_templates_failures_from_the_overview_to_the_filtered_list(page_for):
    VersionFactory(template__name="billing", template__title="Monthly billing", template__tags=["finance"], graph=chain_graph("a", "b"))
    fail = chain_graph("charge", handler="demo.fail", input={"type": "CardDeclined", "message": "declined", "retryable": False})
    VersionFactory(template__name="payments", template__title="Card payments", graph=fail)
    VersionFactory(template__name="empty", template__title="Never run", graph=chain_graph("a"))
    for days_ago, runs in enumerate([3, 1, 0, 4, 2, 5, 1, 2, 0, 3]):
        for _ in range(runs):
            started("billing", days_ago)
    for days_ago in (0, 0, 2, 5):
        started("payments", days_ago)

    for width, height in ((1280, 720), (1440, 900)):
        page = page_for(f"otto{width}", OPERATORS, viewport=(width, height))
        row = page.locator('[data-testid="template-row"][data-template="payments"]')
        expect(row.get_by_test_id("failed")).to_have_text("4 failed")
        expect(row).to_contain_text("CardDeclined × 4")
        expect(page.locator('[data-template="billing"] [data-testid="day-bar"]')).to_have_count(14)
        screenshot(page, f"overview_dashboard_{width}x{height}")

    row.get_by_test_id("failed").click()
    page.wait_for_url("**/instances/?*")
    expect(page.get_by_test_id("instance-row")).to_have_count(4)

    page.go_back()
    row.get_by_test_id("error-type").click()  # "CardDeclined × 4": those four, by their error type
    page.wait_for_url("**/instances/?*error_type=CardDeclined*")
    expect(page.get_by_test_id("filter-error-type")).to_contain_text("CardDeclined")
    expect(page.get_by_test_id("instance-row")).to_have_count(4)
