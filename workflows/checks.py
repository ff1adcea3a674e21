"""Start-up checks for configurations that work badly or unsafely (``manage.py check``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register

DEFAULT_SECRET = "flowdesk-insecure-local-key-change-me-in-production"


@register()
def check_configuration(app_configs, **kwargs):
    problems = []
    database = settings.DATABASES["default"]
    production = database["ENGINE"] == "django.db.backends.postgresql"
    if production and settings.SECRET_KEY == DEFAULT_SECRET and not settings.DEBUG:
        problems.append(
            Warning("SECRET_KEY is the built-in local key", hint="set SECRET_KEY in the environment", id="flowdesk.W001")
        )
    if production and not database.get("CONN_MAX_AGE") and not database.get("OPTIONS", {}).get("pool"):
        problems.append(
            Warning(
                "CONN_MAX_AGE is 0: every django-q2 poll reconnects (measured ~4x slower)",
                hint="set CONN_MAX_AGE=60",
                id="flowdesk.W002",
            )
        )
    q = settings.Q_CLUSTER
    if q.get("timeout") and q.get("retry") and q["timeout"] >= q["retry"]:
        problems.append(
            Error("Q_CLUSTER timeout must be below retry, or tasks are delivered again while they run", id="flowdesk.E001")
        )
    return problems
