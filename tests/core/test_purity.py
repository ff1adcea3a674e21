"""The core stays pure: importing all of it loads no Django (DESIGN §2)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import workflows.core

ROOT = Path(__file__).resolve().parents[2]


def core_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(workflows.core.__path__, "workflows.core.")]


def test_every_core_module_imports_without_django():
    modules = core_modules()
    assert "workflows.core.decider" in modules and "workflows.core.steps.task" in modules
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
