"""Live status (DESIGN §6): each web process relays newly committed events to its own sockets.

Workers never talk to the channel layer. On PostgreSQL a transition that appends events also sends
``NOTIFY flowdesk_events, '<instance id>'`` in the same transaction, so the notice arrives on commit
and never for a rollback; on SQLite the relay polls. Either way the relay then reads the instance's
events after the last ``seq`` it relayed. ``seq`` is gap-free and assigned under the instance lock,
so reading by it skips nothing committed and never sees anything rolled back. The relay only
follows instances someone is watching, and hands their events to the sockets of this process
through a Channels group (the in-memory layer is enough: relay and sockets share the process).

The instance list (``/ws/instances/``) is told which instances changed, not what: the relay gathers
the ids of the notices (SQLite: of new events, whose ids are in commit order there, one writer at a
time) and hands them over every ``LIST_FLUSH_S``; the page fetches its own rows again, filters and
counts included, so a list stream needs no second copy of the filter logic.

The reviewers' inbox (``/ws/inbox/``, ``approvals.consumers``) is told which tasks changed: the
relay gathers the changed instances as for the list, reads their new ``task_*`` events (by ``seq``
per instance, so nothing committed is skipped) and hands them to the ``inbox`` group; each socket
then keeps only the tasks its user may see. Only while an inbox socket is open.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

import psycopg
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.db.models import Max, Q
from django.utils import timezone

from workflows.engine.writer import CHANNEL
from workflows.models import Event

log = logging.getLogger(__name__)

POLL_S = 0.1  # SQLite: how often the relay looks for new events
CATCH_UP_S = 1.0  # PostgreSQL: a look even without a notice (after a lost LISTEN connection)
LIST_GROUP = "instances"
LIST_FLUSH_S = 0.05  # how often the list sockets hear which instances changed (a burst is one message)
INBOX_GROUP = "inbox"
INBOX_SINCE_MARGIN = timedelta(seconds=5)  # commit lag and clock skew: a repeat is harmless, a miss is not
INBOX_FOLLOW_MAX = 10_000  # instances whose last task event the relay remembers; then it starts again


def group(instance_id: Any) -> str:
    return f"instance.{instance_id}"


def event_as_dict(event: Event) -> dict[str, Any]:
    """The shape of ``GET /instances/{id}/events/`` results."""
    return {
        "seq": event.seq,
        "type": event.type,
        "node": event.node_id,
        "attempt": event.attempt,
        "item": event.item_key,
        "data": event.data,
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
    }


def events_after(instance_id: str, seq: int, limit: int = 500) -> list[dict[str, Any]]:
    return [event_as_dict(e) for e in Event.objects.filter(instance_id=instance_id, seq__gt=seq).order_by("seq")[:limit]]


def last_seq(instance_id: str) -> int:
    return Event.objects.filter(instance_id=instance_id).aggregate(m=Max("seq"))["m"] or 0


def last_event_id() -> int:
    return Event.objects.aggregate(m=Max("id"))["m"] or 0


def changed_after(event_id: int, limit: int = 5000) -> tuple[set[str], int]:
    """SQLite: the instances with events after ``event_id``, and the last event id read."""
    rows = list(Event.objects.filter(id__gt=event_id).order_by("id").values_list("id", "instance_id")[:limit])
    return {str(i) for _, i in rows}, (rows[-1][0] if rows else event_id)


def task_changes(instance_ids: list[str], after: dict[str, int], since: datetime, limit: int = 2000) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The ``task_*`` events of these instances after the ``seq`` in ``after`` (an instance not in
    it: created since ``since``), and each instance's ``seq`` to read after next time."""
    new = [i for i in instance_ids if i not in after]
    marks = {i: after[i] for i in instance_ids if i in after}
    match = Q(pk__in=[])
    for instance_id, seq in marks.items():
        match |= Q(instance_id=instance_id, seq__gt=seq)
    last = {}
    if new:
        # Where to go on from next time: the last seq now, read first; the read below has no upper
        # bound, so what commits in between is in it.
        last = {str(i): m for i, m in Event.objects.filter(instance_id__in=new).values("instance_id").annotate(m=Max("seq")).values_list("instance_id", "m")}
        match |= Q(instance_id__in=new, created_at__gte=since)
    rows = list(Event.objects.filter(match, type__startswith="task_").order_by("id").values_list("instance_id", "seq", "type", "data")[:limit])
    if len(rows) < limit:  # cut short, go on from the rows read only
        marks.update(last)
    changes = []
    for instance_id, seq, kind, data in rows:
        instance_id = str(instance_id)
        marks[instance_id] = max(marks.get(instance_id, 0), seq)
        if isinstance(data, dict) and isinstance(data.get("task"), int):
            change = {"task": data["task"], "type": kind, "instance": instance_id, "seq": seq, "by": str(data.get("by") or "")}
            if data.get("decision"):
                change["decision"] = str(data["decision"])
            changes.append(change)
    return changes, marks


