"""The demo scenarios run to completion on a real engine (django-q2 cluster over Redis, PostgreSQL),
loaded as ``demo_setup`` loads them, with their own example input (what the Run dialog prefills)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Engine, wait_for
from workflows import authoring, engine
from workflows.demo.management.commands.demo_setup import demo_templates
from workflows.models import Instance, StepRun

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEMOS = {data["name"]: data for data in demo_templates()}


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker, tmp_path_factory):
    """An engine whose demo media (images, saved learning paths) land in a temporary folder."""
    tmp = tmp_path_factory.mktemp("demos")
    with django_db_blocker.unblock():
        eng = Engine(tmp, FLOWDESK_DATA_DIR=str(tmp), FLOWDESK_WORKERS="4").start()
    yield eng
    eng.stop()


@pytest.fixture
def run(cluster):
    for data in DEMOS.values():
        authoring.load_template(data, change_note="demo template")

    def start(name: str, input: dict | None = None, timeout: float = 90) -> Instance:
        instance, _ = engine.start_instance(name, input=DEMOS[name]["example_input"] if input is None else input)
        return wait_for(instance.pk, cluster=cluster, timeout=timeout)

    return start


def children_of(instance: Instance) -> list[tuple[str, str, str]]:
    """(item, template, status) of each child, in item order."""
    rows = Instance.objects.filter(parent_step__instance=instance).values_list("parent_step__item_key", "template__name", "status")
    return sorted(rows, key=lambda row: int(row[0]))


def test_the_audit_cycle_tests_the_sample_per_owner_and_reports_after_every_observation(run):
    done = run("audit-test-cycle")
    assert done.status == "completed", done.error
    out = done.output
    assert out["sample"] == ["PAY-1002", "PAY-1005", "PAY-1008", "PAY-1011", "PAY-1014", "PAY-1017", "PAY-1020", "PAY-1023"]
    assert out["requests"] == [
        {"owner": "Accounts payable", "due_date": "2026-04-10", "documents": 2},
        {"owner": "Payroll", "due_date": "2026-04-10", "documents": 2},
        {"owner": "Procurement", "due_date": "2026-04-10", "documents": 2},
        {"owner": "Treasury", "due_date": "2026-04-10", "documents": 2},
    ]
    report = out["report"]
    assert (report["tested"], report["passed"], report["exceptions"], report["requests"]) == (8, 4, 4, 4)
    assert report["by_severity"] == {"high": 2, "medium": 1, "low": 1} and report["conclusion"] == "not effective"
    assert {(a["id"], a["severity"], a["due"]) for a in report["actions"]} == {
        ("PAY-1005", "high", "2026-04-14"), ("PAY-1011", "high", "2026-04-14"),
        ("PAY-1017", "medium", "2026-04-30"), ("PAY-1023", "low", "2026-05-30"),
    }  # fmt: skip
    items = StepRun.objects.filter(instance=done).exclude(item_key="")
    assert [items.filter(node_id=node).count() for node in ("requests", "tests", "observations")] == [4, 8, 8]
    kids = children_of(done)
    assert [(t, s) for _, t, s in kids] == [("audit-observation", "completed")] * 8
    tested = [r["id"] for r in StepRun.objects.get(instance=done, node_id="tests", item_key="").output["results"]]
    observed = [Instance.objects.get(parent_step__instance=done, parent_step__item_key=i).output["id"] for i, _, _ in kids]
    assert observed == tested  # one observation per test execution, in the same order
    report_step = StepRun.objects.get(instance=done, node_id="report")
    assert report_step.started_at >= max(Instance.objects.filter(parent_step__instance=done).values_list("finished_at", flat=True))


def test_the_learning_path_retries_the_busy_generator_and_saves_a_weekly_plan(run, cluster):
    done = run("learning-path")
    assert done.status == "completed", done.error
    out = done.output
    assert (out["level"], out["score"], out["weeks"]) == ("intermediate", 0.636, 4)
    assert out["modules"] == [
        "Review: SQL", "Review: statistics", "Data analysis in practice", "Patterns and idioms of data analysis",
        "Hands-on: a data analysis case study", "Testing and reviewing data analysis work",
    ]  # fmt: skip
    generate = StepRun.objects.filter(instance=done, node_id="generate").order_by("attempt")
    assert [(s.attempt, s.status, s.error_type) for s in generate] == [(1, "failed", "GeneratorBusy"), (2, "completed", "")]
    resources = StepRun.objects.get(instance=done, node_id="resources", item_key="").output
    assert [r["module"] for r in resources["results"]] == ["m1", "m2", "m3", "m4", "m5", "m6"]
    saved = json.loads(Path(out["record"]["path"]).read_text())
    assert saved["id"] == out["record"]["id"] and saved["schedule"]["ends"] == "2026-10-04"
    assert [w["hours"] for w in saved["schedule"]["weeks"]] == [6, 6, 6, 6]
    assert "Subject: Your data analysis learning path is ready" in cluster.output()


def test_the_media_pipeline_routes_each_item_to_the_child_for_its_type_in_item_order(run):
    done = run("media-pipeline")
    assert done.status == "completed", done.error
    out = done.output
    assert out["kinds"] == ["image", "video", "document", "image"]
    assert out["by_kind"] == {"image": 2, "video": 1, "document": 1}
    assert [(t, s) for _, t, s in children_of(done)] == [
        ("image-processing", "completed"), ("video-processing", "completed"), ("document-processing", "completed"), ("image-processing", "completed"),
    ]  # fmt: skip
    image, video, document, portrait = out["results"]
    assert image["thumbnail"] == {"width": 256, "height": 192} and portrait["thumbnail"] == {"width": 205, "height": 256}
    assert (video["duration"], video["frames"]) == ("0:12:34", 22620)
    assert (document["title"], document["words"], document["sentences"], document["key_words"][0]) == ("Quarterly report", 18, 3, "grew")


def test_an_item_of_a_type_with_no_workflow_fails_the_pipeline_naming_the_allowed_ones(run):
    done = run("media-pipeline", {"items": [{"type": "image", "name": "a.png", "width": 10, "height": 10}, {"type": "audio", "name": "b.mp3"}]})
    assert done.status == "failed"
    assert "audio-processing" in done.error["message"] and "image-processing, video-processing, document-processing" in done.error["message"]
    assert not Instance.objects.filter(parent_step__instance=done).exists()  # nothing started


def test_a_batch_gathers_images_in_prompt_order_with_a_refused_prompts_slot_empty(run):
    done = run("batch-image-generation")
    assert done.status == "completed", done.error
    out = done.output
    images = out["images"]
    assert [image is None for image in images] == [False, False, True, False], out["failed"]
    assert all(Path(path).read_bytes().startswith(b"\x89PNG") for path in images if path)
    assert len(set(filter(None, images))) == 3  # one file per child workflow
    assert out["completed"] == 3
    [failed] = out["failed"]
    assert (failed["index"], failed["prompt"], failed["error"]) == (2, "a weapon on a table", "ContentRejected")
    assert "blocked words: weapon" in failed["message"]
    assert [(t, s) for _, t, s in children_of(done)] == [("image-generation", s) for s in ("completed", "completed", "failed", "completed")]
