"""Steering under a real engine (``manage.py engine``: a django-q2 cluster and the timer loop):
a worker SIGKILLed while a compensate handler runs, pause while a wait and a retry backoff come
due, and a signal completing a waiting node. Times only bound the waiting, never an assertion."""

from __future__ import annotations

import os
import signal
import uuid
from datetime import timedelta

import pytest
from django.urls import Resolver404, resolve
from django.utils import timezone
from rest_framework.authtoken.models import Token

from tests.e2e.conftest import Web, wait_for, wait_until
from tests.factories import UserFactory, VersionFactory, role_group
from workflows import engine
from workflows.models import Event, InboxMessage, Instance, Signal, StepRun, Timer
from workflows.roles import OPERATORS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def publish(nodes, edges=(), **settings) -> str:
    graph = {
        "version": 1,
        "settings": settings,
        "nodes": [{"id": n[0], "type": n[1], "config": n[2]} for n in nodes],
        "edges": [{"id": f"e{i}", "source": e[0], "target": e[1], "port": "out"} for i, e in enumerate(edges)],
    }
    return VersionFactory(graph=graph).template.name


def steps(instance_id, node: str) -> list[tuple[int, str]]:
    return list(StepRun.objects.filter(instance_id=instance_id, node_id=node).order_by("attempt").values_list("attempt", "status"))


