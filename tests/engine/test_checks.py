from __future__ import annotations

from workflows.checks import check_configuration, check_secret_key


def ids(problems) -> set[str]:
    return {p.id for p in problems}


def test_a_secret_key_generated_for_the_local_run_is_flagged_on_deploy(settings):
    settings.FLOWDESK_LOCAL_SECRET_KEY = True
    assert "flowdesk.W001" in ids(check_secret_key(None))
    settings.FLOWDESK_LOCAL_SECRET_KEY = False
    assert "flowdesk.W001" not in ids(check_secret_key(None))


def test_no_persistent_connections_on_postgresql_is_flagged(settings, monkeypatch):
    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)
    assert "flowdesk.W002" in ids(check_configuration(None))


def test_a_queue_timeout_not_below_retry_is_an_error(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 100, "retry": 100}
    assert "flowdesk.E001" in ids(check_configuration(None))
