"""Maps, children and the inbox on a real engine (django-q2 cluster over Redis, PostgreSQL)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from django.db import connection

from tests.e2e.conftest import Engine, wait_for, wait_until
from tests.factories import VersionFactory, graph_of
from workflows import engine
from workflows.models import Event, InboxMessage, Instance, StepRun

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


g = graph_of


def test_a_map_of_1000_items_never_runs_more_than_its_concurrency(cluster):
    name = VersionFactory(graph=g([("m", "map", {"items": "input.xs", "handler": "demo.noop", "input": {"i": "{{ index }}"}, "concurrency": 10})])).template.name
    instance, _ = engine.start_instance(name, input={"xs": list(range(1000))})
    items = StepRun.objects.filter(instance=instance, node_id="m").exclude(item_key="")
    most = 0
    while not Instance.objects.filter(pk=instance.pk, status="completed").exists():
        most = max(most, items.filter(status__in=["scheduled", "running"]).count())
        assert most <= 10
        if Instance.objects.filter(pk=instance.pk, status__in=["failed", "cancelled"]).exists():
            break
        time.sleep(0.01)
    done = wait_for(instance.pk, cluster=cluster, timeout=120)
    assert done.status == "completed"
    assert done.output["m"]["results"] == [{"i": i} for i in range(1000)]
    assert items.count() == 1000 and most >= 2  # it did run items side by side
    seqs = list(Event.objects.filter(instance=instance).values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_killing_the_engine_mid_map_and_mid_child_loses_and_repeats_nothing(tmp_path):
    child = VersionFactory(graph=g([("s", "task", {"handler": "demo.sleep", "input": {"seconds": 0.3}})])).template.name
    name = VersionFactory(graph=g([
        ("m", "map", {"items": "input.xs", "handler": "demo.sleep", "input": {"seconds": 0.2}, "concurrency": 4}),
        ("kids", "map", {"items": "input.xs", "workflow": child, "input": {"i": "{{ index }}"}, "concurrency": 4}),
    ], [("m", "kids")])).template.name  # fmt: skip
    first = Engine(tmp_path, FLOWDESK_LEASE_S="1").start()
    instance, _ = engine.start_instance(name, input={"xs": list(range(12))})
    wait_until(lambda: StepRun.objects.filter(instance=instance, node_id="m", status="completed").exclude(item_key="").count() >= 3, what="items done")
    os.killpg(first.proc.pid, signal.SIGKILL)
    first.proc.wait()
    second = Engine(tmp_path, FLOWDESK_LEASE_S="1").start()
    try:
        wait_until(lambda: Instance.objects.filter(parent_step__instance=instance).exists(), what="children started", timeout=60)
        os.killpg(second.proc.pid, signal.SIGKILL)
        second.proc.wait()
        third = Engine(tmp_path, FLOWDESK_LEASE_S="1").start()
        try:
            done = wait_for(instance.pk, cluster=third, timeout=120)
        finally:
            third.stop()
    finally:
        second.stop()
    assert done.status == "completed", done.error
    for node in ("m", "kids"):
        completed = StepRun.objects.filter(instance=instance, node_id=node, status="completed").exclude(item_key="")
        assert sorted(completed.values_list("item_key", flat=True), key=int) == [str(i) for i in range(12)]  # each exactly once
        assert done.output["kids"]["completed"] == 12
    children = Instance.objects.filter(parent_step__instance=instance)
    assert children.filter(status="completed").count() == 12 and not children.exclude(status="completed").exists()
    assert not InboxMessage.objects.exists()


def test_parent_cancels_racing_child_completions_never_deadlock_or_lose_one(cluster):
    """Parents cancel while their children finish and tell them: both go through inboxes, so no
    transaction waits for a second instance's lock, and every message is consumed exactly once."""
    child = VersionFactory(graph=g([("t", "task", {"handler": "demo.sleep", "input": {"seconds": 0.05}})])).template.name
    name = VersionFactory(graph=g([("m", "map", {"items": "input.xs", "workflow": child, "input": {"i": "{{ item }}"}, "concurrency": 8})])).template.name
    parents = [engine.start_instance(name, input={"xs": list(range(16))})[0].pk for _ in range(12)]
    errors = []

    def cancel(pk, delay):
        try:
            time.sleep(delay)
            engine.cancel_instance(pk, reason="racing")
        except engine.Conflict:
            pass  # it finished first: fine
        except Exception as exc:  # a deadlock would surface here as a database error
            errors.append(exc)
        finally:
            connection.close()  # this thread's: a thread's end does not close it

    threads = [threading.Thread(target=cancel, args=(pk, 0.05 * i)) for i, pk in enumerate(parents)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    for pk in parents:
        parent = wait_for(pk, cluster=cluster, timeout=60)
        assert parent.status in ("cancelled", "completed")
        kids = Instance.objects.filter(parent_step__instance_id=pk)
        wait_until(lambda: not kids.exclude(status__in=["completed", "cancelled", "failed"]).exists(), what="children ended", timeout=60)
        if parent.status == "completed":
            assert parent.output["m"]["completed"] == 16
    wait_until(lambda: not InboxMessage.objects.exists(), what="inboxes empty", timeout=30)
    assert "deadlock" not in cluster.output().lower()
