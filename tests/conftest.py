"""Suite-wide guards. The suite runs on PostgreSQL and Redis (bin/test starts them if needed)."""

from __future__ import annotations

import pytest
from django.conf import settings


def pytest_configure(config):
    if not settings.IS_POSTGRES:
        raise pytest.UsageError(
            "The test suite runs on PostgreSQL: run it with bin/test, or set DATABASE_URL "
            "(e.g. postgres://postgres@127.0.0.1:5432/postgres)."
        )
