"""The engine's processes (workers, the timer loop) load no web code: the live relay and its
Channels layer belong to the web processes, which hear of changes through PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings


def test_the_engine_processes_do_not_import_the_live_relay_or_the_channel_layer():
    code = (
        "import django, sys; django.setup()\n"
        "import workflows.worker, workflows.timers, workflows.management.commands.engine\n"
        "print(sorted(m for m in ('workflows.live', 'workflows.consumers', 'channels.layers') if m in sys.modules))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=settings.BASE_DIR, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
