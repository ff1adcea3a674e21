"""Priority (issue 11 §6): a doorbell serves the instance whose due step ranks first, and a worker
continuing down one instance's steps yields to higher-priority work that came due; every fifth
pick goes by age alone, so lower priorities still progress. In-process on PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest

from tests.factories import graph_of
from workflows import engine, worker
from workflows.engine.runtime import Picker
from workflows.models import Fault, StepRun

pytestmark = pytest.mark.django_db(transaction=True)


def chain(n: int, seconds: float) -> dict:
    nodes = [(f"s{i}", "task", {"handler": "demo.sleep", "input": {"seconds": seconds}}) for i in range(n)]
    return graph_of(nodes, [(f"s{i}", f"s{i + 1}") for i in range(n - 1)])


def test_a_doorbell_serves_the_highest_priority_due_step_first(publish, monkeypatch):
    monkeypatch.setattr(engine.picker, "picks", 0)  # not the fifth pick (by age alone)
    name = publish(chain(1, 0))
    low = [engine.start_instance(name, priority=10)[0] for _ in range(3)]
    high = engine.start_instance(name, priority=90)[0]
    worker.drain(str(low[0].pk))  # the doorbell of a low one
    first = StepRun.objects.filter(status="completed").order_by("started_at").first()
    assert first.instance_id == high.pk


def test_a_worker_continuing_down_a_low_priority_chain_yields_to_high_priority_work(publish, monkeypatch):
    monkeypatch.setattr(engine.picker, "picks", 0)
    low = engine.start_instance(publish(chain(6, 0.1)), priority=10)[0]
    urgent = publish(chain(1, 0))
    started = []

    def start_urgent_soon():
        time.sleep(0.25)
        started.append(engine.start_instance(urgent, priority=90)[0])

    thread = threading.Thread(target=start_urgent_soon)
    thread.start()
    worker.drain(str(low.pk))
    thread.join()
    (high,) = started
    ran = StepRun.objects.get(instance=high)
    low_steps = list(StepRun.objects.filter(instance=low, status="completed").order_by("started_at").values_list("started_at", flat=True))
    assert ran.status == "completed"
    assert ran.started_at < low_steps[-1]  # not after the whole low chain: the worker yielded
    assert not Fault.objects.exists()


def test_every_fifth_pick_goes_by_age_so_low_priorities_are_not_starved(publish):
    name = publish(chain(1, 0))
    old_low = engine.start_instance(name, priority=0)[0]
    highs = {engine.start_instance(name, priority=100)[0].pk for _ in range(3)}
    picker = Picker()
    picks = [picker.candidates(time.time(), old_low.pk) for _ in range(Picker.AGE_EVERY)]
    assert all(set(ids) <= highs and best == 100 and mine == (0, True) and not by_age for ids, best, mine, by_age in picks[:-1])
    assert picks[-1] == ([old_low.pk], 0, (0, True), True)  # the age pick: the oldest due step, whatever its priority
