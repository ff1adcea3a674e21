"""The timer loop fires the timers of different instances side by side (``FLOWDESK_TIMER_THREADS``).

Fired one by one, a burst of timers due together (forty retry backoffs after one outage) made the
last one late by the sum of the others' transitions. On a pool, each instance's items still run in
order on one thread (they would only queue for its lock), and one that raises stays isolated.
Transactional: the pool's threads have connections of their own, which see only what is committed.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from tests.factories import VersionFactory, graph_of
from workflows import engine, timers
from workflows.models import Event, Fault, Instance, StepRun, TemplateVersion, Timer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pool():
    with timers.fire_pool(4) as executor:
        yield executor


def test_instances_are_served_side_by_side_and_each_instance_in_order(pool):
    both_started = threading.Barrier(2, timeout=5)  # serial work would never get two keys here at once
    seen: list[tuple[str, int, int]] = []
    lock = threading.Lock()

    def work(item):
        key, n = item
        if n == 0 and key in ("a", "b"):
            both_started.wait()
        with lock:
            seen.append((key, n, threading.get_ident()))
        return f"{key}{n}"

    keyed = [(key, (key, n)) for n in range(3) for key in ("a", "b", "c")]
    results = timers._per_instance(pool, work, keyed)

    assert sorted(results) == sorted(f"{k}{n}" for k in "abc" for n in range(3))
    for key in "abc":
        mine = [(n, thread) for k, n, thread in seen if k == key]
        assert [n for n, _ in mine] == [0, 1, 2]  # in order
        assert len({thread for _, thread in mine}) == 1  # on one thread


def test_without_a_pool_everything_runs_in_the_callers_thread_in_order():
    threads = set()

    def work(item):
        threads.add(threading.get_ident())
        return item

    assert timers._per_instance(None, work, [("a", 1), ("b", 2), ("a", 3)]) == [1, 3, 2]
    assert threads == {threading.get_ident()}


def waiting_instances(count: int) -> list[Instance]:
    name = VersionFactory(graph=graph_of([("pause", "wait", {"for_s": 0}), ("after", "wait", {"for_s": 3600})], [("pause", "after")])).template.name
    return [engine.start_instance(name)[0] for _ in range(count)]


def test_a_burst_of_due_timers_fires_once_each_on_the_pool_and_a_broken_one_stays_isolated(pool):
    instances = waiting_instances(1) + waiting_instances(6)
    bad = instances[0]
    TemplateVersion.objects.filter(pk=bad.version_id).update(graph={"version": 1, "nodes": "not a list"})
    engine.graphs.forget()
    assert Timer.objects.count() == 7

    done = timers.tick(time.time() + 1, pool=pool)

    assert (done["timers"], done["faults"]) == (6, 1)
    for instance in instances[1:]:
        assert StepRun.objects.get(instance=instance, node_id="pause").status == "completed"
        assert StepRun.objects.get(instance=instance, node_id="after").status == "waiting"
        assert Event.objects.filter(instance=instance, node_id="pause", type="step_completed").count() == 1
    assert Fault.objects.get().instance_id == bad.pk
    assert Timer.objects.get(instance=bad).faults == 1  # pushed back by its backoff
    assert timers.tick(time.time() + 1, pool=pool)["timers"] == 0  # nothing fires twice


def sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_the_pools_threads_connect_at_the_start_and_close_at_the_end():
    before = sessions()
    with timers.fire_pool(3):
        assert sessions() == before + 3  # ready before the first burst of timers
    assert wait_for_sessions(before)


def wait_for_sessions(count: int) -> bool:
    give_up = time.monotonic() + 5
    while sessions() != count:  # a closed session leaves pg_stat_activity a moment later
        if time.monotonic() > give_up:
            return False
        time.sleep(0.02)
    return True
