"""The instance page for nodes that run per item and for parents and children (issue 10 §5): a
map's progress on the canvas and its items a page at a time in the drawer, down to one item's
attempts; a loop's iteration; a step's link to the instance it started; a child's path back to
its root; a timeline that draws some of a huge map's items and links to all of them.

The rows are written directly with the factories, as the engine leaves them (the map, loop and
sub-workflow runtime is not this page's to test), and served by daphne, as in production."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.canvas import wait_ready
from tests.browser.conftest import screenshot
from tests.factories import InstanceFactory, StepRunFactory, VersionFactory
from workflows.engine.writer import CHANNEL
from workflows.models import Event, Instance, StepRun
from workflows.roles import OPERATORS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def node(id: str, type: str, label: str, x: int, **config) -> dict:
    return {"id": id, "type": type, "label": label, "position": {"x": x, "y": 0}, "config": config}


def chain(*nodes: dict) -> dict:
    edges = [{"id": f"e{i}", "source": a["id"], "target": b["id"]} for i, (a, b) in enumerate(zip(nodes, nodes[1:]))]
    return {"version": 1, "settings": {}, "nodes": list(nodes), "edges": edges}


MAP = chain(
    node("receive", "task", "Receive orders", 0, handler="demo.noop"),
    node("fan", "map", "Charge each order", 280, items="{{ input.orders }}", handler="demo.noop", concurrency=10),
    node("report", "task", "Report", 560, handler="demo.noop"),
)
LOOP = chain(
    node("prepare", "task", "Prepare", 0, handler="demo.noop"),
    node("repeat", "loop", "Retry the payment", 280, workflow="attempt-payment", count=5, max_iterations=10),
    node("done", "task", "Done", 560, handler="demo.noop"),
)
PARENT = chain(
    node("accept", "task", "Accept", 0, handler="demo.noop"),
    node("process", "subworkflow", "Process the order", 280, workflow="process-order"),
)


def moment(seconds: float):
    return T0 + timedelta(seconds=seconds)


T0 = timezone.now() - timedelta(minutes=10)


def step(instance, node_id: str, type: str, item: str = "", attempt: int = 1, status: str = "completed", at: float = 0, took: float | None = 1.0, **fields) -> StepRun:
    """One attempt, built (not saved): scheduled and started at ``at`` seconds, finished ``took`` later."""
    finished = status not in ("pending", "scheduled", "running", "waiting") and took is not None
    fields.setdefault("ports", ["out"] if status == "completed" and not item else [])
    return StepRunFactory.build(
        instance=instance, node_id=node_id, node_type=type, item_key=item, attempt=attempt, status=status,
        scheduled_at=None if status == "pending" else moment(at), started_at=None if status in ("pending", "scheduled") else moment(at),
        finished_at=moment(at + took) if finished else None, **fields,
    )


def map_instance(items: int = 1000) -> object:
    """1,000 orders: 412 charged, 3 failed twice, 10 charging, the rest awaiting their turn."""
    instance = InstanceFactory(version=VersionFactory(template__name="charge-orders", template__title="Charge orders", graph=MAP), started_at=moment(0))
    rows = [step(instance, "receive", "task", at=0, took=0.4, output={"orders": items}), step(instance, "fan", "map", status="waiting", at=0.5, input={"items": items})]
    for i in range(items):
        at = 0.5 + (i // 10) * 1.2
        if i < 412:
            rows.append(step(instance, "fan", "map", str(i), at=at, took=0.8 + (i % 7) * 0.05, output={"charged": i}))
        elif i < 415:
            failure = {"error_type": "CardDeclined", "error_message": f"card of order {i} declined", "error_traceback": 'File "charge.py", line 9'}
            rows.append(step(instance, "fan", "map", str(i), attempt=1, status="failed", at=at, took=0.6, **failure))
            rows.append(step(instance, "fan", "map", str(i), attempt=2, status="failed", at=at + 1.0, took=0.6, **failure))
        elif i < 425:
            rows.append(step(instance, "fan", "map", str(i), status="running", at=50 + i % 10 * 0.1))
        else:
            rows.append(step(instance, "fan", "map", str(i), status="pending", input={"order": i}))
    StepRun.objects.bulk_create(rows)
    return instance


def family():
    """orders (its sub-workflow step started) › an order (its loop's third iteration started) › an attempt."""
    root = InstanceFactory(version=VersionFactory(template__name="take-orders", template__title="Take orders", graph=PARENT), started_at=moment(0))
    StepRun.objects.bulk_create([step(root, "accept", "task", at=0, took=0.3)])
    process = step(root, "process", "subworkflow", status="waiting", at=0.5, input={"workflow": "process-order", "version": None, "input": {"order": 7}})
    process.save()
    middle = InstanceFactory(version=VersionFactory(template__name="process-order", template__title="Process an order", graph=LOOP), parent_step=process, started_at=moment(0.6))
    StepRun.objects.bulk_create(
        [step(middle, "prepare", "task", at=0.6, took=0.2), step(middle, "repeat", "loop", status="waiting", at=1)]
        + [step(middle, "repeat", "loop", str(i), status="completed", at=1 + i * 2, took=1.8, output={"paid": False}) for i in range(2)]
    )
    third = step(middle, "repeat", "loop", "2", status="waiting", at=5, input={"workflow": "attempt-payment", "version": None, "input": {"try": 3}})
    third.save()
    earlier = [InstanceFactory(version=VersionFactory(template__name=f"attempt-payment-{i}", graph=PARENT), status="completed") for i in range(2)]
    for i, child in enumerate(earlier):
        child.parent_step = StepRun.objects.get(instance=middle, node_id="repeat", item_key=str(i))
        child.save()
    leaf = InstanceFactory(version=VersionFactory(template__name="attempt-payment", template__title="Attempt a payment", graph=chain(node("pay", "task", "Pay", 0, handler="demo.noop"))), parent_step=third, started_at=moment(5))
    StepRun.objects.bulk_create([step(leaf, "pay", "task", status="running", at=5.1)])
    return root, middle, leaf


@pytest.fixture
def open_page(sign_in, daphne):
    def make(instance, fragment: str = ""):
        page = sign_in(daphne.url, "olga", OPERATORS)
        page.goto(f"{daphne.url}/instances/{instance.pk}/{fragment}")
        wait_ready(page)
        return page

    yield make


def test_a_map_shows_its_progress_and_opens_its_items_page_by_page_down_to_one_items_attempts(open_page):
    page = open_page(map_instance())
    progress = page.get_by_test_id("node-fan").get_by_test_id("node-progress")
    expect(progress).to_have_text(re.compile(r"412 done · 3 failed · 10 running\s+of 1,000"))
    expect(progress).to_have_attribute("data-total", "1000")
    bar = progress.get_by_role("progressbar")
    expect(bar).to_have_attribute("aria-valuenow", "415")
    done_width = bar.locator(".seg-done").bounding_box()["width"]
    assert abs(done_width / bar.bounding_box()["width"] - 0.412) < 0.02
    expect(page.get_by_test_id("node-receive").get_by_test_id("node-progress")).to_have_count(0)
    screenshot(page, "instance-map-progress")

    page.get_by_test_id("node-fan").click()
    drawer = page.get_by_test_id("step-drawer")
    expect(drawer.get_by_test_id("drawer-progress")).to_contain_text("412 done · 3 failed · 10 running")
    expect(drawer.get_by_test_id("tab-items")).to_contain_text("1,000")
    rows = drawer.get_by_test_id("item-row")
    expect(rows).to_have_count(50)
    assert rows.evaluate_all("els => els.map(e => e.dataset.item)") == [str(i) for i in range(50)]  # in number order
    expect(drawer.get_by_test_id("items-shown")).to_have_text("50 of 1,000 shown")
    drawer.get_by_test_id("items-more").click()
    expect(rows).to_have_count(100)
    expect(rows.nth(99)).to_have_attribute("data-item", "99")

    # the status chips: each group's count from the instance's counts; the list from the API
    chips = drawer.get_by_test_id("item-filter")
    assert chips.evaluate_all("els => els.map(e => e.dataset.group + ' ' + e.textContent)") == [
        "all All 1,000", "done Done 412", "failed Failed 3", "running Running 10", "pending Pending 575",
    ]
    drawer.locator("[data-testid=item-filter][data-group=failed]").click()
    expect(rows).to_have_count(3)
    assert rows.evaluate_all("els => els.map(e => [e.dataset.item, e.dataset.status, e.children[2].textContent])") == [
        ["412", "failed", "2"], ["413", "failed", "2"], ["414", "failed", "2"],
    ]
    screenshot(page, "instance-map-items-failed")

    # one item: its attempts, each in full (the attempt view of any step)
    rows.first.click()
    view = drawer.get_by_test_id("item-view")
    expect(view).to_have_attribute("data-item", "412")
    expect(view.get_by_test_id("item-status")).to_have_text("Failed")
    expect(view.get_by_test_id("attempt-tab")).to_have_count(2)
    expect(view.get_by_test_id("step-error")).to_contain_text("CardDeclined: card of order 412 declined")
    expect(view.get_by_test_id("step-traceback")).to_be_attached()
    expect(view.get_by_test_id("items-back")).to_be_focused()
    view.locator("[data-testid=attempt-tab][data-attempt='1']").click()
    expect(view.locator("[data-testid=attempt-tab][data-attempt='1']")).to_have_attribute("aria-pressed", "true")
    screenshot(page, "instance-map-item-attempts")
    page.keyboard.press("Tab")  # off the Back button ...
    view.get_by_test_id("items-back").click()  # ... and back to the list, still filtered
    expect(rows).to_have_count(3)

    # keyboard: the rows are buttons, ↑ and ↓ move between them
    drawer.locator("[data-testid=item-filter][data-group=all]").click()
    expect(rows).to_have_count(50)
    rows.first.focus()
    page.keyboard.press("ArrowDown")
    expect(rows.nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    expect(view).to_have_attribute("data-item", "1")

    view.get_by_test_id("items-back").click()
    page.set_viewport_size({"width": 1280, "height": 720})
    expect(rows).to_have_count(50)
    screenshot(page, "instance-map-items-1280")

    drawer.get_by_test_id("tab-node-step").click()
    expect(drawer.get_by_test_id("step-input")).to_be_visible()  # the map's own step: what it was given
    assert not page.errors


def items_move_on(instance, ended: range) -> None:
    """As the engine would: these items complete, the next ones start; one event, its notice on commit."""
    with transaction.atomic():
        StepRun.objects.filter(instance=instance, node_id="fan", item_key__in=[str(i) for i in ended]).update(status="completed", started_at=moment(60), finished_at=moment(61))
        seq = Instance.objects.get(pk=instance.pk).last_seq + 1
        Instance.objects.filter(pk=instance.pk).update(last_seq=seq)
        Event.objects.create(instance=instance, seq=seq, type="step_completed", node_id="fan", item_key=str(ended[-1]), attempt=1, data={})
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(instance.pk)])


