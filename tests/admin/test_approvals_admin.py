"""The approvals in the Django admin, over tasks the engine really opened: the task list with its
filters and search, a task's page with its decisions and audit trail (read-only), the few columns
an admin may correct, and that the engine's state is never written from here; entries and votes
read-only; absences edited with the service's checks."""

from __future__ import annotations

from datetime import timedelta

import factory
import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from approvals import service
from approvals.forms import DecisionForm
from approvals.models import Absence, Entry, Task, Vote
from tests.approvals.conftest import approval_graph
from tests.engine.conftest import drain_all
from tests.factories import TemplateFactory, UserFactory, VersionFactory
from workflows import engine
from workflows.errors import Conflict, EngineError
from workflows.models import Event, Template

pytestmark = pytest.mark.django_db

XSS = "<img src=x onerror=alert(1)>"
NO_PASSWORD = factory.Transformer.Force("!")  # force_login needs none; hashing costs ~0.5 s a user


def url(name: str, *args) -> str:
    return reverse(f"admin:approvals_{name}", args=args)


@pytest.fixture
def people(db):
    managers = Group.objects.create(name="managers")
    users = {name: UserFactory(username=name, password=NO_PASSWORD) for name in ("ann", "bob", "cy", "dee")}
    users["cy"].groups.add(managers)
    users["root"] = UserFactory(username="root", is_superuser=True, is_staff=True, password=NO_PASSWORD)
    return users


@pytest.fixture
def staff(client, people):
    client.force_login(people["root"])
    return client


@pytest.fixture
def open_task(people):
    def go(template: str | None = None, what: str = "the budget", **config) -> Task:
        named = {"template": Template.objects.filter(name=template).first() or TemplateFactory(name=template)} if template else {}
        version = VersionFactory(graph=approval_graph(**config), **named)
        instance, _ = engine.start_instance(version.template.name, input={"what": what})
        drain_all(instance.pk)
        return Task.objects.get(instance=instance)

    return go


def decide(user, task: Task, decision: str = "approved", **values) -> None:
    data = {"decision": decision, "comment": values.pop("comment", ""), **{f"f_{k}": v for k, v in values.items()}}
    service.decide(user, task.pk, DecisionForm(data, fields=task.form))


def edit_form(task: Task, **changes) -> dict:
    data = {"title": task.title, "instructions": task.instructions, "priority": task.priority}
    data.update(changes)
    for prefix in ("votes", "entries"):  # the read-only inlines' management forms
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "0"})
    return data


# --- the task list --------------------------------------------------------------------------------


def test_the_list_shows_each_task_with_its_template_status_decision_holder_and_times(staff, open_task, people):
    hostile = open_task(template="budgets", what=XSS)
    decided = open_task(template="hiring")
    decide(people["ann"], decided, amount="3")
    claimed = open_task(template="hiring", due_s=3600)
    service.claim(people["bob"], claimed.pk)
    html = staff.get(url("task_changelist")).content.decode()
    assert XSS not in html and "Approve &lt;img src=x onerror=alert(1)&gt;" in html  # escaped, never markup
    for text in ("budgets", "hiring", "fd-badge fd-waiting\">open", "fd-badge fd-completed\">decided", "approved", ">bob<"):
        assert text in html, text
    for column in ("Title", "Template", "Status", "Decision", "Claimed by", "Due", "Created"):
        assert f">{column}</a>" in html, column
    assert f'href="{url("task_change", hostile.pk)}"' in html


def test_the_list_filters_by_status_decision_and_template_and_searches_titles(staff, open_task, people):
    first = open_task(template="budgets")
    second = open_task(template="hiring", title="Hire {{ input.what }}")
    decide(people["ann"], second, "rejected", comment="not now")

    def listed(**query) -> set[int]:
        response = staff.get(url("task_changelist"), query)
        assert response.status_code == 200
        return {row.pk for row in response.context["cl"].result_list}

    assert listed() == {first.pk, second.pk}
    assert listed(status__exact="open") == {first.pk}
    assert listed(decision__exact="rejected") == {second.pk}
    assert listed(template__id__exact=str(first.template_id)) == {first.pk}
    assert listed(q="hire") == {second.pk}
    html = staff.get(url("task_changelist")).content.decode()
    assert "By status" in html and "By decision" in html and "By template" in html


def test_tasks_are_neither_added_nor_deleted_here(staff, open_task):
    task = open_task()
    assert staff.get(url("task_add")).status_code == 403
    assert staff.post(url("task_delete", task.pk), {"post": "yes"}).status_code == 403
    html = staff.get(url("task_changelist")).content.decode()
    assert "delete_selected" not in html and url("task_add") not in html
    assert Task.objects.filter(pk=task.pk).exists()


