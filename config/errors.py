"""Error pages: the product's look with a way back for people, the API's JSON error shape for
``/api/`` (a client of the API never has to parse HTML). Wired in config/urls.py (handler404,
handler403, handler500) and the settings' CSRF_FAILURE_VIEW.

The 500 page is rendered with no request context: whatever failed (the database, a context
processor) must not fail the error page too.
"""

from __future__ import annotations

import logging

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

log = logging.getLogger(__name__)

CSRF_REASON = "This form was open too long or your session changed (you logged in or out elsewhere). Go back, reload the page and try again."


def _api(request) -> bool:
    return request.path.startswith("/api/")


def _json(detail: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code, "errors": []}, status=status)


def _back(request) -> str:
    """The page the person came from, when it is one of ours and not this very page."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, require_https=request.is_secure()):
        if referer != request.build_absolute_uri():
            return referer
    return ""


def not_found(request, exception=None):
    if _api(request):
        return _json(f"nothing at {request.path}", "not_found", 404)
    return render(request, "404.html", {"request_path": request.path, "back": _back(request)}, status=404)


def permission_denied(request, exception=None):
    if _api(request):
        return _json(str(exception) or "you do not have permission to do this", "permission_denied", 403)
    reason = str(exception) if exception is not None else ""
    return render(request, "403.html", {"reason": reason, "back": _back(request)}, status=403)


def csrf_failure(request, reason=""):
    log.warning("CSRF check failed: %s %s: %s", request.method, request.path, reason)
    if _api(request):
        return _json(f"CSRF check failed: {reason}", "csrf_failed", 403)
    return render(request, "403.html", {"reason": CSRF_REASON, "back": _back(request)}, status=403)


def server_error(request):
    if _api(request):
        return _json("the server failed to answer this request; it has been logged", "server_error", 500)
    return HttpResponse(render_to_string("500.html"), status=500)  # no request context: see above
