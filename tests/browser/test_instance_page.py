"""The instance page at /instances/<id>/, for operators: Cancel and Retry behind a confirmation,
disabled with the reason for other roles, live after the action over the page's one WebSocket.
Served by daphne with a real engine, as in production (tests/browser/test_instance_live.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import wait_ready
from tests.browser.conftest import screenshot
from tests.e2e.conftest import Engine, wait_for
from tests.engine.conftest import drain_all
from tests.factories import VersionFactory
from workflows import engine
from workflows.roles import OPERATORS, REVIEWERS

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# "charge" fails its first attempt and has no retry policy: the instance fails; the operator's Retry
# runs attempt 2, which succeeds, and "notify" follows.
FLAKY = {
    "version": 1,
    "settings": {},
    "nodes": [
        {"id": "receive", "type": "task", "label": "Receive", "position": {"x": 0, "y": 0}, "config": {"handler": "demo.noop"}},
        {"id": "charge", "type": "task", "label": "Charge", "position": {"x": 260, "y": 0}, "config": {"handler": "demo.flaky", "input": {"failures": 1}}},
        {"id": "notify", "type": "task", "label": "Notify", "position": {"x": 520, "y": 0}, "config": {"handler": "demo.noop"}},
    ],
    "edges": [{"id": "e1", "source": "receive", "target": "charge"}, {"id": "e2", "source": "charge", "target": "notify"}],
}


@pytest.fixture
def cluster(tmp_path):
    cluster = Engine(tmp_path).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def open_as(sign_in, daphne):
    """``open_as("olga", OPERATORS)``: a logged-in page that records its WebSockets."""

    def make(username: str, *groups: str):
        page = sign_in(daphne.url, username, *groups)
        page.sockets = []
        page.on("websocket", lambda ws: page.sockets.append(ws.url))
        return page

    return make


def failed_instance():
    name = VersionFactory(graph=FLAKY).template.name
    instance, _ = engine.start_instance(name)
    drain_all(instance.pk)
    # where an engine runs too, its worker may hold a step that this drain left to it
    instance = wait_for(instance.pk)
    assert instance.status == "failed", instance.error
    return instance


def test_an_operator_retries_a_failed_instance_and_watches_it_complete_without_reloading(open_as, cluster):
    instance = failed_instance()
    page = open_as("olga", OPERATORS)
    page.goto(f"{page.base}/instances/{instance.pk}/")
    wait_ready(page)
    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "failed")
    expect(page.get_by_test_id("instance-error")).to_contain_text("attempt 1 failed")
    expect(page.get_by_test_id("btn-cancel")).to_be_disabled()
    expect(page.get_by_test_id("control-reason")).to_have_text("It is failed: only a pending, running or paused instance can be cancelled.")
    screenshot(page, "instance-page-failed")

    page.get_by_test_id("btn-retry").click()
    expect(page.get_by_test_id("confirm-retry")).to_be_visible()
    screenshot(page, "instance-page-confirm-retry")
    page.get_by_test_id("confirm-retry-btn").click()
    expect(page.get_by_test_id("confirm-retry")).to_have_count(0)

    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(page.get_by_test_id("node-notify")).to_have_attribute("data-status", "completed")
    expect(page.get_by_test_id("btn-retry")).to_be_disabled()
    screenshot(page, "instance-page-retried")
    assert page.evaluate("() => performance.getEntriesByType('navigation').length") == 1  # never reloaded
    assert page.url == f"{page.base}/instances/{instance.pk}/"
    # a failed instance is not followed; the retry follows it again over one socket
    assert len(page.sockets) == 1, page.sockets


def test_a_reviewer_sees_cancel_and_retry_disabled_with_the_reason(open_as):
    instance = failed_instance()
    page = open_as("rita", REVIEWERS)
    page.goto(f"{page.base}/instances/{instance.pk}/")
    wait_ready(page)
    expect(page.get_by_test_id("btn-retry")).to_be_disabled()
    expect(page.get_by_test_id("btn-cancel")).to_be_disabled()
    expect(page.get_by_test_id("control-reason")).to_have_text("Only operators may cancel, retry, pause, resume or signal instances.")
    expect(page.get_by_test_id("btn-retry")).to_have_attribute("title", "Only operators may cancel, retry, pause, resume or signal instances.")
    screenshot(page, "instance-page-reviewer")


def test_the_engines_refusal_is_shown_when_the_state_moved_on_before_the_click(open_as):
    instance = failed_instance()
    page = open_as("olga", OPERATORS)
    page.goto(f"{page.base}/instances/{instance.pk}/")
    wait_ready(page)
    page.get_by_test_id("btn-retry").click()
    engine.retry_instance(instance.pk)  # someone else retried it meanwhile
    page.get_by_test_id("confirm-retry-btn").click()
    expect(page.get_by_test_id("control-refused")).to_contain_text("only a failed instance can be retried")


def test_an_operator_cancels_a_running_instance_over_the_one_socket_the_page_opened(open_as):
    name = VersionFactory(graph=FLAKY).template.name
    instance, _ = engine.start_instance(name)  # no engine running: it stays pending
    page = open_as("olga", OPERATORS)
    page.goto(f"{page.base}/instances/{instance.pk}/")
    wait_ready(page)
    page.wait_for_function("() => window.__flowdesk.live === 'socket'")
    page.get_by_test_id("btn-cancel").click()
    expect(page.get_by_test_id("cancel-reason")).to_be_focused()
    page.get_by_test_id("cancel-reason").fill("wrong customer")
    page.get_by_test_id("confirm-cancel-btn").click()
    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "cancelled", timeout=15_000)
    expect(page.get_by_test_id("btn-cancel")).to_be_disabled()
    page.wait_for_timeout(500)
    assert len(page.sockets) == 1, page.sockets


def test_the_page_opens_exactly_one_websocket(open_as):
    name = VersionFactory(graph=FLAKY).template.name
    instance, _ = engine.start_instance(name)
    page = open_as("olga", OPERATORS)
    page.goto(f"{page.base}/instances/{instance.pk}/")
    wait_ready(page)
    page.wait_for_function("() => window.__flowdesk.live === 'socket'")
    page.wait_for_timeout(1500)  # time for a second one to show up
    assert len(page.sockets) == 1, page.sockets


def test_the_old_address_redirects_to_the_instance_page(open_as):
    instance = failed_instance()
    page = open_as("olga", OPERATORS)
    page.goto(f"{page.base}/designer/instances/{instance.pk}/")
    assert page.url == f"{page.base}/instances/{instance.pk}/"
    wait_ready(page)


def test_a_child_instance_links_to_its_parent_and_the_parent_back(open_as):
    from workflows.models import Instance

    parent = failed_instance()
    child, _ = engine.start_instance(parent.template.name)
    Instance.objects.filter(pk=child.pk).update(parent_step=parent.steps.get(node_id="charge"))  # what a sub-workflow step will do
    page = open_as("olga", OPERATORS)
    page.goto(f"{page.base}/instances/{child.pk}/")
    wait_ready(page)
    expect(page.get_by_test_id("parent-link")).to_have_attribute("href", f"/instances/{parent.pk}/")
    page.get_by_test_id("parent-link").click()
    page.wait_for_url(f"{page.base}/instances/{parent.pk}/")
    expect(page.get_by_test_id("children")).to_contain_text(str(child.pk)[:8])
    expect(page.get_by_test_id("children")).to_contain_text("charge")
    screenshot(page, "instance-page-parent")


def test_the_history_follows_the_retry_live_and_filters_by_step_and_kind(open_as, cluster):
    instance = failed_instance()
    page = open_as("olga", OPERATORS)
    history_requests: list[str] = []
    page.on("request", lambda r: history_requests.append(r.url) if "/events/" in r.url else None)
    page.goto(f"{page.base}/instances/{instance.pk}/")
    wait_ready(page)
    page.get_by_test_id("tab-history").click()
    expect(page.get_by_test_id("history-event").last).to_have_attribute("data-type", "instance_failed")
    before = page.get_by_test_id("history-event").count()

    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("btn-retry").click()
    page.get_by_test_id("confirm-retry-btn").click()
    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "completed", timeout=30_000)
    page.get_by_test_id("tab-history").click()
    expect(page.get_by_test_id("history-event").last).to_have_attribute("data-type", "instance_completed")
    assert page.get_by_test_id("history-event").count() > before
    assert len(history_requests) == 1, history_requests  # the rest came over the socket

    page.get_by_test_id("history-step").select_option("charge")
    nodes = page.get_by_test_id("history-event").evaluate_all("els => els.map(e => e.dataset.node)")
    assert nodes and set(nodes) == {"charge"}
    kind = page.get_by_test_id("history-event").first.get_attribute("data-type")
    page.get_by_test_id("history-kind").select_option(kind)
    types = page.get_by_test_id("history-event").evaluate_all("els => els.map(e => e.dataset.type)")
    assert types and set(types) == {kind}
    expect(page.get_by_test_id("history-count")).to_contain_text(f"{len(types)} of ")
    screenshot(page, "instance-page-history")