# --- a task's page --------------------------------------------------------------------------------


def test_the_page_shows_who_decides_the_form_the_decisions_and_the_trail_read_only(staff, open_task, people):
    task = open_task(what=XSS, assignees=["ann", "bob", "cy"], quorum=2, instructions="Check {{ input.what }}")
    decide(people["ann"], task, amount="5", comment=XSS)
    service.comment(people["bob"], task.pk, f"looks fine {XSS}")
    html = staff.get(url("task_change", task.pk)).content.decode()
    assert XSS not in html
    assert 'name="title"' in html and 'name="instructions"' in html and 'name="priority"' in html  # the columns an admin corrects
    for engine_owned in ("status", "decision", "output", "claimed_by", "due_at", "form", "context", "node_id", "attempt", "quorum", "assignees", "groups"):
        assert f'name="{engine_owned}"' not in html, engine_owned
    assert "ann, bob, cy" in html  # who decides, as text
    assert "audit trail" in html.lower() and "decisions" in html.lower()
    assert all(action in html.lower() for action in ("opened", "voted", "commented")) and "looks fine &lt;img" in html
    assert "the engine" in html  # the entry nobody typed
    assert 'class="deletelink"' not in html


def test_an_admin_corrects_title_and_priority_and_only_those_are_written(staff, open_task, people):
    task = open_task()
    service.claim(people["bob"], task.pk)
    response = staff.post(url("task_change", task.pk), edit_form(task, title="Approve the Q3 budget", priority="90", status="decided", claimed_by=""))
    assert response.status_code == 302, response.content.decode()[:2000]
    task.refresh_from_db()
    assert (task.title, task.priority) == ("Approve the Q3 budget", 90)
    assert task.status == "open" and task.claimed_by == people["bob"]  # fields it does not take are ignored
    assert LogEntry.objects.filter(object_id=str(task.pk)).exists()
    assert list(Entry.objects.filter(task=task).values_list("action", flat=True)) == ["opened", "claimed", "edited"]
    edited = Entry.objects.get(task=task, action="edited")  # in the task's audit trail, by whom and what
    assert edited.user == people["root"]
    assert edited.data == {"fields": ["priority", "title"], "priority": [50, 90], "title": ["Approve the budget", "Approve the Q3 budget"]}
    event = Event.objects.get(instance=task.instance, type="task_edited")  # and in the instance's history
    assert event.data["by"] == "root" and event.data["task"] == task.pk and event.data["fields"] == ["priority", "title"]
    page = staff.get(url("task_change", task.pk)).content.decode()
    assert "edited" in page.lower()


def test_a_correction_racing_a_decision_is_refused_and_writes_nothing(open_task, people):
    task = open_task()
    decide(people["ann"], task, amount="7")  # decided between the admin's permission check and the write
    with pytest.raises(Conflict, match="decided"):
        service.edit(people["root"], task.pk, {"title": "Renamed"})
    with pytest.raises(EngineError) as refused:
        service.edit(people["root"], task.pk, {"status": "open"})
    assert refused.value.field == "status"
    assert Task.objects.get(pk=task.pk).title == "Approve the budget"
    assert not Entry.objects.filter(task=task, action="edited").exists()


def test_the_reviewers_page_says_who_corrected_what(open_task, people, client):
    task = open_task()
    service.edit(people["root"], task.pk, {"priority": 80})
    client.force_login(people["ann"])
    html = client.get(f"/inbox/{task.pk}/").content.decode()
    assert "corrected the task&#x27;s priority" in html or "corrected the task's priority" in html


def test_saving_the_form_unchanged_writes_nothing(staff, open_task):
    task = open_task()
    assert staff.post(url("task_change", task.pk), edit_form(task)).status_code == 302
    assert list(Entry.objects.filter(task=task).values_list("action", flat=True)) == ["opened"]
    assert not Event.objects.filter(instance=task.instance, type="task_edited").exists()


@pytest.mark.parametrize(("changes", "field"), [({"title": "   "}, "title"), ({"priority": "101"}, "priority"), ({"priority": "-1"}, "priority")])
def test_a_bad_correction_is_refused_on_its_field(staff, open_task, changes, field):
    task = open_task()
    response = staff.post(url("task_change", task.pk), edit_form(task, **changes))
    assert response.status_code == 200 and field in response.context["adminform"].form.errors
    assert Task.objects.get(pk=task.pk).title == task.title and Task.objects.get(pk=task.pk).priority == task.priority


