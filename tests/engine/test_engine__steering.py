"""Steering a running instance against the real database (issue 11): signals (buffered, in order,
with a timeout), pause and resume (running steps recorded, nothing new started, timers and
backoffs held and delivered once), a parent's pause reaching its children, cancel while paused,
``wait: false``, saga compensation and heartbeats. Workers run in this process (``drain``)."""

from __future__ import annotations

import time

import pytest

from tests.engine.conftest import drain_all
from workflows import engine, timers, worker
from workflows.models import Event, InboxMessage, Instance, Signal, StepRun, Timer

pytestmark = pytest.mark.django_db(transaction=True)


def g(nodes, edges=(), **settings) -> dict:
    return {
        "version": 1,
        "settings": settings,
        "nodes": [{"id": n[0], "type": n[1], "config": n[2]} for n in nodes],
        "edges": [{"id": f"e{i}", "source": e[0], "target": e[1], "port": e[2] if len(e) > 2 else "out"} for i, e in enumerate(edges)],
    }


def chain(*ids: str) -> list[tuple[str, str]]:
    return list(zip(ids, ids[1:]))


def fire_due_timers() -> None:
    for timer in Timer.objects.all():
        timers.tick(now=timer.due_at.timestamp() + 0.01)


def steps(instance, node: str) -> list[tuple[int, str]]:
    return list(StepRun.objects.filter(instance=instance, node_id=node).order_by("attempt").values_list("attempt", "status"))


def status(instance) -> str:
    return Instance.objects.values_list("status", flat=True).get(pk=instance.pk)


# --- signals ---------------------------------------------------------------------------------------


def test_a_hundred_signals_sent_before_any_node_waits_are_delivered_in_order(publish):
    waits = [f"s{i}" for i in range(100)]
    nodes = [("first", "task", {"handler": "demo.noop"})] + [(s, "signal", {"name": "next"}) for s in waits]
    name = publish(g(nodes, chain("first", *waits)))
    instance, _ = engine.start_instance(name)
    seqs = [engine.signal_instance(instance.pk, "next", {"n": i}, by="tester") for i in range(100)]
    assert seqs == sorted(seqs)
    assert Signal.objects.filter(instance=instance, delivered_at__isnull=True).count() == 100  # buffered: nobody waits yet
    drain_all(instance.pk)
    instance.refresh_from_db()
    assert instance.status == "completed"
    outputs = dict(StepRun.objects.filter(instance=instance, node_id__in=waits).values_list("node_id", "output"))
    assert [outputs[s]["n"] for s in waits] == list(range(100))
    taken = list(Signal.objects.filter(instance=instance).order_by("pk").values_list("node_id", flat=True))
    assert taken == waits
    history = Event.objects.filter(instance=instance)
    assert history.filter(type="signal_received").count() == 100 and history.filter(type="signal_delivered").count() == 100
    assert history.filter(type="signal_received", data__by="tester").count() == 100


def test_a_signal_completes_a_waiting_node_with_its_payload_and_its_successor_runs(publish):
    name = publish(g([("approve", "signal", {"name": "approve"}), ("after", "task", {"handler": "demo.noop", "input": "{{ steps.approve.output }}"})], chain("approve", "after")))
    instance, _ = engine.start_instance(name)
    assert steps(instance, "approve") == [(1, "waiting")]
    engine.signal_instance(instance.pk, "other", {"ignored": True})  # another name: stays buffered
    assert steps(instance, "approve") == [(1, "waiting")]
    engine.signal_instance(instance.pk, "approve", {"ok": True})
    drain_all(instance.pk)
    instance.refresh_from_db()
    assert instance.status == "completed"
    assert instance.output == {"after": {"ok": True}}
    assert Signal.objects.get(instance=instance, name="other").delivered_at is None


