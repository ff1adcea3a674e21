"""Firing schedules on the engine's own timer loop (DESIGN §5b "Schedules"; ``workflows.timers``
calls ``fire_due`` each tick and sleeps no longer than ``next_due``), so a fire is within a tick
of its time — never django-q2's ~30 s schedule poll.

Exactly once with any number of engines: one transaction locks the due schedule row (``SKIP
LOCKED``: another engine busy with it skips it rather than waiting), starts the instance in the
same transaction (as a parent's transition starts a child) and arms the next fire. Whoever locks
the row after that commit sees the new ``next_fire_at`` and has nothing to do. The run's
idempotency key (the schedule and its fire time) is a second guard: a fire repeated by any path
returns the run the first one started.

Late fires: within ``TOLERANCE_S`` of its time a fire is just late and starts as usual (each one,
so a brief stall loses nothing). Beyond it the engine was down or the schedule could not fire:
with ``catch_up`` it fires once, for the first fire it missed, then waits for the next one after
now; without, it only waits for the next one.

Overlap with the schedule's previous run still open (pending, running or paused): ``skip`` starts
nothing; ``allow`` starts anyway; ``cancel_previous`` starts the new run and cancels the open ones
*after* the commit (``cancel_instance`` takes each instance's lock: holding the schedule's lock
meanwhile would be a second lock in one transaction); ``buffer_one`` keeps one fire
(``buffered_fire_at``) and starts it on the first tick after the open run ended; fires meanwhile
are dropped.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils.dateparse import parse_datetime

from workflows import engine, schedules
from workflows.core import cron
from workflows.faults import isolated
from workflows.models import Fault, Instance, Schedule

log = logging.getLogger(__name__)

#: A fire later than this is a missed one (downtime): ``catch_up`` decides.
TOLERANCE_S = 60.0
#: Schedules looked at per tick; the rest are due on the next tick.
BATCH = 100
OPEN = ("pending", "running", "paused")


def fire_due(now: float) -> int:
    """Fire every due schedule and every buffered fire whose open run ended; returns how many
    instances started. Each schedule is isolated (``faults.isolated``): one that cannot fire is
    recorded as a Fault and retried after its backoff, and the others still fire."""
    moment = engine.to_dt(now)
    ready = Q(retry_at__isnull=True) | Q(retry_at__lte=moment)
    due = list(Schedule.objects.filter(ready, enabled=True, next_fire_at__lte=moment).order_by("next_fire_at").values_list("pk", flat=True)[:BATCH])
    buffered = list(_buffered().filter(ready).values_list("pk", flat=True)[:BATCH])
    started = 0
    for pk, fire in [(pk, _fire) for pk in due] + [(pk, _fire_buffered) for pk in buffered]:
        started += isolated(
            Fault.Source.SCHEDULE, pk, lambda: fire(pk, now),
            push_back=lambda at: Schedule.objects.filter(pk=pk).update(retry_at=at),
            default=0,
        )  # fmt: skip
    return started


def next_due() -> float | None:
    """The earliest moment a schedule needs the loop: its next fire (or its retry after a fault),
    or now for a buffered fire whose open run ended. One query (it runs every tick)."""
    texts, params = due_queries()
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(texts), params)
        row = cursor.fetchone()
    moments = [as_epoch(value) for value in row if value is not None]
    return min(moments) if moments else None


@functools.cache
def due_queries() -> tuple[list[str], list]:
    """The scalar subqueries of ``next_due`` (each a moment or NULL) and their parameters,
    compiled once per process: nothing in them changes, and compiling three querysets on every
    tick of the timer loop cost more CPU than running them."""
    enabled = Schedule.objects.filter(enabled=True)
    parts = [
        enabled.filter(retry_at__isnull=True, next_fire_at__isnull=False).order_by("next_fire_at").values("next_fire_at")[:1],
        enabled.filter(retry_at__isnull=False, next_fire_at__isnull=False)
        .annotate(at=Greatest("next_fire_at", "retry_at"))
        .order_by("at")
        .values("at")[:1],
        _buffered().annotate(at=Greatest("buffered_fire_at", Coalesce("retry_at", "buffered_fire_at"))).order_by("at").values("at")[:1],
    ]
    return subqueries(parts)


def subqueries(parts: list) -> tuple[list[str], list]:
    """``(["(SQL)", ...], params)`` of querysets that each select one value."""
    compiled = [part.query.sql_with_params() for part in parts]
    return [f"({text})" for text, _ in compiled], [p for _, params in compiled for p in params]


def as_epoch(value) -> float:
    """A raw column value (an aware datetime on PostgreSQL, text on SQLite) as epoch seconds."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value.tzinfo is None:  # SQLite stores UTC without an offset
        value = value.replace(tzinfo=engine.to_dt(0).tzinfo)
    return value.timestamp()


