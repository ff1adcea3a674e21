"""The embedded configuration a newcomer gets (no DATABASE_URL, no REDIS_URL): SQLite in WAL mode,
the django-q2 ORM broker and the engine, driven only through manage.py commands."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "workflows" / "demo" / "templates"

pytestmark = pytest.mark.e2e


@pytest.fixture
def embedded(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "FLOWDESK_TEST_DB_NAME"}}
    env.update(FLOWDESK_DATA_DIR=str(tmp_path), PYTHONUNBUFFERED="1", FLOWDESK_WORKERS="2")

    def manage(*args, check=True, timeout=120):
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    manage("migrate", "--noinput")
    setup = manage("demo_setup")
    assert "Demo login: demo /" in setup.stdout
    log = (tmp_path / "engine.log").open("wb")
    engine = subprocess.Popen([sys.executable, "manage.py", "engine"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    time.sleep(2)
    yield manage, tmp_path
    engine.send_signal(signal.SIGTERM)
    engine.wait(30)


@pytest.fixture
def web(embedded, tmp_path):
    """daphne serving the embedded configuration on a free port."""
    manage, data_dir = embedded
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "FLOWDESK_TEST_DB_NAME"}}
    env.update(FLOWDESK_DATA_DIR=str(data_dir))
    log = (tmp_path / "daphne.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    give_up = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > give_up or server.poll() is not None:
                raise RuntimeError((tmp_path / "daphne.log").read_text())
            time.sleep(0.2)
    yield env, f"http://127.0.0.1:{port}"
    server.send_signal(signal.SIGTERM)
    server.wait(30)


def example(name: str) -> dict:
    return json.loads((DEMO / f"{name}.json").read_text())["example_input"]


def test_the_demo_schedule_workflow_completes_on_sqlite(embedded):
    manage, data_dir = embedded
    assert (data_dir / "flowdesk.sqlite3").exists()
    result = manage("workflow", "start", "schedule-generation", "--input", json.dumps(example("schedule_generation")), "--wait", "--timeout", "90")
    instance = json.loads(result.stdout)
    assert instance["status"] == "completed"
    assert instance["output"]["assignments"] == 28  # 14 days x 2 shifts
    assert {s["node"] for s in instance["steps"]} == {"validate", "generate", "compliance", "conflicts", "notify"}


def test_the_demo_image_workflow_retries_the_busy_backend_and_saves_a_png(embedded):
    manage, data_dir = embedded
    result = manage("workflow", "start", "image-generation", "--input", json.dumps(example("image_generation")), "--wait", "--timeout", "90")
    instance = json.loads(result.stdout)
    assert instance["status"] == "completed", instance
    remote = [s for s in instance["steps"] if s["node"] == "remote"]
    assert [(s["attempt"], s["status"]) for s in remote] == [(1, "failed"), (2, "completed")]
    assert [s["status"] for s in instance["steps"] if s["node"] == "local"] == ["skipped"]
    png = Path(instance["output"]["image"])
    assert png.read_bytes().startswith(b"\x89PNG")


def test_a_refused_prompt_fails_the_workflow_with_a_clear_error(embedded):
    manage, _ = embedded
    result = manage("workflow", "start", "image-generation", "--input", json.dumps({"prompt": "a weapon on a table"}), "--wait", check=False)
    assert result.returncode == 1
    instance = json.loads(result.stdout)
    assert instance["status"] == "failed"
    assert instance["error"]["type"] == "ContentRejected" and instance["error"]["node"] == "filter"


def test_the_readme_curl_walkthrough_works_as_written(web):
    env, base = web
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- walkthrough:start -->\s*```bash\n(.*?)```\s*<!-- walkthrough:end -->", readme, re.S).group(1)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=ROOT, env={**env, "API": f"{base}/api/v1"}, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # curl prints each body without a newline: the three JSON answers, then the last line printed.
    decoder, text, answers = json.JSONDecoder(), result.stdout, []
    for _ in range(3):
        answer, end = decoder.raw_decode(text)
        answers.append(answer)
        text = text[end:]
    created, validated, published = answers
    final = text.strip()
    assert created["name"] == "my-schedules" and created["has_draft"] is True
    assert validated["valid"] is True
    assert validated["plan"]["batches"] == [["validate"], ["generate"], ["compliance", "conflicts"], ["notify"]]
    assert published["number"] == 1 and published["status"] == "published"
    status, output = final.split(" ", 1)
    assert status == "completed"
    assert json.loads(output) == {"assignments": 28, "compliant": True, "violations": [], "conflicts": []}


def test_the_embedded_runs_login_page_names_the_demo_login(web):
    import urllib.request

    _, base = web
    with urllib.request.urlopen(f"{base}/login/", timeout=30) as response:
        html = response.read().decode()
    assert "Demo login: <strong>demo</strong> / <strong>demo-flowdesk</strong>" in html
