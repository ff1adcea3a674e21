"""What a django-q2 worker runs: claim an instance's ready steps, run them, record the outcome.

Eager continuation (DESIGN §5, speed): recording an outcome and claiming the instance's next
ready step happen in one transaction, so a worker walks a chain of steps with one commit per step
and no queue round trip, while every step is still committed before the next one starts.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from django.conf import settings

from workflows import dispatch, engine, faults
from workflows.core.decider import failure_from
from workflows.core.errors import Failure
from workflows.core.steps import StepContext, step_types
from workflows.models import Fault

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def drain(instance_id: str) -> int:
    """Run the instance's ready steps until none is left or the time budget is spent."""
    me = worker_name()
    budget_end = time.monotonic() + settings.FLOWDESK["DRAIN_BUDGET_S"]
    # A claim that raises (a transition that cannot be applied) is a fault of this instance only.
    claim = faults.isolated(Fault.Source.COMMIT, f"claim:{instance_id}", lambda: engine.claim_step(instance_id, me), instance_id=instance_id)
    ran = 0
    while claim is not None:
        ok, result = run_attempt(claim, me)
        ran += 1
        if ok is None:
            claim = None  # we lost the step (cancelled, or our lease expired): stop quietly
            break
        keep_going = time.monotonic() < budget_end
        claim = record_outcome(claim, ok, result, me, claim_next=keep_going)
        if claim is None and keep_going:
            # Nothing handed over (the result found the instance busy and went to its inbox, or
            # this branch ended): other steps of the instance may be due, with no doorbell left.
            claim = faults.isolated(Fault.Source.COMMIT, f"claim:{instance_id}", lambda: engine.claim_step(instance_id, me), instance_id=instance_id)
        if claim is None:
            break
        if not keep_going:
            dispatch.ring(instance_id)  # yield to other instances; come back through the queue
            break
    return ran


def record_outcome(claim: engine.Claim, ok: bool, result: Any, me: str, *, claim_next: bool) -> engine.Claim | None:
    """Commit the attempt's outcome (and claim the next step). A commit that raises is recorded as
    a fault and turned into a failed attempt, so the step does not sit ``running`` until its lease
    expires; if even that cannot be written, the lease expiry (isolated too) takes over."""
    try:
        if ok:
            return engine.complete_attempt(claim, result, worker=me, claim_next=claim_next)
        return engine.fail_attempt(claim, result, worker=me, timed_out=result.type == "StepTimeout", claim_next=claim_next)
    except Exception as exc:
        faults.record(Fault.Source.COMMIT, claim.step_id, exc, instance_id=claim.instance_id)
        failure = Failure("CommitFailed", f"recording the step's result failed: {type(exc).__name__}: {exc}", retryable=True)
        faults.isolated(
            Fault.Source.COMMIT, f"{claim.step_id}:failure", lambda: engine.fail_attempt(claim, failure, worker=me, claim_next=False),
            instance_id=claim.instance_id,
        )  # fmt: skip
        return None


def run_attempt(claim: engine.Claim, me: str) -> tuple[bool | None, Any]:
    """Run one attempt: ``(True, output)``, ``(False, Failure)``, or ``(None, None)`` if lost.

    The handler runs in a thread so the worker can renew its lease while it runs and give up
    at the step's deadline; a handler that hangs is abandoned, not waited for.
    """
    if claim.mock is not None:  # a test run: the mock answers instead of the handler
        fail = claim.mock.get("fail")
        if fail:
            return False, Failure(fail["type"], fail.get("message") or "mocked failure", retryable=False)
        return True, claim.mock.get("output")
    config = engine.graph_of(claim.version_id).nodes[claim.node_id].config
    step_type = step_types.get(claim.node_type)
    gave_up = threading.Event()
    ctx = StepContext(
        instance_id=str(claim.instance_id),
        node_id=claim.node_id,
        attempt=claim.attempt,
        idempotency_key=claim.idempotency_key,
        deadline=claim.deadline,
        vars=claim.vars,
        heartbeat=lambda: engine.renew_lease(claim.step_id, me),
        egress=settings.FLOWDESK_EGRESS,
        abandoned=gave_up.is_set,
    )
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["output"] = step_type.execute(config, claim.input, ctx)
        except BaseException as exc:  # errors are data: the worker never dies of a handler's exception
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"step-{claim.step_id}", daemon=True)
    thread.start()
    renew_every = settings.FLOWDESK["LEASE_S"] / 3
    while True:
        remaining = (claim.deadline or float("inf")) - time.time()
        thread.join(timeout=max(0.0, min(renew_every, remaining)))
        if not thread.is_alive():
            break
        if time.time() >= (claim.deadline or float("inf")):
            gave_up.set()
            return False, Failure("StepTimeout", "the step did not finish within its timeout", retryable=True)
        if not engine.renew_lease(claim.step_id, me):
            gave_up.set()
            return None, None
    if "error" in box:
        return False, failure_from(box["error"])
    return True, box.get("output")  # the engine checks it is storable JSON before recording it

