"""The audit, learning-path and media handlers do their small real work right (plain calls: they
are pure Python, apart from the file the learning path saves)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflows.core.errors import StepError, ValidationError
from workflows.core.steps.base import StepContext
from workflows.demo import audit, learning, media
from workflows.demo.management.commands.demo_setup import demo_templates

EXAMPLES = {data["name"]: data["example_input"] for data in demo_templates()}
POPULATION = EXAMPLES["audit-test-cycle"]["population"]


def ctx(attempt: int = 1) -> StepContext:
    return StepContext(instance_id="6f1c0d2e-0000-4000-8000-000000000001", node_id="n", attempt=attempt, idempotency_key="k")


def test_an_interval_sample_takes_every_kth_record_from_the_seeds_offset():
    out = audit.select_sample({"population": POPULATION, "method": "interval", "size": 8, "seed": 1}, ctx())
    assert out["interval"] == 3 and out["positions"] == [1, 4, 7, 10, 13, 16, 19, 22]
    assert [r["id"] for r in out["records"]] == [POPULATION[i]["id"] for i in (1, 4, 7, 10, 13, 16, 19, 22)]


def test_a_random_sample_is_the_same_for_the_same_seed_and_keeps_population_order():
    def pick(seed: int) -> list[int]:
        return audit.select_sample({"population": POPULATION, "method": "random", "size": 6, "seed": seed}, ctx())["positions"]

    assert pick(7) == pick(7) == sorted(pick(7)) and len(set(pick(7))) == 6
    assert pick(7) != pick(8)


def test_a_sample_larger_than_the_population_takes_it_all_and_bad_records_are_refused():
    assert audit.select_sample({"population": POPULATION[:3], "size": 10}, ctx())["sample_size"] == 3
    with pytest.raises(ValidationError, match=r"population\[1\] needs an id and an owner"):
        audit.select_sample({"population": [{"id": "a", "owner": "x"}, {"id": "b"}]}, ctx())


def test_owners_group_the_sample_and_each_request_asks_for_evidence_by_a_due_date():
    records = [{"id": "1", "owner": "Payroll"}, {"id": "2", "owner": "Finance"}, {"id": "3", "owner": "Payroll"}]
    owners = audit.identify_owners({"records": records}, ctx())["owners"]
    assert [(o["owner"], [r["id"] for r in o["records"]]) for o in owners] == [("Finance", ["2"]), ("Payroll", ["1", "3"])]
    request = audit.request_information({**owners[1], "as_of": "2026-03-31", "response_days": 10}, ctx())
    assert request["due_date"] == "2026-04-10"
    assert [a["record"] for a in request["documents_requested"]] == ["1", "3"]
    assert "invoice" in request["documents_requested"][0]["evidence"] and "by 2026-04-10" in request["letter"]


def test_a_document_fails_each_rule_it_breaks_and_a_clean_one_passes():
    clean = {"id": "P1", "owner": "AP", "amount": 500, "requested_by": "Ana", "approved_by": "Ben", "approved_on": "2026-02-01", "paid_on": "2026-02-03", "invoice_no": "I-1"}
    assert audit.test_document({"document": clean}, ctx()) == {"id": "P1", "owner": "AP", "result": "pass", "findings": []}
    bad = {**clean, "amount": 20000, "approved_by": "Ana", "paid_on": "2026-01-30", "invoice_no": ""}
    out = audit.test_document({"document": bad, "approval_limit": 10000}, ctx())
    assert out["result"] == "fail"
    assert [f["rule"] for f in out["findings"]] == ["segregation_of_duties", "within_limit", "approval_before_payment", "invoice_attached"]
    assert audit.test_document({"document": {**clean, "amount": 20000, "second_approver": "Chloe"}}, ctx())["result"] == "pass"


def test_an_observation_is_graded_by_its_worst_finding_and_closed_with_an_action_due_by_severity():
    test = {"id": "P1", "owner": "AP", "findings": [{"rule": "invoice_attached", "severity": "low"}, {"rule": "approval_before_payment", "severity": "medium"}]}
    graded = audit.grade_observation({"test": test}, ctx())
    assert graded["severity"] == "medium" and graded["findings"] == 2
    closed = audit.close_observation({"observation": graded, "as_of": "2026-03-31"}, ctx())
    assert (closed["status"], closed["action_due"]) == ("closed", "2026-04-30")
    clean = audit.close_observation({"observation": audit.grade_observation({"test": {"id": "P2", "findings": []}}, ctx())}, ctx())
    assert (clean["severity"], clean["resolution"], clean["action_due"]) == ("none", "no exception", None)


def test_the_report_refuses_an_open_observation_and_concludes_from_the_worst_exception():
    closed = [{"id": "1", "owner": "AP", "severity": "none", "status": "closed", "action_due": None}, {"id": "2", "owner": "AP", "severity": "low", "status": "closed", "action_due": "2026-05-30"}]
    report = audit.finalise_report({"observations": closed}, ctx())
    assert (report["tested"], report["exceptions"], report["conclusion"]) == (2, 1, "effective with exceptions")
    assert report["by_owner"] == {"AP": 1} and report["actions"] == [{"id": "2", "owner": "AP", "severity": "low", "due": "2026-05-30"}]
    with pytest.raises(ValidationError, match="closed"):
        audit.finalise_report({"observations": [*closed, {"id": "3", "severity": "high", "status": "open"}]}, ctx())


def test_the_quiz_is_weighted_by_difficulty_and_names_the_weak_skills():
    out = learning.assess_skill_level(EXAMPLES["learning-path"], ctx())
    assert (out["score"], out["level"]) == (0.636, "intermediate")  # 7 of 11 points
    assert out["weak_skills"] == ["SQL", "statistics"] and out["strong_skills"] == ["charts", "spreadsheets"]
    assert learning.assess_skill_level({"answers": [{"skill": "x", "given": "a", "expected": "b"}]}, ctx())["level"] == "beginner"


def test_the_module_generator_is_busy_on_its_first_attempt_then_reviews_weak_skills_first():
    request = {"topic": "data analysis", "level": "intermediate", "weak_skills": ["SQL"]}
    with pytest.raises(StepError) as busy:
        learning.generate_modules(request, ctx(attempt=1))
    assert busy.value.retryable and busy.value.type == "GeneratorBusy"
    out = learning.generate_modules(request, ctx(attempt=2))
    assert [m["title"] for m in out["modules"]][:2] == ["Review: SQL", "Data analysis in practice"]
    assert [m["id"] for m in out["modules"]] == ["m1", "m2", "m3", "m4", "m5"] and out["total_hours"] == 2 + 4 * 5


def test_a_schedule_fills_each_week_in_module_order_and_splits_a_long_module():
    modules = [{"id": "m1", "title": "A", "hours": 2}, {"id": "m2", "title": "B", "hours": 5}, {"id": "m3", "title": "C", "hours": 3}]
    resources = [learning.fetch_resources({"module": m}, ctx()) for m in modules]
    assert [r["kind"] for r in resources[1]["resources"]] == ["reading", "video", "exercise"]
    assert sum(r["minutes"] for r in resources[1]["resources"]) == 300
    out = learning.build_schedule({"modules": modules, "resources": resources, "start_date": "2026-09-07", "hours_per_week": 4}, ctx())
    assert [[(s["module"], s["hours"]) for s in w["sessions"]] for w in out["weeks"]] == [[("m1", 2), ("m2", 2)], [("m2", 3), ("m3", 1)], [("m3", 2)]]
    assert [w["starts"] for w in out["weeks"]] == ["2026-09-07", "2026-09-14", "2026-09-21"]
    assert out["ends"] == "2026-09-27" and out["total_hours"] == 10
    assert out["weeks"][0]["sessions"][0]["resources"] == [r["ref"] for r in resources[0]["resources"]]


def test_saving_a_learning_path_writes_its_file_and_returns_its_record(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    record = learning.save_learning_path({"learner": "Maya", "topic": "SQL", "level": "beginner", "schedule": {"weeks": [{}, {}], "ends": "2026-09-20"}}, ctx())
    assert record["id"] == "LP-6F1C0D2E" and record["weeks"] == 2
    assert json.loads(Path(record["path"]).read_text())["learner"] == "Maya"


def test_each_media_kind_gets_its_own_small_transformation():
    image = media.image_thumbnail({"name": "a.jpg", "width": 4000, "height": 3000}, ctx())
    assert (image["thumbnail"], image["aspect_ratio"], image["orientation"]) == ({"width": 256, "height": 192}, "4:3", "landscape")
    assert media.image_thumbnail({"name": "s.png", "width": 100, "height": 100}, ctx())["thumbnail"] == {"width": 100, "height": 100}  # never enlarged
    video = media.video_summary({"name": "v.mp4", "duration_s": 754, "fps": 30}, ctx())
    assert (video["duration"], video["frames"], [c["at"] for c in video["chapters"]]) == ("0:12:34", 22620, ["0:00", "5:00", "10:00"])
    doc = media.document_stats({"name": "r.txt", "text": "Quarterly report\nSales grew. Sales fell! Costs grew?"}, ctx())
    assert (doc["title"], doc["words"], doc["sentences"], doc["reading_minutes"]) == ("Quarterly report", 8, 3, 1)
    assert doc["key_words"][:2] == ["grew", "sales"]
    with pytest.raises(ValidationError, match="width must be a positive whole number"):
        media.image_thumbnail({"name": "x", "width": 0, "height": 5}, ctx())
