"""The engine's own timer loop: retries, waits, step timeouts, lost workers, instance deadlines.

django-q2 checks its schedules only every ~30 s; this loop looks every ``TICK_S`` (50 ms) for
due timers, expired leases and deadlines, so timers fire within a tick of their due time. Any
number of loops may run (one per ``manage.py engine``): firing is claimed per row, idempotent.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, TypeVar

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import F

from workflows import engine, scheduling
from workflows.core.status import StepStatus as S
from workflows.faults import clear, isolated
from workflows.models import Fault, StepRun, Timer

log = logging.getLogger(__name__)
T = TypeVar("T")


def tick(now: float | None = None, *, pool: Executor | None = None) -> dict[str, int]:
    """One pass; returns what it did (for logs and tests).

    Each item is isolated (``faults.isolated``): one that raises is recorded and pushed back by its
    backoff while the others go on, so one broken instance cannot stall everyone's timers. With a
    ``pool`` (the loop's), instances are served side by side and each instance's items in order:
    a fire is a transition of a few round trips, and a burst of timers due together (forty
    retries after one outage) fired one by one makes the last one late by the sum of the others.
    """
    now = time.time() if now is None else now
    moment = engine.to_dt(now)
    done = {"timers": 0, "lost": 0, "timed_out": 0, "faults": 0}
    due = Timer.objects.filter(due_at__lte=moment).order_by("due_at").values_list("pk", "instance_id", "faults", "message")[:200]
    _count(done, "timers", _per_instance(pool, _fire, [(row[1], row) for row in due]))
    running = StepRun.objects.filter(status=S.RUNNING)
    for reason, source, column, key in (
        ("timeout", Fault.Source.DEADLINE, "deadline_at", "timed_out"),
        ("lost", Fault.Source.LEASE, "lease_until", "lost"),
    ):
        expired = running.filter(**{f"{column}__lt": moment}).values_list("pk", "instance_id")[:200]
        expire = functools.partial(_expire, reason, source, column)
        _count(done, key, _per_instance(pool, expire, [(row[1], row) for row in expired]))
    # Cron schedules (each one isolated inside; this guards the query that finds them).
    done["schedules"] = isolated(Fault.Source.SCHEDULE, "due", lambda: scheduling.fire_due(now), default=0)
    return done


def _count(done: dict[str, int], key: str, results: list[int | None]) -> None:
    for result in results:
        if result is None:  # isolated: recorded as a fault and pushed back
            done["faults"] += 1
        else:
            done[key] += result


def _fire(row) -> int | None:
    timer_id, instance_id, faults, message = row
    fired = isolated(
        Fault.Source.TIMER, timer_id, lambda: engine.fire_timer(timer_id, instance_id, message), instance_id=instance_id,
        push_back=lambda at: Timer.objects.filter(pk=timer_id).update(due_at=at, faults=F("faults") + 1),
        default=None,
    )  # fmt: skip
    if fired is not None and faults:
        clear(Fault.Source.TIMER, timer_id)
    return None if fired is None else int(fired)


def _expire(reason: str, source: str, column: str, row) -> int | None:
    step_id, instance_id = row
    expired = isolated(
        source, step_id, lambda: engine.expire_step(step_id, reason=reason), instance_id=instance_id,
        push_back=lambda at: StepRun.objects.filter(pk=step_id, status=S.RUNNING).update(**{column: at}),
        default=None,
    )  # fmt: skip
    return None if expired is None else int(expired)


def _per_instance(pool: Executor | None, work: Callable[[Any], T], keyed: list[tuple[Any, Any]]) -> list[T]:
    """``work`` on each item, in order per instance; instances side by side on ``pool`` if any.
    Items of one instance stay on one thread: they would only queue for its lock."""
    groups: dict[Any, list] = {}
    for key, item in keyed:
        groups.setdefault(key, []).append(item)
    if pool is None or len(groups) < 2:
        return [work(item) for items in groups.values() for item in items]

    def serve(items: list) -> list[T]:
        try:
            return [work(item) for item in items]
        finally:
            close_old_connections()  # a pool thread keeps its connection, unless it broke

    return [result for results in pool.map(serve, groups.values()) for result in results]


def next_moment() -> float | None:
    """The earliest moment anything is due: a timer, a lease, a step deadline or a schedule's
    fire (one round trip of indexed reads; it runs every tick)."""
    texts, params = _moment_queries()
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(texts), params)
        row = cursor.fetchone()
    due = [scheduling.as_epoch(value) for value in row if value is not None]
    return min(due) if due else None


@functools.cache
def _moment_queries() -> tuple[list[str], list]:
    """Compiled once per process (``scheduling.due_queries``)."""
    running = StepRun.objects.filter(status=S.RUNNING)
    texts, params = scheduling.subqueries([
        Timer.objects.order_by("due_at").values("due_at")[:1],
        running.filter(lease_until__isnull=False).order_by("lease_until").values("lease_until")[:1],
        running.filter(deadline_at__isnull=False).order_by("deadline_at").values("deadline_at")[:1],
    ])
    more, more_params = scheduling.due_queries()
    return texts + more, params + more_params


@contextlib.contextmanager
def fire_pool(threads: int) -> Iterator[Executor | None]:
    """Threads for ``tick`` (none for 1); each holds a database connection, opened at the start
    (not by the first burst of timers) and closed at the end."""
    if threads < 2:
        yield None
        return
    pool = ThreadPoolExecutor(threads, thread_name_prefix="timer-fire")
    try:
        _on_every_thread(pool, threads, _connect)
        yield pool
    finally:
        _on_every_thread(pool, threads, lambda: connection.close())  # that thread's connection
        pool.shutdown()


def _connect() -> None:
    try:
        connection.ensure_connection()
    except Exception:  # the database is down: the first fire connects, or the loop says why
        log.warning("timer thread could not connect yet", exc_info=True)


def _on_every_thread(pool: Executor, threads: int, work: Callable[[], Any]) -> None:
    """``work()`` once on each of the pool's threads: the barrier holds each thread until all have
    taken one job, so no thread takes two."""
    barrier = threading.Barrier(threads, timeout=10)

    def once(_) -> None:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        work()

    list(pool.map(once, range(threads)))


def run(stop: threading.Event) -> None:
    cfg = settings.FLOWDESK
    with fire_pool(cfg["TIMER_THREADS"]) as pool:
        _loop(stop, cfg, pool)


def _loop(stop: threading.Event, cfg: dict, pool: Executor | None) -> None:
    last_sweep = 0.0
    while not stop.is_set():
        try:
            due = next_moment()
            now = time.time()
            if due is not None and due <= now:
                did = tick(now, pool=pool)
                log.debug("timer loop: %s", did)
                due = next_moment()
            if time.monotonic() - last_sweep >= 1.0:
                last_sweep = time.monotonic()
                if n := engine.redispatch_stale(time.time(), older_than_s=cfg["REDISPATCH_S"]):
                    log.warning("re-dispatched %d scheduled steps nobody started", n)
                if n := engine.deliver_stranded(time.time()):
                    log.warning("delivered the inbox of %d instances whose sender stopped before delivering", n)
            # Sleep until the next due moment, but never longer than a tick: another process may
            # have created an earlier timer meanwhile.
            wait = cfg["TICK_S"] if due is None else max(0.0, min(cfg["TICK_S"], due - time.time()))
        except Exception:  # the loop must outlive a database restart
            log.exception("timer loop failed; retrying")
            close_old_connections()
            wait = 1.0
        stop.wait(wait)
