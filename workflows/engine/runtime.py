"""What workers call: claim due steps, record how their attempts ended, renew their leases.

A worker that finishes attempts claims the instance's next due steps in the same transaction
(eager continuation, DESIGN §5), so a chain runs without a queue round trip per step. A worker
runs up to ``WORKER_SLOTS`` attempts of one instance at once and records those that ended
together: a 200-wide fan-in or a map is then a few dozen transitions, each waiting for the
instance's lock once, instead of one per step. (Handing results to the inbox when the instance
is busy measured slower: each worker still needed a locked transition to claim its next step.)
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from django.conf import settings
from django.db import connection

from workflows import sql
from workflows.core import decider as d
from workflows.core.errors import Failure
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S
from workflows.models import Instance, StepRun

from .clock import to_dt
from .transition import Claim, transition


def claim_steps(instance_id, worker: str, count: int = 1, *, step_id: int | None = None, known_due: bool = False) -> list[Claim]:
    """Claim up to ``count`` due scheduled steps of the instance for ``worker`` (``known_due``:
    the caller has just seen a scheduled one)."""
    if not known_due and not StepRun.objects.filter(instance_id=instance_id, status=S.SCHEDULED).exists():
        return []  # the common no-op doorbell costs one indexed read, no lock
    try:
        _, claims = transition(instance_id, None, claim_for=worker, claim_count=count, claim_only=step_id)
    except Instance.DoesNotExist:
        return []
    return claims


class Picker:
    """Which instance a worker serves next: the one with the highest-priority due step, oldest
    first within a priority, so that under a backlog a priority-90 instance's steps are claimed
    before the queue of priority-10 ones ahead of them. No starvation: every ``AGE_EVERY``-th pick
    takes the oldest due step whatever its priority, so lower priorities still get at least that
    share of the workers. Among the few best candidates one is chosen at random, so that workers
    woken together do not all queue for the same instance's lock."""

    AGE_EVERY = 5
    CANDIDATES = 8

    def __init__(self) -> None:
        self.picks = 0
        self.lock = threading.Lock()

    def candidates(self, now: float, hint) -> tuple[list, int | None, tuple[int | None, bool] | None, bool]:
        """``(instance ids, their priority, (the hint's priority, whether it has a scheduled
        step), by_age)`` in one round trip: a few of the instances whose due steps rank first,
        shuffled (on an age pick, the instance of the oldest due step alone). The hint's two
        values ride on every row as uncorrelated subqueries (computed once; a UNION would be one
        statement too, but SQLite refuses ORDER BY inside one); with no row, nothing is due."""
        with self.lock:
            self.picks += 1
            by_age = self.picks % self.AGE_EVERY == 0
        step, instance = sql.table(StepRun), sql.table(Instance)
        order = "s.scheduled_at" if by_age else "s.priority DESC, s.scheduled_at"
        scheduled, hint_id = str(S.SCHEDULED), sql.value(Instance, "id", hint)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT s.instance_id, s.priority, (SELECT h.priority FROM {instance} h WHERE h.id = %s),"
                f" EXISTS (SELECT 1 FROM {step} hs WHERE hs.instance_id = %s AND hs.status = %s)"
                f" FROM {step} s JOIN {instance} i ON i.id = s.instance_id"
                f" WHERE s.status = %s AND (s.not_before IS NULL OR s.not_before <= %s) AND i.status = %s"
                f" ORDER BY {order} LIMIT %s",
                [hint_id, hint_id, scheduled, scheduled, sql.value(StepRun, "not_before", to_dt(now)), str(I.RUNNING), 1 if by_age else self.CANDIDATES * 4],
            )
            rows = cursor.fetchall()
        if not rows:
            return [], None, None, by_age
        mine = (rows[0][2], bool(rows[0][3]))
        best = rows[0][1]
        ids = list(dict.fromkeys(pk for pk, priority, _, _ in rows if priority == best))[: self.CANDIDATES]
        random.shuffle(ids)
        return ids, best, mine, by_age

    def outranked(self, priority: int, now: float) -> bool:
        """A step of a higher priority than ``priority`` is due (one indexed read): a worker
        continuing down one instance's steps yields to it."""
        step, instance = sql.table(StepRun), sql.table(Instance)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {step} s JOIN {instance} i ON i.id = s.instance_id WHERE s.status = %s AND s.priority > %s"
                f" AND (s.not_before IS NULL OR s.not_before <= %s) AND i.status = %s LIMIT 1",
                [str(S.SCHEDULED), priority, sql.value(StepRun, "not_before", to_dt(now)), str(I.RUNNING)],
            )
            return cursor.fetchone() is not None


picker = Picker()


