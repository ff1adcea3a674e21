"""The ``http`` node against a real local HTTP server: 5xx and connection errors retry, 4xx do not."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from tests.engine.conftest import drain_all
from workflows import engine, timers
from workflows.core.egress import EgressPolicy
from workflows.models import Timer

# The local test server is on loopback, which the http node refuses unless it is allowed.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]


@pytest.fixture
def allow_loopback():
    with override_settings(FLOWDESK_EGRESS=EgressPolicy.parse("127.0.0.1")):
        yield


@pytest.fixture
def server():
    """Answers ``/status/<code>`` with that code; ``/flaky`` fails once with 503; echoes JSON bodies."""
    seen: list[dict] = []
    state = {"flaky": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
            seen.append({"path": self.path, "method": self.command, "body": body, "key": self.headers.get("Idempotency-Key")})
            code = 200
            if self.path.startswith("/status/"):
                code = int(self.path.rsplit("/", 1)[1])
            elif self.path == "/flaky":
                state["flaky"] += 1
                code = 503 if state["flaky"] == 1 else 200
            payload = json.dumps({"ok": code < 400, "echo": body}).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()


def http_graph(url: str, **config) -> dict:
    retry = {"max_attempts": 3, "initial_s": 30, "jitter": False}
    node = {"id": "call", "type": "http", "config": {"url": url, "retry": retry, **config}}
    return {"version": 1, "settings": {}, "nodes": [node], "edges": []}


def run(publish, graph, input=None):
    instance, _ = engine.start_instance(publish(graph), input=input or {})
    drain_all(instance.pk)
    while timer := Timer.objects.filter(instance=instance, kind="retry").first():
        timers.tick(now=timer.due_at.timestamp())
        drain_all(instance.pk)
    instance.refresh_from_db()
    return instance


def test_a_successful_call_returns_status_and_json_body(publish, server):
    url, seen = server
    graph = http_graph(url + "/orders/{{ input.id }}", method="POST", body={"qty": "{{ input.qty }}"})
    instance = run(publish, graph, {"id": 7, "qty": 3})
    assert instance.status == "completed"
    output = instance.output["call"]
    assert output["status"] == 200 and output["body"] == {"ok": True, "echo": {"qty": 3}}
    assert seen[0]["path"] == "/orders/7" and seen[0]["method"] == "POST"
    assert seen[0]["key"] == f"{instance.pk}:call"  # the same key on every attempt


def test_a_5xx_answer_is_retried(publish, server):
    url, seen = server
    instance = run(publish, http_graph(url + "/flaky"))
    assert instance.status == "completed"
    assert list(instance.steps.values_list("attempt", "status", "error_type")) == [(1, "failed", "HTTPServerError"), (2, "completed", "")]
    assert seen[0]["key"] == seen[1]["key"]


def test_a_4xx_answer_fails_at_once(publish, server):
    url, seen = server
    instance = run(publish, http_graph(url + "/status/404"))
    assert instance.status == "failed"
    assert list(instance.steps.values_list("attempt", "error_type")) == [(1, "HTTPClientError")]
    assert len(seen) == 1


def test_a_refused_connection_is_retried_until_attempts_run_out(publish):
    instance = run(publish, http_graph("http://127.0.0.1:9/nothing-listens-here"))
    assert instance.status == "failed"
    assert list(instance.steps.values_list("error_type", flat=True)) == ["HTTPConnectionError"] * 3


def test_an_expected_status_list_counts_that_status_as_success(publish, server):
    url, _ = server
    instance = run(publish, http_graph(url + "/status/404", expected_status=[200, 404]))
    assert instance.status == "completed"
    assert instance.output["call"]["status"] == 404
