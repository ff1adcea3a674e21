from __future__ import annotations

from workflows.checks import DEFAULT_SECRET, check_configuration


def ids(problems) -> set[str]:
    return {p.id for p in problems}


def test_the_default_secret_key_on_postgresql_is_flagged(settings):
    settings.SECRET_KEY, settings.DEBUG = DEFAULT_SECRET, False
    assert "flowdesk.W001" in ids(check_configuration(None))
    settings.SECRET_KEY = "a-real-secret-" + "x" * 40
    assert "flowdesk.W001" not in ids(check_configuration(None))


def test_no_persistent_connections_on_postgresql_is_flagged(settings, monkeypatch):
    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)
    assert "flowdesk.W002" in ids(check_configuration(None))


def test_a_queue_timeout_not_below_retry_is_an_error(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 100, "retry": 100}
    assert "flowdesk.E001" in ids(check_configuration(None))
