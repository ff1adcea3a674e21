"""A transition re-reads only the step rows changed since this process last looked (``_SeenRows``).

These tests commit for real (the cache fills on commit) and check every transition's rows against a
full read, while views this process saw earlier are put back at random: what another process
would have left it with after making changes of its own.
"""

from __future__ import annotations

import copy
import random

import pytest

from tests.engine.conftest import drain_all
from tests.factories import VersionFactory
from workflows import engine, timers
from workflows.models import Instance, Timer

pytestmark = pytest.mark.django_db(transaction=True)


def fan(width: int) -> dict:
    """start -> width steps (one of them flaky, retried) -> join."""
    nodes = [{"id": "start", "type": "task", "config": {"handler": "demo.noop"}}]
    nodes += [{"id": f"w{i}", "type": "task", "config": {"handler": "demo.noop"}} for i in range(width - 1)]
    nodes += [{"id": "flaky", "type": "task", "config": {"handler": "demo.flaky", "input": {"failures": 2}, "retry": {"max_attempts": 3, "initial_s": 30, "jitter": False}}}]
    nodes += [{"id": "join", "type": "task", "config": {"handler": "demo.noop"}}]
    middle = [n["id"] for n in nodes[1:-1]]
    edges = [{"id": f"a{k}", "source": "start", "target": m} for k, m in enumerate(middle)]
    edges += [{"id": f"b{k}", "source": m, "target": "join"} for k, m in enumerate(middle)]
    return {"version": 1, "settings": {}, "nodes": nodes, "edges": edges}


def view(rows: dict) -> dict:
    return {n: (r.pk, str(r.status), r.attempt, tuple(r.ports), r.not_before, r.worker) for n, r in rows.items()}


@pytest.fixture
def checked(monkeypatch):
    """Every transition's rows compared with a full read; stale views put back half of the time."""
    rng = random.Random(4)
    kept: list[tuple[int, dict]] = []
    stats = {"transitions": 0, "stale": 0, "cached": 0}
    read, keep = engine.rows.read, engine.rows.seen.keep

    def remembering(instance_id, seq, rows):
        kept.append((seq, copy.deepcopy(rows)))
        keep(instance_id, seq, rows)

    def read_checked(instance_id, items=(), timer=None):
        stats["transitions"] += 1
        if kept and rng.random() < 0.5:
            seq, rows = rng.choice(kept)
            engine.rows.seen.entries[instance_id] = (seq, copy.deepcopy(rows))
            stats["stale"] += 1
        stats["cached"] += instance_id in engine.rows.seen.entries
        instance, rows, mail = read(instance_id, items, timer)
        assert view(rows) == view(engine.rows.latest_rows(instance_id))
        return instance, rows, mail

    monkeypatch.setattr(engine.rows.seen, "keep", remembering)
    monkeypatch.setattr(engine.rows, "read", read_checked)
    return stats


def test_every_transition_sees_what_a_full_read_sees(checked):
    name = VersionFactory(graph=fan(12)).template.name
    instance, _ = engine.start_instance(name)
    for _ in range(3):  # the flaky step fails twice, each retry waits for its timer
        drain_all(instance.pk)
        for timer in Timer.objects.filter(instance=instance, kind="retry"):
            timers.tick(now=timer.due_at.timestamp() + 0.01)
    drain_all(instance.pk)

    instance = Instance.objects.get(pk=instance.pk)
    assert instance.status == "completed"
    assert list(instance.steps.filter(node_id="flaky").values_list("attempt", "status")) == [(1, "failed"), (2, "failed"), (3, "completed")]
    assert checked["cached"] > 10 and checked["stale"] > 5  # both paths were taken, not only full reads
    assert instance.events.filter(type="step_due").count() == 2  # each backoff's end is in the history
