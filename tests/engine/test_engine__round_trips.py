"""What a timer's fire costs in round trips to the database: the read that takes the lock (with the
timer, what it wakes, and a small input) and the write. Each round trip more is a fire later for
every other timer due behind it. Statements, not timings: what is counted cannot be noisy."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import VersionFactory, graph_of
from workflows import engine
from workflows.engine import rows
from workflows.models import StepRun, Timer

pytestmark = pytest.mark.django_db


def statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def fire(instance, node: str) -> list[str]:
    timer = Timer.objects.get(instance=instance, node_id=node)
    rows.inputs.entries.clear()  # as in a timer loop that has not met this instance before
    rows.seen.entries.clear()
    with CaptureQueriesContext(connection) as queries:
        assert engine.fire_timer(timer.pk, instance.pk, timer.message)
    return statements(queries)


def wait_then_task(**task) -> str:
    graph = graph_of([("w", "wait", {"for_s": 0}), ("t", "task", {"handler": "demo.noop", **task}), ("v", "wait", {"for_s": 60})], [("w", "t"), ("t", "v")])
    return VersionFactory(graph=graph).template.name


def test_a_wait_that_wakes_a_task_taking_the_instances_input_is_one_read_and_one_write():
    instance, _ = engine.start_instance(wait_then_task(), input={"order": 7, "lines": [1, 2, 3]})
    sent = fire(instance, "w")
    assert len(sent) == 2, sent  # the lock's read (timer, woken step's output, input), then the writes
    assert "DELETE FROM" in sent[0] and "jsonb_build_array" in sent[0]
    step = StepRun.objects.get(instance=instance, node_id="t")
    assert step.status == "scheduled" and step.input == {"order": 7, "lines": [1, 2, 3]}
    assert StepRun.objects.get(instance=instance, node_id="w").output.keys() == {"until"}  # kept as recorded


def test_a_large_input_is_read_when_needed_and_still_right():
    big = {"lines": list(range(3000))}  # past what the lock's read brings along
    instance, _ = engine.start_instance(wait_then_task(), input=big)
    sent = fire(instance, "w")
    assert len(sent) == 3 and 'SELECT "input"' in sent[1]
    assert StepRun.objects.get(instance=instance, node_id="t").input == big


@pytest.mark.parametrize("value", [[], 0, "text", False])
def test_an_input_that_is_not_an_object_comes_along_as_it_is(value):
    instance, _ = engine.start_instance(wait_then_task(input="{{ input }}"))
    instance.__class__.objects.filter(pk=instance.pk).update(input=value)  # as an older release could have stored it
    fire(instance, "w")
    assert StepRun.objects.get(instance=instance, node_id="t").input == value


def test_a_timer_starting_and_the_instance_ending_write_nothing_of_their_own():
    """A wait's timer is inserted, and an ending instance's timers deleted, with the other writes."""
    instance, _ = engine.start_instance(wait_then_task())
    fire(instance, "w")
    claim = engine.claim_step(instance.pk, "w1")
    with CaptureQueriesContext(connection) as queries:
        engine.complete_attempt(claim, {"ok": True}, worker="w1", claim_next=False)
    sent = statements(queries)
    assert len(sent) == 2, sent
    assert 'INSERT INTO "workflows_timer"' in sent[1]
    assert Timer.objects.filter(instance=instance, node_id="v").count() == 1
    engine.cancel_instance(instance.pk)
    assert not Timer.objects.filter(instance=instance).exists()
