"""Two of three reviewers decide one task together, and an overdue task escalates to a group, in a
real browser on daphne with a real engine (its timer loop, its workers, the inbox's socket).
Screenshots in test-artifacts/screenshots/inbox-quorum-*.png and inbox-escalation-*.png."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from approvals.models import Entry, Task, Vote
from tests.browser.conftest import screenshot
from tests.e2e.conftest import wait_for, wait_until
from tests.factories import UserFactory, VersionFactory, graph_of
from workflows import engine
from workflows.models import StepRun
from workflows.roles import REVIEWERS

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def mail_now(settings):
    """Task e-mail in the caller's thread: no mail thread outlives the test's database."""
    settings.FLOWDESK = {**settings.FLOWDESK, "TASK_MAIL_SYNC": True}


def review_graph(**config) -> dict:
    """An approval, then one step per way out."""
    node = {
        "title": "Sign off the {{ input.what }}",
        "instructions": "Read the draft before you decide.",
        "assignees": ["ann"],
        "form": [{"name": "amount", "label": "Approved amount", "type": "number", "required": True, "min": 0}],
        **config,
    }
    return graph_of(
        [("review", "approval", node), ("publish", "task", {"handler": "demo.noop"}), ("shelve", "task", {"handler": "demo.noop"}),
         ("rework", "task", {"handler": "demo.noop"}), ("late", "task", {"handler": "demo.noop"})],
        [("review", "publish", "approved"), ("review", "shelve", "rejected"), ("review", "rework", "changes"), ("review", "late", "timeout")],
    )  # fmt: skip


def start(name: str) -> str:
    instance, _ = engine.start_instance(name, input={"what": "annual report"})
    return str(instance.pk)


def task_for(instance_id: str) -> Task:
    return wait_until(lambda: Task.objects.filter(instance_id=instance_id).first(), what="the task to open")


def live(page) -> None:
    expect(page.get_by_test_id("live-state")).to_have_text("live")


def navigations(page) -> int:
    return page.evaluate("() => performance.getEntriesByType('navigation').length")


def approve(page, amount: str) -> None:
    page.fill("#id_f_amount", amount)
    page.get_by_test_id("approve").click()
    page.wait_for_url("**/inbox/")


def test_two_of_three_approve_the_first_vote_keeps_the_task_open_and_the_second_moves_the_workflow_on(served_page_for):
    name = VersionFactory(graph=review_graph(assignees=["ann", "bob", "cy"], quorum=2)).template.name
    ann, bob, cy = (served_page_for(who, REVIEWERS) for who in ("ann", "bob", "cy"))
    instance_id = start(name)
    task = task_for(instance_id)
    for page in (ann, bob, cy):
        page.goto(f"{page.base}/inbox/{task.pk}/")
        live(page)
        expect(page.get_by_test_id("held-by")).to_have_text("Unclaimed: each reviewer decides")
        expect(page.get_by_test_id("claim")).to_have_count(0)  # a quorum task is not claimed
    expect(bob.get_by_test_id("decision")).to_contain_text("2 approvals are needed; one rejection rejects. 0 decisions so far.")

    approve(ann, "800")
    expect(ann.get_by_test_id("messages")).to_contain_text(
        "Your decision on “Sign off the annual report” (Approved) is recorded; the other reviewers' decisions are awaited."
    )
    assert Task.objects.get(pk=task.pk).status == "open"
    assert StepRun.objects.get(instance_id=instance_id, node_id="review").status == "waiting"
    assert list(Vote.objects.filter(task=task).values_list("user__username", "decision")) == [("ann", "approved")]
    expect(ann.locator(f'[data-testid="task-row"][data-task="{task.pk}"]')).to_have_count(1)  # still open, still hers to see
    ann.goto(f"{ann.base}/inbox/{task.pk}/")
    expect(ann.get_by_test_id("task-status")).to_have_text("Open")
    expect(ann.get_by_test_id("blocked")).to_have_text("You have decided this task already; the other reviewers' decisions are awaited.")
    expect(ann.get_by_test_id("votes")).to_contain_text("ann")
    screenshot(ann, "inbox-quorum-1-voted")

    # bob's page was open all along: ann's vote reaches it by itself
    expect(bob.get_by_test_id("live-banner")).to_contain_text("ann decided: approved. The other reviewers' decisions are awaited.")
    expect(bob.get_by_test_id("history").get_by_test_id("history-voted")).to_contain_text("ann voted: Approved")
    expect(bob.get_by_test_id("votes")).to_contain_text("ann")
    expect(bob.get_by_test_id("decision")).to_contain_text("1 decision so far.")
    expect(bob.get_by_test_id("approve")).to_be_enabled()  # bob's own decision is still to come
    assert navigations(bob) == 1  # never reloaded
    screenshot(bob, "inbox-quorum-2-vote-arrived")

    approve(bob, "750")
    expect(bob.get_by_test_id("messages")).to_contain_text("You approved “Sign off the annual report”. The workflow goes on.")
    expect(cy.get_by_test_id("live-banner")).to_contain_text("Decided by bob: approved.")
    expect(cy.get_by_test_id("approve")).to_be_disabled()
    expect(cy.get_by_test_id("history").get_by_test_id("history-decided")).to_contain_text("bob decided: Approved")
    screenshot(cy, "inbox-quorum-3-decided-by-others")

    instance = wait_for(instance_id)
    assert instance.status == "completed"
    review = StepRun.objects.get(instance_id=instance_id, node_id="review")
    assert review.ports == ["approved"]
    assert review.output["decision"] == "approved" and review.output["by"] == "bob"
    assert [(v["by"], v["decision"]) for v in review.output["votes"]] == [("ann", "approved"), ("bob", "approved")]
    assert StepRun.objects.get(instance_id=instance_id, node_id="publish").status == "completed"
    assert StepRun.objects.get(instance_id=instance_id, node_id="shelve").status == "skipped"
    done = Task.objects.get(pk=task.pk)
    assert done.status == "decided" and done.decision == "approved" and done.decided_by.username == "bob"


def test_an_overdue_task_escalates_to_a_group_whose_member_sees_it_arrive_claims_and_approves_it(served_page_for):
    escalation = {"action": "reassign", "group": "managers"}
    name = VersionFactory(graph=review_graph(assignees=["ann"], due_s=2, escalation=escalation)).template.name
    UserFactory(username="ann")  # the assignee, who lets it go overdue
    UserFactory(username="mo").groups.add(Group.objects.create(name="managers"))  # not an assignee
    mo = served_page_for("mo", REVIEWERS)

    mo.goto(f"{mo.base}/inbox/")
    mo.get_by_test_id("tab-groups").click()
    mo.wait_for_url("**/inbox/?view=groups")
    live(mo)
    expect(mo.get_by_test_id("inbox-empty")).to_contain_text("Your groups have no unclaimed task.")
    instance_id = start(name)
    task = task_for(instance_id)
    assert not Task.objects.get(pk=task.pk).groups.exists()  # not the group's yet: ann's alone

    # the engine's timer loop escalates it at its due time; the row arrives without a reload
    row = mo.locator(f'[data-testid="task-row"][data-task="{task.pk}"]')
    expect(row).to_have_count(1, timeout=30_000)
    expect(row).to_have_class("overdue")
    expect(row.get_by_test_id("overdue")).to_have_text("overdue")
    expect(row.get_by_test_id("task-link")).to_have_text("Sign off the annual report")
    expect(mo.get_by_test_id("count-groups")).to_have_text("1")
    expect(mo.locator("[data-inbox-badge]")).to_have_text("1")
    assert navigations(mo) == 1
    escalated = Task.objects.get(pk=task.pk)
    assert escalated.status == "open" and escalated.escalated_at is not None
    assert list(escalated.groups.values_list("name", flat=True)) == ["managers"]
    assert Entry.objects.filter(task=task, action="escalated", note="overdue: reassigned to managers").exists()
    assert StepRun.objects.get(instance_id=instance_id, node_id="review").status == "waiting"  # reassigned, still waiting
    screenshot(mo, "inbox-escalation-1-arrived")

    row.get_by_test_id("claim-from-list").click()
    mo.wait_for_url(f"**/inbox/{task.pk}/")
    expect(mo.get_by_test_id("messages")).to_contain_text("You claimed “Sign off the annual report”")
    expect(mo.get_by_test_id("held-by")).to_contain_text("Claimed by you")
    expect(mo.get_by_test_id("overdue")).to_have_text("overdue")
    expect(mo.get_by_test_id("history").get_by_test_id("history-escalated")).to_contain_text("overdue: reassigned to managers")
    screenshot(mo, "inbox-escalation-2-claimed")

    approve(mo, "500")
    expect(mo.get_by_test_id("messages")).to_contain_text("You approved “Sign off the annual report”. The workflow goes on.")
    instance = wait_for(instance_id)
    assert instance.status == "completed"
    review = StepRun.objects.get(instance_id=instance_id, node_id="review")
    assert review.ports == ["approved"] and review.output["by"] == "mo" and review.output["data"] == {"amount": 500}
    assert StepRun.objects.get(instance_id=instance_id, node_id="publish").status == "completed"
    assert StepRun.objects.get(instance_id=instance_id, node_id="late").status == "skipped"