def test_a_running_maps_progress_and_open_items_list_follow_its_items_live(open_page):
    instance = map_instance()
    page = open_page(instance)
    expect(page.get_by_test_id("live-mode")).to_have_text("live")
    page.get_by_test_id("node-fan").click()
    drawer = page.get_by_test_id("step-drawer")
    drawer.locator("[data-testid=item-filter][data-group=running]").click()
    rows = drawer.get_by_test_id("item-row")
    expect(rows).to_have_count(10)

    items_move_on(instance, range(415, 425))  # the ten running items end
    progress = page.get_by_test_id("node-fan").get_by_test_id("node-progress")
    expect(progress).to_have_text(re.compile(r"422 done · 3 failed\s+of 1,000"))
    expect(drawer.get_by_test_id("drawer-progress")).to_contain_text("422 done · 3 failed")
    expect(drawer.get_by_test_id("items-empty")).to_have_text("No running items.")  # the list read again, no reload
    expect(drawer.locator("[data-testid=item-filter][data-group=running]")).to_contain_text("0")
    drawer.locator("[data-testid=item-filter][data-group=done]").click()
    expect(drawer.locator("[data-testid=item-filter][data-group=done]")).to_contain_text("422")
    assert page.evaluate("() => performance.getEntriesByType('navigation').length") == 1
    assert not page.errors


