"""Suite-wide guards. The suite runs on PostgreSQL and Redis (bin/test starts them if needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings


def pytest_configure(config):
    # whitenoise warns on every request when STATIC_ROOT is missing (collectstatic is not run here).
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    if not settings.IS_POSTGRES:
        raise pytest.UsageError(
            "The test suite runs on PostgreSQL: run it with bin/test, or set DATABASE_URL "
            "(e.g. postgres://postgres@127.0.0.1:5432/postgres)."
        )
