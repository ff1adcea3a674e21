"""What the http node's security tests share: local servers, a stand-in DNS, a one-node run."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from django.test import override_settings

from tests.engine.conftest import drain_all
from tests.factories import VersionFactory
from workflows import engine
from workflows.core import http_client
from workflows.core.egress import EgressPolicy
from workflows.models import StepRun


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler], tls_context=None) -> Iterator[int]:
    """Run ``handler`` on 127.0.0.1 in a thread; yields the port."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls_context is not None:
        httpd.socket = tls_context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, name="test-http-server", daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


class Recorder:
    """A server that records every request and answers by path:

    - ``/redirect/<code>?to=<url>`` answers ``code`` with ``Location: <url>``
    - ``/loop`` redirects to itself
    - anything else answers 200 with what it received (method, body, Host, Authorization)
    """

    def __init__(self) -> None:
        self.seen: list[dict] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else None
                request = {
                    "method": self.command,
                    "path": urlsplit(self.path).path,
                    "body": body,
                    "host": self.headers.get("Host"),
                    "authorization": self.headers.get("Authorization"),
                }
                recorder.seen.append(request)
                path = urlsplit(self.path)
                if path.path.startswith("/redirect/"):
                    self._send(int(path.path.rsplit("/", 1)[1]), b"", location=parse_qs(path.query)["to"][0])
                elif path.path == "/loop":
                    self._send(302, b"", location="/loop")
                else:
                    self._send(200, json.dumps(request).encode(), content_type="application/json")

            def _send(self, code: int, payload: bytes, *, location: str | None = None, content_type: str = "text/plain"):
                self.send_response(code)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer

        self.handler = Handler


@contextmanager
def recorder() -> Iterator[tuple[Recorder, int]]:
    rec = Recorder()
    with serve(rec.handler) as port:
        yield rec, port


def fake_dns(monkeypatch, names: dict[str, list[str]]) -> list[str]:
    """Answer these names from ``names`` (the outside network's DNS, played here); returns the
    names looked up, in order. Other names go to the real resolver (numeric forms, localhost)."""
    lookups: list[str] = []
    real = http_client.resolve

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return list(names[host]) if host in names else real(host, port)

    monkeypatch.setattr(http_client, "resolve", resolve)
    return lookups


def run_http(config: dict, *, allow: str = "", timeout_s: float | None = None, **policy) -> StepRun:
    """Run a one-node workflow calling ``config`` (retrying policy included, so a retryable error
    would leave the step waiting) with this allow list; returns the node's first attempt."""
    node_config = {"retry": {"max_attempts": 3, "initial_s": 60, "jitter": False}, **config}
    if timeout_s is not None:
        node_config["timeout_s"] = timeout_s
    graph = {"version": 1, "settings": {}, "nodes": [{"id": "call", "type": "http", "config": node_config}], "edges": []}
    name = VersionFactory(graph=graph).template.name
    with override_settings(FLOWDESK_EGRESS=EgressPolicy.parse(allow, **policy)):
        instance, _ = engine.start_instance(name, input={})
        drain_all(instance.pk)
    instance.refresh_from_db()
    return instance.steps.order_by("attempt").first()
