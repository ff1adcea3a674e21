"""WebSocket ``/ws/inbox/``: a reviewer's pages hear which of their tasks changed, as it commits.

The relay (``workflows.live``) hands every new ``task_*`` event to the ``inbox`` group; each socket
passes on only those of tasks its user may see now (``approvals.service.visible``, asked again for
every message: a group membership or a delegation may have changed since the socket opened), as
``{"changed": [task ids], "events": [{task, type, instance, seq, by, decision?}]}``. The inbox then
fetches its list again; a task page shows who claimed or decided it, or that it was withdrawn.
Anonymous sockets are refused at the handshake.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model

from workflows import live

from . import service


def seen_by(user_id: int, task_ids: set[int]) -> set[int]:
    """Which of ``task_ids`` the user may see, read afresh (the user too: deactivated, new groups)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return set()
    return set(service.visible(user).filter(pk__in=task_ids).values_list("pk", flat=True))


class InboxEvents(AsyncJsonWebsocketConsumer):
    watching = False
    user_id: int | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()  # refused at the handshake (HTTP 403)
            return
        self.user_id = user.pk
        await self.accept()
        await self.channel_layer.group_add(live.INBOX_GROUP, self.channel_name)
        await live.relay.watch_inbox()
        self.watching = True

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        """Streams only; nothing a client sends is read."""

    async def inbox_tasks(self, message) -> None:
        changes = message["changes"]
        mine = await database_sync_to_async(seen_by)(self.user_id, {c["task"] for c in changes})
        if mine:
            await self.send_json({"changed": sorted(mine), "events": [c for c in changes if c["task"] in mine]})

    async def disconnect(self, code) -> None:
        if self.watching:
            self.watching = False
            await self.channel_layer.group_discard(live.INBOX_GROUP, self.channel_name)
            live.relay.unwatch_inbox()
