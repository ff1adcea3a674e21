"""The whole audit test cycle, in-process on the real engine and database, with its people deciding
their tasks through ``approvals.service``: reviewers plan, scope and sample; each data owner answers
their own request for information; reviewers close each exception (one after a request for
changes); the report is finalised only once every observation is closed. Transactional: children
start and end after commit, as in production."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from approvals import service
from approvals.forms import DecisionForm
from approvals.models import Entry, Task
from workflows import authoring, engine, worker
from workflows.demo.management.commands.demo_setup import DEMO_PEOPLE, demo_people, demo_templates
from workflows.engine.due import fire_timer
from workflows.errors import NotFound
from workflows.models import Instance, StepRun, Timer

pytestmark = pytest.mark.django_db(transaction=True)

DEMOS = {data["name"]: data for data in demo_templates()}
EXAMPLE = DEMOS["audit-test-cycle-whole"]["example_input"]
OWNERS = ["owner1", "owner2", "owner3"]


@pytest.fixture(autouse=True)
def mail_now(settings):
    settings.FLOWDESK = {**settings.FLOWDESK, "TASK_MAIL_SYNC": True}


@pytest.fixture
def people(db):
    """The demo's own people, as ``demo_setup`` makes them."""
    demo_people("pw-demo-12345")
    return {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_PEOPLE)}


@pytest.fixture
def cycle(people):
    for data in DEMOS.values():
        authoring.load_template(data, change_note="demo template")
    instance, _ = engine.start_instance("audit-test-cycle-whole", input=EXAMPLE)
    settle()
    return instance


def settle(rounds: int = 500) -> None:
    """Run every instance's ready steps in this process until nothing is ready (what workers do)."""
    for _ in range(rounds):
        ids = set(StepRun.objects.filter(status="scheduled").values_list("instance_id", flat=True))
        if not ids:
            return
        for instance_id in ids:
            worker.drain(str(instance_id))
    raise AssertionError("still not at rest")


def open_tasks(node: str) -> list[Task]:
    return list(Task.objects.filter(node_id=node, status=Task.Status.OPEN).order_by("pk"))


def the_task(node: str) -> Task:
    tasks = open_tasks(node)
    assert len(tasks) == 1, [t.title for t in tasks]
    return tasks[0]


def decide(user, task: Task, decision: str = "approved", comment: str = "", **data) -> None:
    bound = {"decision": decision, "comment": comment}
    for name, value in data.items():
        bound[f"f_{name}"] = "on" if value is True else value
    service.decide(user, task.pk, DecisionForm(bound, fields=task.form))
    settle()


def started(instance: Instance, node: str) -> bool:
    return StepRun.objects.filter(instance=instance, node_id=node).exclude(status__in=["pending", "skipped"]).exists()


def plan_scope_and_sample(people) -> None:
    decide(people["reviewer1"], the_task("plan"), objective="Every payment is approved by someone else, within limits", period_start="2026-02-06", period_end="2026-02-28")
    decide(people["reviewer2"], the_task("scope"), in_scope=True, materiality=5000, rationale="high volume, manual approvals")
    decide(people["reviewer1"], the_task("sampling"), sample_size=8, method="interval", seed=1)


