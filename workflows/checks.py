"""Start-up checks for configurations that work badly or unsafely (``manage.py check``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_secret_key(app_configs, **kwargs):
    """Only the embedded local run or DEBUG starts without SECRET_KEY (settings refuse otherwise):
    its key was made for this machine's data directory, not for a deployment."""
    if getattr(settings, "FLOWDESK_LOCAL_SECRET_KEY", False):
        return [
            Warning(
                "SECRET_KEY was generated for the embedded local run (FLOWDESK_DATA_DIR/secret_key)",
                hint="set SECRET_KEY in the environment of every process of a deployment",
                id="flowdesk.W001",
            )
        ]
    return []


@register()
def check_configuration(app_configs, **kwargs):
    problems = []
    database = settings.DATABASES["default"]
    production = database["ENGINE"] == "django.db.backends.postgresql"
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
