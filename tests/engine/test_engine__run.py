"""The ORM adapter and worker loop, run in-process on PostgreSQL (the queue is bypassed, not mocked:
``worker.drain`` is exactly what a django-q2 worker calls)."""

from __future__ import annotations

from unittest import mock

import pytest

from tests.engine.conftest import drain_all
from tests.factories import chain_graph, graph_of
from workflows import engine, timers, worker
from workflows.core.errors import Failure
from workflows.models import Event, Instance, StepRun, Timer

pytestmark = pytest.mark.django_db


g = graph_of


def test_a_chain_completes_with_one_step_run_and_gap_free_events(publish, run_to_rest):
    name = publish(chain_graph("a", "b", "c"))
    instance = run_to_rest(name, {"x": 1})
    assert instance.status == "completed"
    steps = list(instance.steps.order_by("id").values_list("node_id", "attempt", "status"))
    assert steps == [("a", 1, "completed"), ("b", 1, "completed"), ("c", 1, "completed")]
    seqs = list(instance.events.values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    types = list(instance.events.values_list("type", flat=True))
    assert types[0] == "instance_running" and types[-1] == "instance_completed"
    assert types.count("step_running") == 3


def test_a_worker_runs_a_chain_with_one_claim_per_step(publish):
    name = publish(chain_graph("a", "b", "c", "d"))
    instance, _ = engine.start_instance(name)
    assert worker.drain(str(instance.pk)) == 4  # eager continuation: no queue round trip between steps
    instance.refresh_from_db()
    assert instance.status == "completed"


def test_starting_records_the_first_step_as_scheduled_and_rings_after_commit(publish, django_capture_on_commit_callbacks):
    name = publish(chain_graph("a", "b"))
    with mock.patch("workflows.dispatch.ring") as ring:
        with django_capture_on_commit_callbacks() as callbacks:
            instance, created = engine.start_instance(name, input={"k": 1})
            assert created and not ring.called  # not before the commit
        for callback in callbacks:
            callback()
    ring.assert_called_once_with(instance.pk, 1)
    assert list(instance.steps.values_list("node_id", "status")) == [("a", "scheduled")]


def test_a_repeated_idempotency_key_returns_the_same_instance(publish):
    name = publish(chain_graph("a"))
    first, created = engine.start_instance(name, idempotency_key="order-7")
    again, created_again = engine.start_instance(name, idempotency_key="order-7")
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    assert Instance.objects.count() == 1


def test_a_handler_that_raises_fails_only_its_attempt_with_type_message_and_traceback(publish, run_to_rest):
    name = publish(g([("boom", "task", {"handler": "demo.fail", "input": {"message": "kaput", "type": "Kaput", "retryable": False}})]))
    instance = run_to_rest(name)
    step = instance.steps.get()
    assert (step.status, step.error_type, step.error_message) == ("failed", "Kaput", "kaput")
    assert "StepError" in step.error_traceback
    assert instance.status == "failed"
    assert instance.error["node"] == "boom"


def test_a_handler_returning_something_that_is_not_json_fails_its_attempt(publish, run_to_rest):
    name = publish(g([("bad", "task", {"handler": "demo.not_json", "retry": {"max_attempts": 3}})]))
    instance = run_to_rest(name)
    step = instance.steps.get()  # not retried: the same handler would return the same
    assert (step.error_type, step.error_message) == (
        "InvalidOutput", "the step's output.when: an object is not a JSON value (only objects, lists, text, numbers, true/false and null)"
    )
    assert instance.status == "failed"


def test_a_hanging_handler_times_out_its_attempt(publish, run_to_rest):
    name = publish(g([("slow", "task", {"handler": "demo.sleep", "input": {"seconds": 5}, "timeout_s": 0.3})]))
    instance = run_to_rest(name)
    step = instance.steps.get()
    assert (step.status, step.error_type) == ("timed_out", "StepTimeout")
    assert instance.status == "failed"


def test_retries_wait_for_their_timer_then_run_again(publish):
    name = publish(g([("f", "task", {"handler": "demo.flaky", "input": {"failures": 2}, "retry": {"max_attempts": 3, "initial_s": 60, "jitter": False}})]))
    instance, _ = engine.start_instance(name)
    drain_all(instance.pk)
    assert list(instance.steps.values_list("attempt", "status")) == [(1, "failed"), (2, "scheduled")]
    assert worker.drain(str(instance.pk)) == 0  # not claimable during the backoff
    timer = Timer.objects.get(instance=instance)
    assert timer.kind == "retry"
    timers.tick(now=timer.due_at.timestamp() + 0.01)
    drain_all(instance.pk)
    timer = Timer.objects.get(instance=instance)
    timers.tick(now=timer.due_at.timestamp() + 0.01)
    drain_all(instance.pk)
    instance.refresh_from_db()
    assert instance.status == "completed"
    assert list(instance.steps.values_list("attempt", "status")) == [(1, "failed"), (2, "failed"), (3, "completed")]
    assert instance.output == {"f": {"succeeded_on_attempt": 3}}


def test_a_completion_is_applied_once(publish):
    name = publish(chain_graph("a", "b"))
    instance, _ = engine.start_instance(name)
    me = worker.worker_name()
    claim = engine.claim_step(instance.pk, me)
    engine.complete_attempt(claim, {"v": 1}, worker=me, claim_next=False)
    events = Event.objects.count()
    engine.complete_attempt(claim, {"v": 2}, worker=me, claim_next=False)  # duplicate delivery
    assert Event.objects.count() == events
    assert StepRun.objects.get(node_id="a").output == {"v": 1}
    assert StepRun.objects.filter(node_id="b").count() == 1


def test_a_late_result_from_a_lost_worker_changes_nothing(publish):
    name = publish(g([("a", "task", {"handler": "demo.noop", "retry": {"max_attempts": 2, "initial_s": 0}})]))
    instance, _ = engine.start_instance(name)
    claim = engine.claim_step(instance.pk, "host:1")
    StepRun.objects.filter(pk=claim.step_id).update(lease_until=engine.to_dt(0))
    assert timers.tick()["lost"] == 1
    first = StepRun.objects.get(pk=claim.step_id)
    assert (first.status, first.error_type) == ("failed", "WorkerLost")
    engine.complete_attempt(claim, "late", worker="host:1", claim_next=False)
    assert StepRun.objects.get(pk=claim.step_id).status == "failed"
    drain_all(instance.pk)
    instance.refresh_from_db()
    assert instance.status == "completed"
    assert list(instance.steps.values_list("attempt", "status", "worker")) == [
        (1, "failed", "host:1"),
        (2, "completed", worker.worker_name()),
    ]


def test_a_failed_attempt_reported_by_another_worker_is_ignored(publish):
    name = publish(chain_graph("a"))
    instance, _ = engine.start_instance(name)
    claim = engine.claim_step(instance.pk, "host:1")
    engine.fail_attempt(claim, Failure("X", "x"), worker="host:2", claim_next=False)
    assert StepRun.objects.get(pk=claim.step_id).status == "running"


def test_parallel_branches_join_once(publish, run_to_rest):
    graph = g(
        [("a", "task", {"handler": "demo.noop"}), ("b", "task", {"handler": "demo.noop"}), ("c", "task", {"handler": "demo.noop"}), ("j", "task", {"handler": "demo.noop"})],
        [("a", "b"), ("a", "c"), ("b", "j"), ("c", "j")],
    )
    instance = run_to_rest(publish(graph))
    assert instance.status == "completed"
    assert instance.steps.filter(node_id="j").count() == 1


def test_a_wait_node_is_fired_by_the_timer_loop(publish):
    name = publish(g([("w", "wait", {"for_s": 120}), ("a", "task", {"handler": "demo.noop"})], [("w", "a")]))
    instance, _ = engine.start_instance(name)
    assert instance.steps.get().status == "waiting"
    assert timers.tick()["timers"] == 0
    timers.tick(now=Timer.objects.get().due_at.timestamp())
    drain_all(instance.pk)
    instance.refresh_from_db()
    assert instance.status == "completed"


def test_the_instance_deadline_times_it_out_and_cancels_running_steps(publish):
    name = publish(g([("a", "task", {"handler": "demo.noop"})], timeout_s=30))
    instance, _ = engine.start_instance(name)
    engine.claim_step(instance.pk, "host:1")
    timers.tick(now=Timer.objects.get(kind="deadline").due_at.timestamp() + 0.01)
    instance.refresh_from_db()
    assert instance.status == "timed_out"
    assert instance.steps.get().status == "cancelled"
    assert not Timer.objects.exists()


def test_cancel_reaches_running_steps_and_timers(publish):
    name = publish(g([("a", "task", {"handler": "demo.noop"}), ("w", "wait", {"for_s": 600})]))
    instance, _ = engine.start_instance(name)
    claim = engine.claim_step(instance.pk, "host:1")
    engine.cancel_instance(instance.pk)
    instance.refresh_from_db()
    assert instance.status == "cancelled"
    assert set(instance.steps.values_list("status", flat=True)) == {"cancelled"}
    assert not Timer.objects.exists()
    assert not engine.renew_lease(claim.step_id, "host:1")  # the worker learns it should stop


def test_cancelling_a_completed_instance_is_refused_and_changes_nothing(publish, run_to_rest):
    instance = run_to_rest(publish(chain_graph("a")))
    events = instance.events.count()
    with pytest.raises(engine.Conflict):
        engine.cancel_instance(instance.pk)
    assert instance.events.count() == events


def test_retry_runs_a_failed_instance_from_its_failed_step(publish, run_to_rest):
    graph = g(
        [("a", "task", {"handler": "demo.noop"}), ("b", "task", {"handler": "demo.flaky", "input": {"failures": 1}})],
        [("a", "b")],
    )
    instance = run_to_rest(publish(graph))
    assert instance.status == "failed"
    engine.retry_instance(instance.pk)
    drain_all(instance.pk)
    instance.refresh_from_db()
    assert instance.status == "completed"
    assert list(instance.steps.order_by("id").values_list("node_id", "attempt", "status")) == [
        ("a", 1, "completed"),
        ("b", 1, "failed"),
        ("b", 2, "completed"),
    ]


def test_oversized_input_is_refused_and_nothing_is_written(publish, settings):
    settings.FLOWDESK = {**settings.FLOWDESK, "MAX_INPUT_BYTES": 100}
    name = publish(chain_graph("a"))
    with pytest.raises(engine.InputTooLarge):
        engine.start_instance(name, input={"blob": "x" * 200})
    assert not Instance.objects.exists()


def test_an_unknown_template_or_version_is_refused(publish):
    name = publish(chain_graph("a"))
    with pytest.raises(engine.NotFound):
        engine.start_instance("nope")
    with pytest.raises(engine.NotFound):
        engine.start_instance(name, version=99)


def test_a_scheduled_step_nobody_started_is_dispatched_again(publish, django_capture_on_commit_callbacks):
    name = publish(chain_graph("a"))
    instance, _ = engine.start_instance(name)
    import time

    assert engine.redispatch_stale(time.time(), older_than_s=60) == 0
    assert engine.redispatch_stale(time.time() + 120, older_than_s=60) == 1
