"""Suite-wide guards. The suite runs on PostgreSQL and Redis (bin/test starts them if needed)."""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.test import TransactionTestCase


def pytest_configure(config):
    # Cheap password hashes for the suite's users, here and in the servers it starts (they read
    # the environment): PBKDF2 costs ~0.5 s a user (config/settings.py, FLOWDESK_FAST_PASSWORDS).
    os.environ["FLOWDESK_FAST_PASSWORDS"] = "1"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    # whitenoise warns on every request when STATIC_ROOT is missing (collectstatic is not run here).
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    TransactionTestCase._fixture_teardown = _flush_again_after_a_clash(TransactionTestCase._fixture_teardown)
    if not settings.IS_POSTGRES:
        raise pytest.UsageError(
            "The test suite runs on PostgreSQL: run it with bin/test, or set DATABASE_URL "
            "(e.g. postgres://postgres@127.0.0.1:5432/postgres)."
        )


def _flush_again_after_a_clash(teardown):
    """A transactional test ends with a flush: one TRUNCATE of every table, which takes its locks
    table by table while the engines an e2e module keeps running still poll and finish leftover
    work. PostgreSQL may abort the TRUNCATE (a deadlock with a poll that locks the same tables in
    another order); the poll is gone a moment later, so the flush is tried again, saying why."""

    @functools.wraps(teardown)
    def flush(self):
        for attempt in range(1, 6):
            try:
                return teardown(self)
            except CommandError as error:
                if attempt == 5 or not isinstance(error.__cause__, OperationalError):
                    raise
                print(f"\nflush of the test database failed ({error.__cause__}); trying again", file=sys.stderr)
                time.sleep(0.2 * attempt)

    return flush


@pytest.fixture
def poisoned_results():
    """A real database failure, not a mock: PostgreSQL refuses any step result marked 'poison'."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION refuse_poison() RETURNS trigger AS $$
            BEGIN
              IF NEW.output ? 'poison' THEN RAISE EXCEPTION 'refused by the test trigger'; END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_poison BEFORE UPDATE ON workflows_steprun
              FOR EACH ROW WHEN (NEW.output IS NOT NULL AND jsonb_typeof(NEW.output) = 'object') EXECUTE FUNCTION refuse_poison();
            """
        )
    yield
