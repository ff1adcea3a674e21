"""Instances run by a real django-q2 cluster over Redis, on PostgreSQL."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_for
from tests.factories import VersionFactory, chain_graph
from workflows import engine
from workflows.models import Event

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fan(width: int) -> dict:
    nodes = [{"id": "start", "type": "task", "config": {"handler": "demo.noop"}}]
    nodes += [{"id": f"w{i}", "type": "task", "config": {"handler": "demo.noop", "input": {"i": i}}} for i in range(width)]
    nodes += [{"id": "join", "type": "task", "config": {"handler": "demo.noop", "input": "{{ len(step_outputs) }}"}}]
    edges = [{"id": f"a{i}", "source": "start", "target": f"w{i}"} for i in range(width)]
    edges += [{"id": f"b{i}", "source": f"w{i}", "target": "join"} for i in range(width)]
    return {"version": 1, "settings": {}, "nodes": nodes, "edges": edges}


def test_a_chain_runs_to_completion_on_the_cluster(cluster):
    name = VersionFactory(graph=chain_graph("a", "b", "c")).template.name
    instance, _ = engine.start_instance(name, input={"n": 1})
    done = wait_for(instance.pk, cluster=cluster)
    assert done.status == "completed"
    assert list(done.steps.values_list("node_id", "status")) == [("a", "completed"), ("b", "completed"), ("c", "completed")]


def test_concurrent_fan_outs_join_exactly_once_each(cluster):
    name = VersionFactory(graph=fan(30)).template.name
    ids = [engine.start_instance(name, input={"k": k})[0].pk for k in range(8)]
    for instance_id in ids:
        done = wait_for(instance_id, cluster=cluster, timeout=60)
        assert done.status == "completed"
        assert done.steps.filter(node_id="join").count() == 1
        assert done.steps.count() == 32
        assert done.output == {"join": 31}  # the join saw start and all 30 branches
        seqs = list(Event.objects.filter(instance_id=instance_id).values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))


def test_a_flaky_step_retries_with_backoff_on_the_cluster(cluster):
    graph = {
        "version": 1,
        "settings": {},
        "nodes": [{"id": "f", "type": "task", "config": {"handler": "demo.flaky", "input": {"failures": 2}, "retry": {"max_attempts": 4, "initial_s": 0.2, "backoff": 2}}}],
        "edges": [],
    }
    name = VersionFactory(graph=graph).template.name
    instance, _ = engine.start_instance(name)
    done = wait_for(instance.pk, cluster=cluster)
    assert done.status == "completed"
    attempts = list(done.steps.order_by("attempt").values_list("attempt", "status", "error_type"))
    assert attempts == [(1, "failed", "TransientError"), (2, "failed", "TransientError"), (3, "completed", "")]
    first, second, third = done.steps.order_by("attempt")
    assert (second.started_at - first.finished_at).total_seconds() >= 0.1  # equal jitter: at least half of 0.2 s
    assert (third.started_at - second.finished_at).total_seconds() >= 0.2
