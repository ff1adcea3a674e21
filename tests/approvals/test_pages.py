"""The reviewer's pages (``/inbox/``) through Django's test client, on the real engine and database:
the lists each reviewer sees, the filters, the task page with its form and actions, what the
service refuses (shown with its status, never a 500), 404 for anyone the task is not for, and
escaping of everything a graph or a reviewer typed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from approvals import views
from approvals.models import Absence, Entry, Snooze, Task
from tests.engine.conftest import drain_all
from tests.factories import UserFactory, VersionFactory
from tests.approvals.conftest import approval_graph
from workflows import engine
from workflows.models import StepRun

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = "<script>alert('x')</script>"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_(people):
    """``as_("ann")``: ann's signed-in client (the same one each time: her messages follow her)."""
    clients: dict[str, Client] = {}
    return lambda name: clients.setdefault(name, client_for(people[name]))


def task_of(instance) -> Task:
    return Task.objects.get(instance=instance)


def rows(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-testid="task-row" data-task="(\d+)"', html)]


def page(response) -> str:
    return response.content.decode()


def step(instance, node):
    return StepRun.objects.filter(instance=instance, node_id=node).order_by("-attempt").first()


# --- the lists -------------------------------------------------------------------------------------


def test_each_reviewer_sees_the_task_in_the_list_it_belongs_to(start, as_):
    task = task_of(start(groups=["managers"]))
    assert rows(page(as_("ann").get("/inbox/"))) == [task.pk]  # assigned: "Assigned to me"
    assert rows(page(as_("ann").get("/inbox/?view=groups"))) == []  # not twice
    assert rows(page(as_("cy").get("/inbox/"))) == []  # cy's group has it, not cy by name
    assert rows(page(as_("cy").get("/inbox/?view=groups"))) == [task.pk]
    assert rows(page(as_("cy").get("/inbox/?view=all"))) == [task.pk]
    for view in ("", "?view=groups", "?view=all"):
        assert rows(page(as_("dee").get(f"/inbox/{view}"))) == []  # an outsider sees nothing
    assert rows(page(as_("root").get("/inbox/?view=all"))) == [task.pk]  # an admin sees every task


def test_the_tabs_count_each_list_and_the_top_bar_counts_what_waits_for_me(start, as_):
    start(groups=["managers"])
    start(groups=["managers"])
    html = page(as_("cy").get("/inbox/?view=groups"))
    assert re.search(r'data-testid="count-mine">0<', html) and re.search(r'data-testid="count-groups">2<', html)
    assert re.search(r"data-inbox-badge[^>]*>2</span>", html)  # the nav badge, on every page
    assert re.search(r"data-inbox-badge[^>]*>2</span>", page(as_("cy").get("/instances/")))
    assert "data-inbox-badge" not in page(as_("dee").get("/instances/"))  # nothing waits: no badge


def test_a_claimed_task_leaves_the_groups_list_and_joins_the_claimers_own(start, as_):
    task = task_of(start(assignees=[], groups=["managers"]))
    response = as_("cy").post(f"/inbox/{task.pk}/claim/", {"next": "/inbox/?view=groups"})
    assert response.status_code == 302 and response["Location"] == "/inbox/?view=groups"
    assert rows(page(as_("cy").get("/inbox/?view=groups"))) == []
    html = page(as_("cy").get("/inbox/"))
    assert rows(html) == [task.pk] and "Claimed by <strong>you</strong>" in html


def test_the_list_is_sorted_by_due_time_and_overdue_tasks_stand_out(start, as_):
    later, none, overdue = (task_of(start()) for _ in range(3))
    now = timezone.now()
    Task.objects.filter(pk=later.pk).update(due_at=now + timedelta(days=2))
    Task.objects.filter(pk=overdue.pk).update(due_at=now - timedelta(hours=3))
    html = page(as_("ann").get("/inbox/"))
    assert rows(html) == [overdue.pk, later.pk, none.pk]  # soonest first, none last
    row = re.search(rf'<tr data-testid="task-row" data-task="{overdue.pk}"[^>]*>.*?</tr>', html, re.S).group(0)
    assert 'class="overdue"' in row and 'data-testid="overdue"' in row and "3 h 0 min ago" in row
    other = re.search(rf'<tr data-testid="task-row" data-task="{later.pk}"[^>]*>.*?</tr>', html, re.S).group(0)
    assert "overdue" not in other
    assert 'data-testid="overdue-count"' in html


def test_the_filters_narrow_the_list(start, as_, people):
    first = task_of(start())
    second = task_of(start())
    Task.objects.filter(pk=first.pk).update(due_at=timezone.now() - timedelta(minutes=5), priority=80)
    assert rows(page(as_("ann").get("/inbox/?due=overdue"))) == [first.pk]
    assert rows(page(as_("ann").get("/inbox/?due=none"))) == [second.pk]
    assert rows(page(as_("ann").get("/inbox/?priority_min=70"))) == [first.pk]
    assert rows(page(as_("ann").get(f"/inbox/?template={second.template.name}"))) == [second.pk]
    html = page(as_("ann").get("/inbox/?template=nothing-like-it"))
    assert rows(html) == [] and "No task matches these filters" in html and 'data-testid="clear-filters"' in html


def test_a_filter_it_does_not_know_is_a_400_with_the_field_named(as_):
    response = as_("ann").get("/inbox/?due=someday&priority_min=lots")
    html = page(response)
    assert response.status_code == 400 and "<code>due</code>" in html and "<code>priority_min</code>" in html


def test_the_list_is_paginated(start, as_, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    tasks = [task_of(start()) for _ in range(3)]
    first = page(as_("ann").get("/inbox/"))
    second = page(as_("ann").get("/inbox/?page=2"))
    assert len(rows(first)) == 2 and len(rows(second)) == 1
    assert set(rows(first) + rows(second)) == {t.pk for t in tasks}
    assert 'data-testid="next-page"' in first and "Page 2 of 2" in second


def test_empty_lists_say_what_to_do(start, as_):
    assert "Nothing is waiting for you" in page(as_("dee").get("/inbox/"))
    assert "You are in no reviewer group" in page(as_("dee").get("/inbox/?view=groups"))
    start(assignees=[], groups=["managers"])
    html = page(as_("cy").get("/inbox/"))
    assert "1 task waits in your groups" in html and 'href="?view=groups"' in html


def test_the_fragment_is_the_tabs_rows_and_badge_only(start, as_):
    task = task_of(start())
    html = page(as_("ann").get("/inbox/?fragment=1"))
    assert rows(html) == [task.pk] and 'data-part="tabs"' in html and 'data-part="badge">1<' in html
    assert "<html" not in html and "topbar" not in html


def test_the_pages_need_a_login(start):
    task = task_of(start())
    for url in ("/inbox/", f"/inbox/{task.pk}/", "/inbox/away/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- the task page ---------------------------------------------------------------------------------


def test_the_task_page_shows_the_task_its_context_and_who_holds_it(start, as_):
    instance = start(instructions="Check the total.\nThen decide.", context={"Budget": "{{ input.what }}"})
    task = task_of(instance)
    html = page(as_("ann").get(f"/inbox/{task.pk}/"))
    assert "Approve the budget" in html and "Check the total.<br>Then decide." in html
    assert re.search(r"<th scope=\"row\">Budget</th><td>the budget</td>", html)
    assert f'href="/instances/{instance.pk}/"' in html
    assert 'name="f_amount"' in html and 'value="approved"' in html and 'value="rejected"' in html and 'value="changes"' in html
    assert "Unclaimed" in html and 'data-testid="claim"' in html
    assert 'data-testid="history-opened"' in html and "opened for ann, bob" in html


def test_a_task_that_is_not_yours_is_a_404_for_the_page_and_every_action(start, as_):
    task = task_of(start())
    entries = Entry.objects.count()
    dee = as_("dee")
    assert dee.get(f"/inbox/{task.pk}/").status_code == 404
    posts = {
        "claim": {}, "unclaim": {}, "delegate": {"to_user": "dee"}, "comment": {"text": "hello"},
        "snooze": {"until": "2999-01-01T09:00"}, "decide": {"decision": "approved", "f_amount": "3"},
    }  # fmt: skip
    for action, body in posts.items():
        response = dee.post(f"/inbox/{task.pk}/{action}/", body)
        assert response.status_code == 404, action
        assert "Page not found" in page(response)  # the product's 404 page
    # an invalid body is still a 404 (the task is looked up first): nothing about it leaks
    assert dee.post(f"/inbox/{task.pk}/decide/", {"decision": "nonsense"}).status_code == 404
    assert dee.get("/inbox/999999/").status_code == 404
    assert Entry.objects.count() == entries and task_of(task.instance).is_open and task_of(task.instance).claimed_by is None


def test_the_actions_answer_only_to_post(start, as_):
    task = task_of(start())
    assert as_("ann").get(f"/inbox/{task.pk}/claim/").status_code == 405


def test_an_invalid_decision_is_a_400_with_the_errors_on_the_fields_and_changes_nothing(start, as_):
    instance = start()
    task = task_of(instance)
    response = as_("ann").post(f"/inbox/{task.pk}/decide/", {"decision": "approved", "f_amount": "-4", "comment": "typed"})
    html = page(response)
    assert response.status_code == 400
    field = re.search(r'data-testid="field-f_amount">.*?</div>', html, re.S).group(0)
    assert "has-error" in html and 'data-testid="error-f_amount"' in field and "greater than or equal to 0" in field
    assert 'value="-4"' in field and "typed</textarea>" in html  # what was typed is kept
    response = as_("ann").post(f"/inbox/{task.pk}/decide/", {"decision": "rejected"})
    assert response.status_code == 400 and 'data-testid="error-comment"' in page(response)  # a rejection says why
    assert task_of(instance).is_open and step(instance, "ok").status == "waiting"


def test_approving_records_the_decision_and_the_workflow_takes_the_approved_port(start, as_):
    instance = start()
    task = task_of(instance)
    response = as_("ann").post(f"/inbox/{task.pk}/decide/", {"decision": "approved", "f_amount": "12", "comment": "fine"})
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    assert "You approved “Approve the budget”" in page(as_("ann").get("/inbox/"))
    task.refresh_from_db()
    assert task.status == "decided" and task.decision == "approved"
    assert step(instance, "ok").ports == ["approved"]
    html = page(as_("ann").get(f"/inbox/{task.pk}/"))
    assert "Decided: Approved" in html and 'data-testid="outcome"' in html and 'data-testid="decision-form"' not in html


def test_a_request_for_changes_takes_the_changes_port(start, as_):
    instance = start()
    task = task_of(instance)
    response = as_("bob").post(f"/inbox/{task.pk}/decide/", {"decision": "changes", "comment": "split it in two"})
    assert response.status_code == 302
    assert step(instance, "ok").ports == ["changes"]


def test_title_instructions_context_and_comments_are_escaped(people, as_):
    graph = approval_graph(
        title=f"{HOSTILE} {{{{ input.what }}}}", instructions=f"Look:\n{HOSTILE}",
        context={HOSTILE: "{{ input.what }}", "nested": "{{ input.more }}"},
    )  # fmt: skip
    name = VersionFactory(graph=graph).template.name
    instance, _ = engine.start_instance(name, input={"what": HOSTILE, "more": {"k": HOSTILE}})
    drain_all(instance.pk)
    task = task_of(instance)
    as_("ann").post(f"/inbox/{task.pk}/comment/", {"text": HOSTILE})
    for url in (f"/inbox/{task.pk}/", "/inbox/", "/inbox/?fragment=1"):
        html = page(as_("ann").get(url))
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html, url
    assert "Look:<br>&lt;script&gt;" in page(as_("ann").get(f"/inbox/{task.pk}/"))


def test_a_claim_someone_else_won_is_a_409_that_names_them(start, as_, people):
    task = task_of(start(groups=["managers"]))
    assert as_("cy").post(f"/inbox/{task.pk}/claim/").status_code == 302
    response = as_("ann").post(f"/inbox/{task.pk}/claim/")
    html = page(response)
    assert response.status_code == 409 and "cy claimed this task first" in html and 'data-testid="problem"' in html
    response = as_("ann").post(f"/inbox/{task.pk}/decide/", {"decision": "approved", "f_amount": "1"})
    assert response.status_code == 409 and "cy holds this task" in page(response)
    assert 'data-testid="held-by"' in html and "Claimed by <strong>cy</strong>" in html
    assert task_of(task.instance).is_open


def test_acting_on_a_decided_task_is_a_409(start, as_):
    task = task_of(start())
    as_("ann").post(f"/inbox/{task.pk}/decide/", {"decision": "approved", "f_amount": "1"})
    for action, body in (("claim", {}), ("comment", {"text": "late"}), ("decide", {"decision": "approved", "f_amount": "2"}), ("decide", {"decision": "?"})):
        response = as_("bob").post(f"/inbox/{task.pk}/{action}/", body)
        assert response.status_code == 409, action
        assert "the task is decided already" in page(response)


def test_the_starter_may_not_decide_their_own_instance(start, people, as_):
    task = task_of(start(started_by=people["ann"]))
    html = page(as_("ann").get(f"/inbox/{task.pk}/"))
    assert 'data-testid="blocked"' in html and "You started this instance" in html
    response = as_("ann").post(f"/inbox/{task.pk}/decide/", {"decision": "approved", "f_amount": "1"})
    assert response.status_code == 403 and "you started this instance" in page(response).lower()
    assert task_of(task.instance).is_open


def test_unclaiming_someone_elses_claim_is_a_409(start, as_):
    task = task_of(start(groups=["managers"]))
    as_("cy").post(f"/inbox/{task.pk}/claim/")
    response = as_("ann").post(f"/inbox/{task.pk}/unclaim/")
    assert response.status_code == 409 and "cy holds this task" in page(response)
    assert as_("cy").post(f"/inbox/{task.pk}/unclaim/").status_code == 302
    assert task_of(task.instance).claimed_by is None


def test_delegating_to_someone_who_does_not_exist_is_a_field_error(start, as_):
    task = task_of(start())
    response = as_("ann").post(f"/inbox/{task.pk}/delegate/", {"to_user": "nobody-here", "note": "x"})
    html = page(response)
    assert response.status_code == 400 and 'data-testid="error-to_user"' in html and "no active user" in html
    response = as_("ann").post(f"/inbox/{task.pk}/delegate/", {"to_user": "", "to_group": ""})
    assert response.status_code == 400 and "Name one person or one group" in page(response)
    assert not Entry.objects.filter(action="delegated").exists()


def test_delegating_hands_the_task_over_with_the_note_in_the_history(start, as_, people):
    task = task_of(start(assignees=["ann"]))
    response = as_("ann").post(f"/inbox/{task.pk}/delegate/", {"to_user": "dee", "note": "dee knows this supplier"})
    assert response.status_code == 302 and response["Location"] == "/inbox/"  # no longer ann's to see
    assert as_("ann").get(f"/inbox/{task.pk}/").status_code == 404
    html = page(as_("dee").get(f"/inbox/{task.pk}/"))
    assert "ann</strong> delegated it to dee" in html and "dee knows this supplier" in html
    assert "Claimed by <strong>you</strong>" in html
    assert rows(page(as_("dee").get("/inbox/"))) == [task.pk]


def test_delegating_to_a_group(start, as_):
    task = task_of(start(assignees=["ann"]))
    response = as_("ann").post(f"/inbox/{task.pk}/delegate/", {"to_group": "managers"})
    assert response.status_code == 302
    assert rows(page(as_("cy").get("/inbox/?view=groups"))) == [task.pk]


def test_snoozing_hides_the_task_until_then_and_show_again_brings_it_back(start, as_, people):
    task = task_of(start())
    response = as_("ann").post(f"/inbox/{task.pk}/snooze/", {"until": "2001-01-01T09:00"})
    assert response.status_code == 400 and 'data-testid="error-until"' in page(response)
    response = as_("ann").post(f"/inbox/{task.pk}/snooze/", {"until": "yesterday-ish"})
    assert response.status_code == 400 and not Snooze.objects.exists()
    until = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    assert as_("ann").post(f"/inbox/{task.pk}/snooze/", {"until": until}).status_code == 302
    assert rows(page(as_("ann").get("/inbox/"))) == []
    assert rows(page(as_("bob").get("/inbox/"))) == [task.pk]  # only ann's lists
    html = page(as_("ann").get(f"/inbox/{task.pk}/"))
    assert 'data-testid="snoozed"' in html and "snoozed it until" in html
    assert as_("ann").post(f"/inbox/{task.pk}/snooze/", {"show_again": "1"}).status_code == 302
    assert rows(page(as_("ann").get("/inbox/"))) == [task.pk]


def test_an_empty_comment_is_refused(start, as_):
    task = task_of(start())
    response = as_("ann").post(f"/inbox/{task.pk}/comment/", {"text": "   "})
    assert response.status_code == 400 and 'data-testid="error-text"' in page(response)
    assert as_("ann").post(f"/inbox/{task.pk}/comment/", {"text": "Is the amount net?"}).status_code == 302
    html = page(as_("bob").get(f"/inbox/{task.pk}/"))
    assert "Is the amount net?" in html and 'data-testid="history-commented"' in html


def test_a_quorum_task_shows_the_decisions_so_far(start, as_):
    task = task_of(start(quorum=2))
    as_("ann").post(f"/inbox/{task.pk}/decide/", {"decision": "approved", "f_amount": "5"})
    html = page(as_("ann").get(f"/inbox/{task.pk}/"))
    assert 'data-testid="votes"' in html and "You have decided this task already" in html
    assert 'data-testid="decision-form"' in page(as_("bob").get(f"/inbox/{task.pk}/"))


# --- out of office ---------------------------------------------------------------------------------


def test_out_of_office_is_saved_listed_and_removed(as_, people):
    starts = timezone.localtime() + timedelta(days=1)
    body = {"substitute": "bob", "starts": starts.strftime("%Y-%m-%dT%H:%M"), "ends": (starts + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"), "note": "<b>away</b>"}
    response = as_("ann").post("/inbox/away/", body)
    assert response.status_code == 302
    absence = Absence.objects.get(user=people["ann"])
    assert absence.substitute == people["bob"]
    html = page(as_("ann").get("/inbox/away/"))
    assert 'data-testid="absence-row"' in html and "&lt;b&gt;away&lt;/b&gt;" in html
    assert "You stand in for" in page(as_("bob").get("/inbox/away/"))
    assert as_("bob").post(f"/inbox/away/{absence.pk}/delete/").status_code == 404  # not bob's
    assert as_("ann").post(f"/inbox/away/{absence.pk}/delete/").status_code == 302
    assert not Absence.objects.exists()


def test_out_of_office_refuses_bad_values_on_their_fields(as_):
    body = {"substitute": "ghost", "starts": "2030-01-02T09:00", "ends": "2030-01-05T09:00"}
    response = as_("ann").post("/inbox/away/", body)
    assert response.status_code == 400 and 'data-testid="error-substitute"' in page(response)
    response = as_("ann").post("/inbox/away/", {**body, "substitute": "bob", "ends": "2030-01-01T09:00"})
    assert response.status_code == 400 and 'data-testid="error-ends"' in page(response)
    response = as_("ann").post("/inbox/away/", {**body, "substitute": "ann"})
    assert response.status_code == 400 and "someone else" in page(response)
    assert not Absence.objects.exists()


def test_a_substitute_gets_the_tasks_opened_while_someone_is_away(start, as_, people):
    now = timezone.now()
    Absence.objects.create(user=people["bob"], substitute=people["cy"], starts=now - timedelta(hours=1), ends=now + timedelta(days=1))
    task = task_of(start())
    assert rows(page(as_("cy").get("/inbox/"))) == [task.pk]
    html = page(as_("cy").get(f"/inbox/{task.pk}/"))
    assert "cy stands in for bob (out of office)" in html


def test_a_user_without_a_task_is_told_their_inbox_is_empty_not_an_error():
    user = UserFactory(username="newcomer")
    response = client_for(user).get("/inbox/?view=all")
    assert response.status_code == 200 and "No open task you may see" in page(response)