def test_the_timeline_of_a_big_map_draws_some_items_says_so_and_links_to_all_of_them(open_page):
    page = open_page(map_instance(), "#timeline")
    notice = page.get_by_test_id("timeline-truncated")
    expect(notice).to_contain_text(re.compile(r"Too many attempts to draw them all: 500 of 1,0\d\d"))
    label = page.locator(".fd-tl-label[data-node=fan]")
    expect(label.locator(".fd-tl-meta")).to_have_text(re.compile(r"^\d+ of 1,000 items$"))
    fan_bars = page.locator("[data-testid=timeline-bar][data-node=fan][data-item]")
    assert 100 < fan_bars.count() < 1000  # some of its items, packed in the lane's tracks
    lane = page.locator("[data-testid=timeline-lane][data-node=fan]").bounding_box()
    assert lane["height"] < 120
    screenshot(page, "instance-map-timeline")

    notice.get_by_test_id("timeline-all-items").click()
    drawer = page.get_by_test_id("step-drawer")
    expect(drawer.get_by_test_id("items-panel")).to_be_visible()
    expect(drawer.get_by_test_id("item-row")).to_have_count(50)
    # a bar of one item opens that item's attempt (from the keyboard: packed bars overlap)
    page.get_by_test_id("step-close").click()
    page.locator("[data-testid=timeline-bar][data-node=fan][data-item='10']").focus()
    page.keyboard.press("Enter")
    expect(drawer.get_by_test_id("item-view")).to_have_attribute("data-item", "10")
    expect(drawer.get_by_test_id("step-output")).to_contain_text('"charged": 10')
    assert not page.errors


