"""Who may do what to a task: every role against every page and action of ``/inbox/``, and the
inbox's socket, on the real engine and database.

One task per cell: opened by an ``approval`` step for ann by name and the group ``managers``
(quorum 1, its starter may not decide), in an instance sam started. The roles:

- anonymous: not signed in;
- outsider (dee): signed in, neither named, nor in the group, nor holding the claim;
- assignee (ann): named on the task;
- group member (cy): in ``managers``;
- claimer (kim): claimed it as a member of ``managers``, then left the group: the claim alone
  lets kim see and act (``service._claimed_ids``);
- starter (sam): started the instance and is in ``managers``: sees the task, may not decide it
  (``allow_starter`` is false) but may comment and snooze;
- superuser (root): sees and may act on every task.

The expected cell follows ``approvals.service``: ``get`` hides a task from anyone it is not for
(404, never 403, so ids cannot be probed); ``_may_act`` refuses the starter (403) before anything
else; an unclaimed task cannot be released (409); claim, delegate and decide are refused while
someone else holds the claim (409), except that an admin may release or delegate it; comment and
snooze ask only that the task be visible. A refused cell writes nothing: the task's row, its
people, entries, votes, snoozes and its instance's events are as they were.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from approvals import service
from approvals.models import Entry, Snooze, Task, Vote
from tests.approvals.conftest import approval_graph
from tests.approvals.test_inbox_live import heard, inbox_socket
from tests.engine.conftest import drain_all
from tests.engine.test_live import in_a_thread, run_async
from tests.factories import UserFactory, VersionFactory
from workflows import engine, live
from workflows.models import Event

ROLES = ("anonymous", "outsider", "assignee", "group_member", "claimer", "starter", "superuser")
USERNAMES = {"outsider": "dee", "assignee": "ann", "group_member": "cy", "claimer": "kim", "starter": "sam", "superuser": "root"}

LOGIN = "login"
OK = 200
DONE = 302  # the action was taken: a redirect (POST, then GET)


def until_tomorrow() -> str:
    return (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


# action -> (method, path after /inbox/, body); "{id}" is the task's id
ACTIONS = {
    "inbox": ("get", "?view=all", None),
    "task": ("get", "{id}/", None),
    "claim": ("post", "{id}/claim/", {}),
    "unclaim": ("post", "{id}/unclaim/", {}),
    "delegate": ("post", "{id}/delegate/", {"to_user": "ivy", "note": "ivy knows the vendor"}),
    "comment": ("post", "{id}/comment/", {"text": "Checked against the budget."}),
    "snooze": ("post", "{id}/snooze/", {"until": until_tomorrow}),
    "decide": ("post", "{id}/decide/", {"decision": "approved", "f_amount": "40", "comment": ""}),
    "away": ("get", "away/", None),
}

# role -> action -> (status, the Entry the action writes, or None when it writes nothing); for
# "inbox", whether the task is listed on the "All I may see" tab
EXPECTED: dict[str, dict[str, tuple]] = {
    "anonymous": {action: (LOGIN, None) for action in ACTIONS},
    "outsider": {
        "inbox": (OK, False), "task": (404, None), "claim": (404, None), "unclaim": (404, None), "delegate": (404, None),
        "comment": (404, None), "snooze": (404, None), "decide": (404, None), "away": (OK, None),
    },
    "assignee": {
        "inbox": (OK, True), "task": (OK, None), "claim": (DONE, "claimed"), "unclaim": (409, None), "delegate": (DONE, "delegated"),
        "comment": (DONE, "commented"), "snooze": (DONE, "snoozed"), "decide": (DONE, "decided"), "away": (OK, None),
    },
    "group_member": {
        "inbox": (OK, True), "task": (OK, None), "claim": (DONE, "claimed"), "unclaim": (409, None), "delegate": (DONE, "delegated"),
        "comment": (DONE, "commented"), "snooze": (DONE, "snoozed"), "decide": (DONE, "decided"), "away": (OK, None),
    },
    "claimer": {  # claiming again what one holds is a no-op: done, nothing new written
        "inbox": (OK, True), "task": (OK, None), "claim": (DONE, None), "unclaim": (DONE, "unclaimed"), "delegate": (DONE, "delegated"),
        "comment": (DONE, "commented"), "snooze": (DONE, "snoozed"), "decide": (DONE, "decided"), "away": (OK, None),
    },
    "starter": {  # _may_act refuses the starter first (403); unclaim and comment/snooze do not ask it
        "inbox": (OK, True), "task": (OK, None), "claim": (403, None), "unclaim": (409, None), "delegate": (403, None),
        "comment": (DONE, "commented"), "snooze": (DONE, "snoozed"), "decide": (403, None), "away": (OK, None),
    },
    "superuser": {
        "inbox": (OK, True), "task": (OK, None), "claim": (DONE, "claimed"), "unclaim": (409, None), "delegate": (DONE, "delegated"),
        "comment": (DONE, "commented"), "snooze": (DONE, "snoozed"), "decide": (DONE, "decided"), "away": (OK, None),
    },
}  # fmt: skip

# While kim (who left the group) holds the claim: role -> action -> status
HELD_BY_KIM: dict[str, dict[str, int]] = {
    "outsider": {"claim": 404, "unclaim": 404, "delegate": 404, "decide": 404, "comment": 404},
    "assignee": {"claim": 409, "unclaim": 409, "delegate": 409, "decide": 409, "comment": DONE},
    "group_member": {"claim": 409, "unclaim": 409, "delegate": 409, "decide": 409, "comment": DONE},
    "starter": {"claim": 403, "unclaim": 409, "delegate": 403, "decide": 403, "comment": DONE},
    "superuser": {"claim": 409, "unclaim": DONE, "delegate": DONE, "decide": 409, "comment": DONE},  # an admin may release or hand it on
}


@pytest.fixture
def cast(people):
    """The conftest's people (ann, bob, cy in ``managers``, dee, root) and kim and sam in
    ``managers``, and ivy (someone to delegate to)."""
    managers = Group.objects.get(name="managers")
    for name in ("kim", "sam"):
        people[name] = UserFactory(username=name)
        people[name].groups.add(managers)
    people["ivy"] = UserFactory(username="ivy")
    return people


@pytest.fixture
def open_task(cast):
    """``open_task(held_by_kim)``: the cell's task, in an instance sam started; kim claims it and
    leaves ``managers`` when asked."""

    def make(held_by_kim: bool = False) -> Task:
        name = VersionFactory(graph=approval_graph(assignees=["ann"], groups=["managers"])).template.name
        instance, _ = engine.start_instance(name, input={"what": "the vendor's invoice"}, started_by=cast["sam"])
        drain_all(instance.pk)
        task = Task.objects.get(instance=instance)
        if held_by_kim:
            service.claim(cast["kim"], task.pk)
            cast["kim"].groups.remove(Group.objects.get(name="managers"))
        return task

    return make


def takes(role: str, action: str) -> bool:
    """The action is done and writes something (claiming what one holds already does not)."""
    status, then = EXPECTED[role][action]
    return status == DONE and then is not None


def client_as(role: str, people) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(people[USERNAMES[role]])
    return client


def request(client: Client, action: str, task: Task):
    method, path, body = ACTIONS[action]
    url = "/inbox/" + path.format(id=task.pk)
    if method == "get":
        return client.get(url)
    return client.post(url, {k: (v() if callable(v) else v) for k, v in body.items()})


def written(task: Task) -> dict:
    """Everything an action on the task could write."""
    return {
        "row": Task.objects.filter(pk=task.pk).values().get(),
        "assignees": sorted(task.assignees.values_list("username", flat=True)),
        "groups": sorted(task.groups.values_list("name", flat=True)),
        "entries": list(Entry.objects.filter(task=task).order_by("id").values_list("action", "user__username")),
        "votes": Vote.objects.filter(task=task).count(),
        "snoozes": Snooze.objects.filter(task=task).count(),
        "events": Event.objects.filter(instance_id=task.instance_id).count(),
    }


def assert_refused(response, status: int, task: Task, before: dict) -> None:
    assert response.status_code == status, response.content.decode()[:2000]
    html = response.content.decode()
    if status == 404:
        assert "Page not found" in html  # the product's 404 page
        assert escape(task.title) not in html  # and nothing about the task
    else:
        assert 'data-testid="problem"' in html  # what was refused, on the task's page
    assert written(task) == before, "a refused action wrote something"


@pytest.mark.django_db
@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_service_allows_on_each_page_and_action(role, action, cast, open_task):
    task = open_task(held_by_kim=role == "claimer")
    before = written(task)
    response = request(client_as(role, cast), action, task)
    status, then = EXPECTED[role][action]

    if status == LOGIN:
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=/inbox/")
        assert written(task) == before
    elif action == "inbox":
        html = response.content.decode()
        assert response.status_code == OK
        assert (f'data-task="{task.pk}"' in html) is then
        assert (escape(task.title) in html) is then  # no leak of a task to someone it is not for
        if then:  # the row's Claim button only where a claim would be taken
            row = re.search(rf'<tr data-testid="task-row" data-task="{task.pk}".*?</tr>', html, re.S).group(0)
            assert ('data-testid="claim-from-list"' in row) is takes(role, "claim")
    elif status == OK:
        assert response.status_code == OK and written(task) == before
        if action == "task":
            assert escape(task.title) in response.content.decode()
    elif status == DONE:
        assert response.status_code == 302, response.content.decode()[:2000]
        after = written(task)
        if then is None:
            assert after == before
        else:
            assert after["entries"][len(before["entries"]) :] == [(then, USERNAMES[role])]
    else:
        assert_refused(response, status, task, before)


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["claim", "unclaim", "delegate", "decide", "comment"])
@pytest.mark.parametrize("role", list(HELD_BY_KIM))
def test_while_someone_else_holds_the_claim_only_an_admin_may_release_or_hand_it_on(role, action, cast, open_task):
    task = open_task(held_by_kim=True)
    before = written(task)
    response = request(client_as(role, cast), action, task)
    status = HELD_BY_KIM[role][action]
    if status == DONE:
        assert response.status_code == 302, response.content.decode()[:2000]
        expected = {"unclaim": "unclaimed", "delegate": "delegated", "comment": "commented"}[action]
        assert written(task)["entries"][len(before["entries"]) :] == [(expected, USERNAMES[role])]
    else:
        assert_refused(response, status, task, before)
        if status == 409 and action != "unclaim":
            assert "kim" in response.content.decode()  # who holds it is said


CONTROLS = {"claim": "claim", "unclaim": "unclaim", "delegate": "delegate-panel", "comment": "comment-form", "snooze": "snooze-panel", "decide": "approve"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, held",
    [(role, held) for role in ("assignee", "group_member", "starter", "superuser") for held in (False, True)] + [("claimer", True)],
    ids=lambda value: {False: "unclaimed", True: "held_by_kim"}.get(value, value) if isinstance(value, bool) else value,
)
def test_the_task_page_offers_each_role_exactly_the_actions_that_would_be_taken(role, held, cast, open_task):
    """A control on the page is an action the service takes (and changes something): none that it
    would refuse, none missing."""
    task = open_task(held_by_kim=held or role == "claimer")
    html = client_as(role, cast).get(f"/inbox/{task.pk}/").content.decode()
    if held and role != "claimer":
        would = {action: HELD_BY_KIM[role].get(action, DONE) == DONE for action in CONTROLS}  # snooze asks nothing of the claim
    else:
        would = {action: takes(role, action) for action in CONTROLS}
    offered = {action: f'data-testid="{testid}"' in html for action, testid in CONTROLS.items()}
    assert offered == would


@pytest.mark.django_db
def test_starting_an_instance_alone_shows_nothing_of_its_task(cast, open_task):
    """The starter row above is in the task's group; without it, starting gives no sight of it."""
    cast["sam"].groups.clear()
    task = open_task()
    client = client_as("starter", cast)
    assert client.get(f"/inbox/{task.pk}/").status_code == 404
    assert f'data-task="{task.pk}"' not in client.get("/inbox/?view=all").content.decode()


