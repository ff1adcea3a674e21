"""The engine on PostgreSQL with the Redis broker and a real ``manage.py engine`` (4 workers).

Timings come from the rows the engine wrote (step started/finished, instance created/finished),
so they measure the engine, not this script's polling.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from bench.running import _load, _start_all, _wait_all
from bench.stats import figure, median, percentile

ROOT = Path(__file__).resolve().parents[1]
# FLOWDESK_BENCH_DB: another name, so two benches on one server do not drop each other's database
BENCH_DB = os.environ.get("FLOWDESK_BENCH_DB") or "flowdesk_bench"
if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", BENCH_DB):  # it is dropped and recreated by name
    raise SystemExit(f"FLOWDESK_BENCH_DB={BENCH_DB!r}: use lower-case letters, digits and _")


def _clock_chain(n: int) -> dict:
    """A chain of no-op steps that each stamp the time they ran."""
    return {
        "version": 1,
        "settings": {},
        "nodes": [{"id": f"s{i}", "type": "task", "config": {"handler": "demo.clock"}} for i in range(n)],
        "edges": [{"id": f"e{i}", "source": f"s{i}", "target": f"s{i + 1}"} for i in range(n - 1)],
    }


def _fan(width: int, handler: str, input: dict) -> dict:
    nodes = [{"id": "start", "type": "task", "config": {"handler": "demo.noop"}}]
    nodes += [{"id": f"w{i}", "type": "task", "config": {"handler": handler, "input": input}} for i in range(width)]
    nodes += [{"id": "join", "type": "task", "config": {"handler": "demo.noop"}}]
    edges = [{"id": f"a{i}", "source": "start", "target": f"w{i}"} for i in range(width)]
    edges += [{"id": f"b{i}", "source": f"w{i}", "target": "join"} for i in range(width)]
    return {"version": 1, "settings": {}, "nodes": nodes, "edges": edges}


def chains(rounds: int = 3):
    """50 concurrent 20-step chains, three rounds: the median round's throughput and the
    step-to-step gaps of all rounds (a round is ~2 s, so one round alone is noisy here)."""
    from workflows.models import StepRun

    name = _load("bench-chain-20", _clock_chain(20))
    _wait_all(_start_all(name, 5))  # warm the workers' connections and caches
    throughputs, latencies, starts = [], [], []
    for _ in range(rounds):
        t0 = time.time()
        ids = _start_all(name, 50)
        starts.append(time.time() - t0)
        instances = _wait_all(ids)
        wall = max(i.finished_at.timestamp() for i in instances) - t0
        throughputs.append(50 * 20 / wall)
        for instance_id in ids:  # handler N+1 started minus handler N ran: includes the commit between
            stamps = [o["t"] for o in StepRun.objects.filter(instance_id=instance_id).order_by("id").values_list("output", flat=True)]
            latencies += [(b - a) * 1000 for a, b in zip(stamps, stamps[1:])]
    return [
        figure(
            "chains_throughput", median(throughputs), "steps/s", workload="50 concurrent 20-step no-op chains, median of 3 rounds",
            rounds=[round(t) for t in throughputs], starting_s=[round(t, 2) for t in starts],
        ),  # fmt: skip
        figure("chains_transition_p50", percentile(latencies, 50), "ms", samples=len(latencies)),
        figure("chains_transition_p95", percentile(latencies, 95), "ms", samples=len(latencies)),
    ]


def _walls(name: str, runs: int, input=None, *, timeout: float = 120.0) -> list[float]:
    """Instance wall times (created -> finished) of ``runs`` instances run one after another."""
    walls = []
    for _ in range(runs):
        (instance,) = _wait_all(_start_all(name, 1, input), timeout=timeout)
        walls.append((instance.finished_at - instance.created_at).total_seconds())
    return walls


def fanout():
    name = _load("bench-fan-200", _fan(200, "demo.noop", {}))
    _walls(name, 1)  # warm-up
    walls = _walls(name, 5)
    return [figure("fanout_200_wall", median(walls), "s", workload="1 -> 200 -> 1 no-op fan-out and fan-in, median of 5", runs=[round(w, 3) for w in walls])]


def parallel_sleeps():
    """16 parallel 0.5 s sleeps: as many run at once as the engine has slots (workers x WORKER_SLOTS)."""
    from django.conf import settings

    slots = settings.Q_CLUSTER["workers"] * settings.FLOWDESK["WORKER_SLOTS"]
    ideal = 0.5 * -(-16 // slots)
    walls = _walls(_load("bench-sleep-16", _fan(16, "demo.sleep", {"seconds": 0.5})), 3)
    workload = f"16 parallel 0.5 s sleeps on {slots} slots ({settings.Q_CLUSTER['workers']} workers x {settings.FLOWDESK['WORKER_SLOTS']}; ideal {ideal:g} s), median of 3"
    return [figure("parallel_sleeps_wall", median(walls), "s", workload=workload, runs=[round(w, 3) for w in walls])]


def _map(n: int, concurrency: int) -> dict:
    config = {"items": "input.xs", "handler": "demo.noop", "input": {"i": "{{ index }}"}, "concurrency": concurrency}
    return {"version": 1, "settings": {}, "nodes": [{"id": "m", "type": "map", "config": config}], "edges": []}


def _engine_rss_mb(pid: int) -> float:
    """The largest peak resident set (VmHWM) among the engine process and the workers it forked."""
    peaks, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            status = open(f"/proc/{current}/status").read()
            peaks.append(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024)
            for task in os.listdir(f"/proc/{current}/task"):
                todo += [int(c) for c in open(f"/proc/{current}/task/{task}/children").read().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return max(peaks, default=0.0)


def map_small():
    """A map of 1,000 no-op items at concurrency 50."""
    small = _load("bench-map-1000", _map(1000, 50))
    _walls(small, 1, {"xs": list(range(1000))})
    walls = _walls(small, 3, {"xs": list(range(1000))})
    MAP_1000.append(median(walls))
    return [figure("map_1000_wall", median(walls), "s", workload="map of 1,000 no-op items, concurrency 50, median of 3", runs=[round(w, 3) for w in walls])]


def map_large():
    """A map of 10,000 items (linear against 1,000?), with the engine's peak memory per process."""
    large = _load("bench-map-10000", _map(10_000, 50))
    (wall,) = _walls(large, 1, {"xs": list(range(10_000))}, timeout=900)
    ratio = {"ratio_to_1000": round(wall / MAP_1000[-1], 1)} if MAP_1000 else {}
    return [
        figure("map_10000_wall", wall, "s", workload="map of 10,000 no-op items, concurrency 50", **ratio),
        figure("map_engine_peak_rss", _engine_rss_mb(ENGINE_PID[0]), "MB", workload="largest peak RSS of one engine process after the maps"),
    ]


