"""Operating a running instance from its page and from the list: Pause then Resume, a signal with
a JSON payload from the Signal dialog completing the waiting node, named queries and the query
box, a running step's heartbeat as a progress bar, and bulk Pause from the instance list. Served
by daphne with a real engine (and the test handlers of ``tests.support``), as in production."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.canvas import wait_ready
from tests.browser.conftest import screenshot
from tests.e2e.conftest import Engine, Web, wait_until
from tests.factories import VersionFactory
from workflows import engine
from workflows.models import Event, Instance, StepRun
from workflows.roles import OPERATORS, REVIEWERS

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def graph(*nodes: tuple[str, str, dict], **settings) -> dict:
    """A chain of steps, left to right."""
    return {
        "version": 1,
        "settings": settings,
        "nodes": [{"id": n, "type": t, "label": n.title(), "position": {"x": 260 * i, "y": 0}, "config": c} for i, (n, t, c) in enumerate(nodes)],
        "edges": [{"id": f"e{i}", "source": a[0], "target": b[0]} for i, (a, b) in enumerate(zip(nodes, nodes[1:]))],
    }


ORDER = graph(
    ("receive", "task", {"handler": "demo.noop"}),
    ("approval", "signal", {"name": "approve"}),
    ("ship", "task", {"handler": "demo.noop"}),
    queries={"approved": "steps.approval.status == 'completed'", "decision": "steps.approval.output.decision", "lines": "len(input.lines)"},
)


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, tmp_path_factory):
    """daphne and an engine that knows the test handlers, for the whole module."""
    tmp = tmp_path_factory.mktemp("operate")
    with django_db_blocker.unblock():
        call_command("collectstatic", "--noinput", verbosity=0)
        cluster = Engine(tmp, FLOWDESK_APPS="tests.support", FLOWDESK_DATA_DIR=str(tmp)).start()
        web = Web(tmp).start()
    yield web
    web.stop()
    cluster.stop()


@pytest.fixture
def open_as(sign_in, site):
    def make(username: str, *groups: str):
        page = sign_in(site.url, username, *groups)
        page.sockets = []
        page.on("websocket", lambda ws: page.sockets.append(ws.url))
        return page

    return make


def waiting_order(template: str) -> Instance:
    """An order whose approval node waits for its signal."""
    instance, _ = engine.start_instance(template, input={"lines": [1, 2, 3]})
    wait_until(lambda: StepRun.objects.filter(instance=instance, node_id="approval", status="waiting").exists(), what="the signal node waits")
    return instance


def open_instance(page, instance) -> None:
    page.goto(f"{page.base}/instances/{instance.pk}/")
    wait_ready(page)


def test_an_operator_pauses_then_resumes_and_the_history_says_who(open_as):
    instance = waiting_order(VersionFactory(graph=ORDER).template.name)
    page = open_as("olga", OPERATORS)
    open_instance(page, instance)
    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "running")
    expect(page.get_by_test_id("btn-resume")).to_have_count(0)  # by state: only Pause while running

    page.get_by_test_id("btn-pause").click()
    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "paused")
    expect(page.get_by_test_id("btn-pause")).to_have_count(0)
    assert Instance.objects.get(pk=instance.pk).status == "paused"
    screenshot(page, "instance-page-paused")

    page.get_by_test_id("btn-resume").focus()  # the keyboard works as the mouse does
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "running")
    expect(page.get_by_test_id("btn-pause")).to_be_visible()
    assert list(Event.objects.filter(instance=instance, type__in=["instance_paused", "instance_running"], data__has_key="by").values_list("type", "data__by")) == [
        ("instance_paused", "olga"),
        ("instance_running", "olga"),
    ]

    page.get_by_test_id("tab-history").click()
    paused = page.locator('[data-testid="history-event"][data-type="instance_paused"]')
    expect(paused.get_by_test_id("history-who")).to_have_text(" by olga")
    expect(page.locator('[data-testid="history-event"][data-type="instance_running"]').get_by_test_id("history-who")).to_have_text(" by olga")
    screenshot(page, "instance-page-history-who")
    assert page.evaluate("() => performance.getEntriesByType('navigation').length") == 1  # never reloaded


def test_a_signal_with_a_payload_from_the_dialog_completes_the_waiting_node(open_as):
    instance = waiting_order(VersionFactory(graph=ORDER).template.name)
    page = open_as("olga", OPERATORS)
    open_instance(page, instance)
    queries = page.get_by_test_id("named-queries")
    expect(queries.locator('[data-name="lines"]').get_by_test_id("named-query-value")).to_have_text("3")
    expect(queries.locator('[data-name="approved"]').get_by_test_id("named-query-value")).to_have_text("false")
    expect(queries.locator('[data-name="decision"]').get_by_test_id("named-query-error")).to_contain_text("not available now")

    page.get_by_test_id("btn-signal").click()
    dialog = page.get_by_test_id("signal-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("signal-name")).to_have_value("approve")  # the waiting node's signal
    expect(dialog.get_by_test_id("signal-name-help")).to_contain_text("approval is waiting for it now")
    expect(dialog.get_by_test_id("signal-name")).to_be_focused()
    payload = dialog.get_by_test_id("signal-payload")
    payload.fill('{"decision": "ship it", ')
    expect(dialog.get_by_test_id("signal-payload-error")).to_contain_text("Not JSON")
    screenshot(page, "instance-page-signal-dialog-invalid")
    payload.fill('{"decision": "ship it", "by": "finance"}')
    expect(dialog.get_by_test_id("signal-payload-error")).to_have_count(0)
    screenshot(page, "instance-page-signal-dialog")
    dialog.get_by_test_id("signal-send").click()
    expect(dialog).to_have_count(0)

    expect(page.get_by_test_id("node-approval")).to_have_attribute("data-status", "completed", timeout=20_000)
    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "completed", timeout=20_000)
    row = page.get_by_test_id("signal-row")
    expect(row).to_have_attribute("data-delivered", "true")
    expect(row).to_contain_text("by olga")
    expect(row).to_contain_text("to approval")
    expect(queries.locator('[data-name="decision"]').get_by_test_id("named-query-value")).to_have_text('"ship it"')
    expect(queries.locator('[data-name="approved"]').get_by_test_id("named-query-value")).to_have_text("true")
    assert StepRun.objects.get(instance=instance, node_id="approval").output == {"decision": "ship it", "by": "finance"}
    screenshot(page, "instance-page-signalled")
    assert len(page.sockets) == 1, page.sockets  # live over the page's one socket


def test_the_server_refusal_of_a_signal_is_shown_in_the_dialog(open_as):
    instance = waiting_order(VersionFactory(graph=ORDER).template.name)
    page = open_as("olga", OPERATORS)
    open_instance(page, instance)
    page.get_by_test_id("btn-signal").click()
    engine.cancel_instance(instance.pk)  # the state moved on before the click
    dialog = page.get_by_test_id("signal-dialog")
    dialog.get_by_test_id("signal-payload").fill("[1, 2]")
    dialog.get_by_test_id("signal-payload").press("Control+Enter")
    expect(dialog.get_by_test_id("signal-refused")).to_contain_text("signals go to a pending, running or paused instance")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_test_id("btn-signal")).to_have_count(0, timeout=20_000)  # cancelled: nothing to signal


def test_the_query_box_answers_an_expression_or_says_what_is_wrong(open_as):
    instance = waiting_order(VersionFactory(graph=ORDER).template.name)
    page = open_as("rita", REVIEWERS)  # anyone who sees it may query it
    open_instance(page, instance)
    expect(page.get_by_test_id("btn-signal")).to_be_disabled()
    box = page.get_by_test_id("query-expr")
    box.fill("{'sum': sum(input.lines), 'waiting': steps.approval.status}")
    box.press("Enter")
    expect(page.get_by_test_id("query-result")).to_contain_text('"sum": 6')
    expect(page.get_by_test_id("query-result")).to_contain_text('"waiting": "waiting"')
    screenshot(page, "instance-page-queries")
    box.fill("input.")
    page.get_by_test_id("query-ask").click()
    expect(page.get_by_test_id("query-error")).to_contain_text("syntax")
    expect(page.get_by_test_id("query-result")).to_have_count(0)


def test_a_running_steps_heartbeat_progress_shows_as_a_bar(open_as, tmp_path):
    release = tmp_path / "release"
    beating = graph(("work", "task", {"handler": "support.hold", "input": {"release": str(release)}, "heartbeat_s": 60}))
    instance, _ = engine.start_instance(VersionFactory(graph=beating).template.name)
    wait_until(lambda: StepRun.objects.filter(instance=instance, node_id="work", status="running").exists(), what="the step runs")
    page = open_as("olga", OPERATORS)
    open_instance(page, instance)
    step = StepRun.objects.get(instance=instance, node_id="work", status="running")
    engine.heartbeat(step.pk, step.worker, {"progress": 40, "file": "b.csv"})  # as the handler's ctx.heartbeat does
    bar = page.get_by_test_id("node-heartbeat")
    expect(bar).to_have_attribute("data-progress", "0.4", timeout=10_000)
    expect(page.get_by_test_id("step-row").get_by_test_id("heartbeat-progress")).to_contain_text("40%")
    engine.heartbeat(step.pk, step.worker, {"progress": 0.75})
    expect(bar).to_have_attribute("data-progress", "0.75", timeout=10_000)
    page.get_by_test_id("node-work").click()
    expect(page.get_by_test_id("step-heartbeat")).to_contain_text("75%")
    page.wait_for_timeout(400)  # the drawer slides in: let it settle for the picture
    screenshot(page, "instance-page-heartbeat")
    release.touch()
    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "completed", timeout=20_000)
    expect(bar).to_have_count(0)


def test_an_operator_pauses_several_instances_from_the_list(open_as):
    template = VersionFactory(graph=ORDER).template.name
    first, second = waiting_order(template), waiting_order(template)
    done, _ = engine.start_instance(template)
    engine.cancel_instance(done.pk)
    page = open_as("olga", OPERATORS)
    page.goto(f"{page.base}/instances/?template={template}")
    for instance in (first, second, done):
        page.locator(f'[data-testid="instance-row"][data-id="{instance.pk}"] input[type=checkbox]').check()
    expect(page.locator("[data-selected-count]")).to_have_text("3 selected")
    page.get_by_test_id("bulk-pause").click()
    expect(page.get_by_test_id("bulk-confirm")).to_contain_text("Pause 3 instances?")
    screenshot(page, "instances-bulk-pause-confirm")
    page.get_by_test_id("bulk-confirm-submit").click()
    summary = page.get_by_test_id("bulk-done")
    expect(summary).to_contain_text("2 paused, 1 refused")
    expect(page.locator(f'[data-testid="outcome-row"][data-id="{done.pk}"]')).to_contain_text("only a running instance can be paused")
    screenshot(page, "instances-bulk-pause-done")
    assert {i.status for i in Instance.objects.filter(pk__in=[first.pk, second.pk])} == {"paused"}
    page.get_by_test_id("bulk-back").click()
    expect(page.locator(f'[data-testid="instance-row"][data-id="{first.pk}"]')).to_have_attribute("data-status", "paused")
    screenshot(page, "instances-list-paused")