def _buffered():
    still_open = Instance.objects.filter(schedule=OuterRef("pk"), status__in=OPEN)
    return Schedule.objects.filter(enabled=True, buffered_fire_at__isnull=False).filter(~Exists(still_open))


def _locked(pk: int, **due) -> Schedule | None:
    """The schedule row, locked for this transaction, if it is still due and no other engine holds it."""
    return Schedule.objects.select_for_update(skip_locked=True, of=("self",)).select_related("template").filter(pk=pk, enabled=True, **due).first()


def _fire(pk: int, now: float) -> int:
    cancel: list = []
    with transaction.atomic():
        schedule = _locked(pk, next_fire_at__lte=engine.to_dt(now))
        if schedule is None:
            return 0  # another engine fired it (or is firing it), or it was paused or changed
        due = schedule.next_fire_at
        if now - due.timestamp() <= TOLERANCE_S:
            fire_at = due
            schedule.next_fire_at = cron.next_fire(schedule.cron, schedule.timezone, due)
        else:
            fire_at = due if schedule.catch_up else None
            schedule.next_fire_at = cron.next_fire(schedule.cron, schedule.timezone, engine.to_dt(now))
            log.warning(
                "schedule %s missed its fire at %s (%.0f s ago): %s", schedule.name, cron.iso(due, schedule.timezone),
                now - due.timestamp(), "firing once (catch-up)" if fire_at else "skipped; no catch-up",
            )  # fmt: skip
        started = 0
        if fire_at is not None:
            started, cancel = _overlap(schedule, fire_at)
        schedule.retry_at = None
        schedule.save(update_fields=["next_fire_at", "last_fired_at", "buffered_fire_at", "retry_at"])
        if cancel:
            name = schedule.name
            transaction.on_commit(lambda: _cancel(cancel, name))
    return started


def _overlap(schedule: Schedule, fire_at: datetime) -> tuple[int, list]:
    """Start the fire's run as the overlap policy says; returns (started, open runs to cancel)."""
    policy = schedule.overlap
    if policy == Schedule.Overlap.ALLOW:  # nothing to look up
        return _start(schedule, fire_at), []
    open_runs = list(Instance.objects.filter(schedule=schedule, status__in=OPEN).values_list("pk", flat=True))
    if open_runs and policy == Schedule.Overlap.SKIP:
        log.info("schedule %s: skipped the fire at %s, its previous run is still open", schedule.name, cron.iso(fire_at, schedule.timezone))
        return 0, []
    if open_runs and policy == Schedule.Overlap.BUFFER_ONE:
        if schedule.buffered_fire_at is None:  # one is kept; later fires meanwhile are dropped
            schedule.buffered_fire_at = fire_at
        return 0, []
    started = _start(schedule, fire_at)
    return started, open_runs if policy == Schedule.Overlap.CANCEL_PREVIOUS else []


def _fire_buffered(pk: int, now: float) -> int:
    with transaction.atomic():
        schedule = _locked(pk, buffered_fire_at__isnull=False)
        if schedule is None or Instance.objects.filter(schedule=schedule, status__in=OPEN).exists():
            return 0
        started = _start(schedule, schedule.buffered_fire_at)
        schedule.buffered_fire_at = None
        schedule.retry_at = None
        schedule.save(update_fields=["last_fired_at", "buffered_fire_at", "retry_at"])
    return started


def _start(schedule: Schedule, fire_at: datetime) -> int:
    """Start the run for ``fire_at`` in the caller's transaction; 0 if that fire already has one."""
    key = schedules.fire_key(schedule, fire_at)
    instance, created = engine.start_instance(
        schedule.template, input=schedule.input, version=schedule.version, priority=schedule.priority,
        business_key=key, idempotency_key=key,
    )  # fmt: skip
    if not (schedule.last_fired_at and schedule.last_fired_at >= fire_at):
        schedule.last_fired_at = fire_at
    if not created:
        return 0
    Instance.objects.filter(pk=instance.pk).update(schedule=schedule)
    return 1


def _cancel(instance_ids: list, name: str) -> None:
    """After the commit, holding no lock: cancel the runs a ``cancel_previous`` fire replaced."""
    for instance_id in instance_ids:
        try:
            engine.cancel_instance(instance_id, reason=f"cancelled by schedule {name}: a newer run started")
        except engine.EngineError:
            pass  # it ended meanwhile
        except Exception:
            log.exception("schedule %s could not cancel its previous run %s", name, instance_id)
