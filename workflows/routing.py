"""WebSocket routes: live instance status (DESIGN §6)."""

from django.urls import path

from workflows.consumers import InstanceEvents

websocket_urlpatterns = [
    path("ws/instances/<uuid:instance_id>/", InstanceEvents.as_asgi()),
]