def test_a_loop_names_its_iteration_and_each_iteration_links_to_the_instance_it_started(open_page):
    root, middle, leaf = family()
    page = open_page(middle)
    progress = page.get_by_test_id("node-repeat").get_by_test_id("node-progress")
    expect(progress).to_have_text(re.compile(r"iteration 3\s+of 5"))
    expect(progress.get_by_role("progressbar")).to_have_attribute("aria-valuemax", "5")
    screenshot(page, "instance-loop-iteration")

    page.get_by_test_id("node-repeat").click()
    drawer = page.get_by_test_id("step-drawer")
    rows = drawer.get_by_test_id("item-row")
    expect(rows).to_have_count(3)
    assert rows.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))") == ["Iteration 1: Completed", "Iteration 2: Completed", "Iteration 3: Waiting"]
    expect(drawer.get_by_test_id("item-child")).to_have_count(3)
    rows.nth(2).click()
    expect(drawer.get_by_test_id("item-view")).to_contain_text("Iteration 3")
    child = drawer.get_by_test_id("step-child")
    expect(child).to_have_attribute("href", f"/instances/{leaf.pk}/")
    screenshot(page, "instance-loop-iteration-drawer")
    child.click()
    page.wait_for_url(f"**/instances/{leaf.pk}/")
    wait_ready(page)
    expect(page.get_by_test_id("crumb-here")).to_contain_text("attempt-payment")
    assert not page.errors


def test_a_child_shows_the_path_back_to_its_root_and_the_step_that_started_it_links_down(open_page):
    root, middle, leaf = family()
    page = open_page(leaf)
    crumbs = page.get_by_test_id("breadcrumb")
    expect(crumbs).to_contain_text("Started by")
    assert crumbs.get_by_test_id("crumb").evaluate_all("els => els.map(e => e.textContent)") == [
        f"take-orders {str(root.pk)[:8]}›process›", f"process-order {str(middle.pk)[:8]}›repeat[2]›",
    ]
    expect(crumbs.get_by_test_id("crumb-here")).to_have_attribute("aria-current", "page")
    screenshot(page, "instance-child-breadcrumb")

    crumbs.get_by_role("link", name=re.compile("take-orders")).click()  # up to the root ...
    page.wait_for_url(f"**/instances/{root.pk}/")
    wait_ready(page)
    expect(page.get_by_test_id("breadcrumb")).to_have_count(0)  # (a root has no path above it)
    page.get_by_test_id("node-process").click()  # ... whose sub-workflow step links down to its child
    link = page.get_by_test_id("step-drawer").get_by_test_id("step-child")
    expect(link).to_have_attribute("href", f"/instances/{middle.pk}/")
    screenshot(page, "instance-subworkflow-child-link")
    link.click()
    page.wait_for_url(f"**/instances/{middle.pk}/")
    wait_ready(page)
    expect(page.get_by_test_id("breadcrumb").get_by_test_id("crumb")).to_have_count(1)
    assert not page.errors
