"""Login throttling with django-axes (settings: the security block): its backend, and the login
page that tells a locked-out person what happened and for how long."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render


class LoginThrottle(AxesStandaloneBackend):
    """django-axes' check, for logins that come with a request (the login pages). A call without
    one — ``Client.login`` in tests, a script — is no HTTP login to attribute to an address, so it
    passes here and the next backend checks the password as usual."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_minutes() -> int:
    return round(float(settings.AXES_COOLOFF_TIME) * 60)


def locked_out(request, *args, **kwargs):
    """The login page again, saying why the right password does not work now (HTTP 429)."""
    username = request.POST.get("username", "") if request.method == "POST" else ""
    form = AuthenticationForm(request, initial={"username": username})
    context = {
        "form": form,
        "locked_out": True,
        "lockout_minutes": lockout_minutes(),
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)
