"""The instance page's step drawer: one attempt of a step in full, opened from the canvas or the
step list. Served by daphne with a real engine running the steps (with the test handlers of
``tests.support``), as in production."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.canvas import wait_ready
from tests.browser.conftest import screenshot
from tests.e2e.conftest import Engine, Web, wait_for
from tests.factories import VersionFactory
from workflows import authoring, engine
from workflows.models import StepRun
from workflows.roles import OPERATORS, REVIEWERS

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEMOS = Path(__file__).resolve().parents[2] / "workflows" / "demo" / "templates"


def graph(*nodes: tuple[str, str, dict]) -> dict:
    """A chain of steps, left to right."""
    return {
        "version": 1,
        "settings": {},
        "nodes": [{"id": n, "type": t, "label": n.title(), "position": {"x": 260 * i, "y": 0}, "config": c} for i, (n, t, c) in enumerate(nodes)],
        "edges": [{"id": f"e{i}", "source": a[0], "target": b[0]} for i, (a, b) in enumerate(zip(nodes, nodes[1:]))],
    }


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, tmp_path_factory):
    """daphne and an engine that knows the test handlers, for the whole module."""
    tmp = tmp_path_factory.mktemp("drawer")
    with django_db_blocker.unblock():
        call_command("collectstatic", "--noinput", verbosity=0)
        engine = Engine(tmp, FLOWDESK_APPS="tests.support", FLOWDESK_DATA_DIR=str(tmp)).start()
        web = Web(tmp).start()
    yield web
    web.stop()
    engine.stop()


@pytest.fixture
def open_as(sign_in, site):
    return lambda username, *groups: sign_in(site.url, username, *groups)


def open_instance(page, instance) -> None:
    page.goto(f"{page.base}/instances/{instance.pk}/")
    wait_ready(page)


def finished(name: str, input: dict | None = None):
    instance, _ = engine.start_instance(name, input=input or {})
    return wait_for(instance.pk, timeout=60)


# charge fails each of its three attempts, each with its own message
FAILING = graph(
    ("receive", "task", {"handler": "demo.noop"}),
    ("charge", "task", {"handler": "demo.flaky", "input": {"failures": 9}, "retry": {"max_attempts": 3, "initial_s": 0.1, "backoff": 1}}),
)


def test_a_failed_step_shows_each_attempts_error_and_the_operator_its_traceback(open_as, site):
    instance = finished(VersionFactory(graph=FAILING).template.name)
    assert instance.status == "failed"
    page = open_as("olga", OPERATORS)
    open_instance(page, instance)

    # opened from the step list with the keyboard: focus moves into the drawer, Esc brings it back
    row = page.locator("[data-testid=step-row][data-node=charge]")
    row.focus()
    page.keyboard.press("Enter")
    drawer = page.get_by_test_id("step-drawer")
    expect(drawer).to_be_focused()
    expect(drawer.get_by_test_id("step-details")).to_have_attribute("data-node", "charge")
    tabs = drawer.get_by_test_id("attempt-tab")
    expect(tabs).to_have_count(3)
    assert tabs.evaluate_all("els => els.map(e => e.textContent)") == ["#1 Failed", "#2 Failed", "#3 Failed"]
    # the latest attempt first, each attempt its own error
    expect(drawer.get_by_test_id("step-error")).to_have_text("TransientError: attempt 3 failed (fails 9 times)")
    for n in (1, 2):
        tabs.nth(n - 1).click()
        expect(tabs.nth(n - 1)).to_have_attribute("aria-pressed", "true")
        expect(drawer.get_by_test_id("step-error")).to_have_text(f"TransientError: attempt {n} failed (fails 9 times)")

    # the operator may read the traceback: folded, monospace, the handler's code in it
    traceback = drawer.get_by_test_id("step-traceback")
    expect(traceback.locator("pre")).to_be_hidden()
    traceback.locator("summary").click()
    expect(traceback.locator("pre")).to_contain_text("raise StepError")
    assert "monospace" in traceback.locator("pre").evaluate("e => getComputedStyle(e).fontFamily")
    expect(drawer.get_by_test_id("step-worker")).not_to_be_empty()
    expect(drawer).to_contain_text("Queued")
    expect(drawer.get_by_test_id("step-ran")).to_be_visible()
    expect(drawer.get_by_test_id("step-input")).to_contain_text('"failures": 9')
    for size in ((1440, 900), (1280, 720)):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        screenshot(page, f"instance-drawer-error-{size[0]}x{size[1]}")

    page.keyboard.press("Escape")
    expect(drawer).to_have_count(0)
    expect(row).to_be_focused()

    # opened from the canvas: the node's latest attempt again
    page.get_by_test_id("node-charge").click()
    expect(page.get_by_test_id("step-drawer").get_by_test_id("step-error")).to_contain_text("attempt 3 failed")
    page.get_by_test_id("step-close").click()
    expect(page.get_by_test_id("step-drawer")).to_have_count(0)
    assert not page.errors, page.errors


def test_someone_who_does_not_debug_runs_sees_the_error_but_not_the_traceback(open_as, site):
    instance = finished(VersionFactory(graph=FAILING).template.name)
    page = open_as("rita", REVIEWERS)
    open_instance(page, instance)
    page.get_by_test_id("node-charge").click()
    drawer = page.get_by_test_id("step-drawer")
    expect(drawer.get_by_test_id("step-error")).to_have_text("TransientError: attempt 3 failed (fails 9 times)")
    expect(drawer.get_by_test_id("traceback-hidden")).to_have_text("The traceback is shown to operators and staff.")
    expect(drawer.get_by_test_id("step-traceback")).to_have_count(0)
    assert "raise StepError" not in page.content()


def test_a_large_output_is_folded_with_its_size_and_downloads_whole(open_as, site, tmp_path):
    template = VersionFactory(graph=graph(("big", "task", {"handler": "support.big_output", "input": {"kb": 300}}))).template
    instance = finished(template.name)
    assert instance.status == "completed", instance.error
    stored = StepRun.objects.get(instance=instance, node_id="big").output
    page = open_as("olga", OPERATORS)
    open_instance(page, instance)
    page.get_by_test_id("node-big").click()

    output = page.get_by_test_id("step-drawer").get_by_test_id("step-output")
    size = len(json.dumps(stored, separators=(",", ":")))
    expect(output.get_by_test_id("value-size")).to_have_text(f"· {round(size / 1024)} KB")
    expect(output.get_by_test_id("value-folded")).to_be_visible()
    expect(output.locator("pre")).to_have_count(0)
    with page.expect_download() as download:
        output.get_by_test_id("value-download").click()
    assert download.value.suggested_filename == f"{instance.pk}-big-attempt-1-output.json"
    saved = tmp_path / "output.json"
    download.value.save_as(saved)
    assert json.loads(saved.read_text()) == stored

    output.get_by_role("button", name="Show it").click()
    expect(output.locator("pre")).to_contain_text('"row 00004799')


def test_the_demo_images_are_drawn_as_images_not_base64_text(open_as, site):
    version, _ = authoring.load_template(json.loads((DEMOS / "image_generation.json").read_text()))
    instance = finished(version.template.name, {"prompt": "a lighthouse at dawn", "backend": "remote", "size": 64})
    assert instance.status == "completed", instance.error
    base64 = StepRun.objects.get(instance=instance, node_id="remote", status="completed").output["png_base64"]
    page = open_as("olga", OPERATORS)
    open_instance(page, instance)
    page.get_by_test_id("node-remote").click()

    drawer = page.get_by_test_id("step-drawer")
    # the busy backend's first attempt, then the image
    expect(drawer.get_by_test_id("attempt-tab")).to_have_count(2)
    output = drawer.get_by_test_id("step-output")
    image = output.get_by_test_id("value-image")
    expect(image).to_have_count(1)
    image.evaluate("img => img.decode()")
    assert image.evaluate("img => img.naturalWidth") == 64
    expect(output.locator("pre")).to_contain_text('"png_base64": "‹image 1: PNG')
    assert base64[:40] not in output.inner_text()
    for size in ((1440, 900), (1280, 720)):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        screenshot(page, f"instance-drawer-image-{size[0]}x{size[1]}")

    # the earlier attempt: the backend's error, no output
    drawer.get_by_test_id("attempt-tab").first.click()
    expect(drawer.get_by_test_id("step-error")).to_contain_text("BackendUnavailable")
    expect(drawer.get_by_test_id("step-output")).to_have_count(0)

    # the step that saved it shows the image it was given
    page.locator("[data-testid=step-row][data-node=save]").click()
    expect(drawer.get_by_test_id("step-input").get_by_test_id("value-image")).to_have_count(1)
    assert not page.errors, page.errors


def test_a_data_url_image_opens_full_size(open_as, site):
    template = VersionFactory(graph=graph(("draw", "task", {"handler": "support.picture", "input": {"size": 128}}))).template
    instance = finished(template.name)
    assert instance.status == "completed", instance.error
    page = open_as("olga", OPERATORS)
    open_instance(page, instance)
    page.get_by_test_id("node-draw").click()
    output = page.get_by_test_id("step-drawer").get_by_test_id("step-output")
    expect(output.locator("pre")).to_contain_text('"caption": "a test card"')
    expect(output.locator("pre")).to_contain_text('"image": "‹image 1: PNG')
    output.get_by_test_id("value-image").click()
    full = page.get_by_test_id("image-full")
    expect(full).to_be_visible()
    full.evaluate("img => img.decode()")
    assert full.evaluate("img => img.naturalWidth") == 128
    expect(page.get_by_test_id("image-dialog")).to_contain_text("128 × 128 px")
    screenshot(page, "instance-drawer-image-full")
    # Esc closes the image, then the drawer
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("image-dialog")).to_have_count(0)
    expect(page.get_by_test_id("step-drawer")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("step-drawer")).to_have_count(0)


def test_a_running_steps_elapsed_time_counts_up_live_and_stops_when_it_finishes(open_as, site, tmp_path):
    release = tmp_path / "release"
    template = VersionFactory(graph=graph(("work", "task", {"handler": "support.hold", "input": {"release": str(release)}}))).template
    instance, _ = engine.start_instance(template.name)
    page = open_as("olga", OPERATORS)
    open_instance(page, instance)
    expect(page.get_by_test_id("node-work")).to_have_attribute("data-status", "running", timeout=20_000)
    page.get_by_test_id("node-work").click()

    elapsed = page.get_by_test_id("step-drawer").get_by_test_id("step-elapsed")
    expect(elapsed).to_be_visible()
    first = int(elapsed.get_attribute("data-ms"))
    page.wait_for_function(f"() => +document.querySelector('[data-testid=step-elapsed]').dataset.ms > {first}")
    assert page.get_by_test_id("step-drawer").get_by_text("Running for").is_visible()
    screenshot(page, "instance-drawer-running")

    release.touch()
    ran = page.get_by_test_id("step-drawer").get_by_test_id("step-ran")
    expect(ran).to_be_visible(timeout=20_000)
    expect(elapsed).to_have_count(0)
    expect(page.get_by_test_id("step-drawer").get_by_test_id("step-output")).to_contain_text('"released": true')
    assert page.evaluate("() => performance.getEntriesByType('navigation').length") == 1  # never reloaded
    assert not page.errors, page.errors