def assert_history_is_whole(instance_id) -> None:
    seqs = list(Event.objects.filter(instance_id=instance_id).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


# --- a worker killed during a compensation -------------------------------------------------------------

UNDONE = ["reserve", "process", "notify"]  # completed in this order: undone in the reverse one


def saga_template() -> str:
    undo = {"compensate": "demo.undo_slowly", "input": {"undo_s": 1.5}}
    nodes = [(n, "task", {"handler": "demo.noop", **undo}) for n in UNDONE]
    nodes.append(("commit", "task", {"handler": "demo.fail", "input": {"type": "LedgerUnavailable", "message": "the ledger said no", "retryable": False}}))
    return publish(nodes, list(zip(UNDONE, UNDONE[1:] + ["commit"])), on_failure="compensate")


@pytest.mark.parametrize("killed", ["notify", "reserve"])  # the first compensation, and the last
def test_a_worker_killed_during_a_compensation_leaves_every_step_compensated_exactly_once(cluster, killed):
    instance, _ = engine.start_instance(saga_template())
    undoing = wait_until(
        lambda: StepRun.objects.filter(instance_id=instance.pk, node_id=killed, compensation=True, status="running").exclude(worker="").first(),
        timeout=60,
        what=f"{killed}'s compensation to run",
    )
    os.kill(int(undoing.worker.rsplit(":", 1)[1]), signal.SIGKILL)

    done = wait_for(instance.pk, cluster=cluster, timeout=90)
    assert done.status == "failed"
    assert done.error["type"] == "LedgerUnavailable" and done.error["node"] == "commit" and done.error["compensated"] == 3
    assert done.saga["state"] == "done"
    for node in UNDONE:
        assert StepRun.objects.filter(instance_id=instance.pk, node_id=node, compensation=True, status="compensated").count() == 1, node
        assert StepRun.objects.filter(instance_id=instance.pk, node_id=node, compensation=False).values_list("status", flat=True).get() == "completed"
    lost = StepRun.objects.get(pk=undoing.pk)
    assert (lost.status, lost.error_type, lost.compensation) == ("failed", "WorkerLost", True)
    redone = StepRun.objects.get(instance_id=instance.pk, node_id=killed, compensation=True, status="compensated")
    assert redone.attempt == lost.attempt + 1 and redone.lost == 1 and redone.worker != lost.worker  # a new worker finished it
    assert redone.output["undid"] == {"undo_s": 1.5}  # the input demo.noop returned: the step's output
    order = StepRun.objects.filter(instance_id=instance.pk, status="compensated").order_by("finished_at")
    assert list(order.values_list("node_id", flat=True)) == UNDONE[::-1]
    assert Event.objects.filter(instance_id=instance.pk, type="instance_failed").count() == 1
    assert_history_is_whole(instance.pk)


# --- pause while a wait and a retry backoff are pending ------------------------------------------------


def test_pause_while_a_wait_and_a_backoff_come_due_then_resume_continues_each_exactly_once(cluster):
    retry = {"max_attempts": 3, "initial_s": 600, "jitter": False}  # due only when the test says so
    name = publish(
        [
            ("nap", "wait", {"for_s": 600}),
            ("after_nap", "task", {"handler": "demo.noop"}),
            ("flaky", "task", {"handler": "demo.flaky", "input": {"failures": 1}, "retry": retry}),
            ("after_flaky", "task", {"handler": "demo.noop"}),
        ],
        [("nap", "after_nap"), ("flaky", "after_flaky")],
    )
    instance, _ = engine.start_instance(name)
    wait_until(lambda: steps(instance.pk, "flaky") == [(1, "failed"), (2, "scheduled")], timeout=60, what="flaky's retry to be scheduled")
    assert steps(instance.pk, "nap") == [(1, "waiting")]
    engine.pause_instance(instance.pk, by="ops")

    # both come due now: the engine's timer loop fires them into the paused instance's inbox, held
    Timer.objects.filter(instance_id=instance.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    wait_until(lambda: not Timer.objects.filter(instance_id=instance.pk).exists(), timeout=60, what="the timers to fire")
    held = sorted(m["type"] for m in InboxMessage.objects.filter(instance_id=instance.pk, held=True).values_list("message", flat=True))
    assert held == ["BackoffOver", "TimerFired"]
    assert Instance.objects.get(pk=instance.pk).status == "paused"
    assert steps(instance.pk, "nap") == [(1, "waiting")] and steps(instance.pk, "flaky") == [(1, "failed"), (2, "scheduled")]
    assert steps(instance.pk, "after_nap") == [] and steps(instance.pk, "after_flaky") == []

    engine.resume_instance(instance.pk, by="ops")
    done = wait_for(instance.pk, cluster=cluster, timeout=60)
    assert done.status == "completed", done.error
    assert steps(instance.pk, "nap") == [(1, "completed")] and steps(instance.pk, "after_nap") == [(1, "completed")]
    assert steps(instance.pk, "flaky") == [(1, "failed"), (2, "completed")] and steps(instance.pk, "after_flaky") == [(1, "completed")]
    completed = Event.objects.filter(instance_id=instance.pk, type="step_completed")
    assert sorted(completed.values_list("node_id", "attempt")) == [("after_flaky", 1), ("after_nap", 1), ("flaky", 2), ("nap", 1)]
    steering = list(Event.objects.filter(instance_id=instance.pk, type__in=["instance_paused", "instance_running"]).order_by("seq").values_list("type", "data"))
    assert steering[-2:] == [("instance_paused", {"by": "ops"}), ("instance_running", {"by": "ops"})]
    assert not InboxMessage.objects.filter(instance_id=instance.pk).exists()
    assert_history_is_whole(instance.pk)


# --- a signal completes a waiting node ----------------------------------------------------------------


def signal_template() -> str:
    return publish(
        [
            ("prepare", "task", {"handler": "demo.noop"}),
            ("approve", "signal", {"name": "approve"}),
            ("after", "task", {"handler": "demo.noop", "input": "{{ steps.approve.output }}"}),
        ],
        [("prepare", "approve"), ("approve", "after")],
    )


def assert_signalled(instance_id, seq: int, by: str, cluster) -> None:
    done = wait_for(instance_id, cluster=cluster, timeout=60)
    assert done.status == "completed", done.error
    assert done.output == {"after": {"ok": True}}
    assert steps(instance_id, "approve") == [(1, "completed")] and steps(instance_id, "after") == [(1, "completed")]
    row = Signal.objects.get(pk=seq)
    assert row.node_id == "approve" and row.delivered_at is not None
    history = Event.objects.filter(instance_id=instance_id)
    assert history.filter(type="signal_received", data__seq=seq, data__by=by).count() == 1
    assert history.filter(type="signal_delivered", node_id="approve", data__seq=seq).count() == 1
    assert_history_is_whole(instance_id)


def test_a_signal_sent_to_a_waiting_node_completes_it_under_the_real_engine(cluster):
    instance, _ = engine.start_instance(signal_template())
    wait_until(lambda: steps(instance.pk, "approve") == [(1, "waiting")], timeout=60, what="the signal node to wait")
    seq = engine.signal_instance(instance.pk, "approve", {"ok": True}, by="tester")
    assert_signalled(instance.pk, seq, "tester", cluster)


def has_signal_route() -> bool:
    try:
        resolve(f"/api/v1/instances/{uuid.uuid4()}/signals/approve/")
    except Resolver404:
        return False
    return True


@pytest.mark.skipif(not has_signal_route(), reason="POST /api/v1/instances/{id}/signals/{name}/ is not on this branch yet")
def test_a_signal_sent_through_the_api_completes_a_waiting_node_under_the_real_engine(cluster, tmp_path):
    user = UserFactory(username="olga", is_staff=True, is_superuser=True)
    user.groups.add(role_group(OPERATORS))
    web = Web(tmp_path, token=Token.objects.create(user=user).key).start()
    try:
        instance, _ = engine.start_instance(signal_template())
        wait_until(lambda: steps(instance.pk, "approve") == [(1, "waiting")], timeout=60, what="the signal node to wait")
        status, body = web.api("POST", f"instances/{instance.pk}/signals/approve/", {"ok": True})
        assert status == 202, body
        assert_signalled(instance.pk, body["seq"], "olga", cluster)
    finally:
        web.stop()
