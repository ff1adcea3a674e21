"""The login page of the embedded local run says what the demo login is, as the console does.

Only where that login is meant to exist (``demo_setup``): the embedded run (no DATABASE_URL), never
with production settings (FLOWDESK_SECURE), only to a browser on this machine, and only while the
demo user still has the published password (once someone changes it, the page stops telling).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.contrib.auth.views import LoginView

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-flowdesk"  # workflows/demo/management/commands/demo_setup.py

# Password hashing is slow on purpose: each stored hash is checked once per process, not per page.
_checked: dict[str, bool] = {}


def demo_login(request) -> tuple[str, str] | None:
    if not settings.FLOWDESK_EMBEDDED or settings.FLOWDESK_SECURE or not _local(request):
        return None
    stored = get_user_model().objects.filter(username=DEMO_USERNAME, is_active=True).values_list("password", flat=True).first()
    if not stored:
        return None
    if stored not in _checked:
        _checked[stored] = check_password(DEMO_PASSWORD, stored)
    return (DEMO_USERNAME, DEMO_PASSWORD) if _checked[stored] else None


def _local(request) -> bool:
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


class FlowdeskLoginView(LoginView):
    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "demo_login": demo_login(self.request)}
