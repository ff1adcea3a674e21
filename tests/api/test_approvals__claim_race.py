"""Reviewers of one group claiming one task at the same moment, through the API: the instance's
lock serialises them, one wins, and every other is told who did (409), with nothing written."""

from __future__ import annotations

import threading

import factory
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from approvals.models import Entry, Task
from tests.api.conftest import client_for
from tests.approvals.conftest import approval_graph
from tests.engine.conftest import drain_all
from tests.factories import UserFactory, VersionFactory
from workflows import engine
from workflows.models import Event

pytestmark = pytest.mark.django_db(transaction=True)

REVIEWERS = ("ann", "bob", "cy", "dee")


@pytest.fixture(autouse=True)
def mail_now(settings):
    settings.FLOWDESK = {**settings.FLOWDESK, "TASK_MAIL_SYNC": True}


def test_of_reviewers_claiming_at_once_one_wins_and_the_others_are_told_who():
    managers = Group.objects.create(name="managers")
    for name in REVIEWERS:
        UserFactory(username=name, password=factory.Transformer.Force("!")).groups.add(managers)
    name = VersionFactory(graph=approval_graph(assignees=[], groups=["managers"])).template.name
    instance, _ = engine.start_instance(name, input={"what": "the budget"})
    drain_all(instance.pk)
    task = Task.objects.get(instance=instance)
    clients = {n: client_for(get_user_model().objects.get(username=n)) for n in REVIEWERS}  # tokens made before the race
    barrier = threading.Barrier(len(REVIEWERS))
    answers, errors = {}, []

    def claim(who: str) -> None:
        try:
            barrier.wait()
            answers[who] = clients[who].post(f"/api/v1/approvals/{task.pk}/claim/")
        except Exception as exc:  # collected: a thread's exception would vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(who,)) for who in REVIEWERS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    won = [who for who, r in answers.items() if r.status_code == 200]
    assert len(won) == 1, {who: r.status_code for who, r in answers.items()}
    winner = won[0]
    for who, response in answers.items():
        if who != winner:
            assert response.status_code == 409
            assert response.json()["detail"] == f"{winner} claimed this task first"
            assert response.json()["errors"][0]["field"] == "claimed_by"
    assert Task.objects.get(pk=task.pk).claimed_by.username == winner
    assert list(Entry.objects.filter(task=task, action="claimed").values_list("user__username", flat=True)) == [winner]
    assert Event.objects.filter(instance=instance, type="task_claimed").count() == 1
