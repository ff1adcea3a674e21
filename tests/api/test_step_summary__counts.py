"""``step_summary.step_counts``: per node, every attempt, and how each item's latest attempt stands;
for a node that runs per item (a map's items, a loop's iterations) the items alone, not the node's
own step, so that the page can say "412 done · 3 failed · 10 running of 1,000"."""

from __future__ import annotations

import pytest

from tests.api.test_api__instance_steps import add_steps
from tests.factories import InstanceFactory
from workflows.step_summary import step_counts

pytestmark = pytest.mark.django_db


def by_node(instance) -> dict[str, dict]:
    return {c.pop("node"): c for c in step_counts(instance)}


def test_a_maps_items_are_counted_without_its_own_waiting_step():
    instance = InstanceFactory()
    add_steps(instance, [("fan", "", 1, "waiting")])
    add_steps(instance, [("fan", str(i), 1, "completed") for i in range(412)])
    add_steps(instance, [("fan", str(i), 2, "failed") for i in range(412, 415)])  # retried, then failed
    add_steps(instance, [("fan", str(i), 1, "running") for i in range(415, 425)])
    add_steps(instance, [("fan", str(i), 1, "pending") for i in range(425, 1000)])
    fan = by_node(instance)["fan"]
    assert fan["items"] == 1000
    assert fan["by_status"] == {"completed": 412, "failed": 3, "running": 10, "pending": 575}
    assert fan["attempts"] == 1 + 1000 + 3
    assert fan["steps"] == 1001  # what the detail shares out: its own step too


def test_a_retried_item_counts_once_as_its_latest_attempt_stands():
    instance = InstanceFactory()
    add_steps(instance, [("fan", "", 1, "waiting"), ("fan", "0", 3, "completed"), ("fan", "1", 2, "running")])
    fan = by_node(instance)["fan"]
    assert fan["items"] == 2 and fan["by_status"] == {"completed": 1, "running": 1} and fan["attempts"] == 6


def test_a_loops_iterations_are_its_items_so_their_number_is_the_iteration_reached():
    instance = InstanceFactory()
    add_steps(instance, [("repeat", "", 1, "waiting"), ("repeat", "0", 1, "completed"), ("repeat", "1", 1, "completed"), ("repeat", "2", 1, "waiting")])
    assert by_node(instance)["repeat"] == {"attempts": 4, "items": 3, "by_status": {"completed": 2, "waiting": 1}, "steps": 4}


def test_a_node_without_items_counts_its_one_step_as_its_latest_attempt_stands():
    instance = InstanceFactory()
    add_steps(instance, [("charge", "", 3, "completed"), ("child", "", 1, "waiting")])
    counts = by_node(instance)
    assert counts["charge"] == {"attempts": 3, "items": 1, "by_status": {"completed": 1}, "steps": 1}
    assert counts["child"] == {"attempts": 1, "items": 1, "by_status": {"waiting": 1}, "steps": 1}


def test_another_instances_steps_never_count():
    instance, other = InstanceFactory(), InstanceFactory()
    add_steps(other, [("fan", "", 1, "waiting"), ("fan", "0", 1, "failed")])
    assert step_counts(instance) == []


def test_it_takes_two_queries_however_many_items(django_assert_num_queries):
    instance = InstanceFactory()
    add_steps(instance, [("a", "", 1, "completed"), ("fan", "", 1, "waiting")] + [("fan", str(i), 1 + i % 2, "completed") for i in range(300)])
    with django_assert_num_queries(2):
        counts = step_counts(instance)
    assert [c["node"] for c in counts] == ["a", "fan"]
