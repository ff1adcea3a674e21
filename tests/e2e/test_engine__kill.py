"""Durability, proven by crashing for real (DESIGN §5): SIGKILL a django-q2 worker while a handler
runs, and while a transition is being applied, then let the cluster carry on. Every instance
finishes, no step is lost, no completion is applied twice, and the attempt history says why."""

from __future__ import annotations

import os
import signal

import psycopg
import pytest
from django.db import connection

from tests.e2e.conftest import wait_for, wait_until
from tests.factories import VersionFactory
from workflows import engine
from workflows.models import Event, StepRun

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RETRY = {"max_attempts": 3, "initial_s": 0.1, "backoff": 2}


def two_steps(first_handler: str, first_input: dict, retry: dict | None = RETRY) -> str:
    graph = {
        "version": 1,
        "settings": {},
        "nodes": [
            {"id": "a", "type": "task", "config": {"handler": first_handler, "input": first_input, **({"retry": retry} if retry else {})}},
            {"id": "b", "type": "task", "config": {"handler": "demo.noop", "input": "{{ steps.a.output }}"}},
        ],
        "edges": [{"id": "e1", "source": "a", "target": "b"}],
    }
    return VersionFactory(graph=graph).template.name


def running_worker_pid(instance_id, node: str) -> int:
    row = wait_until(
        lambda: StepRun.objects.filter(instance_id=instance_id, node_id=node, status="running").exclude(worker="").first(),
        what=f"{node} to be running",
    )
    return int(row.worker.rsplit(":", 1)[1])


def assert_recovered(instance_id, cluster):
    done = wait_for(instance_id, cluster=cluster, timeout=40)
    assert done.status == "completed", done.error
    a = list(StepRun.objects.filter(instance_id=instance_id, node_id="a").order_by("attempt").values_list("attempt", "status", "error_type"))
    assert a == [(1, "failed", "WorkerLost"), (2, "completed", "")]
    assert list(StepRun.objects.filter(instance_id=instance_id, node_id="b").values_list("attempt", "status")) == [(1, "completed")]
    completions = Event.objects.filter(instance_id=instance_id, type="step_completed").values_list("node_id", "attempt")
    assert sorted(completions) == [("a", 2), ("b", 1)]  # each completion applied exactly once
    seqs = list(Event.objects.filter(instance_id=instance_id).values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    return done


@pytest.mark.parametrize("round", range(3))
def test_a_worker_killed_while_its_handler_runs_loses_nothing(cluster, round):
    name = two_steps("demo.sleep", {"seconds": 1.0})
    instance, _ = engine.start_instance(name)
    os.kill(running_worker_pid(instance.pk, "a"), signal.SIGKILL)
    done = assert_recovered(instance.pk, cluster)
    assert done.output == {"b": {"slept_s": 1.0, "attempt": 2}}


@pytest.mark.parametrize("round", range(3))
def test_a_worker_killed_while_applying_a_transition_loses_nothing(cluster, round):
    """Hold the Event table so the worker's completion transaction blocks half-way (step row
    updated, next step inserted, events not yet), kill the worker there, then let go: PostgreSQL
    rolls the half-done transaction back and the lease sweep retries the step."""
    name = two_steps("demo.sleep", {"seconds": 0.3})
    instance, _ = engine.start_instance(name)
    pid = running_worker_pid(instance.pk, "a")
    dsn = connection.settings_dict
    with psycopg.connect(host=dsn["HOST"] or "127.0.0.1", port=dsn["PORT"] or 5432, user=dsn["USER"], dbname=dsn["NAME"]) as blocker:
        blocker.execute("LOCK TABLE workflows_event IN SHARE MODE")
        with psycopg.connect(host=dsn["HOST"] or "127.0.0.1", port=dsn["PORT"] or 5432, user=dsn["USER"], dbname=dsn["NAME"], autocommit=True) as probe:

            def worker_blocked_in_transition():
                rows = probe.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    # the completion's batch (its text is cut at track_activity_query_size, before its event INSERT)
                    "AND wait_event_type = 'Lock' AND query LIKE 'UPDATE \"workflows_steprun\" SET \"status\" = ''completed''%%' AND state = 'active'"
                ).fetchone()
                return rows[0] > 0

            wait_until(worker_blocked_in_transition, what="the worker to block inside its completion transaction")
            # The half-applied transition is invisible: a is still running, b does not exist.
            assert StepRun.objects.get(instance_id=instance.pk, node_id="a").status == "running"
            assert not StepRun.objects.filter(instance_id=instance.pk, node_id="b").exists()
            os.kill(pid, signal.SIGKILL)
        blocker.rollback()
    assert_recovered(instance.pk, cluster)


def test_a_crash_is_not_a_business_failure_a_step_without_retries_survives_its_worker(cluster):
    """DESIGN §5b: the attempt lost with its worker is retried without counting against
    ``max_attempts`` (1 by default, so before this the instance failed with WorkerLost)."""
    name = two_steps("demo.sleep", {"seconds": 1.0}, retry=None)
    instance, _ = engine.start_instance(name)
    os.kill(running_worker_pid(instance.pk, "a"), signal.SIGKILL)
    assert_recovered(instance.pk, cluster)
    assert list(StepRun.objects.filter(instance_id=instance.pk, node_id="a").values_list("attempt", "lost")) == [(1, 0), (2, 1)]
