"""The inbox's socket (``/ws/inbox/``) on the real relay (PostgreSQL's LISTEN/NOTIFY): a reviewer hears
of the tasks they may see as they change, and only of those."""

from __future__ import annotations

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from approvals import service
from approvals.models import Task
from tests.approvals.conftest import approval_graph
from tests.engine.conftest import drain_all
from tests.engine.test_live import in_a_thread, run_async
from tests.factories import VersionFactory
from workflows import engine, live
from workflows.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)

app = URLRouter(websocket_urlpatterns)


def inbox_socket(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(app, "/ws/inbox/")
    communicator.scope["user"] = user
    return communicator


def open_a_task(name: str) -> int:
    instance, _ = engine.start_instance(name, input={"what": "the van"})
    drain_all(instance.pk)
    return Task.objects.get(instance=instance).pk


async def heard(communicator, task_id: int, kind: str) -> dict:
    while True:
        message = await communicator.receive_json_from(timeout=10)
        for event in message["events"]:
            if event["task"] == task_id and event["type"] == kind:
                assert task_id in message["changed"]
                return event


def test_anonymous_inbox_sockets_are_refused():
    async def go():
        connected, _ = await inbox_socket(AnonymousUser()).connect()
        return connected

    assert run_async(go) is False


def test_a_reviewer_hears_of_their_new_task_and_its_claim_and_an_outsider_hears_nothing(people):
    name = VersionFactory(graph=approval_graph(groups=["managers"])).template.name

    async def go():
        ann, dee = inbox_socket(people["ann"]), inbox_socket(people["dee"])
        assert (await ann.connect())[0] and (await dee.connect())[0]
        task_id = await in_a_thread(open_a_task)(name)
        opened = await heard(ann, task_id, "task_opened")
        await in_a_thread(service.claim)(people["cy"], task_id)
        claimed = await heard(ann, task_id, "task_claimed")
        outsider_heard_nothing = await dee.receive_nothing(timeout=0.5)
        await ann.disconnect()
        await dee.disconnect()
        await live.relay.idle()
        return task_id, opened, claimed, outsider_heard_nothing

    task_id, opened, claimed, outsider_heard_nothing = run_async(go)
    assert opened["instance"] == str(Task.objects.get(pk=task_id).instance_id)
    assert claimed["by"] == "cy" and claimed["seq"] > opened["seq"]
    assert outsider_heard_nothing
    assert live.relay.inbox_watchers == 0 and not live.relay.busy  # the last socket gone, the relay stops


def test_a_withdrawn_task_is_told_to_its_reviewers(people):
    name = VersionFactory(graph=approval_graph()).template.name
    task_id = open_a_task(name)
    instance_id = Task.objects.get(pk=task_id).instance_id

    async def go():
        bob = inbox_socket(people["bob"])
        assert (await bob.connect())[0]
        await in_a_thread(engine.cancel_instance)(instance_id)
        withdrawn = await heard(bob, task_id, "task_withdrawn")
        await bob.disconnect()
        await live.relay.idle()
        return withdrawn

    assert run_async(go)["task"] == task_id


def test_task_changes_reads_each_instances_task_events_once(people):
    from django.utils import timezone

    name = VersionFactory(graph=approval_graph()).template.name
    task_id = open_a_task(name)
    instance_id = str(Task.objects.get(pk=task_id).instance_id)
    since = timezone.now() - live.INBOX_SINCE_MARGIN
    changes, marks = live.task_changes([instance_id], {}, since)
    assert [(c["task"], c["type"]) for c in changes] == [(task_id, "task_opened")]
    assert live.task_changes([instance_id], marks, since)[0] == []  # nothing new
    service.comment(people["ann"], task_id, "on it")
    changes, _ = live.task_changes([instance_id], marks, since)
    assert [(c["type"], c["by"]) for c in changes] == [("task_commented", "ann")]
