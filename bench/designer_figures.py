"""The designer in headless Chromium: a 500-node, 700-edge template.

- time to interactive: navigation start until the canvas reports it rendered the loaded graph
  (``window.__flowdesk.ready``), median of 5 cold page loads;
- frame time while dragging a node: the gaps between animation frames during a 60-step mouse drag,
  p50 and p95;
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
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from workflows import services
    from workflows.models import Template

    from django.core.management import call_command

    subprocess.run([str(ROOT / "bin" / "build-frontend")], check=True)
    call_command("collectstatic", "--noinput", verbosity=0)  # whitenoise serves STATIC_ROOT
    Template.objects.filter(name="bench-designer-500").delete()
    services.create_template(name="bench-designer-500", title="500 nodes", graph=big_graph())
    User = get_user_model()
    user, _ = User.objects.get_or_create(username="bench-analyst")
    user.set_password("bench-pass-1")
    user.save()
    user.groups.add(Group.objects.get(name="analysts"))

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
        yield from _measure(f"http://127.0.0.1:{port}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(10)


def _measure(base: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        page = context.new_page()
        page.goto(f"{base}/login/")
        page.fill("#id_username", "bench-analyst")
        page.fill("#id_password", "bench-pass-1")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        tti = []
        for _ in range(5):
            page.goto(f"{base}/designer/t/bench-designer-500/")
            page.wait_for_function("window.__flowdesk && window.__flowdesk.ready === true", timeout=60_000)
            tti.append(page.evaluate("performance.now()"))
        yield figure("designer_tti_500", median(tti), "ms", workload="500 nodes, 700 edges; navigation start to canvas ready, median of 5", runs=[round(t) for t in tti])

        node = page.locator('[data-testid^="node-"]').first
        box = node.bounding_box()
        page.evaluate(
            """() => { window.__frames = []; const tick = (t) => { window.__frames.push(t);
                 if (window.__frames.length < 100000) requestAnimationFrame(tick); }; requestAnimationFrame(tick); }"""
        )
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 400, y + 250, steps=60)
        page.mouse.up()
        frames = page.evaluate("window.__frames")
        gaps = [b - a for a, b in zip(frames, frames[1:])][1:]
        yield figure("designer_drag_frame_p50", percentile(gaps, 50), "ms", samples=len(gaps))
        yield figure("designer_drag_frame_p95", percentile(gaps, 95), "ms", samples=len(gaps), workload="frame gaps while dragging one node of 500")
        browser.close()
    yield figure("designer_bundle_gzip", bundle_gzip_kb(), "KB", note="all JS and CSS of the designer, gzip -9")
