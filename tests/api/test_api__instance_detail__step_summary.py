"""GET /api/v1/instances/{id}/: every attempt inline up to ``DETAIL_STEPS``; past it the latest
attempt of each (node, item), at most ``DETAIL_STEPS``, spread over the nodes, with
``steps_truncated``; ``step_counts`` per node is whole either way."""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from tests.api.test_api__instance_steps import add_steps
from tests.factories import InstanceFactory
from workflows import step_summary
from workflows.models import StepRun

pytestmark = pytest.mark.django_db


def detail(client, instance) -> dict:
    response = client.get(f"/api/v1/instances/{instance.pk}/")
    assert response.status_code == 200
    return response.json()


def test_an_ordinary_instance_inlines_every_attempt_in_the_order_made_with_counts_per_node(operator):
    instance = InstanceFactory()
    add_steps(instance, [("charge", "", 3, "completed"), ("notify", "", 1, "running"), ("audit", "", 2, "failed")])
    body = detail(operator, instance)
    assert body["steps_truncated"] is False
    assert [s["id"] for s in body["steps"]] == list(StepRun.objects.filter(instance=instance).order_by("id").values_list("id", flat=True))
    assert body["step_counts"] == [
        {"node": "audit", "attempts": 2, "items": 1, "by_status": {"failed": 1}},
        {"node": "charge", "attempts": 3, "items": 1, "by_status": {"completed": 1}},
        {"node": "notify", "attempts": 1, "items": 1, "by_status": {"running": 1}},
    ]


def test_at_the_bound_every_attempt_is_inlined_and_one_more_leaves_the_older_attempts_out(operator):
    instance = InstanceFactory()
    add_steps(instance, [("fan", f"{i:03}", 1, "completed") for i in range(step_summary.DETAIL_STEPS - 2)] + [("retried", "", 2, "completed")])
    body = detail(operator, instance)
    assert len(body["steps"]) == step_summary.DETAIL_STEPS and body["steps_truncated"] is False
    add_steps(instance, [("late", "", 1, "running")])
    body = detail(operator, instance)
    assert body["steps_truncated"] is True
    shown = {(s["node"], s["item_key"]): s["attempt"] for s in body["steps"]}
    assert len(shown) == len(body["steps"]) == step_summary.DETAIL_STEPS  # one per (node, item) ...
    assert shown[("retried", "")] == 2  # ... its latest attempt
    assert [s["id"] for s in body["steps"]] == sorted(s["id"] for s in body["steps"])


@pytest.mark.parametrize("one_query", [True, False], ids=["postgresql union", "a query per node (sqlite)"])
def test_a_huge_fan_out_does_not_crowd_the_other_nodes_out_and_the_counts_stay_whole(operator, monkeypatch, one_query):
    monkeypatch.setattr(step_summary, "DETAIL_STEPS", 20)
    monkeypatch.setattr(connection.features, "supports_slicing_ordering_in_compound", one_query)
    instance = InstanceFactory()
    add_steps(instance, [("a", "", 1, "completed"), ("fan", "", 1, "running"), ("zeta", "", 2, "scheduled")])
    add_steps(instance, [("fan", f"{i:04}", 1 + (i % 7 == 0), "failed" if i % 10 == 3 else "completed") for i in range(1000)])
    add_steps(instance, [("fan", f"{i:04}", 1, "running") for i in range(1000, 1040)])
    body = detail(operator, instance)
    assert body["steps_truncated"] is True and len(body["steps"]) == 20
    shown = [(s["node"], s["item_key"]) for s in body["steps"]]
    assert {("a", ""), ("fan", ""), ("zeta", "")} <= set(shown)  # every node's own step
    assert sorted(k for n, k in shown if n == "fan" and k) == [f"{i:04}" for i in range(17)]  # then the first items
    assert [s["attempt"] for s in body["steps"] if s["node"] == "zeta"] == [2]
    counts = {c["node"]: c for c in body["step_counts"]}
    # the map's items alone: its own step (item "", running) is not one of them
    assert counts["fan"] == {"node": "fan", "attempts": 1 + 1000 + 143 + 40, "items": 1040, "by_status": {"completed": 900, "failed": 100, "running": 40}}
    assert counts["zeta"] == {"node": "zeta", "attempts": 2, "items": 1, "by_status": {"scheduled": 1}}
    assert sum(c["attempts"] for c in body["step_counts"]) == StepRun.objects.filter(instance=instance).count()


def test_an_instance_without_steps_has_none_and_no_counts(operator):
    body = detail(operator, InstanceFactory(status="pending"))
    assert body["steps"] == [] and body["step_counts"] == [] and body["steps_truncated"] is False


def test_the_detail_reads_its_steps_in_a_bounded_number_of_queries(operator, django_assert_max_num_queries, monkeypatch):
    monkeypatch.setattr(step_summary, "DETAIL_STEPS", 50)
    instance = InstanceFactory()
    add_steps(instance, [("fan", f"{i:03}", 2, "completed") for i in range(300)])
    with django_assert_max_num_queries(12):
        body = detail(operator, instance)
    assert len(body["steps"]) == 50 and body["steps_truncated"] is True


@given(sizes=st.dictionaries(st.text("abcdef", min_size=1, max_size=3), st.integers(1, 2000), max_size=12), total=st.integers(0, 600))
def test_fair_shares_fill_the_total_keep_small_nodes_whole_and_cut_the_rest_evenly(sizes, total):
    shares = step_summary.fair_shares(sizes, total)
    assert set(shares) == set(sizes)
    assert sum(shares.values()) == min(total, sum(sizes.values()))
    assert all(0 <= shares[n] <= sizes[n] for n in sizes)
    for cut in (n for n in sizes if shares[n] < sizes[n]):
        assert all(shares[other] <= shares[cut] + 1 for other in sizes)