def test_the_reviewers_plan_scope_and_sample_and_the_owners_cannot_see_those_tasks(cycle, people):
    plan = the_task("plan")
    assert plan.title == "Plan the audit of Payment approvals"
    assert [f["name"] for f in plan.form] == ["objective", "period_start", "period_end"]
    assert {service.get(people[r], plan.pk).pk for r in ("reviewer1", "reviewer2")} == {plan.pk}
    with pytest.raises(NotFound):
        service.get(people["owner1"], plan.pk)
    decide(people["reviewer1"], plan, objective="Every payment is approved by someone else", period_start="2026-02-06", period_end="2026-02-28")
    scope = the_task("scope")
    assert scope.title == "Scope the audit: 23 payments in the period"
    assert scope.context["Outside the period"] == "PAY-1001" and scope.context["Per data owner"] == "owner1: 11, owner2: 6, owner3: 6"
    decide(people["reviewer2"], scope, in_scope=True, materiality=5000)
    sampling = the_task("sampling")
    assert (sampling.context["Materiality"], sampling.context["Payments in the period"]) == (5000, 23)
    decide(people["reviewer1"], sampling, sample_size=8, method="interval", seed=1)
    sample = StepRun.objects.get(instance=cycle, node_id="sample").output
    assert [r["id"] for r in sample["records"]] == ["PAY-1003", "PAY-1005", "PAY-1007", "PAY-1009", "PAY-1011", "PAY-1013", "PAY-1015", "PAY-1017"]


def test_each_data_owner_gets_exactly_their_own_request_and_the_report_waits_for_every_observation(cycle, people):
    plan_scope_and_sample(people)

    # One request per owner, in that owner's inbox only, with that owner's sampled payments.
    requests = open_tasks("respond")
    assert len(requests) == 3
    expected = {"owner1": ["PAY-1003", "PAY-1011", "PAY-1013", "PAY-1015"], "owner2": ["PAY-1007", "PAY-1009"], "owner3": ["PAY-1005", "PAY-1017"]}
    for owner in OWNERS:
        mine = list(service.mine(people[owner]))
        assert len(mine) == 1 and list(service.visible(people[owner]).filter(status="open")) == mine
        task = mine[0]
        assert list(task.assignees.values_list("username", flat=True)) == [owner] and not task.groups.exists()
        assert [r["id"] for r in task.instance.input["records"]] == expected[owner]
        assert task.context["Payments"].startswith(expected[owner][0] + " (")
        assert task.due_at - task.created_at == timedelta(days=1)
        told = [m for m in mail.outbox if m.to == [f"{owner}@example.com"]]
        assert len(told) == 1 and f"/inbox/{task.pk}/" in told[0].body
        others = [t for t in requests if t.pk != task.pk]
        for other in others:
            with pytest.raises(NotFound):
                service.get(people[owner], other.pk)
    assert not service.visible(people["reviewer1"]).filter(node_id="respond").exists()  # not before it is overdue
    assert not started(cycle, "tests") and not started(cycle, "report")

    for owner in OWNERS:
        decide(people[owner], next(iter(service.mine(people[owner]))), evidence_provided=True, evidence_location=f"share://audit/2026/{owner}")
    answered = Task.objects.filter(node_id="respond")
    assert {(t.decided_by.username, t.instance.input["owner"]) for t in answered} == {(o, o) for o in OWNERS}

    # Every document is tested; the five that passed are closed at once, the three exceptions wait for a reviewer.
    children = Instance.objects.filter(parent_step__instance=cycle, template__name="audit-observation-review")
    assert children.count() == 8 and children.filter(status="completed").count() == 5
    exceptions = {t.context["Payment"]: t for t in open_tasks("close")}
    assert sorted(exceptions) == ["PAY-1005", "PAY-1011", "PAY-1017"]
    assert exceptions["PAY-1005"].context["Proposed severity"] == "high" and exceptions["PAY-1017"].context["Proposed severity"] == "medium"
    for owner in OWNERS:
        assert not service.mine(people[owner]).exists() and not service.visible(people[owner]).filter(node_id="close").exists()
    assert {t.pk for t in service.groups_unclaimed(people["reviewer2"])} == {t.pk for t in exceptions.values()}

    # Changes asked: the observation goes round again, with the comment in the new task.
    decide(people["reviewer1"], exceptions["PAY-1005"], "changes", comment="Confirm with owner3 that Eve approved it herself")
    again = next(t for t in open_tasks("close") if t.context["Payment"] == "PAY-1005")
    assert again.title == "Close observation PAY-1005 (high), round 2" and again.context["Round"] == 2
    assert "Changes asked in round 1 by reviewer1: Confirm with owner3 that Eve approved it herself" in again.instructions
    decide(people["reviewer2"], again, severity="high", resolution="Self-approval blocked in the payment system", action_due="2026-04-20")
    decide(people["reviewer1"], exceptions["PAY-1011"], severity="medium", resolution="Second approver added to the procedure")
    assert children.filter(status="completed").count() == 7
    assert Instance.objects.get(pk=cycle.pk).status == "running" and not started(cycle, "report")  # one observation is still open

    decide(people["reviewer2"], exceptions["PAY-1017"], "rejected", comment="The bank statement shows payment after approval")
    cycle.refresh_from_db()
    assert cycle.status == "completed", cycle.error
    report = cycle.output["report"]
    assert (report["population"], report["tested"], report["passed"], report["exceptions"], report["requests"]) == (23, 8, 6, 2, 3)
    assert report["by_severity"] == {"high": 1, "medium": 1, "low": 0} and report["conclusion"] == "not effective"
    assert report["actions"] == [  # in test order: owner by owner
        {"id": "PAY-1011", "owner": "owner1", "severity": "medium", "due": "2026-04-30"},
        {"id": "PAY-1005", "owner": "owner3", "severity": "high", "due": "2026-04-20"},
    ]
    assert report["scope"]["materiality"] == 5000 and report["scope"]["period"] == {"start": "2026-02-06", "end": "2026-02-28"}
    assert (report["scope"]["planned_by"], report["scope"]["scoped_by"], report["scope"]["sampled_by"]) == ("reviewer1", "reviewer2", "reviewer1")
    assert [(r["owner"], r["answer"], r["by"]) for r in cycle.output["requests"]] == [(o, "approved", o) for o in OWNERS]
    observations = StepRun.objects.get(instance=cycle, node_id="observations", item_key="").output["results"]
    assert all(o["status"] == "closed" for o in observations)
    dismissed = next(o for o in observations if o["id"] == "PAY-1017")
    assert (dismissed["severity"], dismissed["reviewed_by"]) == ("none", "reviewer2")
    report_step = StepRun.objects.get(instance=cycle, node_id="report")
    assert report_step.started_at >= max(children.values_list("finished_at", flat=True))
    assert not Task.objects.filter(status=Task.Status.OPEN).exists()