MAP_1000: list[float] = []  # the 1,000-item figure of this run, for the 10,000 one's ratio


def nested(rounds: int = 3):
    """100 parents, each waiting for one 5-step child (a sub-workflow): child steps per second,
    against the chains figure (the same kind of step, with a parent to tell at the end)."""
    child = _load("bench-child-5", _clock_chain(5))
    parent = _load("bench-parent", {
        "version": 1, "settings": {},
        "nodes": [{"id": "sub", "type": "subworkflow", "config": {"workflow": child}}], "edges": [],
    })  # fmt: skip
    _wait_all(_start_all(parent, 5))
    rates, starts = [], []
    for _ in range(rounds):
        t0 = time.time()
        ids = _start_all(parent, 100)
        starts.append(time.time() - t0)
        instances = _wait_all(ids)
        wall = max(i.finished_at.timestamp() for i in instances) - t0
        rates.append(100 * 5 / wall)
    # starting_s: how long this one process took to start them, one after another (as for chains)
    return [
        figure(
            "nested_100x5_throughput", median(rates), "child steps/s", workload="100 parents each waiting for one 5-step child, median of 3",
            rounds=[round(r) for r in rates], starting_s=[round(t, 2) for t in starts],
        )
    ]  # fmt: skip


ENGINE_PID = [0]


def timers():
    from workflows.models import StepRun

    wait_graph = {
        "version": 1,
        "settings": {},
        "nodes": [{"id": "w", "type": "wait", "config": {"for_s": "{{ input.s }}"}}, {"id": "after", "type": "task", "config": {"handler": "demo.noop"}}],
        "edges": [{"id": "e", "source": "w", "target": "after"}],
    }
    wait_graph["nodes"][0]["config"] = {"until": "{{ input.until }}"}
    retry_graph = {
        "version": 1,
        "settings": {},
        "nodes": [{"id": "f", "type": "task", "config": {"handler": "demo.flaky", "input": {"failures": 1}, "retry": {"max_attempts": 2, "initial_s": 0.3, "jitter": False}}}],
        "edges": [],
    }
    waits, retries = _load("bench-wait", wait_graph), _load("bench-retry", retry_graph)
    rng = random.Random(3)
    from datetime import datetime, timezone

    # Due 0.3-1.3 s after each instance starts (computed at its start, not before the batch).
    wait_ids = _start_all(waits, 40, input=lambda k: {"until": datetime.fromtimestamp(time.time() + 0.3 + rng.random(), timezone.utc).isoformat()})
    retry_ids = _start_all(retries, 40)
    _wait_all(wait_ids + retry_ids)
    from workflows.models import Event

    waited, retried, fired = [], [], []
    for row in StepRun.objects.filter(instance_id__in=wait_ids, node_id="w"):
        due = datetime.fromisoformat(row.output["until"])
        waited.append((row.finished_at - due).total_seconds() * 1000)
    due_events = dict(Event.objects.filter(instance_id__in=retry_ids, type="step_due").values_list("instance_id", "created_at"))
    for instance_id in retry_ids:
        first, second = StepRun.objects.filter(instance_id=instance_id).order_by("attempt")
        retried.append((second.started_at - first.finished_at).total_seconds() * 1000 - 300)
        if instance_id in due_events:  # when the backoff's end was decided (its transition began)
            fired.append((due_events[instance_id] - first.finished_at).total_seconds() * 1000 - 300)
    late = waited + retried
    parts = {
        "waits_p50_p95": [round(percentile(waited, q), 1) for q in (50, 95)],
        "retries_p50_p95": [round(percentile(retried, q), 1) for q in (50, 95)],
        "retry_fired_p50_p95": [round(percentile(fired, q), 1) for q in (50, 95)] if fired else None,
    }
    return [
        figure("timer_lateness_p50", percentile(late, 50), "ms", samples=len(late), workload="40 waits + 40 retry backoffs"),
        figure("timer_lateness_p95", percentile(late, 95), "ms", samples=len(late), **parts),
    ]


