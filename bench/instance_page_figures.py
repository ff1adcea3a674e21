"""The instance page (``/instances/<id>/``) live: the time from a step's commit to its node showing
the new status on the canvas, in headless Chromium against daphne, p50 and p95.

No engine runs: this process is the worker. It claims each step and records its outcome through
``workflows.worker`` (``run_attempt`` then ``record_outcome``, what ``drain`` does for every real
step), so each commit is a real engine commit: the step's row, its events and the NOTIFY in one
transaction. The clock starts just before the call that commits (so it includes the commit itself)
and stops when a MutationObserver in the page sees the node's ``data-status`` change
(``designer/frontend/src/canvas/StepNodeView.tsx``). Commits are 0.5 s apart.

    python -m bench --only instance_page_live_node
"""

from __future__ import annotations

import time

from bench.instance_list_figures import live_site
from bench.instance_list_figures import run as run  # the same scratch database, recreated
from bench.stats import figure, percentile

STEPS = 8  # a chain: every commit finishes one step and starts the next
INSTANCES = 4
WARMUP = 3
SPACING_MS = 500

# The first moment each node showed each status: ``window.__seen["s3:completed"] = Date.now()``.
WATCH = """() => { window.__seen = {}; const note = () => { const now = Date.now();
  document.querySelectorAll('[data-testid^="node-"][data-status]').forEach((n) => {
    const key = `${n.dataset.testid.slice(5)}:${n.dataset.status}`; if (!(key in window.__seen)) window.__seen[key] = now; }); };
  note(); new MutationObserver(note).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-status'] }); }"""


# Before the page's scripts: the moment each WebSocket message arrives, to split the latency into the
# server's part (commit -> event in the browser) and the page's (event -> node recoloured).
FRAMES = """(() => { window.__frames = []; const Native = window.WebSocket;
  window.WebSocket = class extends Native { constructor(...a) { super(...a);
    this.addEventListener('message', (m) => { try { const e = JSON.parse(m.data); window.__frames.push([Date.now(), e.node, e.type]); } catch (x) {} }); } }; })()"""


def _chain() -> dict:
    nodes = [{"id": f"s{i}", "type": "task", "label": f"Step {i + 1}", "position": {"x": 240 * i, "y": 0}, "config": {"handler": "demo.noop"}} for i in range(STEPS)]
    edges = [{"id": f"e{i}", "source": f"s{i}", "target": f"s{i + 1}"} for i in range(STEPS - 1)]
    return {"version": 1, "settings": {}, "nodes": nodes, "edges": edges}


def live_node():
    from workflows import authoring, engine, worker

    template = authoring.create_template(name="live-node", title="Live node bench", graph=_chain())
    authoring.publish(template)
    me = "bench-worker"
    latencies: list[float] = []
    socket_part: list[float] = []

    def timed(page, commit, node: str, status: str):
        """Run ``commit`` (the engine's commit) and time until the node shows ``status``; its result."""
        page.wait_for_timeout(SPACING_MS)
        started = time.time() * 1000
        result = commit()
        shown = page.wait_for_function(f"() => window.__seen['{node}:{status}']", timeout=10_000).json_value()
        latencies.append(shown - started)
        arrived = page.evaluate(f"() => (window.__frames.find((f) => f[0] >= {started} && f[1] === '{node}') || [null])[0]")
        socket_part.append(arrived - started if arrived is not None else float("nan"))
        return result

    with live_site("bench-node-watcher") as (page, base):
        page.add_init_script(FRAMES)
        for _ in range(INSTANCES):
            instance, _ = engine.start_instance("live-node")
            page.goto(f"{base}/instances/{instance.pk}/")
            page.wait_for_function("() => window.__flowdesk && window.__flowdesk.ready && window.__flowdesk.live === 'socket'", timeout=30_000)
            page.wait_for_selector('[data-testid="node-s0"][data-status="scheduled"]', timeout=10_000)
            page.evaluate(WATCH)
            claim = timed(page, lambda: engine.claim_step(instance.pk, me), "s0", "running")
            for i in range(STEPS):
                ok, output = worker.run_attempt(claim, me)
                assert ok, output
                claim = timed(page, lambda: worker.record_outcome(claim, ok, output, me, claim_next=True), f"s{i}", "completed")
    samples = latencies[WARMUP:]
    workload = (
        f"a step's commit through the worker's path -> its node's status on an open /instances/<id>/ (Chromium, daphne), "
        f"{len(samples)} commits 0.5 s apart over {INSTANCES} instances of an {STEPS}-step chain"
    )
    yield figure("instance_page_live_node_p50", percentile(samples, 50), "ms", workload=workload, samples=len(samples))
    yield figure("instance_page_live_node_p95", percentile(samples, 95), "ms", samples=len(samples))
    events = socket_part[WARMUP:]
    yield figure("instance_page_live_node_event_p50", percentile(events, 50), "ms", workload="the same commits -> their event in the page's WebSocket (the server's part)", samples=len(events))
    yield figure("instance_page_live_node_event_p95", percentile(events, 95), "ms", samples=len(events))


FIGURES = {"instance_page_live_node": live_node}
