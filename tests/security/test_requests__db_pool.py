"""A web process holds at most ``FLOWDESK_DB_POOL_SIZE`` PostgreSQL connections, however many requests
arrive at once. Before the pool, each request thread kept a persistent connection of its own: a burst
left daphne holding up to 81 (40 after it), and on a busy server that became 500 "too many clients".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.e2e.conftest import ROOT, Web
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

POOL = 4
REQUESTS = 200


def sockets_of(pid: int) -> set[str]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def local_ports_to(pid: int, server_port: int) -> set[int]:
    """The local ports of the TCP connections that process ``pid`` holds to ``server_port``."""
    inodes = sockets_of(pid)
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(table).read().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == server_port:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


class Census:
    """How many sessions of the test database pg_stat_activity shows for one process's sockets."""

    def __init__(self, pid: int):
        s = connection.settings_dict
        self.pid, self.database, self.port = pid, s["NAME"], int(s["PORT"] or 5432)
        self.monitor = psycopg.connect(
            host=s["HOST"] or "127.0.0.1", port=self.port, user=s["USER"], password=s["PASSWORD"] or None, dbname="postgres", autocommit=True
        )

    def count(self) -> int:
        ports = list(local_ports_to(self.pid, self.port))
        row = self.monitor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND client_port = ANY(%s)", [self.database, ports]
        ).fetchone()
        return row[0]

    def close(self) -> None:
        self.monitor.close()


@pytest.fixture
def web(tmp_path):
    user = UserFactory(username="burst")
    token = Token.objects.create(user=user).key
    server = Web(tmp_path, token=token, FLOWDESK_DB_POOL_SIZE=str(POOL), FLOWDESK_DB_POOL_TIMEOUT_S="120").start()
    yield server
    server.stop()


def get(web: Web, path: str) -> int:
    request = urllib.request.Request(f"{web.url}/api/v1/{path}", headers={"Authorization": f"Token {web.token}"})
    try:
        with urllib.request.urlopen(request, timeout=180) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_burst_of_200_requests_never_holds_more_connections_than_the_pool(web):
    assert get(web, "templates/") == 200  # the process has met the database
    census = Census(web.proc.pid)
    peak, done = 0, threading.Event()

    def watch():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, census.count())
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    start = threading.Barrier(REQUESTS)

    def one(_):
        start.wait(60)
        return get(web, "templates/")

    try:
        with ThreadPoolExecutor(REQUESTS) as pool:
            statuses = list(pool.map(one, range(REQUESTS)))
    finally:
        done.set()
        watcher.join()
    after = census.count()
    census.close()
    assert 1 <= peak <= POOL and after <= POOL, f"peak {peak}, after the burst {after}"
    assert statuses == [200] * REQUESTS


def database_settings(entry: str) -> dict:
    """The default database's settings as a fresh process sees them after ``entry`` (Python code)."""
    show = "from django.conf import settings; d = settings.DATABASES['default']; print(json.dumps([d['CONN_MAX_AGE'], d['OPTIONS'].get('pool')]))"
    env = {k: v for k, v in os.environ.items() if k != "FLOWDESK_PROCESS"}
    out = subprocess.run([sys.executable, "-c", f"import json; {entry}; {show}"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True)
    conn_max_age, pool = json.loads(out.stdout.strip().splitlines()[-1])
    return {"conn_max_age": conn_max_age, "pool": pool}


def test_the_asgi_entry_point_makes_a_pooled_web_process_and_anything_else_a_worker():
    web = database_settings("import config.asgi")
    assert web["conn_max_age"] == 0 and web["pool"]["max_size"] == 10
    worker = database_settings("import django; django.setup()")
    assert worker["conn_max_age"] == 60 and worker["pool"] is None


def test_the_engine_refuses_to_run_as_a_web_process(settings):
    settings.FLOWDESK_PROCESS = "web"
    with pytest.raises(CommandError, match="worker"):
        call_command("engine")