class Relay:
    """Follows the watched instances of this process; started by the first socket that watches."""

    def __init__(self) -> None:
        self.relayed: dict[str, int] = {}  # instance id -> last seq handed to its group
        self.watchers: dict[str, int] = {}
        self.task: asyncio.Task | None = None
        self.stopping: asyncio.Task | None = None
        self.list_watchers = 0  # sockets of the instance list
        self.changed: set[str] = set()  # instance ids the list sockets have not heard of yet
        self.list_event_id = 0  # SQLite: the last event the list was told of
        self.flusher: asyncio.Task | None = None
        self.inbox_watchers = 0  # sockets of reviewers' inboxes
        self.task_changed: set[str] = set()  # instances whose task events the inbox has not read yet
        self.task_seq: dict[str, int] = {}  # instance id -> the last seq read for the inbox
        self.inbox_since = timezone.now()
        self.inbox_flusher: asyncio.Task | None = None

    @property
    def busy(self) -> bool:
        return bool(self.watchers or self.list_watchers or self.inbox_watchers)

    @property
    def gathering(self) -> bool:
        """Someone wants to hear of every instance that changes (the list, an inbox)."""
        return bool(self.list_watchers or self.inbox_watchers)

    def _start(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run())

    async def watch(self, instance_id: str) -> None:
        if instance_id not in self.watchers:
            self.relayed[instance_id] = await database_sync_to_async(last_seq)(instance_id)
        self.watchers[instance_id] = self.watchers.get(instance_id, 0) + 1
        self._start()

    async def watch_list(self) -> None:
        if not self.list_watchers:
            self.changed.clear()
        if not self.gathering:
            self.list_event_id = await database_sync_to_async(last_event_id)()
        self.list_watchers += 1
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.get_running_loop().create_task(self.flush_list())
        self._start()

    def unwatch_list(self) -> None:
        self.list_watchers = max(0, self.list_watchers - 1)
        self._stop_if_idle()

    async def flush_list(self) -> None:
        while self.list_watchers:
            await asyncio.sleep(LIST_FLUSH_S)
            if self.changed:
                ids, self.changed = sorted(self.changed), set()
                await get_channel_layer().group_send(LIST_GROUP, {"type": "instances.changed", "ids": ids})

    async def watch_inbox(self) -> None:
        if not self.inbox_watchers:
            self.task_changed.clear()
            self.task_seq.clear()
            self.inbox_since = timezone.now() - INBOX_SINCE_MARGIN
        if not self.gathering:
            self.list_event_id = await database_sync_to_async(last_event_id)()
        self.inbox_watchers += 1
        if self.inbox_flusher is None or self.inbox_flusher.done():
            self.inbox_flusher = asyncio.get_running_loop().create_task(self.flush_inbox())
        self._start()

    def unwatch_inbox(self) -> None:
        self.inbox_watchers = max(0, self.inbox_watchers - 1)
        self._stop_if_idle()

    async def flush_inbox(self) -> None:
        """Every ``LIST_FLUSH_S``: the new task events of the instances that changed, in one message."""
        while self.inbox_watchers:
            await asyncio.sleep(LIST_FLUSH_S)
            if not self.task_changed:
                continue
            ids, self.task_changed = sorted(self.task_changed), set()
            if len(self.task_seq) > INBOX_FOLLOW_MAX:  # bounded memory: start again (a repeat, not a miss)
                self.task_seq.clear()
            try:
                after = {i: self.task_seq[i] for i in ids if i in self.task_seq}  # the thread gets its own dict
                changes, marks = await database_sync_to_async(task_changes)(ids, after, self.inbox_since)
            except Exception:  # the database went away: read these again next time
                log.exception("live relay: the inbox's task events could not be read")
                self.task_changed |= set(ids)
                await asyncio.sleep(1.0)
                continue
            self.task_seq.update(marks)
            if changes:
                await get_channel_layer().group_send(INBOX_GROUP, {"type": "inbox.tasks", "changes": changes})

    def unwatch(self, instance_id: str) -> None:
        left = self.watchers.get(instance_id, 0) - 1
        if left > 0:
            self.watchers[instance_id] = left
        else:
            self.watchers.pop(instance_id, None)
            self.relayed.pop(instance_id, None)
        self._stop_if_idle()

    def _stop_if_idle(self) -> None:
        if not self.busy and self.task is not None:
            # nobody watches: stop listening; the next watcher starts a new task at once, even
            # before this one has finished cancelling
            self.task.cancel()
            self.stopping, self.task = self.task, None

    async def idle(self) -> None:
        """Wait until a stopped relay has closed its connection (tests end their event loop)."""
        if self.stopping is not None:
            await asyncio.gather(self.stopping, return_exceptions=True)
            self.stopping = None

    async def relay(self, instance_id: str) -> None:
        if instance_id not in self.relayed:
            return
        while True:
            events = await database_sync_to_async(events_after)(instance_id, self.relayed.get(instance_id, 0))
            if not events or instance_id not in self.relayed:
                return
            layer = get_channel_layer()
            for event in events:
                await layer.group_send(group(instance_id), {"type": "instance.event", "event": event})
            self.relayed[instance_id] = events[-1]["seq"]

    async def relay_all(self) -> None:
        for instance_id in list(self.relayed):
            await self.relay(instance_id)

    async def poll_list(self) -> None:
        """The instances with events since the list last looked (SQLite's way, and PostgreSQL's
        when its LISTEN starts)."""
        if self.gathering:
            ids, self.list_event_id = await database_sync_to_async(changed_after)(self.list_event_id)
            if self.list_watchers:
                self.changed |= ids
            if self.inbox_watchers:
                self.task_changed |= ids

    async def run(self) -> None:
        while self.busy:
            try:
                if connection.vendor == "postgresql":
                    await self.listen()
                else:
                    await self.relay_all()
                    await self.poll_list()
                    await asyncio.sleep(POLL_S)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away: keep the sockets, try again shortly
                log.exception("live relay: retrying in 1 s")
                await asyncio.sleep(1.0)

    async def listen(self) -> None:
        params = {k: v for k, v in connection.get_connection_params().items() if k not in ("cursor_factory", "context", "prepare_threshold")}
        async with await psycopg.AsyncConnection.connect(**params, autocommit=True) as conn:
            await conn.execute(f"LISTEN {CHANNEL}")
            # what the list missed between its socket's connect and this LISTEN (no notice came)
            await self.poll_list()
            while self.busy:
                await self.relay_all()  # also what a notice sent while (re)connecting announced
                async for notice in conn.notifies(timeout=CATCH_UP_S):
                    await self.relay(notice.payload)
                    if self.list_watchers:
                        self.changed.add(notice.payload)
                    if self.inbox_watchers:
                        self.task_changed.add(notice.payload)
                    if not self.busy:
                        return


relay = Relay()
