"""Live status over WebSockets: the consumer and the relay, on PostgreSQL's LISTEN/NOTIFY.

Transactions commit for real here (the relay hears of events only on commit), and the engine runs
in this process, in a thread, while the socket listens.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import connections

from tests.engine.conftest import drain_all
from tests.factories import UserFactory, VersionFactory, chain_graph
from workflows import engine, live
from workflows.models import Event
from workflows.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)

app = URLRouter(websocket_urlpatterns)


def socket(instance_id, user, after: int | None = None) -> WebsocketCommunicator:
    query = f"?after={after}" if after is not None else ""
    communicator = WebsocketCommunicator(app, f"/ws/instances/{instance_id}/{query}")
    communicator.scope["user"] = user
    return communicator


def run_async(fn):
    """Run ``fn()`` (a coroutine function) to its end in a thread of its own: Playwright's sync API
    may already run an event loop in this one (the browser tests share the session)."""
    box: dict = {}

    def target():
        try:
            box["value"] = async_to_sync(fn)()
        except BaseException as error:  # handed to the test's thread
            box["error"] = error
        finally:
            connections.close_all()  # the connections the consumer used from this thread

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(60)
    if "error" in box:
        raise box["error"]
    return box["value"]


def engine_in_a_thread(instance_id) -> None:
    try:
        drain_all(instance_id)
    finally:
        connections.close_all()  # this thread's own connection


async def receive_until(communicator, last_type: str, timeout: float = 10.0) -> list[dict]:
    events = []
    while not events or events[-1]["type"] != last_type:
        events.append(await communicator.receive_json_from(timeout=timeout))
    return events


def test_anonymous_sockets_are_refused():
    instance, _ = engine.start_instance(VersionFactory(graph=chain_graph("a")).template.name)

    async def go():
        connected, _ = await socket(instance.pk, AnonymousUser()).connect()
        return connected

    assert run_async(go) is False


def test_a_socket_sends_what_happened_after_the_seq_it_was_given_then_what_commits_next():
    instance, _ = engine.start_instance(VersionFactory(graph=chain_graph("a", "b", "c")).template.name)
    seen = Event.objects.filter(instance=instance).count()  # instance and first step started
    user = UserFactory()

    async def go():
        communicator = socket(instance.pk, user, after=1)
        connected, _ = await communicator.connect()
        assert connected
        backlog = [await communicator.receive_json_from(timeout=5) for _ in range(seen - 1)]
        # the engine runs now, in another thread: its events reach the socket as they commit
        worker = asyncio.get_running_loop().create_task(sync_to_async(engine_in_a_thread, thread_sensitive=False)(instance.pk))
        later = await receive_until(communicator, "instance_completed")
        await worker
        await communicator.disconnect()
        await live.relay.idle()
        return backlog, later

    backlog, later = run_async(go)
    seqs = [e["seq"] for e in backlog + later]
    assert seqs == list(range(2, len(seqs) + 2))  # from after+1, in order, none twice, none missing
    assert seqs[-1] == Event.objects.filter(instance=instance).count()
    assert {(e["type"], e["node"]) for e in later} >= {("step_completed", "a"), ("step_completed", "c")}
    assert not live.relay.watchers  # the last socket gone, nothing is followed


def test_a_reconnecting_socket_gets_only_what_it_missed():
    name = VersionFactory(graph=chain_graph("a", "b")).template.name
    instance, _ = engine.start_instance(name)
    drain_all(instance.pk)
    total = Event.objects.filter(instance=instance).count()
    user = UserFactory()

    async def go():
        communicator = socket(instance.pk, user, after=total - 2)
        assert (await communicator.connect())[0]
        got = [await communicator.receive_json_from(timeout=5) for _ in range(2)]
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        await live.relay.idle()
        return got

    got = run_async(go)
    assert [e["seq"] for e in got] == [total - 1, total]
    assert got[-1]["type"] == "instance_completed"


def test_a_socket_that_replaces_the_last_one_at_once_still_gets_live_events():
    """A page reload: the last watcher leaves and a new one arrives before the relay has stopped."""
    instance, _ = engine.start_instance(VersionFactory(graph=chain_graph("a", "b")).template.name)
    user = UserFactory()
    seen = Event.objects.filter(instance=instance).count()

    async def go():
        first = socket(instance.pk, user)
        assert (await first.connect())[0]
        await first.disconnect()
        second = socket(instance.pk, user, after=seen)
        assert (await second.connect())[0]
        worker = asyncio.get_running_loop().create_task(sync_to_async(engine_in_a_thread, thread_sensitive=False)(instance.pk))
        later = await receive_until(second, "instance_completed")
        await worker
        await second.disconnect()
        await live.relay.idle()
        return later

    later = run_async(go)
    assert later[-1]["type"] == "instance_completed"


def list_socket(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(app, "/ws/instances/")
    communicator.scope["user"] = user
    return communicator


def test_anonymous_list_sockets_are_refused():
    async def go():
        connected, _ = await list_socket(AnonymousUser()).connect()
        return connected

    assert run_async(go) is False


def in_a_thread(fn):
    """``fn`` in a worker thread that closes its own database connection after."""

    def call(*args):
        try:
            return fn(*args)
        finally:
            connections.close_all()

    return sync_to_async(call, thread_sensitive=False)


def test_a_list_socket_hears_which_instances_started_and_changed_in_one_message_per_burst():
    name = VersionFactory(graph=chain_graph("a", "b")).template.name
    user = UserFactory()

    async def go():
        communicator = list_socket(user)
        connected, _ = await communicator.connect()
        assert connected
        started = await in_a_thread(lambda: [engine.start_instance(name)[0].pk for _ in range(3)])()
        heard: set[str] = set()
        messages = 0
        while not heard >= {str(i) for i in started}:
            heard |= set((await communicator.receive_json_from(timeout=10))["changed"])
            messages += 1
        await in_a_thread(engine.cancel_instance)(started[0])
        later = set()
        while str(started[0]) not in later:
            later |= set((await communicator.receive_json_from(timeout=10))["changed"])
        await communicator.disconnect()
        await live.relay.idle()
        return started, messages, later

    started, messages, later = run_async(go)
    assert messages <= 3  # gathered, not one message per event
    assert str(started[0]) in later
    assert live.relay.list_watchers == 0 and not live.relay.busy  # the last socket gone, the relay stops
