"""The instance page's timeline of attempts (Graph | Timeline, #timeline): one lane per step, one
bar per attempt with retries, backoff and waits drawn as such, live while the run goes on, a bar
opening its attempt in the Run tab, and 200 steps that stay legible."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.canvas import wait_ready
from tests.browser.conftest import screenshot
from tests.engine.conftest import drain_all
from tests.factories import UserFactory, VersionFactory, chain_graph, role_group
from workflows import engine
from workflows.roles import OPERATORS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def task(id: str, label: str, x: int, **config) -> dict:
    return {"id": id, "type": "task", "label": label, "position": {"x": x, "y": 0}, "config": config}


def chain(*nodes: dict) -> dict:
    edges = [{"id": f"e{i}", "source": a["id"], "target": b["id"]} for i, (a, b) in enumerate(zip(nodes, nodes[1:]))]
    return {"version": 1, "settings": {}, "nodes": list(nodes), "edges": edges}


# "charge" fails twice and retries after a short backoff; "pack" works for 4 s (a bar to watch
# grow); "cool_off" waits 1.5 s.
RETRY_AND_WAIT = chain(
    task("receive", "Receive", 0, handler="demo.noop"),
    task("charge", "Charge", 260, handler="demo.flaky", input={"failures": 2}, retry={"max_attempts": 3, "initial_s": 0.4, "jitter": False}),
    task("pack", "Pack", 520, handler="demo.sleep", input={"seconds": 4}),
    {"id": "cool_off", "type": "wait", "label": "Cool off", "position": {"x": 780, "y": 0}, "config": {"for_s": 1.5}},
    task("ship", "Ship", 1040, handler="demo.noop"),
)

# Without a retry policy "charge" fails; the operator's retry runs attempt 2, which succeeds.
FLAKY = chain(
    task("receive", "Receive", 0, handler="demo.noop"),
    task("charge", "Charge", 260, handler="demo.flaky", input={"failures": 1}),
    task("notify", "Notify", 520, handler="demo.noop"),
)


def bar(page, node: str, attempt: int = 1):
    return page.locator(f'[data-testid="timeline-bar"][data-node="{node}"][data-attempt="{attempt}"]')


def bars_by_node(page) -> dict[str, list[int]]:
    found = page.get_by_test_id("timeline-bar").evaluate_all("els => els.map(e => [e.dataset.node, Number(e.dataset.attempt)])")
    out: dict[str, list[int]] = {}
    for node, attempt in found:
        out.setdefault(node, []).append(attempt)
    return out


def lane_nodes(page) -> list[str]:
    return page.get_by_test_id("timeline-lane").evaluate_all("els => els.map(e => e.dataset.node)")


def login(browser, base: str, viewport=(1440, 900)):
    user = UserFactory(username="olga")
    user.groups.add(role_group(OPERATORS))
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/login/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", "pw-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.base, page.errors = base, errors
    return context, page


@pytest.mark.e2e
def test_a_running_instance_grows_its_bars_and_adds_each_retry_and_the_wait_without_reloading(browser, server):
    context, page = login(browser, server.url)
    instance, _ = engine.start_instance(VersionFactory(graph=RETRY_AND_WAIT).template.name)
    page.goto(f"{server.url}/instances/{instance.pk}/#timeline")
    wait_ready(page)
    expect(page.get_by_test_id("timeline")).to_be_visible()
    expect(page.get_by_test_id("view-timeline")).to_have_attribute("aria-pressed", "true")

    # the sleeping step's bar grows while it runs, with the "now" line ahead of it
    pack = bar(page, "pack")
    expect(pack).to_have_attribute("data-status", "running", timeout=15_000)
    expect(page.get_by_test_id("timeline-now")).to_be_visible()
    # read in the page: the bar is redrawn as the run goes on, so a handle may be gone by the next call
    width = page.wait_for_function(
        "sel => { const el = document.querySelector(sel); return el ? {w: el.getBoundingClientRect().width} : null }",
        arg='[data-testid="timeline-bar"][data-node="pack"]',
    ).json_value()["w"]
    page.wait_for_function(
        """([sel, w]) => { const el = document.querySelector(sel); return el && el.dataset.status === 'running' && el.getBoundingClientRect().width > w + 4 }""",
        arg=['[data-testid="timeline-bar"][data-node="pack"]', width],
        timeout=2_500,
    )
    # the retries appeared as they happened, each after its backoff (queued time, drawn apart)
    assert bars_by_node(page)["charge"] == [1, 2, 3]
    for attempt in (2, 3):
        assert bar(page, "charge", attempt).locator(".fd-tl-queued").bounding_box()["width"] > 4
    assert bar(page, "charge", 1).get_attribute("data-status") == "failed"
    screenshot(page, "timeline-running")

    expect(bar(page, "cool_off")).to_have_attribute("data-status", "waiting", timeout=15_000)
    expect(bar(page, "cool_off").locator(".fd-tl-run.is-wait")).to_have_count(1)
    expect(page.get_by_test_id("instance-status")).to_have_attribute("data-status", "completed", timeout=20_000)

    assert lane_nodes(page) == ["receive", "charge", "pack", "cool_off", "ship"]  # one lane per step, in order of start
    assert bars_by_node(page) == {"receive": [1], "charge": [1, 2, 3], "pack": [1], "cool_off": [1], "ship": [1]}
    expect(page.get_by_test_id("timeline-now")).to_have_count(0)  # the run is over: no "now"
    expect(bar(page, "cool_off").locator(".fd-tl-run.is-wait")).to_have_count(1)  # a finished wait still reads as one
    assert page.evaluate("() => performance.getEntriesByType('navigation').length") == 1
    screenshot(page, "timeline-retried-1440")
    page.set_viewport_size({"width": 1280, "height": 720})
    screenshot(page, "timeline-retried-1280")
    bar(page, "charge", 2).hover()
    expect(page.get_by_test_id("timeline-tip")).to_contain_text("Queued (backoff)")
    screenshot(page, "timeline-retried-tip-1280")
    assert page.errors == []
    context.close()


def retried_instance():
    """A finished instance whose "charge" failed once and succeeded when the operator retried it."""
    instance, _ = engine.start_instance(VersionFactory(graph=FLAKY).template.name)
    drain_all(instance.pk)
    engine.retry_instance(instance.pk)
    drain_all(instance.pk)
    instance.refresh_from_db()
    assert instance.status == "completed", instance.error
    return instance


def test_a_bar_clicked_or_chosen_with_the_keyboard_opens_its_attempt_in_the_step_drawer(page_for):
    instance = retried_instance()
    page = page_for("olga", OPERATORS)
    page.goto(f"{page.base}/instances/{instance.pk}/")
    wait_ready(page)
    expect(page.get_by_test_id("canvas")).to_be_visible()  # the graph is the default

    page.get_by_test_id("view-timeline").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("timeline")).to_be_visible()
    assert page.url.endswith("#timeline")
    assert bars_by_node(page) == {"receive": [1], "charge": [1, 2], "notify": [1]}

    page.get_by_test_id("tab-history").click()
    first = bar(page, "charge", 1)
    first.hover()
    tip = page.get_by_test_id("timeline-tip")
    expect(tip).to_contain_text("Failed")
    expect(tip).to_contain_text("attempt 1")
    expect(tip).to_contain_text("TransientError: attempt 1 failed")
    expect(tip).to_contain_text("Started")
    first.click()
    # the attempt opens in the step drawer over the timeline; the History tab stays where it was
    expect(page.get_by_test_id("step-details")).to_have_attribute("data-node", "charge")
    expect(page.locator('[data-testid="attempt-tab"][data-attempt="1"]')).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("tab-history")).to_have_attribute("aria-selected", "true")
    expect(first).to_have_class(re.compile(r"\bis-selected\b"))
    page.keyboard.press("Escape")  # the drawer closes and focus goes back to the bar that opened it
    expect(page.get_by_test_id("step-drawer")).to_have_count(0)
    expect(first).to_be_focused()

    # one tab stop for the bars; arrows move between them, Enter opens one
    expect(first).to_have_attribute("tabindex", "0")
    page.keyboard.press("ArrowDown")
    expect(bar(page, "notify")).to_be_focused()
    expect(tip).to_contain_text("Notify")
    screenshot(page, "timeline-keyboard")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("step-details")).to_have_attribute("data-node", "notify")
    page.keyboard.press("Escape")
    expect(bar(page, "notify")).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowRight")
    expect(bar(page, "charge", 2)).to_be_focused()

    # the view is in the address: a link opens the timeline, the graph drops it
    page.reload()
    wait_ready(page)
    expect(page.get_by_test_id("timeline")).to_be_visible()
    page.get_by_test_id("view-graph").click()
    expect(page.get_by_test_id("canvas")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_have_count(0)
    assert "#" not in page.url


def test_an_instance_of_200_steps_draws_200_legible_lanes(page_for):
    ids = [f"step_{i:03d}" for i in range(200)]
    instance, _ = engine.start_instance(VersionFactory(graph=chain_graph(*ids)).template.name)
    drain_all(instance.pk)
    instance.refresh_from_db()
    assert instance.status == "completed"
    page = page_for("olga", OPERATORS)
    page.goto(f"{page.base}/instances/{instance.pk}/#timeline")
    wait_ready(page)
    expect(page.get_by_test_id("timeline")).to_have_attribute("data-lanes", "200")
    expect(page.get_by_test_id("timeline-lane")).to_have_count(200)
    expect(page.get_by_test_id("timeline-bar")).to_have_count(200)
    assert lane_nodes(page) == ids  # a chain starts its steps in order

    # lanes never overlap: each label sits below the previous one, at full height
    boxes = page.locator(".fd-tl-label").evaluate_all("els => els.map(e => { const r = e.getBoundingClientRect(); return [r.top, r.height] })")
    assert all(h >= 28 for _, h in boxes)
    assert all(b[0] >= a[0] + a[1] - 0.5 for a, b in zip(boxes, boxes[1:]))
    screenshot(page, "timeline-200-1440")

    # zoomed in and scrolled sideways, the labels stay put
    label = page.locator(".fd-tl-label").first
    x = label.bounding_box()["x"]
    for _ in range(3):
        page.get_by_test_id("timeline-zoom-in").click()
    page.locator(".fd-tl-scroll").evaluate("el => { el.scrollLeft = el.scrollWidth; el.scrollTop = el.scrollHeight }")
    expect(page.get_by_test_id("timeline-lane").last).to_be_in_viewport()
    last = page.locator(".fd-tl-label").last
    expect(last).to_be_in_viewport()
    assert last.bounding_box()["x"] == x
    assert page.locator(".fd-tl-scroll").evaluate("el => el.scrollLeft") > 0
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_test_id("timeline-fit").click()
    screenshot(page, "timeline-200-1280")


def fanned_out_instance():
    """A finished run whose "each" step ran 40 items, 8 at a time, item 5 twice (the engine has no
    fan-out step type yet: its rows are written as it will write them, one per item attempt)."""
    from datetime import timedelta

    from django.utils import timezone

    from workflows.models import Instance, StepRun

    version = VersionFactory(graph=chain(task("split", "Split", 0, handler="demo.noop"), task("each", "Charge each", 260, handler="demo.noop"), task("sum", "Sum up", 520, handler="demo.noop")))
    t0 = timezone.now() - timedelta(minutes=5)
    ms = lambda n: t0 + timedelta(milliseconds=n)  # noqa: E731
    instance = Instance.objects.create(template=version.template, version=version, status="completed", started_at=t0, finished_at=ms(5200))
    rows = [StepRun(instance=instance, node_id="split", node_type="task", status="completed", scheduled_at=ms(0), started_at=ms(20), finished_at=ms(100))]
    for i in range(40):
        start = 100 + (i // 8) * 900 + (i % 8) * 15
        attempt_1 = "failed" if i == 5 else "completed"
        rows.append(StepRun(instance=instance, node_id="each", node_type="task", item_key=str(i), status=attempt_1, scheduled_at=ms(start), started_at=ms(start + 10), finished_at=ms(start + 400)))
        if i == 5:
            rows[-1].error_type, rows[-1].error_message = "CardDeclined", "the card was declined"
            rows.append(StepRun(instance=instance, node_id="each", node_type="task", item_key="5", attempt=2, status="completed", scheduled_at=ms(start + 400), started_at=ms(start + 700), finished_at=ms(start + 850)))
    rows.append(StepRun(instance=instance, node_id="sum", node_type="task", status="completed", scheduled_at=ms(4900), started_at=ms(4950), finished_at=ms(5100)))
    StepRun.objects.bulk_create(rows)
    return instance


def test_fan_out_items_share_their_lane_in_a_few_tracks_each_bar_saying_its_item(page_for):
    instance = fanned_out_instance()
    page = page_for("olga", OPERATORS)
    page.goto(f"{page.base}/instances/{instance.pk}/#timeline")
    wait_ready(page)
    lane = page.locator('[data-testid="timeline-lane"][data-node="each"]')
    expect(lane.get_by_test_id("timeline-bar")).to_have_count(41)
    expect(page.locator('.fd-tl-label[data-node="each"]')).to_contain_text("40 items")
    assert lane_nodes(page) == ["split", "each", "sum"]
    # eight at a time, in eight tracks: a taller lane than one attempt's, yet no taller than six tracks
    height = lane.bounding_box()["height"]
    assert 60 < height <= 90, height
    tops = {round(b["y"]) for b in lane.get_by_test_id("timeline-bar").evaluate_all("els => els.map(e => e.getBoundingClientRect())")}
    assert len(tops) == 8
    retry = lane.locator('[data-item="5"][data-attempt="2"]')
    retry.hover()
    expect(page.get_by_test_id("timeline-tip")).to_contain_text("item 5")
    expect(page.get_by_test_id("timeline-tip")).to_contain_text("attempt 2")
    screenshot(page, "timeline-fan-out")
    lane.locator('[data-item="5"][data-attempt="1"]').click()
    expect(page.get_by_test_id("step-details")).to_have_attribute("data-node", "each")