def test_a_signal_that_does_not_come_in_time_leaves_by_the_timeout_port(publish):
    nodes = [("wait", "signal", {"name": "go", "timeout_s": 30}), ("late", "task", {"handler": "demo.noop"}), ("on_time", "task", {"handler": "demo.noop"})]
    name = publish(g(nodes, [("wait", "late", "timeout"), ("wait", "on_time")]))
    instance, _ = engine.start_instance(name)
    assert Timer.objects.get(instance=instance).kind == "signal"
    fire_due_timers()
    drain_all(instance.pk)
    instance.refresh_from_db()
    assert instance.status == "completed"
    assert steps(instance, "late") == [(1, "completed")] and steps(instance, "on_time") == [(1, "skipped")]


def test_a_finished_instance_refuses_signals_and_nothing_is_written(publish):
    name = publish(g([("a", "task", {"handler": "demo.noop"})]))
    instance, _ = engine.start_instance(name)
    drain_all(instance.pk)
    with pytest.raises(engine.Conflict):
        engine.signal_instance(instance.pk, "late", {})
    with pytest.raises(engine.NotFound):
        engine.signal_instance("00000000-0000-0000-0000-000000000000", "x", {})
    assert not Signal.objects.exists() and not InboxMessage.objects.exists()


def test_an_oversized_signal_payload_is_refused_naming_the_field(publish, settings):
    name = publish(g([("s", "signal", {"name": "x"})]))
    instance, _ = engine.start_instance(name)
    with pytest.raises(engine.InputTooLarge) as refused:
        engine.signal_instance(instance.pk, "x", {"blob": "x" * (settings.FLOWDESK["MAX_SIGNAL_BYTES"] + 1)})
    assert refused.value.field == "payload"
    assert not Signal.objects.exists()


# --- pause and resume -------------------------------------------------------------------------------


def test_pause_during_a_wait_holds_the_timer_and_resume_continues_exactly_once(publish):
    name = publish(g([("nap", "wait", {"for_s": 1}), ("after", "task", {"handler": "demo.noop"})], chain("nap", "after")))
    instance, _ = engine.start_instance(name)
    engine.pause_instance(instance.pk, by="ops")
    fire_due_timers()  # comes due while paused: held, not delivered
    assert status(instance) == "paused" and steps(instance, "nap") == [(1, "waiting")]
    assert InboxMessage.objects.filter(instance=instance, held=True).count() == 1
    drain_all(instance.pk)
    assert steps(instance, "after") == []
    engine.resume_instance(instance.pk, by="ops")
    drain_all(instance.pk)
    assert status(instance) == "completed"
    assert steps(instance, "nap") == [(1, "completed")] and steps(instance, "after") == [(1, "completed")]
    history = list(Event.objects.filter(instance=instance, type__in=["instance_paused", "instance_running"]).values_list("type", "data"))
    assert history[-2:] == [("instance_paused", {"by": "ops"}), ("instance_running", {"by": "ops"})]


def test_pause_during_a_retry_backoff_then_resume_runs_the_retry_once(publish):
    retry = {"max_attempts": 3, "initial_s": 30, "jitter": False}
    name = publish(g([("f", "task", {"handler": "demo.flaky", "input": {"failures": 1}, "retry": retry}), ("after", "task", {"handler": "demo.noop"})], chain("f", "after")))
    instance, _ = engine.start_instance(name)
    drain_all(instance.pk)
    assert steps(instance, "f") == [(1, "failed"), (2, "scheduled")]
    engine.pause_instance(instance.pk)
    fire_due_timers()
    assert worker.drain(str(instance.pk)) == 0  # paused: nothing is claimed
    engine.resume_instance(instance.pk)
    drain_all(instance.pk)
    assert status(instance) == "completed"
    assert steps(instance, "f") == [(1, "failed"), (2, "completed")] and steps(instance, "after") == [(1, "completed")]


def test_a_step_running_when_paused_is_recorded_and_its_successor_starts_on_resume(publish):
    name = publish(g([("a", "task", {"handler": "demo.noop"}), ("b", "task", {"handler": "demo.noop"})], chain("a", "b")))
    instance, _ = engine.start_instance(name)
    claim = engine.claim_step(instance.pk, "w1")
    engine.pause_instance(instance.pk)
    engine.complete_attempt(claim, {"done": 1}, worker="w1")
    assert steps(instance, "a") == [(1, "completed")] and steps(instance, "b") == []
    assert status(instance) == "paused"
    engine.resume_instance(instance.pk)
    drain_all(instance.pk)
    assert status(instance) == "completed" and steps(instance, "b") == [(1, "completed")]


