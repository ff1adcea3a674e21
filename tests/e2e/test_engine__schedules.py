"""Schedules on real engines: two ``manage.py engine`` processes (each its own timer loop) fire
every-second schedules on the same database; every fire time starts exactly one run, none is
missed, each within a second of its time, and the runs complete on the cluster."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime

import pytest

from tests.e2e.conftest import Engine, wait_for
from tests.factories import VersionFactory, chain_graph
from workflows import schedules
from workflows.models import Instance

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_engines(tmp_path):
    started = []
    try:
        for k in range(2):
            folder = tmp_path / f"engine{k}"
            folder.mkdir()
            started.append(Engine(folder).start())
        time.sleep(3)  # the clusters fork their workers; the loops start at once
        yield started
    finally:
        for engine in reversed(started):
            engine.stop()


def test_two_engines_fire_each_schedule_once_per_fire_time_within_a_second(two_engines):
    template = VersionFactory(template__name="heartbeat", number=1, graph=chain_graph("a")).template
    made = [schedules.create(name=f"every-second-{k}", template=template, cron="* * * * * *", timezone="Europe/Paris", overlap="allow") for k in range(3)]
    time.sleep(5)
    for schedule in made:
        schedules.pause(schedule)
    time.sleep(0.5)
    rows = list(Instance.objects.filter(schedule__in=made).values_list("pk", "business_key", "created_at", "schedule__name"))
    keys = Counter(key for _, key, _, _ in rows)
    assert keys and max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]
    for schedule in made:
        fires = sorted(datetime.fromisoformat(key.split(":", 2)[2]) for _, key, _, name in rows if name == schedule.name)
        assert len(fires) >= 3, (schedule.name, fires, [e.output()[-2000:] for e in two_engines])
        assert all((b - a).total_seconds() == 1 for a, b in zip(fires, fires[1:])), f"a second was missed: {fires}"
    late = [(created - datetime.fromisoformat(key.split(":", 2)[2])).total_seconds() for _, key, created, _ in rows]
    assert 0 <= min(late) and max(late) < 1.0, late
    for pk, *_ in rows[:3]:
        assert wait_for(pk, cluster=two_engines[0]).status == "completed"
