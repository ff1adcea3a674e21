"""The operator's path from the list to a fixed failure, in one go, as a person would take it: the
failed chip, the instance, its error, Retry, and the run completing live; then the list again.
daphne and a real engine serve it; the page must log no console error and never reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import wait_ready
from tests.browser.conftest import screenshot
from tests.browser.test_instance_page import FLAKY
from tests.e2e.conftest import wait_for
from tests.factories import VersionFactory, chain_graph
from workflows import engine
from workflows.roles import OPERATORS

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_operator_finds_a_failed_instance_retries_it_and_watches_it_complete(served_page_for):
    VersionFactory(template__name="billing", number=1, graph=chain_graph("a", "b"))
    payments = VersionFactory(template__name="payments", number=1, graph=FLAKY).template.name
    done, _ = engine.start_instance("billing", business_key="order-1")
    failed, _ = engine.start_instance(payments, business_key="order-2")
    wait_for(done.pk)
    assert wait_for(failed.pk).status == "failed"

    page = served_page_for("olga", OPERATORS)
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.locator("header nav").get_by_role("link", name="Instances").click()
    page.wait_for_url("**/instances/")
    expect(page.get_by_test_id("live-state")).to_have_text("live")
    expect(page.get_by_test_id("instance-row")).to_have_count(2)
    screenshot(page, "walkthrough-1-list")

    page.get_by_test_id("chip-failed").click()
    page.wait_for_url("**/instances/?status=failed")
    row = page.get_by_test_id("instance-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("error-line")).to_contain_text("attempt 1 failed")
    screenshot(page, "walkthrough-2-failed")
    row.get_by_role("link", name=str(failed.pk)[:8]).click()

    page.wait_for_url(f"**/instances/{failed.pk}/")
    wait_ready(page)
    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "failed")
    expect(page.get_by_test_id("instance-error")).to_contain_text("attempt 1 failed")
    expect(page.get_by_test_id("node-charge")).to_have_attribute("data-status", "failed")
    screenshot(page, "walkthrough-3-instance-failed")
    page.set_viewport_size({"width": 1280, "height": 720})
    screenshot(page, "walkthrough-3-instance-failed-1280")
    page.set_viewport_size({"width": 1440, "height": 900})

    page.get_by_test_id("btn-retry").click()
    page.get_by_test_id("confirm-retry-btn").click()
    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(page.get_by_test_id("node-notify")).to_have_attribute("data-status", "completed")
    screenshot(page, "walkthrough-4-instance-completed")
    assert page.evaluate("() => performance.getEntriesByType('navigation').length") == 1  # never reloaded

    page.go_back()
    page.wait_for_url("**/instances/?status=failed")
    expect(page.get_by_test_id("no-instances")).to_be_visible()  # nothing failed any more
    page.get_by_test_id("chip-completed").click()
    expect(page.locator(f'[data-testid="instance-row"][data-id="{failed.pk}"]')).to_have_attribute("data-status", "completed")
    assert console == []
