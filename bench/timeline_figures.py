"""The instance page's timeline of attempts in headless Chromium, at 200 steps:

- time to interactive: navigation start until the timeline reports it drew a finished 200-step
  instance opened at ``#timeline`` (``window.__flowdesk.ready``), median of 5 cold loads; the same
  for the graph view, for comparison;
- live: an instance whose 200 parallel steps are running or queued behind the engine's workers,
  every bar growing, followed over the page's WebSocket as steps start and end: the main thread's
  working time per second over 5 s (clock ticks, the run's updates, style, layout, paint), and
  per animation frame (p50 / p95), from Chrome's own trace.
"""

from __future__ import annotations

import time

from bench.stats import figure, median, percentile

STEPS = 200


def _graph(kind: str) -> dict:
    """``chain``: 200 no-op steps one after another; ``fan``: one step, then 199 sleeping in parallel."""
    nodes = [{"id": "s000", "type": "task", "label": "Step 0", "position": {"x": 0, "y": 0}, "config": {"handler": "demo.noop"}}]
    for i in range(1, STEPS):
        config = {"handler": "demo.noop"} if kind == "chain" else {"handler": "demo.sleep", "input": {"seconds": 4}}
        nodes.append({"id": f"s{i:03d}", "type": "task", "label": f"Step {i}", "position": {"x": 260.0 * i, "y": 0}, "config": config})
    pairs = [(i - 1, i) for i in range(1, STEPS)] if kind == "chain" else [(0, i) for i in range(1, STEPS)]
    edges = [{"id": f"e{k}", "source": nodes[a]["id"], "target": nodes[b]["id"], "port": "out"} for k, (a, b) in enumerate(pairs)]
    return {"version": 1, "settings": {}, "nodes": nodes, "edges": edges}


def _start(name: str, kind: str):
    from workflows import authoring, engine
    from workflows.models import Template

    Template.objects.filter(name=name).delete()
    template = authoring.create_template(name=name, title=f"{STEPS} steps ({kind})", graph=_graph(kind))
    authoring.publish(template)
    instance, _ = engine.start_instance(name)
    return instance


def _wait_until(instance, statuses: set[str], limit_s: float = 120):
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        instance.refresh_from_db()
        if instance.status in statuses:
            return instance
        time.sleep(0.2)
    raise RuntimeError(f"instance {instance.pk} is still {instance.status}")


def run():
    """Needs Django set up on the bench database and its engine running (engine_figures.run)."""
    from playwright.sync_api import sync_playwright

    from bench.designer_figures import ARGS, CHROMIUM, bench_user, frame_work, live_site, signed_in_page, trace_main_thread
    from workflows import engine

    bench_user("bench-operator", "operators")
    finished = _wait_until(_start("bench-timeline-chain", "chain"), {"completed"})
    with live_site() as base:
        # Playwright's sync API runs an event loop in this thread: the ORM calls stay outside it
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = signed_in_page(browser, base, "bench-operator", viewport=(1440, 900))
            tti, graph = [], []
            for _ in range(5):
                page.goto(f"{base}/instances/{finished.pk}/")
                page.wait_for_function("() => window.__flowdesk && window.__flowdesk.ready === true", timeout=60_000)
                graph.append(page.evaluate("performance.now()"))
                page.goto(f"{base}/instances/{finished.pk}/#timeline")
                page.wait_for_function("() => window.__flowdesk && window.__flowdesk.ready === true", timeout=60_000)
                tti.append(page.evaluate("performance.now()"))
                assert page.locator('[data-testid="timeline-lane"]').count() == STEPS
            browser.close()
        workload = f"a finished {STEPS}-step instance at /instances/<id>/#timeline; navigation start to timeline drawn, median of 5"
        yield figure("timeline_tti_200", median(tti), "ms", workload=workload, runs=[round(t) for t in tti])
        yield figure("instance_graph_tti_200", median(graph), "ms", workload="the same instance in the graph view, for comparison", runs=[round(t) for t in graph])

        live = _start("bench-timeline-fan", "fan")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                page = signed_in_page(browser, base, "bench-operator", viewport=(1440, 900))
                page.goto(f"{base}/instances/{live.pk}/#timeline")
                page.wait_for_function("() => window.__flowdesk && window.__flowdesk.ready === true", timeout=60_000)
                page.wait_for_function(f"() => document.querySelectorAll('[data-testid=timeline-bar]').length >= {STEPS}", timeout=60_000)
                page.wait_for_timeout(500)
                seconds = 5.0
                _, tasks, frames = trace_main_thread(browser, page, lambda: page.wait_for_timeout(seconds * 1000))
                open_bars = page.evaluate(
                    "document.querySelectorAll('[data-testid=timeline-bar][data-status=running], [data-testid=timeline-bar][data-status=scheduled]').length"
                )
                browser.close()
        finally:
            engine.cancel_instance(live.pk, reason="benchmark done")
        busy = sum(b - a for a, b in tasks) / 1000 / seconds
        work = [frame_work(tasks, f) for f in frames]
        note = f"{STEPS} lanes, {open_bars} open bars growing at the end of the window, live over the socket while the engine's workers run the steps"
        yield figure("timeline_live_200_busy", busy, "ms/s", workload=note, frames=len(work))
        yield figure("timeline_live_200_frame_p50", percentile(work, 50), "ms", samples=len(work))
        yield figure("timeline_live_200_frame_p95", percentile(work, 95), "ms", samples=len(work), note="main-thread time per animation frame")