def test_a_form_opened_before_the_decision_cannot_write_over_it(staff, open_task, people):
    task = open_task()
    assert staff.get(url("task_change", task.pk)).status_code == 200  # the admin opens the page...
    decide(people["ann"], task, amount="7")  # ...a reviewer decides...
    response = staff.post(url("task_change", task.pk), edit_form(task, title="Renamed"))  # ...the admin saves
    assert response.status_code == 403  # a closed task is no longer the admin's to change
    task.refresh_from_db()
    assert task.title == "Approve the budget" and task.status == "decided" and task.decision == "approved"
    assert task.output["data"] == {"amount": 7}


def test_a_closed_task_is_read_only(staff, open_task):
    task = open_task()
    engine.cancel_instance(task.instance_id, by="ops")
    html = staff.get(url("task_change", task.pk)).content.decode()
    assert 'name="title"' not in html and "withdrawn" in html
    assert staff.post(url("task_change", task.pk), edit_form(task, title="Renamed")).status_code == 403
    assert Task.objects.get(pk=task.pk).title == "Approve the budget"


def test_staff_need_the_permission_and_viewing_is_not_changing(client, open_task):
    task = open_task()
    clerk = UserFactory(username="clerk", is_staff=True, password=NO_PASSWORD)
    client.force_login(clerk)
    assert client.get(url("task_changelist")).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_task", content_type__app_label="approvals"))
    assert client.get(url("task_changelist")).status_code == 200
    assert 'name="title"' not in client.get(url("task_change", task.pk)).content.decode()
    assert client.post(url("task_change", task.pk), edit_form(task, title="Renamed")).status_code == 403


# --- entries and votes ----------------------------------------------------------------------------


def test_entries_and_votes_are_listed_and_read_only(staff, open_task, people):
    task = open_task(what=XSS)
    decide(people["ann"], task, amount="2", comment=f"ok {XSS}")
    vote, entry = Vote.objects.get(task=task), Entry.objects.filter(task=task, action="decided").get()
    for name, obj in (("vote", vote), ("entry", entry)):
        listing = staff.get(url(f"{name}_changelist")).content.decode()
        assert XSS not in listing and "Approve &lt;img" in listing
        page = staff.get(url(f"{name}_change", obj.pk))
        assert page.status_code == 200 and XSS not in page.content.decode()
        assert 'name="_save"' not in page.content.decode()
        assert staff.get(url(f"{name}_add")).status_code == 403
        assert staff.post(url(f"{name}_change", obj.pk), {"note": "forged", "comment": "forged"}).status_code == 403
        assert staff.post(url(f"{name}_delete", obj.pk), {"post": "yes"}).status_code == 403
    assert Vote.objects.get(pk=vote.pk).comment == f"ok {XSS}" and Entry.objects.get(pk=entry.pk).note == f"ok {XSS}"
    listing = staff.get(url("entry_changelist"), {"action__exact": "decided"})
    assert [e.pk for e in listing.context["cl"].result_list] == [entry.pk]


# --- absences -------------------------------------------------------------------------------------


def absence_form(people, **changes) -> dict:
    now = timezone.localtime()
    data = {
        "user": people["ann"].pk, "substitute": people["dee"].pk, "note": "holiday",
        "starts_0": now.strftime("%Y-%m-%d"), "starts_1": now.strftime("%H:%M:%S"),
        "ends_0": (now + timedelta(days=5)).strftime("%Y-%m-%d"), "ends_1": now.strftime("%H:%M:%S"),
    }  # fmt: skip
    data.update(changes)
    return data


def test_an_absence_is_added_and_sends_new_tasks_to_the_substitute(staff, people, open_task):
    response = staff.post(url("absence_add"), absence_form(people))
    assert response.status_code == 302, response.content.decode()[:3000]
    absence = Absence.objects.get()
    assert (absence.user, absence.substitute, absence.note) == (people["ann"], people["dee"], "holiday")
    task = open_task()
    assert set(task.assignees.values_list("username", flat=True)) == {"dee", "bob"}
    html = staff.get(url("absence_changelist"), {"when": "now"}).content.decode()
    assert "under way" in html and "dee" in html


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"substitute": "me"}, "substitute"),
        ({"substitute": "inactive"}, "substitute"),
        ({"ends_0": "2001-01-01", "ends_1": "00:00:00"}, "ends"),
        ({"user": ""}, "user"),
    ],
)
def test_a_bad_absence_is_refused_on_its_field_and_nothing_is_saved(staff, people, changes, field):
    if changes.get("substitute") == "me":
        changes["substitute"] = people["ann"].pk
    elif changes.get("substitute") == "inactive":
        people["dee"].is_active = False
        people["dee"].save()
        changes["substitute"] = people["dee"].pk
    response = staff.post(url("absence_add"), absence_form(people, **changes))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Absence.objects.exists()
