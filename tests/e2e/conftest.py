"""Real processes: ``manage.py engine`` (a django-q2 cluster plus the timer loop) against the test
database and the Redis broker, so the tests exercise the queue, the workers and crashes for real."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest
from django.db import connection

from workflows.core.status import InstanceStatus
from workflows.models import Instance

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "postgres") + (":" + quote(s["PASSWORD"]) if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Engine:
    def __init__(self, tmp: Path, **env: str):
        self.log = tmp / "engine.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "FLOWDESK_LEASE_S": "2",
            "FLOWDESK_REDISPATCH_S": "1",
            "FLOWDESK_WORKERS": "2",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.proc: subprocess.Popen | None = None

    def start(self) -> Engine:
        handle = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "engine"], cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        give_up = time.monotonic() + 30
        while b"engine:" not in self.log.read_bytes():
            if self.proc.poll() is not None or time.monotonic() > give_up:
                raise RuntimeError("the engine did not start:\n" + self.log.read_text()[-3000:])
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the engine stops its own cluster
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Web:
    """A daphne process serving the app on the test database, with a small JSON client for the API."""

    def __init__(self, tmp: Path, token: str = "", **env: str):
        self.log = tmp / "daphne.log"
        self.token = token
        self.env = {**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1", **env}
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> Web:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        give_up = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return self
            except OSError:
                if time.monotonic() > give_up or self.proc.poll() is not None:
                    raise RuntimeError("daphne did not start:\n" + self.log.read_text()[-3000:])
                time.sleep(0.2)

    def api(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"{self.url}/api/v1/{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        eng = Engine(tmp_path_factory.mktemp("engine")).start()
    yield eng
    eng.stop()


@pytest.fixture(scope="module")
def web(django_db_setup, django_db_blocker, tmp_path_factory):
    """A daphne process serving the app on the test database (import it where it is needed)."""
    with django_db_blocker.unblock():
        server = Web(tmp_path_factory.mktemp("web")).start()
    yield server
    server.stop()


def wait_for(instance_id, *, timeout: float = 30.0, cluster: Engine | None = None) -> Instance:
    give_up = time.monotonic() + timeout
    while True:
        instance = Instance.objects.get(pk=instance_id)
        if InstanceStatus(instance.status).is_final:
            return instance
        if time.monotonic() > give_up:
            steps = list(instance.steps.values_list("node_id", "attempt", "status", "error_type"))
            log = cluster.output()[-3000:] if cluster else ""
            raise AssertionError(f"instance still {instance.status} after {timeout} s; steps {steps}\n{log}")
        time.sleep(0.05)


def wait_until(predicate, *, timeout: float = 20.0, what: str = "condition"):
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
