"""The http node's memory and time are bounded (issue 8 §2).

A body is read in chunks up to ``FLOWDESK_HTTP_MAX_BODY_BYTES`` and the step fails past it (so a
150 MB answer cannot take a worker's memory); the whole exchange — connect, headers, every byte,
every redirect — ends by the step's deadline, the socket is shut when it does or when the worker
abandons the step, and no thread of the step is left behind.
"""

from __future__ import annotations

import gzip
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler

import pytest

from tests.security.http_support import run_http, serve
from workflows.core.egress import EgressPolicy
from workflows.core.errors import StepError
from workflows.core.steps import StepContext, step_types

pytestmark = pytest.mark.django_db

BIG = 50 * 1024 * 1024
GENEROUS_S = 10.0  # how long we wait for something that must happen "shortly": never a speed claim


class Firehose:
    """Serves ``size`` bytes (declared or not, maybe gzipped) and records whether the client hung up first."""

    def __init__(self, size: int, *, declare_length: bool, gzipped: bool = False):
        self.sent = 0
        self.cut_short = threading.Event()
        firehose = self
        payload = gzip.compress(b"\0" * size, compresslevel=9) if gzipped else None

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # no length: the body ends when the connection closes

            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                if gzipped:
                    self.send_header("Content-Encoding", "gzip")
                if declare_length:
                    self.send_header("Content-Length", str(len(payload) if gzipped else size))
                self.end_headers()
                try:
                    if gzipped:
                        self.wfile.write(payload)
                        firehose.sent = len(payload)
                        return
                    while firehose.sent < size:
                        chunk = b"x" * min(65536, size - firehose.sent)
                        self.wfile.write(chunk)
                        firehose.sent += len(chunk)
                except OSError:
                    firehose.cut_short.set()

        self.handler = Handler


class Drip:
    """Answers one byte every half second for ever: in the body, or already in the headers."""

    def __init__(self, *, in_headers: bool):
        self.hung_up = threading.Event()
        self.stop = threading.Event()
        drip = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                try:
                    if in_headers:
                        self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                    else:
                        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000000\r\n\r\n")
                    while not drip.stop.wait(0.5):
                        self.wfile.write(b"a")
                        self.wfile.flush()
                except OSError:
                    drip.hung_up.set()

        self.handler = Handler


def peak_allocated(run) -> tuple[object, int]:
    """``run()``'s result and the peak of Python memory allocated while it ran (every thread)."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        result = run()
        return result, tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def step_threads(step_id: int) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(f"step-{step_id}") and t.is_alive()]


def wait_until(condition, timeout_s: float = GENEROUS_S) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


# --- Memory ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "declare_length, gzipped",
    [(True, False), (False, False), (False, True)],
    ids=["declared-length", "no-length", "gzip-bomb"],
)
def test_a_body_over_the_cap_fails_the_step_and_memory_stays_bounded(declare_length, gzipped):
    firehose = Firehose(BIG, declare_length=declare_length, gzipped=gzipped)
    with serve(firehose.handler) as port:
        step, peak = peak_allocated(lambda: run_http({"url": f"http://127.0.0.1:{port}/big"}, allow="127.0.0.1"))
        if not gzipped:  # the whole bomb fits the socket buffers: only an unpacked byte count means anything
            assert wait_until(firehose.cut_short.is_set), "the client read the whole 50 MB"
    assert (step.status, step.error_type) == ("failed", "HTTPResponseTooLarge"), step.error_message
    assert "1,000,000 bytes (FLOWDESK_HTTP_MAX_BODY_BYTES)" in step.error_message
    assert step.instance.status == "failed"  # not retried: the same answer would come back
    assert peak < 8 * 1024 * 1024, f"peak {peak:,} bytes allocated while serving a 50 MB body"


@pytest.mark.parametrize("size, completes", [(100_000, True), (100_001, False)])
def test_the_cap_is_a_setting_and_a_body_up_to_it_is_read_whole(size, completes):
    with serve(Firehose(size, declare_length=False).handler) as port:
        step = run_http({"url": f"http://127.0.0.1:{port}/"}, allow="127.0.0.1", max_body_bytes=100_000)
    if completes:
        assert step.status == "completed", step.error_message
        assert step.output["body"] == "x" * size
    else:
        assert step.error_type == "HTTPResponseTooLarge"


# --- Time and threads --------------------------------------------------------------------------


@pytest.mark.parametrize("in_headers", [False, True], ids=["drip-in-body", "drip-in-headers"])
def test_a_slow_drip_ends_with_the_step_and_leaves_no_thread_nor_socket(in_headers):
    drip = Drip(in_headers=in_headers)
    with serve(drip.handler) as port:
        try:
            step = run_http({"url": f"http://127.0.0.1:{port}/drip"}, allow="127.0.0.1", timeout_s=2)
            # The worker gives up at the deadline (StepTimeout) as the call ends itself (HTTPTimeout).
            assert (step.status, step.error_type) in {("failed", "HTTPTimeout"), ("timed_out", "StepTimeout")}, step.error_message
            assert wait_until(lambda: not step_threads(step.pk)), f"still alive: {step_threads(step.pk)}"
            assert wait_until(drip.hung_up.is_set), "the step's socket is still open"
        finally:
            drip.stop.set()


def execute_in_thread(ctx: StepContext, url: str) -> tuple[threading.Thread, dict]:
    """Run the http node's handler the way a worker does, in a thread of its own."""
    box: dict = {}

    def target():
        try:
            box["output"] = step_types.get("http").execute({"url": url}, {"url": url, "method": "GET"}, ctx)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="step-direct", daemon=True)
    thread.start()
    return thread, box


def context(**fields) -> StepContext:
    return StepContext(instance_id="i", node_id="call", attempt=1, idempotency_key="i:call", egress=EgressPolicy.parse("127.0.0.1"), **fields)


def test_the_call_itself_returns_by_its_deadline_whoever_waits_for_it():
    drip = Drip(in_headers=False)
    with serve(drip.handler) as port:
        try:
            thread, box = execute_in_thread(context(deadline=time.time() + 1.5), f"http://127.0.0.1:{port}/")
            thread.join(GENEROUS_S)
            assert not thread.is_alive()
            assert isinstance(box.get("error"), StepError) and box["error"].type == "HTTPTimeout"
            assert box["error"].retryable
            assert wait_until(drip.hung_up.is_set)
        finally:
            drip.stop.set()


def test_a_step_the_worker_abandons_closes_its_connection_at_once():
    """A worker that loses its lease (the step was cancelled, or taken over) gives up on the
    attempt long before the step's deadline; the call must not keep its socket until then."""
    drip = Drip(in_headers=False)
    gave_up = threading.Event()
    with serve(drip.handler) as port:
        try:
            thread, box = execute_in_thread(context(deadline=time.time() + 600, abandoned=gave_up.is_set), f"http://127.0.0.1:{port}/")
            time.sleep(1.0)  # the request is under way: let a few bytes drip
            assert thread.is_alive()
            gave_up.set()
            thread.join(GENEROUS_S)
            assert not thread.is_alive()
            assert wait_until(drip.hung_up.is_set)
        finally:
            drip.stop.set()
