"""WebSocket routes: live instance status (DESIGN §6) and the reviewers' inbox (§7)."""

from django.urls import path, re_path

from approvals.consumers import InboxEvents
from workflows.consumers import InstanceEvents, InstanceListEvents


async def no_such_socket(scope, receive, send) -> None:
    """Any other path: refused at the handshake (daphne answers 403), where channels' router would
    raise "No route found" and daphne answer 500."""
    await receive()  # websocket.connect
    await send({"type": "websocket.close", "code": 4404})


websocket_urlpatterns = [
    path("ws/instances/<uuid:instance_id>/", InstanceEvents.as_asgi()),
    path("ws/instances/", InstanceListEvents.as_asgi()),
    path("ws/inbox/", InboxEvents.as_asgi()),
    re_path(r"", no_such_socket),  # last: whatever nothing above matched
]