def claim_best(hint, worker: str, count: int) -> list[Claim]:
    """Claim up to ``count`` steps of the instances that should go next (``Picker``): the
    doorbell's own instance (``hint``) unless another outranks it, or, on an age pick, unless the
    oldest due step is of another priority (within one priority the queue is already in age
    order, and serving another instance's step would leave its own doorbell nothing to do)."""
    ids, best, mine, by_age = picker.candidates(time.time(), hint)
    if not ids:  # nothing due anywhere (or not yet): as a plain doorbell does
        return claim_steps(hint, worker, count)
    priority, has_due = mine
    if has_due and priority is not None and (priority == best if by_age else priority >= best):
        if claims := claim_steps(hint, worker, count, known_due=True):
            return claims
    if by_age:
        outranked = priority is None or priority != best
    else:
        outranked = priority is None or priority < best
    claims = []
    # Higher priority elsewhere (or the oldest step's turn): the best instances fill the slots.
    # Otherwise one of them, as its own doorbell would (a worker multiplexing many chains makes
    # each of their steps wait).
    for instance_id in ids if outranked else ids[:1]:
        claims += claim_steps(instance_id, worker, count - len(claims))
        if len(claims) >= count:
            return claims
    return claims or (claim_steps(hint, worker, count, known_due=True) if outranked and has_due else [])


def claim_step(instance_id, worker: str, *, step_id: int | None = None) -> Claim | None:
    """Claim one due scheduled step of the instance for ``worker``, or None if there is none."""
    claims = claim_steps(instance_id, worker, 1, step_id=step_id)
    return claims[0] if claims else None


def finish_attempts(outcomes: list[tuple[Claim, bool, Any]], *, worker: str, claim: int = 0) -> list[Claim]:
    """Record how attempts of one instance ended, ``(claim, ok, output or Failure)`` each, in one
    transition (idempotent), and claim up to ``claim`` more of its steps for ``worker``.

    Only the worker that owns an attempt may finish it (the event names it): a late result from a
    worker whose lease expired, and whose attempt was failed and retried, changes nothing.
    """
    (instance_id,) = {c.instance_id for c, _, _ in outcomes}
    events = [_event(c, ok, result, worker) for c, ok, result in outcomes]
    items = [(c.node_id, c.item) for c, _, _ in outcomes if c.item]
    _, claims = transition(instance_id, lambda rows: events, claim_for=worker if claim else None, claim_count=claim, items=items)
    return claims


def _event(claim: Claim, ok: bool, result: Any, worker: str):
    if ok:
        return d.AttemptCompleted(claim.node_id, claim.attempt, result, claim.item, worker)
    return d.AttemptFailed(claim.node_id, claim.attempt, result, result.type == "StepTimeout", claim.item, worker)


def complete_attempt(claim: Claim, output: Any, *, worker: str, claim_next: bool = True) -> Claim | None:
    """Record a successful attempt; idempotent. Returns the next step this worker now owns."""
    return _first(finish_attempts([(claim, True, output)], worker=worker, claim=int(claim_next)))


def fail_attempt(claim: Claim, failure: Failure, *, worker: str, claim_next: bool = True) -> Claim | None:
    """Record a failed attempt (a ``StepTimeout`` failure is the step timing out); idempotent."""
    return _first(finish_attempts([(claim, False, failure)], worker=worker, claim=int(claim_next)))


def _first(claims: list[Claim]) -> Claim | None:
    return claims[0] if claims else None


def renew_leases(step_ids: list[int], worker: str) -> set[int]:
    """Extend running steps' leases together; the ids this worker still owns (stop the others)."""
    if not step_ids:
        return set()
    until = sql.value(StepRun, "lease_until", to_dt(time.time() + settings.FLOWDESK["LEASE_S"]))
    ids = ", ".join(["%s"] * len(step_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {sql.table(StepRun)} SET {sql.column(StepRun, 'lease_until')} = %s WHERE id IN ({ids})"
            f" AND {sql.column(StepRun, 'status')} = %s AND {sql.column(StepRun, 'worker')} = %s RETURNING id",
            [until, *step_ids, str(S.RUNNING), worker],
        )
        return {pk for (pk,) in cursor.fetchall()}


def heartbeat(step_id: int, worker: str, details: Any = None) -> bool:
    """A handler's heartbeat: its lease renewed and its details kept (shown, and handed to the
    next attempt); False when the worker no longer owns the attempt."""
    now = time.time()
    changes = {"lease_until": to_dt(now + settings.FLOWDESK["LEASE_S"]), "heartbeat_at": to_dt(now)}
    if details is not None:
        changes["heartbeat"] = details
    return bool(StepRun.objects.filter(pk=step_id, status=S.RUNNING, worker=worker).update(**changes))


def last_heartbeat(claim: Claim) -> Any:
    """The details the attempt before this one reported last (so a retry can resume)."""
    if claim.attempt <= 1:
        return None
    before = StepRun.objects.filter(instance_id=claim.instance_id, node_id=claim.node_id, item_key=claim.item, attempt=claim.attempt - 1)
    return before.values_list("heartbeat", flat=True).first()


def renew_lease(step_id: int, worker: str) -> bool:
    """Extend a running step's lease; False when the worker no longer owns it (stop working)."""
    until = to_dt(time.time() + settings.FLOWDESK["LEASE_S"])
    return bool(StepRun.objects.filter(pk=step_id, status=S.RUNNING, worker=worker).update(lease_until=until))
