"""WebSocket: ``/ws/instances/<id>/?after=<seq>`` streams an instance's events as they commit.

A browser that reconnects passes the last ``seq`` it saw and misses nothing: the socket joins the
instance's group first, then sends what the database holds after ``after``, then what the relay
hands it, dropping anything it already sent.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from workflows import live
from workflows.models import Instance


class InstanceEvents(AsyncJsonWebsocketConsumer):
    instance_id = ""
    sent = 0

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()  # refused at the handshake (HTTP 403)
            return
        instance_id = str(self.scope["url_route"]["kwargs"]["instance_id"])
        if not await database_sync_to_async(Instance.objects.filter(pk=instance_id).exists)():
            await self.close()
            return
        try:
            after = int(parse_qs(self.scope.get("query_string", b"").decode()).get("after", ["0"])[0])
        except ValueError:
            after = 0
        self.instance_id, self.sent = instance_id, max(0, after)
        await self.accept()
        await self.channel_layer.group_add(live.group(instance_id), self.channel_name)
        await live.relay.watch(instance_id)
        while True:  # the backlog, in pages
            backlog = await database_sync_to_async(live.events_after)(instance_id, self.sent)
            for event in backlog:
                await self.forward(event)
            if len(backlog) < 500:
                break

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        """The socket only streams to the browser: what a client sends is neither read nor parsed (JSON
        nested thousands deep would raise RecursionError in the parser)."""

    async def instance_event(self, message) -> None:
        await self.forward(message["event"])

    async def forward(self, event: dict) -> None:
        if event["seq"] > self.sent:
            self.sent = event["seq"]
            await self.send_json(event)

    async def disconnect(self, code) -> None:
        if self.instance_id:
            await self.channel_layer.group_discard(live.group(self.instance_id), self.channel_name)
            live.relay.unwatch(self.instance_id)


class InstanceListEvents(AsyncJsonWebsocketConsumer):
    """``/ws/instances/``: ``{"changed": [ids]}`` whenever instances change (new ones included), at
    most every ``live.LIST_FLUSH_S``. Any signed-in user, like the list page; the ids say nothing
    the list would not show them."""

    watching = False

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()
            return
        await self.accept()
        await self.channel_layer.group_add(live.LIST_GROUP, self.channel_name)
        await live.relay.watch_list()
        self.watching = True

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        """Streams only; nothing a client sends is read."""

    async def instances_changed(self, message) -> None:
        await self.send_json({"changed": message["ids"]})

    async def disconnect(self, code) -> None:
        if self.watching:
            await self.channel_layer.group_discard(live.LIST_GROUP, self.channel_name)
            live.relay.unwatch_list()
