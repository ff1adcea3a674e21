"""WebSocket routes (live status arrives with the monitor)."""

websocket_urlpatterns: list = []
