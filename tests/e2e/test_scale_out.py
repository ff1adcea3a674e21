"""Scale-out is configuration, not code: two web (daphne) processes and two engines (django-q2
clusters with their timer loops) share PostgreSQL and Redis on one machine. Instances started through
either web process run on both clusters; joins still happen once, timers still fire once."""

from __future__ import annotations

import time

import pytest
from rest_framework.authtoken.models import Token

from tests.e2e.conftest import Engine, Web
from tests.factories import UserFactory, VersionFactory, role_group
from workflows.models import Event, Instance, StepRun
from workflows.roles import OPERATORS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 12


def fan_with_a_flaky_branch() -> dict:
    """start -> 12 branches, one failing twice before it succeeds (timer-driven retries) -> join."""
    nodes = [{"id": "start", "type": "task", "config": {"handler": "demo.noop"}}]
    nodes += [{"id": f"w{i}", "type": "task", "config": {"handler": "demo.sleep", "input": {"seconds": 0.02}}} for i in range(WIDTH - 1)]
    nodes += [{"id": "flaky", "type": "task", "config": {"handler": "demo.flaky", "input": {"failures": 2}, "retry": {"max_attempts": 4, "initial_s": 0.2, "jitter": False}}}]
    nodes += [{"id": "join", "type": "task", "config": {"handler": "demo.noop", "input": "{{ len(step_outputs) }}"}}]
    middle = [n["id"] for n in nodes[1:-1]]
    edges = [{"id": f"a{k}", "source": "start", "target": m} for k, m in enumerate(middle)]
    edges += [{"id": f"b{k}", "source": m, "target": "join"} for k, m in enumerate(middle)]
    return {"version": 1, "settings": {}, "nodes": nodes, "edges": edges}


@pytest.fixture
def two_of_each(tmp_path):
    user = UserFactory(username="olga")
    user.groups.add(role_group(OPERATORS))
    token = Token.objects.create(user=user).key
    started = []
    try:
        for k in range(2):
            folder = tmp_path / f"node{k}"
            folder.mkdir()
            started.append(Engine(folder).start())
            started.append(Web(folder, token=token).start())
        yield [p for p in started if isinstance(p, Web)], [p for p in started if isinstance(p, Engine)]
    finally:
        for process in reversed(started):
            process.stop()


def test_two_webs_and_two_engines_share_the_work_and_stay_exactly_once(two_of_each):
    webs, engines = two_of_each
    name = VersionFactory(graph=fan_with_a_flaky_branch()).template.name
    ids = []
    for k in range(10):
        status, body = webs[k % 2].api("POST", "instances/", {"template": name, "input": {"k": k}})
        assert status == 201, body
        ids.append(body["id"])

    give_up = time.monotonic() + 90
    pending = set(ids)
    while pending and time.monotonic() < give_up:
        for instance_id in list(pending):
            status, body = webs[1].api("GET", f"instances/{instance_id}/")  # read through the other web
            assert status == 200, body
            if body["status"] not in ("pending", "running"):
                pending.discard(instance_id)
        time.sleep(0.3)
    assert not pending, "still running after 90 s:\n" + "\n".join(e.output()[-2000:] for e in engines)

    for instance_id in ids:
        instance = Instance.objects.get(pk=instance_id)
        assert instance.status == "completed"
        assert instance.output == {"join": WIDTH + 1}  # the join saw start and every branch, once
        assert instance.steps.filter(node_id="join").count() == 1
        flaky = list(instance.steps.filter(node_id="flaky").order_by("attempt").values_list("attempt", "status"))
        assert flaky == [(1, "failed"), (2, "failed"), (3, "completed")]  # each retry timer fired once
        seqs = list(Event.objects.filter(instance_id=instance_id).values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))
    # each engine runs 2 worker processes: more than 2 distinct workers means both clusters worked
    workers = set(StepRun.objects.filter(instance_id__in=ids).exclude(worker="").values_list("worker", flat=True))
    assert len(workers) > 2, workers
