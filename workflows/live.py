"""Live status (DESIGN §6): each web process relays newly committed events to its own sockets.

Workers never talk to the channel layer. On PostgreSQL a transition that appends events also sends
``NOTIFY flowdesk_events, '<instance id>'`` in the same transaction, so the notice arrives on commit
and never for a rollback; on SQLite the relay polls. Either way the relay then reads the instance's
events after the last ``seq`` it relayed. ``seq`` is gap-free and assigned under the instance lock,
so reading by it skips nothing committed and never sees anything rolled back. The relay only
follows instances someone is watching, and hands their events to the sockets of this process
through a Channels group (the in-memory layer is enough: relay and sockets share the process).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import psycopg
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.db.models import Max

from workflows.models import Event

log = logging.getLogger(__name__)

CHANNEL = "flowdesk_events"
POLL_S = 0.1  # SQLite: how often the relay looks for new events
CATCH_UP_S = 1.0  # PostgreSQL: a look even without a notice (after a lost LISTEN connection)


def group(instance_id: Any) -> str:
    return f"instance.{instance_id}"


def event_as_dict(event: Event) -> dict[str, Any]:
    """The shape of ``GET /instances/{id}/events/`` results."""
    return {
        "seq": event.seq,
        "type": event.type,
        "node": event.node_id,
        "attempt": event.attempt,
        "data": event.data,
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
    }


def events_after(instance_id: str, seq: int, limit: int = 500) -> list[dict[str, Any]]:
    return [event_as_dict(e) for e in Event.objects.filter(instance_id=instance_id, seq__gt=seq).order_by("seq")[:limit]]


def last_seq(instance_id: str) -> int:
    return Event.objects.filter(instance_id=instance_id).aggregate(m=Max("seq"))["m"] or 0


class Relay:
    """Follows the watched instances of this process; started by the first socket that watches."""

    def __init__(self) -> None:
        self.relayed: dict[str, int] = {}  # instance id -> last seq handed to its group
        self.watchers: dict[str, int] = {}
        self.task: asyncio.Task | None = None
        self.stopping: asyncio.Task | None = None

    async def watch(self, instance_id: str) -> None:
        if instance_id not in self.watchers:
            self.relayed[instance_id] = await database_sync_to_async(last_seq)(instance_id)
        self.watchers[instance_id] = self.watchers.get(instance_id, 0) + 1
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run())

    def unwatch(self, instance_id: str) -> None:
        left = self.watchers.get(instance_id, 0) - 1
        if left > 0:
            self.watchers[instance_id] = left
        else:
            self.watchers.pop(instance_id, None)
            self.relayed.pop(instance_id, None)
        if not self.watchers and self.task is not None:
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

    async def run(self) -> None:
        while self.watchers:
            try:
                if connection.vendor == "postgresql":
                    await self.listen()
                else:
                    await self.relay_all()
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
            while self.watchers:
                await self.relay_all()  # also what a notice sent while (re)connecting announced
                async for notice in conn.notifies(timeout=CATCH_UP_S):
                    await self.relay(notice.payload)
                    if not self.watchers:
                        return


relay = Relay()
