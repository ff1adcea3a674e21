"""Signal-with-start under contention: callers with the same key at the same moment start one
instance between them, and every signal reaches it."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.engine.conftest import drain_all
from tests.factories import VersionFactory, graph_of
from workflows.models import Instance, Signal
from workflows.signal_start import signal_with_start

pytestmark = pytest.mark.django_db(transaction=True)

CALLERS = 6


def race(**key) -> list:
    graph = graph_of([("wait", "signal", {"name": "go"}), ("after", "task", {"handler": "demo.noop"})], [("wait", "after")])
    VersionFactory(template__name="orders", number=1, graph=graph)
    barrier = threading.Barrier(CALLERS)
    results, errors = [], []

    def call(n: int) -> None:
        try:
            barrier.wait()
            results.append(signal_with_start("orders", signal="go", payload={"n": n}, by=f"caller{n}", **key))
        except Exception as exc:  # collected: a thread's exception would vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(n,)) for n in range(CALLERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    return results


@pytest.mark.parametrize("key", [{"business_key": "cust-1"}, {"idempotency_key": "order-1"}], ids=["business_key", "idempotency_key"])
def test_concurrent_callers_with_one_key_start_one_instance_and_all_signal_it(key):
    results = race(**key)
    assert Instance.objects.count() == 1
    assert sum(started for _, started, _ in results) == 1
    instance = Instance.objects.get()
    assert {str(i.pk) for i, _, _ in results} == {str(instance.pk)}
    assert sorted(Signal.objects.filter(instance=instance).values_list("pk", flat=True)) == sorted(seq for _, _, seq in results)
    drain_all(instance.pk)
    # the oldest signal completed the waiting node; the others stay buffered for a node to come
    first = Signal.objects.filter(instance=instance).order_by("id").first()
    assert instance.steps.get(node_id="wait").output == first.payload
    assert list(Signal.objects.filter(instance=instance, delivered_at__isnull=False).values_list("pk", flat=True)) == [first.pk]
