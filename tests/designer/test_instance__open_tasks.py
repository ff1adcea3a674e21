"""The instance page's open approval tasks (``/instances/<id>/?tasks=open``): read from the tasks
the engine opened, only the instance's open ones, soonest due first, with who holds each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals import service
from approvals.models import Task
from tests.approvals.conftest import approval_graph
from tests.engine.conftest import drain_all
from tests.factories import UserFactory, VersionFactory, graph_of, role_group
from workflows import engine
from workflows.roles import OPERATORS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def mail_now(settings):
    settings.FLOWDESK = {**settings.FLOWDESK, "TASK_MAIL_SYNC": True}


@pytest.fixture
def operator(client):
    """A signed-in operator (the roles' groups made here: a transactional test flushes the migration's)."""
    user = UserFactory(username="otto")
    user.groups.add(role_group(OPERATORS))
    client.force_login(user)
    return client


@pytest.fixture
def people(db):
    Group.objects.create(name="managers")
    return {name: UserFactory(username=name) for name in ("ann", "bob")}


def started(**config):
    name = VersionFactory(graph=approval_graph(**config)).template.name
    instance, _ = engine.start_instance(name, input={"what": "the <b>budget</b>"})
    drain_all(instance.pk)
    return instance


def open_tasks(client, instance) -> list[dict]:
    response = client.get(f"/instances/{instance.pk}/?tasks=open")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return response.json()["tasks"]


def test_it_lists_the_open_task_with_its_assignees_groups_and_due_time(operator, people):
    instance = started(groups=["managers"], due_s=3600)
    task = Task.objects.get(instance=instance)
    (found,) = open_tasks(operator, instance)
    assert found == {
        "id": task.pk,
        "title": "Approve the <b>budget</b>",  # data: the page renders it as text
        "node": "ok",
        "claimed_by": None,
        "assignees": ["ann", "bob"],
        "groups": ["managers"],
        "since": task.created_at.isoformat(),
        "due_at": task.due_at.isoformat(),
        "overdue": False,
        "quorum": 1,
        "url": f"/inbox/{task.pk}/",
    }


def test_a_claimed_task_is_held_by_its_claimer_since_the_claim(operator, people):
    instance = started()
    task = Task.objects.get(instance=instance)
    service.claim(people["bob"], task.pk)
    task.refresh_from_db()
    (found,) = open_tasks(operator, instance)
    assert found["claimed_by"] == "bob" and found["since"] == task.claimed_at.isoformat()


def test_an_overdue_task_says_so(operator, people):
    instance = started(due_s=3600)
    Task.objects.filter(instance=instance).update(due_at=timezone.now() - timedelta(minutes=5))
    assert open_tasks(operator, instance)[0]["overdue"] is True


def test_decided_tasks_and_other_instances_tasks_are_not_listed(operator, people):
    mine, other = started(), started()
    assert len(open_tasks(operator, other)) == 1
    engine.cancel_instance(mine.pk, by="ops")  # withdraws its task
    assert Task.objects.get(instance=mine).status == "withdrawn"
    assert open_tasks(operator, mine) == []


def queries_for(client, instance) -> int:
    with CaptureQueriesContext(connection) as queries:
        open_tasks(client, instance)
    return len(queries)


def test_three_tasks_cost_no_more_queries_than_one(operator, people):
    one = started(groups=["managers"])
    review = {"title": "Review", "assignees": ["ann", "bob"], "groups": ["managers"]}
    graph = graph_of([("intake", "task", {"handler": "demo.noop"}), *((f"r{i}", "approval", review) for i in range(3))], [("intake", f"r{i}") for i in range(3)])
    name = VersionFactory(graph=graph).template.name
    three, _ = engine.start_instance(name)
    drain_all(three.pk)
    assert len(open_tasks(operator, three)) == 3
    assert queries_for(operator, three) == queries_for(operator, one)


def test_without_the_parameter_the_page_is_the_page_and_anonymous_users_log_in(client, operator, people):
    instance = started()
    page = operator.get(f"/instances/{instance.pk}/?tasks=closed")
    assert page.status_code == 200 and 'data-mode="instance"' in page.content.decode()
    operator.logout()
    response = client.get(f"/instances/{instance.pk}/?tasks=open")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