def test_a_paused_instance_can_be_cancelled_and_its_held_messages_go(publish):
    name = publish(g([("nap", "wait", {"for_s": 1})]))
    instance, _ = engine.start_instance(name)
    engine.pause_instance(instance.pk)
    fire_due_timers()
    engine.cancel_instance(instance.pk, by="ops")
    assert status(instance) == "cancelled"
    assert not InboxMessage.objects.filter(instance=instance).exists()
    with pytest.raises(engine.Conflict):
        engine.resume_instance(instance.pk)


def test_only_a_running_instance_pauses_and_only_a_paused_one_resumes(publish):
    name = publish(g([("nap", "wait", {"for_s": 60})]))
    instance, _ = engine.start_instance(name)
    with pytest.raises(engine.Conflict):
        engine.resume_instance(instance.pk)
    engine.pause_instance(instance.pk)
    with pytest.raises(engine.Conflict):
        engine.pause_instance(instance.pk)
    result = engine.bulk("resume", [instance.pk, "00000000-0000-0000-0000-000000000000"], by="ops")
    assert result["done"] == {str(instance.pk): "running"} and list(result["refused"]) == ["00000000-0000-0000-0000-000000000000"]


def test_a_parents_pause_and_resume_reach_its_waited_child(publish):
    child = publish(g([("nap", "wait", {"for_s": 1})]))
    parent = publish(g([("sub", "subworkflow", {"workflow": child})]))
    instance, _ = engine.start_instance(parent)
    kid = Instance.objects.get(parent_step__instance=instance)
    engine.pause_instance(instance.pk)
    assert status(kid) == "paused"
    fire_due_timers()
    assert status(kid) == "paused" and status(instance) == "paused"
    engine.resume_instance(instance.pk)
    drain_all(kid.pk)
    drain_all(instance.pk)
    assert status(kid) == "completed" and status(instance) == "completed"


# --- wait: false -------------------------------------------------------------------------------------


def test_a_step_not_waited_for_lets_its_successor_start_and_is_still_retried_and_recorded(publish):
    retry = {"max_attempts": 2, "initial_s": 30, "jitter": False}
    nodes = [("notify", "task", {"handler": "demo.flaky", "input": {"failures": 1}, "retry": retry, "wait": False}), ("next", "task", {"handler": "demo.noop"})]
    name = publish(g(nodes, chain("notify", "next")))
    instance, _ = engine.start_instance(name)
    assert steps(instance, "next") == [(1, "scheduled")]  # did not wait for notify
    drain_all(instance.pk)
    assert steps(instance, "next") == [(1, "completed")] and steps(instance, "notify") == [(1, "failed"), (2, "scheduled")]
    assert status(instance) == "running"  # the instance ends once its detached step has
    fire_due_timers()
    drain_all(instance.pk)
    assert status(instance) == "completed" and steps(instance, "notify")[-1] == (2, "completed")
    assert steps(instance, "next") == [(1, "completed")]  # not started twice


# --- saga ------------------------------------------------------------------------------------------------


def saga_graph(commit_fails: bool = True, release: str = "demo.release_resources") -> dict:
    fast = {"max_attempts": 2, "initial_s": 0.01, "jitter": False}
    return g(
        [
            ("reserve", "task", {"handler": "demo.reserve_resources", "compensate": {"handler": release, "retry": fast}}),
            ("process", "task", {"handler": "demo.process_request", "compensate": "demo.rollback_processing", "retry": fast}),
            ("commit", "task", {"handler": "demo.commit_transaction", "input": {"fail": commit_fails}, "retry": fast}),
        ],
        chain("reserve", "process", "commit"),
        on_failure="compensate",
    )


