"""ASGI entry point: HTTP through Django, WebSockets through Channels (daphne serves both).

A process that starts here is a web process: it says so (``FLOWDESK_PROCESS=web``) before the settings
load, so they give it a bounded database pool instead of per-thread persistent connections. Request
bodies are bounded before they are read (``config.body_limit``).
"""

import os

from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
if not settings.configured:  # not when a test or a shell imports this after loading the settings
    os.environ["FLOWDESK_PROCESS"] = "web"

from django.core.asgi import get_asgi_application  # noqa: E402

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
