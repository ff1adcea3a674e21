"""What workers call: claim a due step, record how its attempt ended, renew its lease.

A worker that finishes an attempt claims the instance's next due step in the same transaction
(eager continuation, DESIGN §5), so a chain runs without a queue round trip per step. A result
waits for the instance's lock like any transition: handing it to the inbox when the instance is
busy (so one transition decides a burst) measured slower for a 200-wide fan-in, since each worker
still needs a locked transition of its own to claim its next step.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

from workflows.core import decider as d
from workflows.core.errors import Failure
from workflows.core.status import StepStatus as S
from workflows.models import Instance, StepRun

from .clock import to_dt
from .transition import Claim, transition


def claim_step(instance_id, worker: str, *, step_id: int | None = None) -> Claim | None:
    """Claim one due scheduled step of the instance for ``worker``, or None if there is none."""
    if not StepRun.objects.filter(instance_id=instance_id, status=S.SCHEDULED).exists():
        return None  # the common no-op doorbell costs one indexed read, no lock
    try:
        _, claim = transition(instance_id, None, claim_for=worker, claim_only=step_id)
    except Instance.DoesNotExist:
        return None
    return claim


def complete_attempt(claim: Claim, output: Any, *, worker: str, claim_next: bool = True) -> Claim | None:
    """Record a successful attempt; idempotent. Returns the next step this worker now owns."""
    return _finish(claim, worker, claim_next, d.AttemptCompleted(claim.node_id, claim.attempt, output, claim.item, worker))


def fail_attempt(claim: Claim, failure: Failure, *, worker: str, timed_out: bool = False, claim_next: bool = True) -> Claim | None:
    return _finish(claim, worker, claim_next, d.AttemptFailed(claim.node_id, claim.attempt, failure, timed_out, claim.item, worker))


def _finish(claim: Claim, worker: str, claim_next: bool, event) -> Claim | None:
    # Only the worker that owns the attempt may finish it (the event names it): a late result from
    # a worker whose lease expired, and whose attempt was failed and retried, changes nothing.
    item = (claim.node_id, claim.item) if claim.item else None
    _, nxt = transition(claim.instance_id, lambda rows: event, claim_for=worker if claim_next else None, item=item)
    return nxt


def renew_lease(step_id: int, worker: str) -> bool:
    """Extend a running step's lease; False when the worker no longer owns it (stop working)."""
    until = to_dt(time.time() + settings.FLOWDESK["LEASE_S"])
    return bool(StepRun.objects.filter(pk=step_id, status=S.RUNNING, worker=worker).update(lease_until=until))
