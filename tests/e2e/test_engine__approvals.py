"""Approval tasks under a real engine (``manage.py engine``): the timer loop reminds a task's
holders and escalates it when overdue; a reviewer's decision lets the workers carry the instance
on. Mail goes to files (the engine's own process sends it). Times only bound the waiting."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from approvals import service
from approvals.forms import DecisionForm
from approvals.models import Entry, Task
from tests.e2e.conftest import Engine, wait_for, wait_until
from tests.factories import UserFactory, VersionFactory, graph_of
from workflows import engine
from workflows.models import Event

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def mailing_cluster(django_db_setup, django_db_blocker, tmp_path_factory):
    mail_dir = tmp_path_factory.mktemp("mail")
    with django_db_blocker.unblock():
        eng = Engine(tmp_path_factory.mktemp("engine"), EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(mail_dir)).start()
    eng.mail_dir = mail_dir
    yield eng
    eng.stop()


def mails(cluster) -> str:
    return "\n".join(p.read_text() for p in sorted(cluster.mail_dir.glob("*")))


def publish(**config) -> str:
    node = {"title": "Approve the order", "assignees": ["ann"], "form": [{"name": "amount", "type": "number", "required": True}], **config}
    graph = graph_of(
        [("ok", "approval", node), ("yes", "task", {"handler": "demo.noop"}), ("no", "task", {"handler": "demo.noop"})],
        [("ok", "yes", "approved"), ("ok", "no", "rejected")],
    )
    return VersionFactory(graph=graph).template.name


def approve(user, task) -> None:
    service.decide(user, task.pk, DecisionForm({"decision": "approved", "f_amount": "3"}, fields=task.form))


def test_an_overdue_task_is_reminded_then_reassigned_to_a_group_whose_member_decides(mailing_cluster):
    ann = UserFactory(username="ann")
    managers = Group.objects.create(name="managers")
    cy = UserFactory(username="cy")
    cy.groups.add(managers)
    name = publish(due_s=1.5, escalation={"action": "reassign", "group": "managers", "to": ["boss@example.com"]})
    instance, _ = engine.start_instance(name)
    task = Task.objects.get(instance=instance)
    with pytest.raises(Exception):
        service.get(cy, task.pk)  # not cy's before the escalation
    wait_until(lambda: Task.objects.filter(pk=task.pk, escalated_at__isnull=False).exists(), what="the escalation", timeout=30)
    actions = list(Entry.objects.filter(task=task).values_list("action", flat=True))
    assert actions == ["opened", "reminded", "escalated"]
    assert list(task.groups.values_list("name", flat=True)) == ["managers"]
    assert Event.objects.filter(instance=instance, type="task_escalated", data__group="managers").exists()
    # each mail leaves from the process that ran its transition: in either order
    wait_until(lambda: "Overdue" in mails(mailing_cluster) and "Reminder" in mails(mailing_cluster), what="the reminder and escalation mails")
    sent = mails(mailing_cluster)
    assert "Reminder: Approve the order" in sent and "boss@example.com" in sent and f"/inbox/{task.pk}/" in sent
    approve(cy, service.get(cy, task.pk))
    done = wait_for(instance.pk, cluster=mailing_cluster)
    assert done.status == "completed"
    assert [s.node_id for s in done.steps.filter(status="completed").order_by("id")] == ["ok", "yes"]
    assert ann.pk  # ann kept her assignment: either of them could have decided


def test_an_overdue_task_decided_by_its_escalation_carries_the_instance_on_that_port(mailing_cluster):
    UserFactory(username="ann")
    instance, _ = engine.start_instance(publish(due_s=0.5, escalation={"action": "decide", "outcome": "rejected"}))
    done = wait_for(instance.pk, cluster=mailing_cluster)
    task = Task.objects.get(instance=instance)
    assert done.status == "completed" and task.status == "escalated" and task.decision == "rejected"
    ok = done.steps.get(node_id="ok")
    assert ok.ports == ["rejected"] and ok.output["automatic"] is True
    assert done.steps.get(node_id="no").status == "completed" and done.steps.get(node_id="yes").status == "skipped"


def test_a_decision_is_carried_on_by_the_workers(mailing_cluster):
    ann = UserFactory(username="ann")
    instance, _ = engine.start_instance(publish())
    approve(ann, Task.objects.get(instance=instance))
    assert wait_for(instance.pk, cluster=mailing_cluster).status == "completed"
