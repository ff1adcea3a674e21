"""Approvals (issue 12): the inbox's first page with 10,000 open tasks across 200 users, and a
reviewer's decision until the next step started. Run with the real engine
(``engine_figures.run``); the decision's latency comes from the step row the worker wrote."""

from __future__ import annotations

import random
import time

from bench.running import _load
from bench.stats import figure, percentile

USERS = 200
TASKS = 10_000
GROUPS = 20


def _population() -> list:
    """200 reviewers in 20 groups; 10,000 open tasks, each for one or two named reviewers or a
    group, written directly (the engine would open them one transition at a time)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from approvals.models import Task
    from workflows.models import Instance, TemplateVersion

    rng = random.Random(12)
    User = get_user_model()
    password = make_password("bench")
    users = User.objects.bulk_create([User(username=f"reviewer-{i:03}", email=f"r{i}@example.com", password=password) for i in range(USERS)])
    groups = Group.objects.bulk_create([Group(name=f"team-{g:02}") for g in range(GROUPS)])
    User.groups.through.objects.bulk_create([User.groups.through(user_id=u.pk, group_id=groups[i % GROUPS].pk) for i, u in enumerate(users)])
    name = _load("bench-inbox", {"version": 1, "settings": {}, "nodes": [{"id": "ok", "type": "approval", "config": {"title": "t", "groups": ["team-00"]}}], "edges": []})
    version = TemplateVersion.objects.filter(template__name=name).order_by("-number").first()
    now = timezone.now()
    instances = Instance.objects.bulk_create(
        [Instance(template_id=version.template_id, version=version, status="running", input={}, started_at=now) for _ in range(TASKS)], batch_size=2000
    )
    tasks = Task.objects.bulk_create(
        [
            Task(instance=inst, template_id=version.template_id, node_id="ok", attempt=1, title=f"Review case {k}", priority=rng.choice((30, 50, 70)),
                 created_at=now, due_at=now + timezone.timedelta(hours=rng.randint(-48, 24 * 14)))
            for k, inst in enumerate(instances)
        ],
        batch_size=2000,
    )  # fmt: skip
    assignees, teams = [], []
    for task in tasks:
        if rng.random() < 0.7:
            for user in rng.sample(users, rng.choice((1, 2))):
                assignees.append(Task.assignees.through(task_id=task.pk, user_id=user.pk))
        else:
            teams.append(Task.groups.through(task_id=task.pk, group_id=rng.choice(groups).pk))
    Task.assignees.through.objects.bulk_create(assignees, batch_size=5000)
    Task.groups.through.objects.bulk_create(teams, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return users


def inbox(samples: int = 200):
    """Server time of the inbox's first page (API list, view=mine and view=groups, and the counts
    the tabs show) for random reviewers: DRF in this process, no network."""
    from rest_framework.test import APIClient

    from approvals import lists

    from django.test import Client

    users = _population()
    rng = random.Random(7)
    client = APIClient(SERVER_NAME="localhost")
    browser = Client(SERVER_NAME="localhost")
    timings: dict[str, list[float]] = {"mine": [], "groups": [], "counts": [], "page": []}
    for k in range(samples + 10):
        user = rng.choice(users)
        client.force_authenticate(user)
        browser.force_login(user)
        t0 = time.perf_counter()
        response = browser.get("/inbox/")
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"/inbox/ answered {response.status_code}")
        if k >= 10:
            timings["page"].append(elapsed)
        for view in ("mine", "groups"):
            t0 = time.perf_counter()
            response = client.get(f"/api/v1/approvals/?view={view}")
            elapsed = (time.perf_counter() - t0) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"the inbox answered {response.status_code}: {response.content[:300]!r}")
            if k >= 10:
                timings[view].append(elapsed)
        t0 = time.perf_counter()
        lists.counts(user)
        if k >= 10:
            timings["counts"].append((time.perf_counter() - t0) * 1000)
    workload = f"{TASKS:,} open tasks, {USERS} reviewers in {GROUPS} groups; first page (50) of GET /api/v1/approvals/, {samples} random reviewers"
    page = f"{TASKS:,} open tasks, {USERS} reviewers in {GROUPS} groups; GET /inbox/ (the page: tabs with counts, first 50 rows, nav badge), {samples} random reviewers"
    return [
        figure("inbox_page_p50", percentile(timings["page"], 50), "ms", samples=samples, workload=page),
        figure("inbox_page_p95", percentile(timings["page"], 95), "ms", samples=samples),
        figure("inbox_mine_p50", percentile(timings["mine"], 50), "ms", samples=samples, workload=workload),
        figure("inbox_mine_p95", percentile(timings["mine"], 95), "ms", samples=samples),
        figure("inbox_groups_p95", percentile(timings["groups"], 95), "ms", samples=samples),
        figure("inbox_counts_p95", percentile(timings["counts"], 95), "ms", samples=samples),
    ]


def decision(count: int = 200):
    """``approvals.service.decide`` (what the task page and the API call) until the step after the
    approval was started by a worker, one instance at a time."""
    from django.contrib.auth import get_user_model

    from approvals import service
    from approvals.forms import DecisionForm
    from approvals.models import Task
    from workflows import engine
    from workflows.models import StepRun

    graph = {
        "version": 1, "settings": {},
        "nodes": [{"id": "ok", "type": "approval", "config": {"title": "t", "assignees": ["bench-reviewer"]}}, {"id": "next", "type": "task", "config": {"handler": "demo.noop"}}],
        "edges": [{"id": "e0", "source": "ok", "target": "next", "port": "approved"}],
    }  # fmt: skip
    name = _load("bench-decision", graph)
    reviewer, _ = get_user_model().objects.get_or_create(username="bench-reviewer")
    ids = [engine.start_instance(name)[0].pk for _ in range(count + 10)]
    latencies = []
    for k, instance_id in enumerate(ids):
        task = Task.objects.get(instance_id=instance_id)
        t0 = time.time()
        service.decide(reviewer, task.pk, DecisionForm({"decision": "approved"}, fields=[]))
        for _ in range(400):  # the step's own started_at says when; this loop only waits for it
            started = StepRun.objects.filter(instance_id=instance_id, node_id="next", started_at__isnull=False).values_list("started_at", flat=True).first()
            if started:
                break
            time.sleep(0.005)
        else:
            raise RuntimeError("the step after the approval did not start")
        if k >= 10:
            latencies.append((started.timestamp() - t0) * 1000)
    workload = f"decide (service, as the page and API do) -> next step started by a worker, {count} instances one after another"
    return [
        figure("decision_to_next_started_p50", percentile(latencies, 50), "ms", samples=len(latencies), workload=workload),
        figure("decision_to_next_started_p95", percentile(latencies, 95), "ms", samples=len(latencies)),
    ]
