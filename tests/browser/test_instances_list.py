"""The operator's instance list in a real browser: filter, select, bulk retry with confirmation,
under the site's CSP with no console error."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.factories import VersionFactory, chain_graph
from workflows import services, worker
from workflows.models import Instance
from workflows.roles import OPERATORS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI || 'inline'}`));
"""


def finished(name: str, **fields) -> Instance:
    instance, _ = services.start_instance(name, **fields)
    while worker.drain(str(instance.pk)):
        pass
    instance.refresh_from_db()
    return instance


def test_an_operator_filters_to_failed_instances_and_retries_one_after_confirming(page_for):
    VersionFactory(template__name="billing", number=1, graph=chain_graph("a", "b"))
    graph = chain_graph("charge", "ship")
    graph["nodes"][0]["config"] = {"handler": "demo.fail", "input": {"message": "card <b>declined</b>", "retryable": False}}
    VersionFactory(template__name="payments", number=1, graph=graph)
    finished("billing", business_key="order-1")
    failed = finished("payments", business_key="order-2")
    services.start_instance("billing", business_key="order-3")  # still running: its duration ticks

    page = page_for("otto", OPERATORS)
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.add_init_script(LISTEN)
    page.goto(f"{page.base}/")
    page.locator("header nav").get_by_role("link", name="Instances").click()
    page.wait_for_url("**/instances/")
    expect(page.get_by_test_id("instance-row")).to_have_count(3)
    running = page.locator("[data-running-since]")
    first = running.inner_text()
    expect(running).not_to_have_text(first, timeout=5_000)  # the page's script ticks it
    screenshot(page, "instances-list")

    page.get_by_test_id("chip-failed").click()
    page.wait_for_url("**/instances/?status=failed")
    rows = page.get_by_test_id("instance-row")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_test_id("error-line")).to_contain_text("card <b>declined</b>")  # as text, not markup
    retry = page.get_by_test_id("bulk-retry")
    expect(retry).to_be_disabled()  # nothing selected yet
    rows.first.locator("input[name=ids]").check()
    expect(page.locator("[data-selected-count]")).to_have_text("1 selected")
    expect(retry).to_be_enabled()
    retry.click()

    confirm = page.get_by_test_id("bulk-confirm")
    expect(confirm).to_contain_text("Retry 1 instance?")
    expect(confirm).to_contain_text(str(failed.pk))
    assert Instance.objects.get(pk=failed.pk).status == "failed"  # nothing happens before the confirmation
    screenshot(page, "instances-bulk-confirm")
    page.get_by_test_id("bulk-confirm-submit").click()
    expect(page.get_by_test_id("bulk-done")).to_contain_text("1 retried")
    assert Instance.objects.get(pk=failed.pk).status == "running"
    page.get_by_test_id("bulk-back").click()
    page.wait_for_url("**/instances/?status=failed")

    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{page.base}/instances/")
    screenshot(page, "instances-list-1280")
    assert page.evaluate("() => window.__csp") == []
    assert console == []