# --- the socket --------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ROLES)
def test_the_inbox_socket_tells_each_role_of_a_change_only_if_they_may_see_the_task(role, cast, open_task):
    """ann comments on the task; ann's own socket is the witness that the change was relayed, so
    a socket that heard nothing by then was told nothing (not merely told late)."""
    task = open_task(held_by_kim=role == "claimer")
    user = AnonymousUser() if role == "anonymous" else cast[USERNAMES[role]]
    hears = role != "outsider"

    async def go():
        socket = inbox_socket(user)
        connected, _ = await socket.connect()
        if not connected:
            return False, None
        witness = inbox_socket(cast["ann"])
        assert (await witness.connect())[0]
        await in_a_thread(service.comment)(cast["ann"], task.pk, "The quote is attached.")
        await heard(witness, task.pk, "task_commented")
        event = await heard(socket, task.pk, "task_commented") if hears else await socket.receive_nothing(timeout=1)
        await socket.disconnect()
        await witness.disconnect()
        await live.relay.idle()
        return True, event

    connected, event = run_async(go)
    if role == "anonymous":
        assert connected is False  # refused at the handshake
    elif hears:
        assert connected and event["by"] == "ann" and event["instance"] == str(task.instance_id)
    else:
        assert connected and event is True  # the outsider's socket stayed silent
