"""The handlers the whole audit test cycle adds or extends: profiling before scoping, closing an
observation as its reviewer decided, and the report repeating the plan (plain calls)."""

from __future__ import annotations

import pytest

from workflows.core.errors import ValidationError
from workflows.core.steps.base import StepContext
from workflows.demo import audit
from workflows.demo.management.commands.demo_setup import demo_templates

POPULATION = next(d for d in demo_templates() if d["name"] == "audit-test-cycle-whole")["example_input"]["population"]
HIGH = {"id": "P1", "owner": "owner1", "severity": "high", "findings": 1, "rules": ["approved"]}


def ctx() -> StepContext:
    return StepContext(instance_id="6f1c0d2e-0000-4000-8000-000000000002", node_id="n", attempt=1, idempotency_key="k")


def test_profiling_keeps_the_payments_paid_within_the_period_and_counts_owners_and_gaps():
    out = audit.profile_data({"population": POPULATION, "period_start": "2026-02-06", "period_end": "2026-02-27"}, ctx())
    assert out["population_size"] == 24 and out["in_period"] == 22
    assert out["out_of_period"] == ["PAY-1001", "PAY-1024"]  # paid on 2026-02-05 and 2026-02-28
    assert [r["id"] for r in out["records"]] == [r["id"] for r in POPULATION[1:23]]
    assert out["owners"] == {"owner1": 11, "owner2": 6, "owner3": 5}
    assert out["missing"]["invoice_no"] == 1 and out["missing"]["approved_by"] == 0 and out["duplicates"] == []
    assert out["largest_amount"] == 15410 and out["period"] == {"start": "2026-02-06", "end": "2026-02-27"}
    everything = audit.profile_data({"population": POPULATION, "period_start": None, "period_end": ""}, ctx())
    assert everything["in_period"] == 24 and everything["period"] == {"start": None, "end": None}


def test_profiling_refuses_a_backwards_period_an_empty_one_and_bad_dates():
    with pytest.raises(ValidationError, match="after its end"):
        audit.profile_data({"population": POPULATION, "period_start": "2026-03-01", "period_end": "2026-02-01"}, ctx())
    with pytest.raises(ValidationError, match="no record was paid within"):
        audit.profile_data({"population": POPULATION, "period_start": "2026-05-01"}, ctx())
    with pytest.raises(ValidationError, match="period_end must be a date"):
        audit.profile_data({"population": POPULATION, "period_end": "end of Feb"}, ctx())
    dup = audit.profile_data({"population": [{"id": "a", "owner": "x"}, {"id": "a", "owner": "y"}]}, ctx())
    assert dup["duplicates"] == ["a"] and dup["in_period"] == 2  # no payment date: kept, and counted missing
    assert dup["missing"]["paid_on"] == 2


def test_an_approved_review_closes_at_the_reviewers_severity_action_and_due_date():
    review = {"decision": "approved", "by": "reviewer1", "data": {"severity": "medium", "resolution": "Second approval added to the workflow", "action_due": "2026-05-15"}}
    closed = audit.close_observation({"observation": HIGH, "review": review, "as_of": "2026-03-31"}, ctx())
    assert (closed["status"], closed["severity"], closed["proposed_severity"], closed["reviewed_by"]) == ("closed", "medium", "high", "reviewer1")
    assert (closed["resolution"], closed["action_due"]) == ("Second approval added to the workflow", "2026-05-15")
    blank = audit.close_observation({"observation": HIGH, "review": {"decision": "approved", "by": "r", "data": {}}, "as_of": "2026-03-31"}, ctx())
    assert (blank["severity"], blank["resolution"], blank["action_due"]) == ("high", "action agreed with the owner", "2026-04-14")


def test_a_rejected_review_dismisses_the_observation_and_changes_cannot_close_it():
    closed = audit.close_observation({"observation": HIGH, "review": {"decision": "rejected", "by": "reviewer2", "comment": "approved on paper"}}, ctx())
    assert (closed["severity"], closed["action_due"], closed["resolution"]) == ("none", None, "dismissed by the reviewer: approved on paper")
    with pytest.raises(ValidationError, match="only an approved or a rejected"):
        audit.close_observation({"observation": HIGH, "review": {"decision": "changes", "comment": "more"}}, ctx())
    with pytest.raises(ValidationError, match="unknown severity"):
        audit.close_observation({"observation": HIGH, "review": {"decision": "approved", "data": {"severity": "urgent"}}}, ctx())


def test_the_report_repeats_the_scope_it_was_given():
    closed = [{"id": "1", "owner": "o", "severity": "none", "status": "closed", "action_due": None}]
    scope = {"objective": "Payments are approved", "materiality": 5000}
    assert audit.finalise_report({"observations": closed, "scope": scope}, ctx())["scope"] == scope
    assert "scope" not in audit.finalise_report({"observations": closed}, ctx())
