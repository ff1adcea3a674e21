"""The reviewer's inbox in a real browser, served by daphne with a real engine (WebSockets, steps
running): a task arrives by itself, the form is checked by the server, the decision moves the
workflow on; two reviewers race for one claim; delegation and out-of-office stand-ins in the
history. Screenshots in test-artifacts/screenshots/inbox-*.png."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from approvals.models import Task
from tests.browser.conftest import screenshot
from tests.e2e.conftest import wait_for, wait_until
from tests.factories import UserFactory, VersionFactory, graph_of
from workflows import engine
from workflows.models import StepRun
from workflows.roles import REVIEWERS

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def mail_now(settings):
    """Task e-mail sent in the caller's thread: a transition that runs in this process (a start, a
    cancel) leaves no mail thread holding a connection to the test database at its teardown."""
    settings.FLOWDESK = {**settings.FLOWDESK, "TASK_MAIL_SYNC": True}


def purchase_graph(**config) -> dict:
    """An approval with a form, then one step per way out."""
    node = {
        "title": "Approve the purchase of {{ input.item }}",
        "instructions": "Check the quote against the budget.\nAbove 1,000 the finance team is told.",
        "assignees": ["ann"],
        "context": {"Item": "{{ input.item }}", "Quoted price": "{{ input.price }}", "Requested by": "{{ input.who }}"},
        "form": [
            {"name": "amount", "label": "Approved amount", "type": "number", "required": True, "min": 0, "max": 5000, "help": "in euros, at most 5,000"},
            {"name": "cost_centre", "label": "Cost centre", "type": "choice", "required": True, "choices": ["IT", "Facilities", "Sales"]},
        ],
        **config,
    }  # fmt: skip
    return graph_of(
        [("review", "approval", node), ("order", "task", {"handler": "demo.noop"}), ("refuse", "task", {"handler": "demo.noop"}),
         ("rework", "task", {"handler": "demo.noop"})],
        [("review", "order", "approved"), ("review", "refuse", "rejected"), ("review", "rework", "changes")],
    )  # fmt: skip


def start(name: str, item: str = "a laptop") -> str:
    instance, _ = engine.start_instance(name, input={"item": item, "price": 1240, "who": "Priya"})
    return str(instance.pk)


def task_for(instance_id: str) -> Task:
    return wait_until(lambda: Task.objects.filter(instance_id=instance_id).first(), what="the task to open")


def live(page) -> None:
    expect(page.get_by_test_id("live-state")).to_have_text("live")


def test_a_task_arrives_by_itself_the_form_is_checked_and_approving_moves_the_workflow_on(served_page_for):
    name = VersionFactory(graph=purchase_graph()).template.name
    page = served_page_for("ann", REVIEWERS)
    page.locator("header nav").get_by_role("link", name="Inbox").click()
    page.wait_for_url("**/inbox/")
    live(page)
    expect(page.get_by_test_id("inbox-empty")).to_contain_text("Nothing is waiting for you")
    screenshot(page, "inbox-1-empty")

    instance_id = start(name)  # the engine opens the task while the page is open
    row = page.get_by_test_id("task-row")
    expect(row).to_have_count(1, timeout=20_000)
    expect(row.get_by_test_id("task-link")).to_have_text("Approve the purchase of a laptop")
    expect(page.get_by_test_id("count-mine")).to_have_text("1")
    expect(page.locator("[data-inbox-badge]")).to_have_text("1")
    laptop = page.locator(f'[data-testid="task-row"][data-task="{task_for(instance_id).pk}"]')
    laptop.evaluate("row => { row.flowdeskMark = true; }")  # a property of the element, not of its HTML
    start(name, item="a desk chair")
    expect(row).to_have_count(2, timeout=20_000)
    assert laptop.evaluate("row => row.flowdeskMark === true")  # the unchanged row was kept, not rendered anew
    screenshot(page, "inbox-2-tasks-arrived")
    assert page.evaluate("() => performance.getEntriesByType('navigation').length") == 1  # never reloaded

    laptop.get_by_test_id("task-link").click()
    page.wait_for_url("**/inbox/*/")
    expect(page.get_by_test_id("task-title")).to_have_text("Approve the purchase of a laptop")
    expect(page.get_by_test_id("context")).to_contain_text("Priya")
    expect(page.get_by_test_id("instructions")).to_contain_text("Check the quote against the budget.")
    screenshot(page, "inbox-3-task")

    page.fill("#id_f_amount", "-20")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("error-f_amount")).to_contain_text("greater than or equal to 0")
    expect(page.get_by_test_id("error-f_cost_centre")).to_contain_text("required")
    expect(page.get_by_test_id("problem")).to_contain_text("correct the fields marked below")
    expect(page.locator("#id_f_amount")).to_have_value("-20")  # what was typed is kept
    screenshot(page, "inbox-4-form-errors")
    assert StepRun.objects.get(instance_id=instance_id, node_id="review").status == "waiting"

    page.fill("#id_f_amount", "1200")
    page.select_option("#id_f_cost_centre", "IT")
    page.fill("#id_comment", "Within the IT budget.")
    page.get_by_test_id("approve").click()
    page.wait_for_url("**/inbox/")
    expect(page.get_by_test_id("messages")).to_contain_text("You approved “Approve the purchase of a laptop”")
    screenshot(page, "inbox-5-approved")
    expect(page.get_by_test_id("task-row")).to_have_count(1)  # the chair is left
    chair = Task.objects.filter(status="open").get()
    Task.objects.filter(pk=chair.pk).update(due_at=timezone.now() - timedelta(hours=2))  # as if it had waited
    page.reload()
    overdue = page.locator(f'[data-testid="task-row"][data-task="{chair.pk}"]')
    expect(overdue).to_have_class("overdue")
    expect(overdue.get_by_test_id("overdue")).to_have_text("overdue")
    expect(page.get_by_test_id("overdue-count")).to_have_text("1 overdue")
    screenshot(page, "inbox-5-approved-and-overdue")

    instance = wait_for(instance_id)
    assert instance.status == "completed"
    review = StepRun.objects.get(instance_id=instance_id, node_id="review")
    assert review.ports == ["approved"] and review.output["data"] == {"amount": 1200, "cost_centre": "IT"}
    assert StepRun.objects.get(instance_id=instance_id, node_id="order").status == "completed"
    assert StepRun.objects.get(instance_id=instance_id, node_id="refuse").status == "skipped"


def test_two_reviewers_race_to_claim_one_wins_and_the_other_is_told_who(served_page_for):
    name = VersionFactory(graph=purchase_graph(assignees=[], groups=["buyers"])).template.name
    buyers = Group.objects.create(name="buyers")
    for username in ("cy", "cat"):
        UserFactory(username=username).groups.add(buyers)
    task = task_for(start(name))
    pages = {username: served_page_for(username, REVIEWERS) for username in ("cy", "cat")}
    for page in pages.values():
        page.goto(f"{page.base}/inbox/?view=groups")
        live(page)
        expect(page.get_by_test_id("task-row")).to_have_count(1)
        page.get_by_test_id("task-link").click()
        page.wait_for_url(f"**/inbox/{task.pk}/")
        live(page)

    # both press Claim at once; the service serialises them on the task's row
    for page in pages.values():
        page.get_by_test_id("claim").click(no_wait_after=True)
    for page in pages.values():
        page.wait_for_load_state()
    winner = wait_until(lambda: Task.objects.get(pk=task.pk).claimed_by, what="a claim").username
    loser = "cat" if winner == "cy" else "cy"
    expect(pages[winner].get_by_test_id("messages")).to_contain_text("You claimed")
    expect(pages[winner].get_by_test_id("held-by")).to_contain_text("Claimed by you")
    expect(pages[loser].get_by_test_id("problem")).to_have_text(f"{winner} claimed this task first")
    expect(pages[loser].get_by_test_id("held-by")).to_contain_text(f"Claimed by {winner}")
    expect(pages[loser].get_by_test_id("blocked")).to_contain_text(f"{winner} holds this task")
    screenshot(pages[loser], "inbox-6-claim-lost")

    # the loser's inbox no longer offers it; the winner releases it and it is back, live
    inbox = pages[loser]
    inbox.goto(f"{inbox.base}/inbox/?view=groups")
    live(inbox)
    expect(inbox.get_by_test_id("inbox-empty")).to_be_visible()
    pages[winner].get_by_test_id("unclaim").click()
    expect(inbox.get_by_test_id("task-row")).to_have_count(1, timeout=20_000)


def test_a_task_page_shows_a_claim_by_someone_else_and_a_withdrawal_as_they_happen(served_page_for):
    name = VersionFactory(graph=purchase_graph(assignees=["ann", "bob"])).template.name
    ann = served_page_for("ann", REVIEWERS)
    bob = served_page_for("bob", REVIEWERS)
    instance_id = start(name)
    task = task_for(instance_id)
    ann.goto(f"{ann.base}/inbox/{task.pk}/")
    live(ann)
    bob.goto(f"{bob.base}/inbox/{task.pk}/")
    bob.get_by_test_id("claim").click()
    expect(bob.get_by_test_id("held-by")).to_contain_text("Claimed by you")
    banner = ann.get_by_test_id("live-banner")
    expect(banner).to_contain_text("Claimed by bob just now")
    screenshot(ann, "inbox-7-claimed-live")

    engine.cancel_instance(instance_id, by="olga")
    expect(banner).to_contain_text("Withdrawn")
    expect(ann.get_by_test_id("approve")).to_be_disabled()
    screenshot(ann, "inbox-8-withdrawn-live")
    assert ann.evaluate("() => performance.getEntriesByType('navigation').length") == 1


def test_out_of_office_and_delegation_show_in_the_history(served_page_for):
    name = VersionFactory(graph=purchase_graph(assignees=["ann"])).template.name
    UserFactory(username="dee").groups.add(Group.objects.get_or_create(name=REVIEWERS)[0])
    ann = served_page_for("ann", REVIEWERS)
    bob = served_page_for("bob", REVIEWERS)

    ann.goto(f"{ann.base}/inbox/")
    ann.get_by_test_id("away-link").click()
    ann.wait_for_url("**/inbox/away/")
    now = timezone.localtime()
    ann.fill("#id_substitute", "bob")
    ann.fill("#id_starts", (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    ann.fill("#id_ends", (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    ann.fill("#id_note", "Back on Monday")
    ann.get_by_test_id("save-absence").click()
    expect(ann.get_by_test_id("messages")).to_contain_text("bob gets the tasks opened for you")
    expect(ann.get_by_test_id("absence-row")).to_contain_text("now")
    screenshot(ann, "inbox-9-away")

    bob.goto(f"{bob.base}/inbox/")
    live(bob)
    instance_id = start(name)
    expect(bob.get_by_test_id("task-row")).to_have_count(1, timeout=20_000)  # ann's task, to bob
    bob.get_by_test_id("task-link").click()
    bob.wait_for_url("**/inbox/*/")
    expect(bob.get_by_test_id("history")).to_contain_text("bob stands in for ann (out of office)")

    bob.get_by_test_id("delegate-panel").locator("summary").click()
    bob.fill("#id_to_user", "dee")
    bob.fill("#id_note", "dee negotiated this quote")
    bob.get_by_test_id("delegate").click()
    bob.wait_for_url("**/inbox/")
    expect(bob.get_by_test_id("messages")).to_contain_text("You delegated")

    dee = served_page_for("dee")
    task = task_for(instance_id)
    dee.goto(f"{dee.base}/inbox/{task.pk}/")
    history = dee.get_by_test_id("history")
    expect(history).to_contain_text("bob stands in for ann (out of office)")
    expect(history).to_contain_text("bob delegated it to dee")
    expect(history).to_contain_text("dee negotiated this quote")
    expect(dee.get_by_test_id("held-by")).to_contain_text("Claimed by you")
    dee.get_by_test_id("history").scroll_into_view_if_needed()
    screenshot(dee, "inbox-10-history")
