"""What the timer loop calls (``workflows.timers``): what came due while nobody was waiting —
timers, leases of lost workers, step deadlines, dispatches whose doorbell was lost."""

from __future__ import annotations

import time

from django.db.models import Q

from workflows import dispatch, faults
from workflows.core import decider as d
from workflows.core.errors import Failure
from workflows.core.status import StepStatus as S
from workflows.models import Fault, StepRun, Timer

from . import inbox
from .clock import to_dt
from .transition import deliver, transition


def fire_timer(timer_id: int, instance_id=None, message=None) -> bool:
    """Deliver one due timer's message at least once: the transition deletes the timer with the
    instance's lock in its first round trip, so firing is idempotent (a timer another loop fired
    first is gone). What the message means is the decider's business, not this one's. The timer
    loop passes what its due query read; alone, the timer is read first."""
    if message is None:
        found = Timer.objects.filter(pk=timer_id).values_list("instance_id", "message").first()
        if found is None:
            return False
        instance_id, message = found
    fired: list = []
    transition(instance_id, None, timer=(timer_id, message, fired))
    return bool(fired)


def expire_step(step_id: int, *, reason: str) -> bool:
    """Fail a running attempt whose lease (worker lost) or deadline (timeout) passed."""
    row = StepRun.objects.filter(pk=step_id, status=S.RUNNING).values("instance_id", "node_id", "item_key", "attempt", "worker").first()
    if row is None:
        return False
    expired = False

    def event(rows):
        nonlocal expired
        now = to_dt(time.time())
        field = "lease_until__lt" if reason == "lost" else "deadline_at__lt"
        if not StepRun.objects.filter(pk=step_id, status=S.RUNNING, **{field: now}).exists():
            return None
        expired = True
        if reason == "lost":
            failure = Failure("WorkerLost", f"worker {row['worker'] or '?'} stopped renewing its lease", retryable=True)
            return d.AttemptFailed(row["node_id"], row["attempt"], failure, item=row["item_key"])
        failure = Failure("StepTimeout", "the step did not finish within its timeout", retryable=True)
        return d.AttemptFailed(row["node_id"], row["attempt"], failure, timed_out=True, item=row["item_key"])

    transition(row["instance_id"], event)
    return expired


def redispatch_stale(now: float, *, older_than_s: float, limit: int = 500) -> int:
    """Ring again for scheduled steps nobody started: a lost doorbell must not lose a step."""
    cutoff = to_dt(now - older_than_s)
    stale = StepRun.objects.filter(status=S.SCHEDULED, scheduled_at__lt=cutoff).filter(
        Q(not_before__isnull=True) | Q(not_before__lt=cutoff)
    )
    ids = list(stale.order_by("scheduled_at").values_list("pk", "instance_id")[:limit])
    if not ids:
        return 0
    StepRun.objects.filter(pk__in=[pk for pk, _ in ids], status=S.SCHEDULED).update(scheduled_at=to_dt(now))
    for instance_id in {instance_id for _, instance_id in ids}:
        # One ring that fails (the broker refusing one message) must not stop the others.
        faults.isolated(Fault.Source.DISPATCH, instance_id, lambda: dispatch.ring(instance_id, 1), instance_id=instance_id)
    return len(ids)


def deliver_stranded(now: float, *, older_than_s: float = 2.0) -> int:
    """Deliver inbox messages whose sender died between its commit and its delivery."""
    ids = inbox.stranded(to_dt(now - older_than_s))
    for instance_id in ids:
        faults.isolated(Fault.Source.DISPATCH, f"inbox:{instance_id}", lambda: deliver(instance_id), instance_id=instance_id)
    return len(ids)
