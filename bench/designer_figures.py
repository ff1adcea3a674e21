"""The designer in headless Chromium: a 500-node, 700-edge template.

- time to interactive: navigation start until the canvas reports it rendered the loaded graph
  (``window.__flowdesk.ready``), median of 5 cold page loads;
- frame time while dragging a node: for each animation frame of a 120-step mouse drag that handled a
  pointer move, the time the page's main thread worked on it (input handling, React, style, layout,
  paint), read from Chrome's own trace (its ``AnimationFrame`` spans, the Long Animation Frames
  definition of a frame, and the main-thread tasks inside them); p50 and p95. The tracer itself adds
  a little. A frame must cost under 16.7 ms for 60 Hz. Measured at the opening view (a readable
  zoom: about 50 steps drawn) and zoomed out to the whole graph (all 500 drawn);
- the gaps between frames in a second drag without the tracer: they cannot go below the display's
  16.7 ms, so their p95 says whether frames were dropped;
- the bundle's size, gzipped.
"""

from __future__ import annotations

import gzip
import os
import random
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from bench.stats import figure, median, percentile

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("FLOWDESK_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def big_graph(nodes: int = 500, edges: int = 700, seed: int = 5) -> dict:
    """A connected DAG laid out in columns, like a large real workflow."""
    rng = random.Random(seed)
    ids = [f"n{i}" for i in range(nodes)]
    pairs = {(rng.randrange(i), i) for i in range(1, nodes)}
    while len(pairs) < edges:
        a, b = sorted(rng.sample(range(nodes), 2))
        pairs.add((a, b))
    return {
        "version": 1,
        "settings": {},
        "nodes": [
            {"id": n, "type": "task", "label": f"Step {i}", "position": {"x": (i // 20) * 260.0, "y": (i % 20) * 110.0}, "config": {"handler": "demo.noop"}}
            for i, n in enumerate(ids)
        ],
        "edges": [{"id": f"e{k}", "source": ids[a], "target": ids[b], "port": "out"} for k, (a, b) in enumerate(sorted(pairs))],
    }


def bundle_gzip_kb() -> float:
    out = ROOT / "static" / "designer"
    return sum(len(gzip.compress(p.read_bytes(), 9)) for p in out.rglob("*") if p.suffix in {".js", ".css"}) / 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run():
    """Needs Django set up on the bench database (engine_figures.run prepares it)."""
    from workflows import authoring
    from workflows.models import Template

    Template.objects.filter(name="bench-designer-500").delete()
    authoring.create_template(name="bench-designer-500", title="500 nodes", graph=big_graph())
    bench_user("bench-analyst", "analysts")
    with live_site() as base:
        yield from _measure(base)


def bench_user(username: str, group: str) -> None:
    """A user who signs in with ``bench-pass-1``."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, _ = get_user_model().objects.get_or_create(username=username)
    user.set_password("bench-pass-1")
    user.save()
    user.groups.add(Group.objects.get(name=group))


@contextmanager
def live_site():
    """The front end built, static files collected and the site served (runserver, on a free
    port) on the bench database: yields its base URL."""
    from django.core.management import call_command

    subprocess.run([str(ROOT / "bin" / "build-frontend")], check=True)
    call_command("collectstatic", "--noinput", verbosity=0)  # whitenoise serves STATIC_ROOT
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--nothreading", f"127.0.0.1:{port}"],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(10)


def signed_in_page(browser, base: str, username: str, viewport=(1600, 1000)):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "bench-pass-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def _measure(base: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = signed_in_page(browser, base, "bench-analyst")
        tti = []
        for _ in range(5):
            page.goto(f"{base}/designer/t/bench-designer-500/")
            page.wait_for_function("() => window.__flowdesk && window.__flowdesk.ready === true", timeout=60_000)
            tti.append(page.evaluate("performance.now()"))
        yield figure("designer_tti_500", median(tti), "ms", workload="500 nodes, 700 edges; navigation start to canvas ready, median of 5", runs=[round(t) for t in tti])

        page.wait_for_timeout(300)  # let the opening settle: measure the drag, not the load
        gaps = _drag_gaps(page)
        work = _drag_work(browser, page)
        yield figure("designer_drag_frame_p50", percentile(work, 50), "ms", samples=len(work))
        yield figure("designer_drag_frame_p95", percentile(work, 95), "ms", samples=len(work), workload="main-thread time per animation frame while dragging one node of 500")
        yield figure("designer_drag_interval_p95", percentile(gaps, 95), "ms", samples=len(gaps), note="gap between frames; 16.7 ms = no frame dropped at 60 Hz")
        # the worst case: zoomed out until all 500 steps and 700 edges are drawn
        page.locator(".react-flow__controls-fitview").click()
        page.wait_for_timeout(500)
        work = _drag_work(browser, page)
        yield figure("designer_drag_frame_all_p50", percentile(work, 50), "ms", samples=len(work))
        yield figure("designer_drag_frame_all_p95", percentile(work, 95), "ms", samples=len(work), workload="the same, zoomed out so that all 500 steps are drawn")
        browser.close()
    yield figure("designer_bundle_gzip", bundle_gzip_kb(), "KB", note="all JS and CSS of the designer, gzip -9")


def _drag_start(page, dx: float = 0) -> tuple[float, float]:
    """Press on a node and move it a little: the drag has begun (selection, layers) when this returns."""
    box = page.locator('[data-testid^="node-"]').first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 5, y + 5)
    return x + 5, y + 5


def _drag_gaps(page) -> list[float]:
    """The gaps between animation frames while a node is dragged 120 steps (no tracer attached)."""
    x, y = _drag_start(page)
    page.evaluate(
        """() => { window.__frames = []; const tick = (t) => { window.__frames.push(t);
             if (window.__frames.length < 100000) requestAnimationFrame(tick); }; requestAnimationFrame(tick); }"""
    )
    page.mouse.move(x + 400, y + 250, steps=120)
    page.mouse.up()
    frames = page.evaluate("window.__frames")
    return [b - a for a, b in zip(frames, frames[1:])][1:]


def _drag_work(browser, page) -> list[float]:
    """Main-thread time of each frame that moved the node, during a 120-step drag under Chrome's tracer."""
    x, y = _drag_start(page)
    main, tasks, frames = trace_main_thread(browser, page, lambda: page.mouse.move(x - 400, y - 250, steps=120))
    page.mouse.up()
    moves = [e["ts"] for e in main if e["name"] == "EventDispatch" and e.get("args", {}).get("data", {}).get("type") == "pointermove"]
    moved = [(start, end) for start, end in frames if any(start <= t < end for t in moves)]
    return [frame_work(tasks, frame) for frame in moved]


def trace_main_thread(browser, page, action) -> tuple[list[dict], list[tuple[float, float]], list[tuple[float, float]]]:
    """Runs ``action`` under Chrome's tracer: the renderer main thread's events, its tasks and its
    animation frames (start and end in µs)."""
    import json
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        browser.start_tracing(page=page, path=out.name, categories=["devtools.timeline", "disabled-by-default-devtools.timeline"])
        action()
        browser.stop_tracing()
        events = json.load(open(out.name))
    events = events["traceEvents"] if isinstance(events, dict) else events
    threads = {(e["pid"], e["tid"]) for e in events if e.get("name") == "thread_name" and e["args"]["name"] == "CrRendererMain"}
    main = [e for e in events if (e.get("pid"), e.get("tid")) in threads]
    tasks = sorted((e["ts"], e["ts"] + e["dur"]) for e in main if e["name"] == "RunTask" and e.get("ph") == "X")
    begun, frames = {}, []
    for e in main:
        if e["name"] != "AnimationFrame" or e.get("ph") not in ("b", "e"):
            continue
        key = json.dumps(e.get("id2") or e.get("id"))
        if e["ph"] == "b":
            begun[key] = e["ts"]
        elif key in begun:
            frames.append((begun.pop(key), e["ts"]))
    return main, tasks, frames


def frame_work(tasks: list[tuple[float, float]], frame: tuple[float, float]) -> float:
    """The main thread's working time inside one frame, in ms."""
    start, end = frame
    return sum(min(b, end) - max(a, start) for a, b in tasks if b > start and a < end) / 1000
