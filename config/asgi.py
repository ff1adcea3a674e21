"""ASGI entry point: HTTP through Django, WebSockets through Channels (daphne serves both).

Request bodies are bounded before they are read (``config.body_limit``).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.body_limit import BodyLimit, install_in_daphne  # noqa: E402
from workflows.routing import websocket_urlpatterns  # noqa: E402

install_in_daphne()

application = ProtocolTypeRouter(
    {
        "http": BodyLimit(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