def run_with_timers(instance) -> None:
    for _ in range(50):
        drain_all(instance.pk)
        if Instance.objects.get(pk=instance.pk).status not in ("running", "pending"):
            return
        fire_due_timers()
        time.sleep(0.02)


def test_a_failed_commit_rolls_back_the_processing_then_releases_the_resources(publish):
    instance, _ = engine.start_instance(publish(saga_graph()))
    run_with_timers(instance)
    instance.refresh_from_db()
    assert instance.status == "failed"
    assert instance.error["type"] == "LedgerUnavailable" and instance.error["compensated"] == 2
    undone = StepRun.objects.filter(instance=instance, compensation=True, status="compensated").order_by("finished_at", "pk")
    assert [s.node_id for s in undone] == ["process", "reserve"]  # latest completion first
    reserve = StepRun.objects.get(instance=instance, node_id="reserve", attempt=1)
    release = undone.get(node_id="reserve")
    assert release.input["output"] == reserve.output and release.output["released"] == reserve.output["reservation"]
    assert steps(instance, "commit") == [(1, "failed"), (2, "failed")]
    assert instance.saga["state"] == "done"


def test_a_compensation_that_fails_for_good_leaves_the_instance_failed_and_a_retry_carries_on(publish):
    instance, _ = engine.start_instance(publish(saga_graph(release="demo.fail")))
    run_with_timers(instance)
    instance.refresh_from_db()
    assert instance.status == "failed" and instance.error["type"] == "CompensationFailed"
    assert "compensation failed at reserve" in instance.error["message"] and instance.error["compensated"] == 1
    assert instance.saga["state"] == "failed"
    engine.retry_instance(instance.pk, by="ops")  # the operator's action: run the compensation again
    run_with_timers(instance)
    instance.refresh_from_db()
    assert instance.status == "failed" and instance.error["type"] == "CompensationFailed"
    assert StepRun.objects.filter(instance=instance, node_id="reserve", compensation=True).count() == 4  # 2 tries, twice


def test_a_successful_saga_compensates_nothing(publish):
    instance, _ = engine.start_instance(publish(saga_graph(commit_fails=False)))
    run_with_timers(instance)
    instance.refresh_from_db()
    assert instance.status == "completed" and instance.saga is None
    assert not StepRun.objects.filter(instance=instance, compensation=True).exists()


def test_completed_map_items_are_compensated_too(publish):
    fast = {"max_attempts": 1}
    nodes = [
        ("each", "map", {"items": "[1, 2, 3]", "handler": "demo.noop", "compensate": "demo.noop", "concurrency": 3}),
        ("boom", "task", {"handler": "demo.fail", "input": {"retryable": False}, "retry": fast}),
    ]
    instance, _ = engine.start_instance(publish(g(nodes, chain("each", "boom"), on_failure="compensate")))
    run_with_timers(instance)
    instance.refresh_from_db()
    assert instance.status == "failed" and instance.error["compensated"] == 3
    undone = StepRun.objects.filter(instance=instance, node_id="each", compensation=True, status="compensated")
    assert sorted(undone.values_list("item_key", flat=True)) == ["0", "1", "2"]


# --- heartbeats --------------------------------------------------------------------------------------------


def test_a_silent_attempt_fails_as_heartbeat_timeout_and_the_retry_resumes_from_its_details(publish):
    config = {"handler": "demo.export_rows", "input": {"rows": 40, "per_row_s": 0.001, "stall_at": 25}, "heartbeat_s": 0.3,
              "retry": {"max_attempts": 2, "initial_s": 0.01, "jitter": False}}  # fmt: skip
    instance, _ = engine.start_instance(publish(g([("export", "task", config)])))
    run_with_timers(instance)
    instance.refresh_from_db()
    assert instance.status == "completed"
    first, second = StepRun.objects.filter(instance=instance).order_by("attempt")
    assert first.error_type == "HeartbeatTimeout" and first.heartbeat["done"] >= 1
    assert instance.output["export"]["resumed_from"] == first.heartbeat["done"]
    assert second.heartbeat == {"progress": 1.0, "done": 40}
