"""A worker runs up to ``WORKER_SLOTS`` steps of one instance at once and records those that ended
together (``worker.Attempts``, ``engine.finish_attempts``). In-process on PostgreSQL: ``worker.drain``
is what a django-q2 worker calls."""

from __future__ import annotations

import pytest

from tests.engine.conftest import drain_all
from tests.factories import graph_of
from workflows import engine, worker
from workflows.models import Event, StepRun

pytestmark = pytest.mark.django_db


def fan(*middle) -> dict:
    """start -> each of ``middle`` (id, config) -> join."""
    nodes = [("start", "task", {"handler": "demo.noop"}), *[(m, "task", c) for m, c in middle], ("join", "task", {"handler": "demo.noop"})]
    edges = [("start", m) for m, _ in middle] + [(m, "join") for m, _ in middle]
    return graph_of(nodes, edges)


def most_at_once(steps) -> int:
    """The most of these steps that were running at the same moment (from their own timestamps)."""
    moments = sorted([(s.started_at, 1) for s in steps] + [(s.finished_at, -1) for s in steps], key=lambda m: (m[0], m[1]))
    running = most = 0
    for _, delta in moments:
        running += delta
        most = max(most, running)
    return most


def test_a_worker_runs_a_fan_out_several_steps_at_a_time_never_more_than_its_slots(publish, settings):
    settings.FLOWDESK = {**settings.FLOWDESK, "WORKER_SLOTS": 3}
    name = publish(fan(*[(f"w{i}", {"handler": "demo.sleep", "input": {"seconds": 0.2}}) for i in range(7)]))
    instance, _ = engine.start_instance(name)
    drain_all(instance.pk)
    instance.refresh_from_db()
    assert instance.status == "completed"
    sleeps = list(StepRun.objects.filter(instance=instance, node_id__startswith="w"))
    assert len(sleeps) == 7 and {s.status for s in sleeps} == {"completed"}
    assert most_at_once(sleeps) == 3  # three at a time, from the rows' own start and finish times
    assert len({s.worker for s in sleeps}) == 1  # one worker process, several threads


def test_one_slot_runs_one_step_at_a_time(publish, settings):
    settings.FLOWDESK = {**settings.FLOWDESK, "WORKER_SLOTS": 1}
    name = publish(fan(*[(f"w{i}", {"handler": "demo.sleep", "input": {"seconds": 0.05}}) for i in range(3)]))
    instance, _ = engine.start_instance(name)
    drain_all(instance.pk)
    assert most_at_once(StepRun.objects.filter(instance=instance, node_id__startswith="w")) == 1


def test_finished_attempts_are_recorded_in_one_transition_and_as_many_steps_claimed(publish):
    name = publish(fan(*[(f"w{i}", {"handler": "demo.noop", "input": {"i": i}}) for i in range(6)]))
    instance, _ = engine.start_instance(name)
    me = "host:1"
    (start,) = engine.claim_steps(instance.pk, me, 1)
    claims = engine.finish_attempts([(start, True, {})], worker=me, claim=4)
    assert len(claims) == 4 and len({c.node_id for c in claims}) == 4
    assert sorted(c.input["i"] for c in claims) == sorted(int(c.node_id[1:]) for c in claims)  # each its own input
    before = instance.events.count()

    more = engine.finish_attempts([(c, True, {"done": c.node_id}) for c in claims[:3]], worker=me, claim=3)
    assert len(more) == 2  # only two steps of the fan-out were left to claim
    written = list(Event.objects.filter(instance=instance).order_by("seq")[before:])
    assert [e.seq for e in written] == list(range(written[0].seq, written[0].seq + len(written)))
    assert len({e.created_at for e in written}) == 1  # one transition wrote them all
    completed = {e.node_id for e in written if e.type == "step_completed"}
    assert completed == {c.node_id for c in claims[:3]}
    assert StepRun.objects.get(instance=instance, node_id=claims[0].node_id).output == {"done": claims[0].node_id}


def test_a_batch_that_cannot_commit_is_recorded_one_outcome_at_a_time(publish, poisoned_results):
    name = publish(fan(*[(f"w{i}", {"handler": "demo.noop"}) for i in range(3)]))
    instance, _ = engine.start_instance(name)
    me = "host:1"
    (start,) = engine.claim_steps(instance.pk, me, 1)
    claims = engine.finish_attempts([(start, True, {})], worker=me, claim=3)
    claims.sort(key=lambda c: c.node_id)  # w2 last: its failure ends the instance, and the others' results must be in by then
    ended = [(c, True, {"poison": True} if c.node_id == "w2" else {"ok": c.node_id}) for c in claims]

    assert worker.record_outcomes(ended, me, claim=3) == []  # the batch was refused; nothing new claimed
    steps = {s.node_id: s for s in StepRun.objects.filter(instance=instance, node_id__startswith="w")}
    assert (steps["w2"].status, steps["w2"].error_type) == ("failed", "CommitFailed")
    assert [(steps[n].status, steps[n].output) for n in ("w0", "w1")] == [("completed", {"ok": "w0"}), ("completed", {"ok": "w1"})]


def test_an_attempt_past_its_deadline_does_not_hold_back_the_others(publish, settings):
    settings.FLOWDESK = {**settings.FLOWDESK, "WORKER_SLOTS": 4}
    slow = {"handler": "demo.sleep", "input": {"seconds": 5}, "timeout_s": 0.4}
    name = publish(fan(("slow", slow), *[(f"w{i}", {"handler": "demo.noop"}) for i in range(3)]))
    instance, _ = engine.start_instance(name)
    drain_all(instance.pk)
    steps = {s.node_id: s for s in StepRun.objects.filter(instance=instance)}
    assert (steps["slow"].status, steps["slow"].error_type) == ("timed_out", "StepTimeout")
    assert all(steps[f"w{i}"].status == "completed" and steps[f"w{i}"].finished_at < steps["slow"].finished_at for i in range(3))


def test_renewing_leases_together_reports_the_steps_this_worker_no_longer_owns(publish):
    name = publish(fan(("a", {"handler": "demo.noop"}), ("b", {"handler": "demo.noop"})))
    instance, _ = engine.start_instance(name)
    me = "host:1"
    (start,) = engine.claim_steps(instance.pk, me, 1)
    a, b = engine.finish_attempts([(start, True, {})], worker=me, claim=2)
    StepRun.objects.filter(pk=b.step_id).update(worker="host:2")  # as if its lease expired and another took it
    lease_before = StepRun.objects.get(pk=b.step_id).lease_until
    assert engine.renew_leases([a.step_id, b.step_id], me) == {a.step_id}
    assert StepRun.objects.get(pk=b.step_id).lease_until == lease_before  # not extended for someone else
