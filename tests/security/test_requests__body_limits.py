"""A request body over ``FLOWDESK_MAX_REQUEST_BYTES`` is refused before it is read, by a real daphne.

Before the limit, an anonymous 300 MB POST was read whole before its 401: daphne spooled it and then
put all of it on the application's queue (308 → 564 MB, never given back). The client here is a raw
socket, so nothing between it and the server buffers or refuses anything on the server's behalf.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
import json
import select
import socket
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.e2e.conftest import Web, web  # noqa: F401  (a fixture)

pytestmark = pytest.mark.e2e

BODY_BYTES = 300 * 1024 * 1024
CHUNK = 64 * 1024
RSS_GROWTH_BOUND = 30 * 1024 * 1024


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (the peak) of a process, in bytes."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {key: int(fields[key].split()[0]) * 1024 for key in ("VmRSS", "VmHWM")}


def send_body(web: Web, path: str, *, chunked: bool) -> tuple[int, dict[str, str], bytes, int]:
    """POST a 300 MB body, stopping as soon as the server answers; (status, headers, body, bytes sent)."""
    port = int(web.url.rsplit(":", 1)[1])
    head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Content-Type: application/json"]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {BODY_BYTES}")
    piece = b"x" * CHUNK
    framed = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
    sent, answer = 0, b""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        give_up = time.monotonic() + 240
        while sent < BODY_BYTES and time.monotonic() < give_up:
            readable, writable, _ = select.select([s], [s], [], 1.0)
            if readable:
                break  # the server answered: a client stops sending
            if writable:
                try:
                    s.sendall(framed)
                except OSError:  # the server stopped reading and closed: read what it said
                    break
                sent += len(piece)
        else:
            if chunked:
                s.sendall(b"0\r\n\r\n")
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                answer += data
                if b"\r\n\r\n" in answer:
                    head_part, _, rest = answer.partition(b"\r\n\r\n")
                    length = [ln for ln in head_part.split(b"\r\n") if ln.lower().startswith(b"content-length:")]
                    if length and len(rest) >= int(length[0].split(b":")[1]):
                        break
        except OSError:
            pass  # a reset after the answer arrived
    assert answer, f"no answer after sending {sent:,} bytes"
    head_part, _, rest = answer.partition(b"\r\n\r\n")
    lines = head_part.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
    return int(lines[0].split()[1]), headers, rest, sent


def test_the_default_limit_lets_an_import_and_a_full_input_through_and_little_more():
    assert 2_000_000 < settings.FLOWDESK_MAX_REQUEST_BYTES <= 10_000_000
    assert settings.FLOWDESK_MAX_REQUEST_BYTES > settings.FLOWDESK["MAX_INPUT_BYTES"]
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= settings.FLOWDESK_MAX_REQUEST_BYTES


def test_an_anonymous_300_mb_post_to_the_api_is_refused_by_its_length_before_it_is_read(web):
    before = memory(web.proc.pid)
    status, headers, body, sent = send_body(web, "/api/v1/instances/", chunked=False)
    after = memory(web.proc.pid)
    assert status == 413
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body)["code"] == "too_large"
    assert sent < BODY_BYTES // 10, "the server should answer before the body is sent"
    assert after["VmHWM"] - before["VmHWM"] < RSS_GROWTH_BOUND, (before, after)
    assert after["VmRSS"] - before["VmRSS"] < RSS_GROWTH_BOUND, (before, after)


def test_a_300_mb_chunked_post_to_a_page_is_cut_off_at_the_limit(web):
    before = memory(web.proc.pid)
    status, headers, body, sent = send_body(web, "/login/", chunked=True)
    after = memory(web.proc.pid)
    assert status == 413
    assert headers["content-type"].startswith("text/plain")
    assert b"too large" in body
    assert sent < BODY_BYTES // 10
    assert after["VmHWM"] - before["VmHWM"] < RSS_GROWTH_BOUND, (before, after)
    assert after["VmRSS"] - before["VmRSS"] < RSS_GROWTH_BOUND, (before, after)


def test_a_300_mb_chunked_post_to_the_api_is_answered_in_json(web):
    status, headers, body, _ = send_body(web, "/api/v1/instances/", chunked=True)
    assert status == 413
    assert json.loads(body)["code"] == "too_large"


def test_the_server_still_answers_normal_requests_after_refusing_large_ones(web):
    send_body(web, "/api/v1/instances/", chunked=False)
    status, body = web.api("POST", "instances/", {"template": "billing", "input": {"x": "y" * 10_000}})
    assert status == 401, body  # anonymous (an empty token): refused for who it is, not for its size
    assert web.proc.poll() is None


def test_the_asgi_application_stops_taking_a_streamed_body_at_the_limit(settings):
    """For servers that stream bodies to the application (uvicorn, hypercorn) rather than spool them."""
    from config.asgi import application

    settings.FLOWDESK_MAX_REQUEST_BYTES = 100_000
    handed, sent = 0, []

    async def receive():
        nonlocal handed
        if handed == 300:
            await asyncio.Event().wait()  # the whole body is in; the client says nothing more
        handed += 1
        return {"type": "http.request", "body": b"x" * 10_000, "more_body": handed < 300}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/v1/instances/", "raw_path": b"/api/v1/instances/", "root_path": "", "query_string": b"",
             "headers": [(b"host", b"localhost"), (b"content-type", b"application/json")],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    # In a thread of its own: once the browser tests ran, Playwright keeps an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, application(scope, receive, send)).result(timeout=60)
    assert sent[0]["status"] == 413
    assert json.loads(b"".join(m.get("body", b"") for m in sent[1:]))["code"] == "too_large"
    assert handed <= 11  # 100 kB in 10 kB pieces, and the one that went over
