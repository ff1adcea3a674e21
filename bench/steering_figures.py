"""Steering running instances (issue 11): a signal through the API until its node completed, pause
and resume of 1,000 running instances, and priority under a backlog. Run with the real engine
(``engine_figures.run``); times come from the rows where the engine wrote them."""

from __future__ import annotations

import time

from bench.running import _load, _wait_all
from bench.stats import figure, percentile


def _graph(nodes: list[dict], edges: list[tuple[str, str]] = ()) -> dict:
    return {"version": 1, "settings": {}, "nodes": nodes, "edges": [{"id": f"e{i}", "source": a, "target": b} for i, (a, b) in enumerate(edges)]}


def signals(count: int = 200):
    """``POST /api/v1/instances/{id}/signals/go/`` (DRF in this process, no network) until the
    waiting signal node's step row says completed; one instance at a time, ``count`` of them."""
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from workflows import engine
    from workflows.models import StepRun

    name = _load("bench-signal", _graph([{"id": "s", "type": "signal", "config": {"name": "go"}}, {"id": "after", "type": "task", "config": {"handler": "demo.noop"}}], [("s", "after")]))
    user, _ = get_user_model().objects.get_or_create(username="bench-operator", defaults={"is_superuser": True, "is_staff": True})
    client = APIClient(SERVER_NAME="localhost")
    client.force_authenticate(user)
    ids = [engine.start_instance(name)[0].pk for _ in range(count + 10)]
    latencies = []
    for k, instance_id in enumerate(ids):
        t0 = time.time()
        response = client.post(f"/api/v1/instances/{instance_id}/signals/go/", {"n": k}, format="json")
        if response.status_code != 202:
            raise RuntimeError(f"signal answered {response.status_code}: {response.content[:300]!r}")
        for _ in range(200):  # the step's own finished_at says when; this loop only waits for it
            finished = StepRun.objects.filter(instance_id=instance_id, node_id="s", status="completed").values_list("finished_at", flat=True).first()
            if finished:
                break
            time.sleep(0.005)
        else:
            raise RuntimeError("the signal node did not complete")
        if k >= 10:  # the first ten warm the connections
            latencies.append((finished.timestamp() - t0) * 1000)
    workload = f"signal API call -> signal node completed, {count} instances one after another (DRF in process)"
    return [
        figure("signal_to_completed_p50", percentile(latencies, 50), "ms", samples=len(latencies), workload=workload),
        figure("signal_to_completed_p95", percentile(latencies, 95), "ms", samples=len(latencies)),
    ]


def pause_resume(count: int = 1000):
    """Pause then resume 1,000 running instances (each waiting on a timer) with the bulk action
    the API and the list page call; wall time of each call."""
    from workflows import engine
    from workflows.models import Instance

    name = _load("bench-pausable", _graph([{"id": "nap", "type": "wait", "config": {"for_s": 3600}}]))
    ids = [engine.start_instance(name)[0].pk for _ in range(count)]
    t0 = time.perf_counter()
    paused = engine.bulk("pause", ids, by="bench")
    pause_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    resumed = engine.bulk("resume", ids, by="bench")
    resume_s = time.perf_counter() - t0
    if len(paused["done"]) != count or len(resumed["done"]) != count:
        raise RuntimeError(f"refused: {list(paused['refused'].values())[:3]} {list(resumed['refused'].values())[:3]}")
    if Instance.objects.filter(pk__in=ids, status="running").count() != count:
        raise RuntimeError("not every instance is running again")
    engine.bulk("cancel", ids)
    return [
        figure("pause_1000_wall", pause_s, "s", workload=f"bulk pause of {count} running instances"),
        figure("resume_1000_wall", resume_s, "s", workload=f"bulk resume of the same {count}"),
    ]


def priority(low_instances: int = 40, items: int = 50, high: int = 50):
    """A backlog of 2,000 queued low-priority steps (40 maps of 50 0.05 s sleeps, priority 10),
    then 50 high-priority instances (priority 90, one 0.05 s sleep each): the queue wait
    (started - scheduled) of each step, per priority."""
    from workflows import engine
    from workflows.models import StepRun

    low_name = _load("bench-low", _graph([{"id": "each", "type": "map", "config": {"items": "input.items", "handler": "demo.sleep", "input": {"seconds": 0.05}, "concurrency": items}}]))
    high_name = _load("bench-high", _graph([{"id": "one", "type": "task", "config": {"handler": "demo.sleep", "input": {"seconds": 0.05}}}]))
    low = [engine.start_instance(low_name, input={"items": list(range(items))}, priority=10)[0].pk for _ in range(low_instances)]
    time.sleep(0.2)  # the backlog is queued and being worked on
    high_ids = [engine.start_instance(high_name, priority=90)[0].pk for _ in range(high)]
    _wait_all(low + high_ids, timeout=180)

    def waits(ids):
        rows = StepRun.objects.filter(instance_id__in=ids, node_type__in=["task", "map"]).exclude(status="waiting").exclude(item_key="", node_type="map")
        return [(r.started_at - r.scheduled_at).total_seconds() * 1000 for r in rows if r.started_at and r.scheduled_at]

    low_waits, high_waits = waits(low), waits(high_ids)
    ratio = percentile(high_waits, 95) / percentile(low_waits, 95)
    workload = f"{low_instances * items} queued priority-10 steps, then {high} priority-90 instances; 0.05 s sleeps"
    return [
        figure("priority_high_wait_p95", percentile(high_waits, 95), "ms", samples=len(high_waits), workload=workload),
        figure("priority_low_wait_p95", percentile(low_waits, 95), "ms", samples=len(low_waits)),
        figure("priority_wait_ratio_p95", ratio * 100, "%", target="<= 10"),
    ]