def timer_burst():
    """200 waits due at one moment (a reminder every instance set for 09:00), nothing else running:
    how late the last of them fires is what serving instances side by side is for."""
    from datetime import datetime, timezone

    from workflows.models import StepRun

    graph = {"version": 1, "settings": {}, "nodes": [{"id": "w", "type": "wait", "config": {"until": "{{ input.until }}"}}], "edges": []}
    name = _load("bench-burst", graph)
    count = 200
    rounds = []
    for _ in range(2):
        due = datetime.fromtimestamp(time.time() + 4.0, timezone.utc)  # starting 200 takes ~1-2 s here
        ids = _start_all(name, count, input={"until": due.isoformat()})
        if time.time() > due.timestamp():
            raise RuntimeError("starting the instances took longer than the time before they were due")
        _wait_all(ids)
        rounds.append(sorted((row.finished_at - due).total_seconds() * 1000 for row in StepRun.objects.filter(instance_id__in=ids, node_id="w")))
    late = [ms for round_ in rounds for ms in round_]
    return [
        figure("timer_burst_p50", percentile(late, 50), "ms", samples=len(late), workload=f"{count} waits due at one moment, two rounds"),
        figure("timer_burst_p95", percentile(late, 95), "ms", samples=len(late)),
        figure("timer_burst_last", max(late), "ms", rounds=[round(r[-1]) for r in rounds]),
    ]


def start_large():
    """One start that decides 6,000 inline steps in its own transaction (issue 8: 14 s once, when a
    join re-counted its incoming edges at every arrival); timed around the call, as a client sees it."""
    from bench.graphs import inline_graph
    from workflows import authoring, engine

    # Through the engine and authoring: the graph (1.3 MB) is over the API's and the files' 1 MB body limit.
    template = authoring.create_template(name="bench-start-6k", title="6,000 inline steps", graph=inline_graph(6000, "funnel"))
    name = authoring.publish(template).template.name
    walls = []
    for _ in range(3):
        t0 = time.perf_counter()
        instance, _ = engine.start_instance(name)
        walls.append(time.perf_counter() - t0)
        if instance.status != "completed":
            raise RuntimeError(f"the 6,000-step start ended {instance.status}: {instance.error}")
    workload = "start a 6,000-step graph of inline steps (a chain whose every step also feeds one join), median of 3"
    return [figure("start_6k_wall", median(walls), "s", workload=workload, runs=[round(w, 3) for w in walls])]


def designer():
    from bench import designer_figures

    yield from designer_figures.run()


def schedules():
    from bench import schedule_figures

    yield from schedule_figures.schedules()


def timeline():
    from bench import timeline_figures

    yield from timeline_figures.run()


def steering():
    from bench import steering_figures

    yield from steering_figures.pause_resume()
    yield from steering_figures.priority()
    yield from steering_figures.signals()


def approvals():
    from bench import approvals_figures

    yield from approvals_figures.decision()
    yield from approvals_figures.inbox()


FIGURES = {
    "chains": chains,
    "fanout": fanout,
    "parallel_sleeps": parallel_sleeps,
    "timers": timers,
    "timer_burst": timer_burst,
    "start_6k": start_large,
    "map_1000": map_small,
    "map_10000": map_large,
    "nested": nested,
    "designer": designer,
    "timeline": timeline,
    "schedules": schedules,
    "steering": steering,
    "approvals": approvals,
}


def _bench_database_url() -> str:
    base = urlparse(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres")
    return urlunparse(base._replace(path="/" + BENCH_DB))


def _recreate_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    with psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres", password=parts.password, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def run(selected: dict):
    url = _bench_database_url()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["FLOWDESK_QUEUE"] = f"flowdesk-bench-{os.getpid()}"
    os.environ["FLOWDESK_WORKERS"] = os.environ.get("BENCH_WORKERS", "4")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # a DATABASE_URL run needs its own key
    _recreate_database(url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    log = open(ROOT / "var" / "bench-engine.log", "wb") if (ROOT / "var").is_dir() else subprocess.DEVNULL
    engine = subprocess.Popen([sys.executable, "manage.py", "engine"], cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT)
    ENGINE_PID[0] = engine.pid
    try:
        time.sleep(3)  # the cluster forks its workers
        for name, fn in selected.items():
            yield from fn()
    finally:
        engine.send_signal(signal.SIGTERM)
        try:
            engine.wait(20)
        except subprocess.TimeoutExpired:
            engine.kill()
