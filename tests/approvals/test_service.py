"""Tasks on the real engine and database: opened by the step's transition, decided by reviewers
through ``approvals.service`` (inside the instance's transition), closed with their step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from approvals import service
from approvals.forms import DecisionForm
from approvals.models import Absence, Entry, Task
from tests.engine.conftest import drain_all
from workflows import engine
from workflows.errors import Conflict, EngineError, Forbidden, Invalid, NotFound
from workflows.models import Event, StepRun

pytestmark = pytest.mark.django_db(transaction=True)


def form(decision="approved", comment="", **data) -> DecisionForm:
    bound = {"decision": decision, "comment": comment, **{f"f_{k}": v for k, v in data.items()}}
    return DecisionForm(bound, fields=[{"name": "amount", "type": "number", "required": True, "min": 0}])


def step(instance, node):
    return StepRun.objects.filter(instance=instance, node_id=node).order_by("-attempt").first()


def history(instance) -> list[str]:
    return list(Event.objects.filter(instance=instance).order_by("seq").values_list("type", flat=True))


def test_reaching_the_node_opens_a_task_for_its_assignees_and_mails_them(start, people):
    instance = start()
    task = Task.objects.get(instance=instance)
    assert task.title == "Approve the budget" and task.is_open and task.node_id == "ok" and task.attempt == 1
    assert set(task.assignees.values_list("username", flat=True)) == {"ann", "bob"}
    assert step(instance, "ok").status == "waiting"
    assert "task_opened" in history(instance)
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.com", "bob@example.com"]
    assert f"/inbox/{task.pk}/" in mail.outbox[0].body


def test_approving_completes_the_step_on_the_approved_port_with_the_decision_as_output(start, people):
    instance = start()
    task = Task.objects.get(instance=instance)
    service.decide(people["ann"], task.pk, form(amount="12.5", comment="fine"))
    task.refresh_from_db()
    assert task.status == "decided" and task.decision == "approved" and task.decided_by == people["ann"]
    ok = step(instance, "ok")
    assert ok.status == "completed" and ok.ports == ["approved"]
    assert ok.output["decision"] == "approved" and ok.output["data"] == {"amount": 12.5} and ok.output["by"] == "ann"
    assert step(instance, "yes").status == "scheduled" and step(instance, "no").status == "skipped"
    events = history(instance)
    assert events.index("task_decided") < events.index("step_completed")  # who decided, then what it did


def test_an_invalid_form_is_refused_with_field_errors_and_changes_nothing(start, people):
    instance = start()
    task = Task.objects.get(instance=instance)
    with pytest.raises(Invalid) as refused:
        service.decide(people["ann"], task.pk, form(amount="-3"))
    assert "data.amount" in refused.value.errors
    with pytest.raises(Invalid) as refused:
        service.decide(people["ann"], task.pk, form(decision="rejected"))
    assert "comment" in refused.value.errors  # a rejection says why
    assert Task.objects.get(pk=task.pk).is_open and step(instance, "ok").status == "waiting"


def test_a_rejection_needs_no_form_values_only_a_reason(start, people):
    instance = start()
    task = Task.objects.get(instance=instance)
    service.decide(people["bob"], task.pk, form(decision="rejected", comment="too much"))
    assert step(instance, "ok").ports == ["rejected"] and step(instance, "no").status == "scheduled"


def test_a_decision_on_a_task_already_decided_is_a_conflict(start, people):
    task = Task.objects.get(instance=start())
    service.decide(people["ann"], task.pk, form(amount=1))
    with pytest.raises(Conflict):
        service.decide(people["bob"], task.pk, form(amount=2))


def test_someone_elses_task_is_not_found_and_ids_cannot_be_probed(start, people):
    task = Task.objects.get(instance=start())
    for action in (lambda: service.get(people["dee"], task.pk), lambda: service.claim(people["dee"], task.pk), lambda: service.decide(people["dee"], task.pk, form(amount=1))):
        with pytest.raises(NotFound):
            action()
    with pytest.raises(NotFound):
        service.get(people["dee"], 999_999)
    assert service.get(people["root"], task.pk) == task  # admins see everything


def test_two_reviewers_racing_to_claim_one_wins_the_other_is_told_who(start, people):
    task = Task.objects.get(instance=start(assignees=[], groups=["managers"]))
    people["ann"].groups.add(task.groups.get())
    service.claim(people["cy"], task.pk)
    with pytest.raises(Conflict, match="cy claimed this task first"):
        service.claim(people["ann"], task.pk)
    with pytest.raises(Conflict, match="cy holds"):
        service.decide(people["ann"], task.pk, form(amount=1))
    service.unclaim(people["cy"], task.pk)
    service.claim(people["ann"], task.pk)
    assert Task.objects.get(pk=task.pk).claimed_by == people["ann"]
    assert [e.action for e in Entry.objects.filter(task=task)] == ["opened", "claimed", "unclaimed", "claimed"]
    assert {"task_claimed", "task_unclaimed"} <= set(history(task.instance))


def test_two_of_three_quorum_waits_for_the_second_approval(start, people):
    instance = start(assignees=["ann", "bob", "cy"], quorum=2)
    task = Task.objects.get(instance=instance)
    service.decide(people["ann"], task.pk, form(amount=1))
    assert Task.objects.get(pk=task.pk).is_open and step(instance, "ok").status == "waiting"
    with pytest.raises(Conflict, match="decided this task already"):
        service.decide(people["ann"], task.pk, form(amount=1))
    service.decide(people["cy"], task.pk, form(amount=2))
    ok = step(instance, "ok")
    assert ok.ports == ["approved"] and [v["by"] for v in ok.output["votes"]] == ["ann", "cy"]


def test_in_a_quorum_one_rejection_rejects_unless_more_are_asked_for(start, people):
    instance = start(assignees=["ann", "bob", "cy"], quorum=2, rejections=2)
    task = Task.objects.get(instance=instance)
    service.decide(people["ann"], task.pk, form(decision="rejected", comment="no"))
    assert step(instance, "ok").status == "waiting"
    service.decide(people["bob"], task.pk, form(decision="rejected", comment="no"))
    assert step(instance, "ok").ports == ["rejected"]


def test_the_starter_may_not_decide_unless_the_node_allows_it(start, people):
    task = Task.objects.get(instance=start(started_by=people["ann"]))
    with pytest.raises(Forbidden):
        service.decide(people["ann"], task.pk, form(amount=1))
    allowed = Task.objects.get(instance=start(started_by=people["ann"], allow_starter=True))
    service.decide(people["ann"], allowed.pk, form(amount=1))


def test_delegating_to_a_user_hands_over_the_task_and_says_so(start, people):
    task = Task.objects.get(instance=start())
    service.delegate(people["ann"], task.pk, to_user="dee", note="you know this client")
    task.refresh_from_db()
    assert task.claimed_by == people["dee"]
    assert set(task.assignees.values_list("username", flat=True)) == {"bob", "dee"}
    with pytest.raises(NotFound):
        service.get(people["ann"], task.pk)  # no longer hers
    entry = Entry.objects.get(task=task, action="delegated")
    assert entry.note == "you know this client" and entry.data == {"to_user": "dee"}
    service.decide(people["dee"], task.pk, form(amount=3))
    with pytest.raises(EngineError):
        service.delegate(people["bob"], Task.objects.get(instance=start()).pk, to_user="nobody-here")


def test_out_of_office_sends_new_tasks_to_the_substitute_and_the_history_says_so(start, people):
    now = timezone.now()
    service.set_absence(people["ann"], substitute="dee", starts=now - timedelta(hours=1), ends=now + timedelta(days=2), note="holiday")
    instance = start()
    task = Task.objects.get(instance=instance)
    assert set(task.assignees.values_list("username", flat=True)) == {"dee", "bob"}
    assert Entry.objects.get(task=task, action="substituted").note == "dee stands in for ann (out of office)"
    opened = Event.objects.get(instance=instance, type="task_opened")
    assert opened.data["substituted"] == {"ann": "dee"}
    with pytest.raises(EngineError):
        service.set_absence(people["ann"], substitute="ann", starts=now, ends=now + timedelta(days=1))
    assert Absence.objects.count() == 1


def test_cancelling_the_instance_withdraws_its_open_task(start, people):
    instance = start()
    engine.cancel_instance(instance.pk, by="ops")
    task = Task.objects.get(instance=instance)
    assert task.status == "withdrawn" and "task_withdrawn" in history(instance)
    with pytest.raises(Conflict, match="withdrawn"):
        service.decide(people["ann"], task.pk, form(amount=1))


def test_comments_and_snoozes_are_audited_and_snoozed_tasks_leave_my_list(start, people):
    task = Task.objects.get(instance=start())
    service.comment(people["bob"], task.pk, "looking at it")
    assert list(service.mine(people["bob"])) == [task]
    service.snooze(people["bob"], task.pk, timezone.now() + timedelta(hours=3))
    assert list(service.mine(people["bob"])) == [] and list(service.mine(people["ann"])) == [task]
    service.snooze(people["bob"], task.pk, None)
    assert list(service.mine(people["bob"])) == [task]
    with pytest.raises(EngineError):
        service.comment(people["bob"], task.pk, "   ")
    assert [e.action for e in Entry.objects.filter(task=task)] == ["opened", "commented", "snoozed", "snoozed"]


def test_a_decision_while_the_instance_is_paused_is_kept_and_carried_on_from_at_resume(start, people):
    instance = start()
    task = Task.objects.get(instance=instance)
    engine.pause_instance(instance.pk, by="ops")
    service.decide(people["ann"], task.pk, form(amount=1))
    assert Task.objects.get(pk=task.pk).status == "decided" and step(instance, "ok").status == "waiting"
    engine.resume_instance(instance.pk, by="ops")
    drain_all(instance.pk)
    assert step(instance, "ok").ports == ["approved"]


def test_a_decision_the_task_does_not_offer_is_refused_naming_the_field(start, people):
    task = Task.objects.get(instance=start(outcomes=["approved", "rejected"]))
    with pytest.raises(Invalid) as refused:
        service.decide(people["ann"], task.pk, form(decision="changes", comment="redo"))
    assert "decision" in refused.value.errors and Task.objects.get(pk=task.pk).is_open


@pytest.mark.parametrize("default, ticked", [("false", False), ("true", True), (False, False), (True, True), ("no", False)])
def test_a_boolean_default_written_as_text_prefills_the_box_as_it_reads(default, ticked):
    decision = DecisionForm(fields=[{"name": "ok", "type": "boolean", "default": default}])
    assert ('checked' in str(decision["f_ok"])) is ticked
