"""The secret key of the embedded local run, made once per data directory.

Imported by the settings, so it must not use Django's settings. A deployment sets ``SECRET_KEY``;
the local run (``bin/run`` on a fresh clone, no configuration) gets a random key that survives
restarts (so sessions do too) and never leaves the machine.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def local_secret_key(path: Path) -> str:
    """The key stored at ``path`` (mode 0600), created on first use. Several processes may start
    together (web, engine, manage.py): the file is linked into place whole, so each reads one key."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50) + "\n")
        try:
            os.link(draft, path)  # fails if another process won the race: then its key is the key
        except FileExistsError:
            pass
    finally:
        draft.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text().strip()
    if len(key) < 50:
        raise ImproperlyConfigured(f"{path} holds no usable secret key: delete it to have a new one made")
    return key
