"""/api/v1/approvals/ on the real engine and database: the lists and their filters, each action,
what the API refuses (and that a refusal writes nothing), and who may do what (the matrix)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
import pytest
from rest_framework.test import APIClient
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from approvals import service
from approvals.forms import COMMENT_MAX, DecisionForm
from approvals.models import Entry, Task, Vote
from tests.api.conftest import client_for
from tests.approvals.conftest import approval_graph
from tests.engine.conftest import drain_all
from tests.factories import UserFactory, VersionFactory
from workflows import engine
from workflows.models import Event, StepRun

pytestmark = pytest.mark.django_db

URL = "/api/v1/approvals/"
#: Tokens sign these people in: an unusable password skips ~0.5 s of hashing per user.
NO_PASSWORD = factory.Transformer.Force("!")
SOON = (timezone.now() + timedelta(days=3)).isoformat()


@pytest.fixture(autouse=True)
def mail_now(settings):
    settings.FLOWDESK = {**settings.FLOWDESK, "TASK_MAIL_SYNC": True}  # notices in-process, no queue


@pytest.fixture
def people(db) -> dict[str, Any]:
    """ann and bob (assignees), cy (in ``managers``), sam (an assignee who starts instances),
    dee (signed in, no relation to any task), eve (someone to delegate to), root (a superuser)."""
    managers = Group.objects.create(name="managers")
    users = {name: UserFactory(username=name, password=NO_PASSWORD) for name in ("ann", "bob", "cy", "sam", "dee", "eve")}
    users["cy"].groups.add(managers)
    users["root"] = UserFactory(username="root", is_superuser=True, is_staff=True, password=NO_PASSWORD)
    return users


@pytest.fixture
def open_task(people):
    """Start an instance of an approval graph on the engine; its first transition opens the task."""

    def go(*, started_by: str | None = None, priority: int = 50, **config) -> Task:
        name = VersionFactory(graph=approval_graph(**config)).template.name
        instance, _ = engine.start_instance(name, input={"what": "the budget"}, priority=priority, started_by=people[started_by] if started_by else None)
        drain_all(instance.pk)
        return Task.objects.get(instance=instance)

    return go


@pytest.fixture
def as_(people):
    return lambda name: client_for(people[name] if name else None)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def step(task: Task, node: str) -> StepRun:
    return StepRun.objects.filter(instance_id=task.instance_id, node_id=node).order_by("-attempt").first()


def snapshot(task: Task) -> tuple:
    """Everything an action could write about the task."""
    row = Task.objects.filter(pk=task.pk).values("status", "decision", "claimed_by", "output", "title").get()
    return (
        row, sorted(Task.objects.get(pk=task.pk).assignees.values_list("username", flat=True)),
        Entry.objects.filter(task=task).count(), Vote.objects.filter(task=task).count(),
        Event.objects.filter(instance_id=task.instance_id).count(), step(task, "ok").status,
    )  # fmt: skip


def fields(response) -> set[str | None]:
    return {e["field"] for e in response.json()["errors"]}


# --- lists and their filters -----------------------------------------------------------------------


def test_each_view_lists_what_it_says_for_each_reviewer(open_task, as_):
    assigned = open_task(assignees=["ann"])
    grouped = open_task(assignees=[], groups=["managers"])
    assert ids(as_("ann").get(URL)) == [assigned.pk]  # the default view is mine
    assert ids(as_("ann").get(URL, {"view": "groups"})) == []
    assert ids(as_("cy").get(URL, {"view": "mine"})) == []
    assert ids(as_("cy").get(URL, {"view": "groups"})) == [grouped.pk]
    assert ids(as_("cy").get(URL, {"view": "all"})) == [grouped.pk]
    assert sorted(ids(as_("root").get(URL, {"view": "all"}))) == sorted([assigned.pk, grouped.pk])
    assert ids(as_("dee").get(URL, {"view": "all"})) == []
    as_("cy").post(f"{URL}{grouped.pk}/claim/")
    assert ids(as_("cy").get(URL, {"view": "groups"})) == [] and ids(as_("cy").get(URL)) == [grouped.pk]  # claimed: now mine
    row = as_("cy").get(URL).json()["results"][0]
    assert row["claimed_by"] == "cy" and row["template"] == grouped.template.name and row["instance"] == str(grouped.instance_id)


def test_the_filters_narrow_the_list(open_task, as_):
    plain = open_task(assignees=["ann"])
    urgent = open_task(assignees=["ann"], priority=80, due_s=3600)
    late = open_task(assignees=["ann"], due_s=3600)
    Task.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(minutes=5))  # as if an hour had passed
    ann = as_("ann")
    assert ids(ann.get(URL)) == [late.pk, urgent.pk, plain.pk]  # by due time (none last), then priority
    assert ids(ann.get(URL, {"template": urgent.template.name})) == [urgent.pk]
    assert ids(ann.get(URL, {"priority_min": "60"})) == [urgent.pk]
    assert ids(ann.get(URL, {"due": "none"})) == [plain.pk]
    assert ids(ann.get(URL, {"due": "week"})) == [late.pk, urgent.pk]
    assert ids(ann.get(URL, {"due": "overdue"})) == [late.pk]
    assert ann.get(URL, {"due": "overdue"}).json()["results"][0]["overdue"] is True
    assert ids(ann.get(URL, {"view": "", "status": "", "due": ""})) == [late.pk, urgent.pk, plain.pk]  # empty: not given
    ann.post(f"{URL}{plain.pk}/decide/", {"decision": "approved", "data": {"amount": 1}})
    assert ids(ann.get(URL, {"status": "closed"})) == [plain.pk]
    assert ids(ann.get(URL, {"status": "any", "due": "none"})) == [plain.pk]
    assert ids(ann.get(URL)) == [late.pk, urgent.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"view": "everything"}, "view"),
        ({"view": ["mine", "all"]}, "view"),
        ({"status": "done"}, "status"),
        ({"template": "no-such-template"}, "template"),
        ({"template": "bill\x00ing"}, "template"),
        ({"template": "t" * 5000}, "template"),
        ({"due": "tomorrow"}, "due"),
        ({"priority_min": "high"}, "priority_min"),
        ({"priority_min": "1e999"}, "priority_min"),
        ({"priority_min": "-1"}, "priority_min"),
        ({"priority_min": "101"}, "priority_min"),
        ({"priority_min": "9" * 40}, "priority_min"),
        ({"page": "two"}, "page"),
        ({"page": "99"}, "page"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(open_task, as_, query, field):
    open_task()
    response = as_("ann").get(URL, query)
    assert response.status_code == 400, response.content
    assert fields(response) == {field} and response.json()["detail"].startswith(f"{field}: ")


# --- the actions -------------------------------------------------------------------------------------


def test_the_detail_shows_the_form_the_trail_and_who_decides(open_task, as_):
    task = open_task(instructions="Check <b>{{ input.what }}</b>")
    body = as_("ann").get(f"{URL}{task.pk}/").json()
    assert body["title"] == "Approve the budget" and body["instructions"] == "Check <b>the budget</b>"  # JSON carries text as it is
    assert body["form"] == [{"name": "amount", "type": "number", "required": True, "min": 0}]
    assert body["assignees"] == ["ann", "bob"] and body["status"] == "open" and body["decision"] == ""
    assert [e["action"] for e in body["entries"]] == ["opened"] and body["entries"][0]["by"] is None


@pytest.mark.parametrize(
    ("body", "port"),
    [
        ({"decision": "approved", "data": {"amount": 12.5}, "comment": "fine"}, "approved"),
        ({"decision": "rejected", "comment": "too much"}, "rejected"),
        ({"decision": "changes", "comment": "split it", "data": {"amount": 3}}, "changes"),
    ],
)
def test_a_decision_completes_the_step_on_its_port(open_task, as_, body, port):
    task = open_task()
    response = as_("ann").post(f"{URL}{task.pk}/decide/", body)
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["status"] == "decided" and result["decision"] == port and result["decided_by"] == "ann"
    assert result["votes"][0]["by"] == "ann" and result["entries"][-1]["action"] == "decided"
    ok = step(task, "ok")
    assert ok.status == "completed" and ok.ports == [port]
    assert ok.output["decision"] == port and ok.output["by"] == "ann" and ok.output["data"] == body.get("data", {})
    follows = {"approved": "yes", "rejected": "no", "changes": "redo"}[port]
    assert step(task, follows).status == "scheduled"
    assert {step(task, n).status for n in {"yes", "no", "redo"} - {follows}} == {"skipped"}


def test_claim_then_the_second_is_told_who_has_it(open_task, as_, people):
    task = open_task(assignees=[], groups=["managers"])
    people["ann"].groups.add(Group.objects.get(name="managers"))
    assert as_("cy").post(f"{URL}{task.pk}/claim/").json()["claimed_by"] == "cy"
    before = snapshot(task)
    second = as_("ann").post(f"{URL}{task.pk}/claim/")
    assert second.status_code == 409
    assert second.json()["detail"] == "cy claimed this task first" and fields(second) == {"claimed_by"}
    assert snapshot(task) == before
    assert as_("cy").post(f"{URL}{task.pk}/claim/").status_code == 200  # one's own claim again: nothing changes
    assert snapshot(task) == before
    assert as_("cy").post(f"{URL}{task.pk}/unclaim/").json()["claimed_by"] is None
    assert as_("ann").post(f"{URL}{task.pk}/claim/").json()["claimed_by"] == "ann"


@pytest.mark.parametrize("how", ["decided", "withdrawn"])
@pytest.mark.parametrize("action", ["decide", "claim", "comment"])
def test_acting_on_a_closed_task_is_a_409(open_task, as_, people, how, action):
    task = open_task()
    if how == "decided":
        service.decide(people["bob"], task.pk, DecisionForm({"decision": "approved", "f_amount": "1"}, fields=task.form))
    else:
        engine.cancel_instance(task.instance_id, by="ops")
    before = snapshot(task)
    body = {"decide": {"decision": "approved", "data": {"amount": 2}}, "claim": {}, "comment": {"text": "late"}}[action]
    response = as_("ann").post(f"{URL}{task.pk}/{action}/", body)
    assert response.status_code == 409, response.content
    assert response.json() == {"detail": f"the task is {how} already", "code": "conflict", "errors": [{"field": "status", "code": "conflict", "message": f"the task is {how} already"}]}
    assert snapshot(task) == before


def test_someone_elses_task_and_a_task_that_does_not_exist_answer_alike(open_task, as_):
    task = open_task()
    missing = Task.objects.order_by("-pk").first().pk + 1000
    before = snapshot(task)
    for method, suffix, body in [("get", "", None), ("post", "claim/", {}), ("post", "decide/", {"decision": "approved", "data": {"amount": 1}}),
                                 ("post", "decide/", {"nonsense": True}), ("post", "delegate/", {"to_user": "nobody-at-all"}), ("post", "snooze/", {"until": "2000-01-01T00:00:00Z"})]:  # fmt: skip
        theirs = getattr(as_("dee"), method)(f"{URL}{task.pk}/{suffix}", body)
        nothing = getattr(as_("dee"), method)(f"{URL}{missing}/{suffix}", body)
        assert theirs.status_code == nothing.status_code == 404, (suffix, theirs.content)
        assert theirs.json() == {**nothing.json(), "detail": f"no task {task.pk}", "errors": [{**nothing.json()["errors"][0], "message": f"no task {task.pk}"}]}
    for odd in ["abc", "9" * 30, "-1", "1.5"]:
        response = as_("ann").get(f"{URL}{odd}/")
        assert response.status_code == 404 and response.json()["code"] == "not_found", odd
    assert snapshot(task) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "approved", "data": {"amount": -3}}, "data.amount"),
        ({"decision": "approved"}, "data.amount"),  # required to approve
        ({"decision": "approved", "data": {"amount": "twelve"}}, "data.amount"),
        ({"decision": "approved", "data": {"amount": [12]}}, "data.amount"),
        ({"decision": "approved", "data": {"amount": True}}, "data.amount"),
        ({"decision": "approved", "data": {"amount": 1, "bonus": 5}}, "data.bonus"),
        ({"decision": "rejected"}, "comment"),  # a rejection says why
        ({"decision": "maybe", "data": {"amount": 1}}, "decision"),
        ({"data": {"amount": 1}}, "decision"),
        ({"decision": "approved", "data": [1]}, "data"),
        ({"decision": "approved", "data": {"amount": 1}, "by": "root"}, "by"),  # unknown fields are refused
        ({"decision": "approved", "data": {"amount": 1}, "comment": "x" * (COMMENT_MAX + 1)}, "comment"),
    ],
)
def test_a_bad_decision_is_a_400_naming_the_field_and_writes_nothing(open_task, as_, body, field):
    task = open_task()
    before = snapshot(task)
    response = as_("ann").post(f"{URL}{task.pk}/decide/", body)
    assert response.status_code == 400, response.content
    assert field in fields(response)
    assert snapshot(task) == before and step(task, "ok").status == "waiting"


def test_each_form_field_type_takes_its_own_json_type(open_task, as_):
    form = [
        {"name": "note", "type": "text", "max": 10}, {"name": "agree", "type": "boolean"}, {"name": "when", "type": "date"},
        {"name": "tier", "type": "choice", "choices": ["gold", "silver"]}, {"name": "amount", "type": "number"},
    ]  # fmt: skip
    task = open_task(form=form)
    bad = {"note": ["a"], "agree": "false", "when": 20240101, "tier": "bronze", "amount": {"v": 1}}
    response = as_("ann").post(f"{URL}{task.pk}/decide/", {"decision": "approved", "data": bad})
    assert response.status_code == 400
    assert fields(response) == {"data.note", "data.agree", "data.when", "data.amount"}  # tier is text: the form refuses it next
    response = as_("ann").post(f"{URL}{task.pk}/decide/", {"decision": "approved", "data": {"tier": "bronze", "when": "2024-02-30"}})
    assert fields(response) == {"data.tier", "data.when"}
    good = {"note": "ok <b>", "agree": False, "when": "2024-02-29", "tier": "gold", "amount": 7}
    response = as_("ann").post(f"{URL}{task.pk}/decide/", {"decision": "approved", "data": good})
    assert response.status_code == 200, response.content
    assert step(task, "ok").output["data"] == good


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("claim", {"force": True}, "force"),
        ("unclaim", {"user": "bob"}, "user"),
        ("comment", {"text": "x" * (service.NOTE_MAX + 1)}, "text"),
        ("comment", {"text": "   "}, "text"),
        ("comment", {}, "text"),
        ("comment", {"text": "hi", "at": "now"}, "at"),
        ("delegate", {}, "to_user"),
        ("delegate", {"to_user": "eve", "to_group": "managers"}, "to_user"),
        ("delegate", {"to_user": "nobody-at-all"}, "to_user"),
        ("delegate", {"to_group": "no-such-group"}, "to_group"),
        ("delegate", {"to_user": "ann"}, "to_user"),  # to oneself
        ("delegate", {"to_user": "eve", "note": "n" * (service.NOTE_MAX + 1)}, "note"),
        ("snooze", {}, "until"),
        ("snooze", {"until": "next week"}, "until"),
        ("snooze", {"until": "2001-01-01T00:00:00Z"}, "until"),  # in the past
        ("snooze", {"until": SOON, "why": "busy"}, "why"),
    ],
)
def test_a_bad_action_body_is_a_400_naming_the_field_and_writes_nothing(open_task, as_, action, body, field):
    task = open_task()
    before = snapshot(task)
    response = as_("ann").post(f"{URL}{task.pk}/{action}/", body)
    assert response.status_code == 400, response.content
    assert fields(response) == {field}
    assert snapshot(task) == before


def test_a_null_value_is_a_value_not_given(open_task, as_):
    task = open_task(form=[{"name": "amount", "type": "number", "required": True}, {"name": "note", "type": "text"}])
    response = as_("ann").post(f"{URL}{task.pk}/decide/", {"decision": "approved", "data": {"amount": None}})
    assert response.status_code == 400 and fields(response) == {"data.amount"}
    assert as_("ann").post(f"{URL}{task.pk}/decide/", {"decision": "approved", "data": {"amount": 4, "note": None}}).status_code == 200
    assert step(task, "ok").output["data"] == {"amount": 4}


def test_a_body_that_is_not_a_json_object_is_a_400(open_task, as_):
    task = open_task()
    ann = as_("ann")
    assert ann.post(f"{URL}{task.pk}/decide/", "[1, 2]", content_type="application/json").status_code == 400
    assert ann.post(f"{URL}{task.pk}/decide/", "{not json", content_type="application/json").status_code == 400
    infinite = '{"decision": "approved", "data": {"amount": Infinity}}'
    assert ann.post(f"{URL}{task.pk}/decide/", infinite, content_type="application/json").status_code == 400
    assert ann.post(f"{URL}{task.pk}/comment/", "text=hi", content_type="application/x-www-form-urlencoded").status_code == 415


def test_delegate_comment_and_snooze_are_audited(open_task, as_):
    task = open_task()
    ann = as_("ann")
    assert ann.post(f"{URL}{task.pk}/comment/", {"text": "  looking <i>now</i>  "}).json()["entries"][-1]["note"] == "looking <i>now</i>"
    assert ann.post(f"{URL}{task.pk}/snooze/", {"until": SOON}).status_code == 200
    assert ids(ann.get(URL)) == []  # snoozed: out of my list
    assert ann.post(f"{URL}{task.pk}/snooze/", {"until": None}).status_code == 200
    assert ids(ann.get(URL)) == [task.pk]
    delegated = ann.post(f"{URL}{task.pk}/delegate/", {"to_user": "eve", "note": "your client"})
    assert delegated.status_code == 200 and delegated.json()["claimed_by"] == "eve"
    assert ann.get(f"{URL}{task.pk}/").status_code == 404  # no longer hers
    trail = [(e["action"], e["by"]) for e in as_("eve").get(f"{URL}{task.pk}/").json()["entries"]]
    assert trail == [("opened", None), ("commented", "ann"), ("snoozed", "ann"), ("snoozed", "ann"), ("delegated", "ann")]
    events = list(Event.objects.filter(instance_id=task.instance_id).values_list("type", flat=True))
    assert {"task_commented", "task_snoozed", "task_delegated"} <= set(events)
    assert as_("eve").post(f"{URL}{task.pk}/delegate/", {"to_group": "managers"}).json()["groups"] == ["managers"]


def test_token_and_session_authenticate_and_nothing_else_does(open_task, people):
    task = open_task()
    assert client_for(people["ann"]).get(f"{URL}{task.pk}/").status_code == 200
    forged = client_for(None)
    forged.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert forged.get(f"{URL}{task.pk}/").status_code == 401
    assert forged.post(f"{URL}{task.pk}/claim/").status_code == 401
    session = APIClient()
    session.force_login(people["ann"])
    assert session.post(f"{URL}{task.pk}/claim/").json()["claimed_by"] == "ann"
    inactive = people["bob"]
    inactive.is_active = False
    inactive.save()
    assert client_for(inactive).get(URL).status_code == 401


# --- who may do what ------------------------------------------------------------------------------

ENDPOINTS = ("list", "detail", "claim", "unclaim", "delegate", "comment", "snooze", "decide")


def call(client, endpoint: str, task: Task):
    if endpoint == "list":
        return client.get(URL, {"view": "all"})
    if endpoint == "detail":
        return client.get(f"{URL}{task.pk}/")
    body = {
        "claim": {}, "unclaim": {}, "delegate": {"to_user": "eve", "note": "over to you"}, "comment": {"text": "noted"},
        "snooze": {"until": SOON}, "decide": {"decision": "approved", "data": {"amount": 5}},
    }[endpoint]  # fmt: skip
    return client.post(f"{URL}{task.pk}/{endpoint}/", body)


#: A task for ann, bob and sam and the ``managers`` group (cy), in an instance sam started, which
#: bob has claimed. Roles: who calls, as the user that plays it.
ROLES = {"anonymous": None, "outsider": "dee", "assignee": "ann", "group member": "cy", "claimer": "bob", "instance starter": "sam", "superuser": "root"}
CLAIMED = {
    #                      list  detail claim unclaim delegate comment snooze decide
    "anonymous":          (401,  401,   401,  401,    401,     401,    401,   401),
    "outsider":           (200,  404,   404,  404,    404,     404,    404,   404),
    "assignee":           (200,  200,   409,  409,    409,     200,    200,   409),
    "group member":       (200,  200,   409,  409,    409,     200,    200,   409),
    "claimer":            (200,  200,   200,  200,    200,     200,    200,   200),
    "instance starter":   (200,  200,   403,  409,    403,     200,    200,   403),
    "superuser":          (200,  200,   409,  200,    200,     200,    200,   409),
}  # fmt: skip
#: The same task before anyone claims it (the roles that differ; nobody holds it to unclaim).
UNCLAIMED = {
    "assignee":           (200,  200,   200,  409,    200,     200,    200,   200),
    "group member":       (200,  200,   200,  409,    200,     200,    200,   200),
    "instance starter":   (200,  200,   403,  409,    403,     200,    200,   403),
    "superuser":          (200,  200,   200,  409,    200,     200,    200,   200),
}  # fmt: skip


def cells(table: dict[str, tuple[int, ...]]) -> list:
    return [pytest.param(role, endpoint, row[i], id=f"{role}-{endpoint}") for role, row in table.items() for i, endpoint in enumerate(ENDPOINTS)]


@pytest.fixture
def shared_task(open_task):
    return open_task(assignees=["ann", "bob", "sam"], groups=["managers"], started_by="sam")


@pytest.mark.parametrize(("role", "endpoint", "expected"), cells(CLAIMED))
def test_who_may_do_what_on_a_claimed_task(shared_task, people, role, endpoint, expected):
    service.claim(people["bob"], shared_task.pk)
    check_cell(shared_task, role, endpoint, expected)


@pytest.mark.parametrize(("role", "endpoint", "expected"), cells(UNCLAIMED))
def test_who_may_do_what_on_an_unclaimed_task(shared_task, role, endpoint, expected):
    check_cell(shared_task, role, endpoint, expected)


def check_cell(task: Task, role: str, endpoint: str, expected: int) -> None:
    name = ROLES[role]
    before = snapshot(task)
    response = call(client_for(get_user_model().objects.get(username=name) if name else None), endpoint, task)
    assert response.status_code == expected, response.content
    body = response.json()
    if expected >= 400:
        assert set(body) == {"detail", "code", "errors"} and body["detail"]
        if response.status_code == 409 and endpoint != "unclaim":
            assert "bob" in body["detail"]  # says who holds it
        assert snapshot(task) == before  # a refusal writes nothing
    elif endpoint == "list":
        assert (task.pk in [row["id"] for row in body["results"]]) is (role != "outsider")
    else:
        assert body["id"] == task.pk
