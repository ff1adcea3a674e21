"""A database that cannot be reached answers 503 with Retry-After, not "Server Error (500)": JSON for
the API (its error shape), a plain "temporarily unavailable" page for the rest. The same when the
web process's pool has no connection free within FLOWDESK_DB_POOL_TIMEOUT_S (psycopg's PoolTimeout
is an OperationalError).

A view's exception reaches ``process_exception`` with the exception itself. A 500 handler would not
do: under ASGI Django calls it in another thread, where the exception is no longer known.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        log.error("database unavailable, answered 503: %s %s: %s", request.method, request.path, exception)
        if request.path.startswith("/api/"):
            detail = "the database is temporarily unavailable; try again shortly"
            response = JsonResponse({"detail": detail, "code": "unavailable", "errors": []}, status=503)
        else:
            # no request context: the context processors would ask the database who the user is
            response = HttpResponse(render_to_string("503.html", {"retry_after": RETRY_AFTER_S}), status=503)
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