def test_an_unanswered_request_goes_to_the_reviewers_after_a_day(cycle, people):
    plan_scope_and_sample(people)
    late = next(iter(service.mine(people["owner2"])))
    timers = Timer.objects.filter(instance=late.instance).order_by("due_at")
    assert timers.count() == 2  # the reminder, then the escalation
    for timer in timers:
        fire_timer(timer.pk)
    late.refresh_from_db()
    assert late.is_open and list(late.groups.values_list("name", flat=True)) == ["reviewers"]
    assert [e.action for e in Entry.objects.filter(task=late).order_by("pk")] == ["opened", "reminded", "escalated"]
    assert service.get(people["reviewer1"], late.pk) == late
    service.claim(people["reviewer1"], late.pk)
    decide(people["reviewer1"], Task.objects.get(pk=late.pk), "rejected", comment="owner2 is away; evidence taken from the ledger")
    assert Task.objects.get(pk=late.pk).decided_by == people["reviewer1"]


def test_a_control_scoped_out_stops_the_audit_before_any_sample(cycle, people):
    decide(people["reviewer1"], the_task("plan"), objective="Every payment is approved by someone else")
    decide(people["reviewer2"], the_task("scope"), in_scope=False, materiality=5000, rationale="covered by last quarter's audit")
    cycle.refresh_from_db()
    assert cycle.status == "completed"
    assert cycle.output == {"audited": False, "stopped_at": "scoping", "decision": "approved", "by": "reviewer2", "comment": ""}
    assert not started(cycle, "sampling") and not Task.objects.filter(node_id="sampling").exists()
