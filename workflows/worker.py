"""What a django-q2 worker runs: claim an instance's ready steps, run them, record the outcomes.

Eager continuation (DESIGN §5, speed): recording outcomes and claiming the instance's next ready
steps happen in one transaction, so a worker walks a chain of steps with one commit per step and
no queue round trip, while every step is still committed before the next one starts. A worker
runs up to ``WORKER_SLOTS`` steps of one instance at once (a fan-out, a map's items), each
handler on its own thread, and records those that ended together.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from typing import Any

from django.conf import settings
from django.db import connections

from workflows import engine, faults, mail
from workflows.core.decider import compensation_of, failure_from
from workflows.core.errors import Failure
from workflows.core.steps import StepContext, step_types
from workflows.core.steps.base import WORKER_PROPERTIES
from workflows.core.values import InvalidValue, check, clamp
from workflows.models import Fault

log = logging.getLogger(__name__)

YIELD_CHECK_S = 0.05  # how often a worker continuing down one instance looks for higher-priority work
BEAT_WRITE_S = 0.25  # a heartbeat is written at most this often per attempt
HEARTBEAT_MAX_BYTES = 16_000  # its details are shown and handed to the next attempt: small


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def drain(instance_id: str) -> int:
    """Run the instance's ready steps, up to ``WORKER_SLOTS`` at once, until none is left or the
    time budget is spent. Returns how many attempts ran."""
    me = worker_name()
    slots = settings.FLOWDESK["WORKER_SLOTS"]
    budget_end = time.monotonic() + settings.FLOWDESK["DRAIN_BUDGET_S"]
    attempts = Attempts(me)
    new = _claim(instance_id, me, slots, best=True)
    served = max(new, key=lambda c: c.priority) if new else None
    attempts.start(new)
    ran = 0
    look_up_at = time.monotonic() + YIELD_CHECK_S
    while attempts.running:
        ended = attempts.wait()
        ran += len(ended)
        now = time.monotonic()
        keep_going = now < budget_end
        # Eager continuation yields to higher-priority work that came due meanwhile (looked for
        # every YIELD_CHECK_S): this instance's next steps go back to the queue's doorbells.
        yielding = False
        if keep_going and served is not None and now >= look_up_at:
            look_up_at = now + YIELD_CHECK_S
            yielding = faults.isolated(Fault.Source.DISPATCH, "priority", lambda: engine.picker.outranked(served.priority, time.time()), default=False)
        # Past the budget nothing new is claimed: the transition rings for the steps it makes due.
        room = slots - len(attempts.running) if keep_going and not yielding else 0
        new = record_outcomes([e for e in ended if e[1] is not None], me, claim=room)
        if not new and keep_going and not attempts.running and not yielding and served is not None:
            # Nothing handed over (this branch ended, or the results failed to commit): other steps
            # of the instance may be due, with no doorbell left.
            new = _claim(served.instance_id, me, slots)
        free = slots - len(attempts.running) - len(new)
        if keep_going and free > 0 and (yielding or not (new or attempts.running)):
            # Free slots go to whichever should go next: higher-priority work, or, when this
            # doorbell served another instance first, its own instance's steps.
            more = _claim(instance_id, me, free, best=True)
            new += more
            if more:
                served = max(more, key=lambda c: c.priority)
        attempts.start(new)
    return ran


def _claim(instance_id: str, me: str, count: int, *, best: bool = False) -> list[engine.Claim]:
    """A doorbell's first claim serves whichever instance should go next (priority,
    ``engine.Picker``), the doorbell's own when nothing else is due; later ones stay with it."""
    claim = engine.claim_best if best else engine.claim_steps
    # A claim that raises (a transition that cannot be applied) is a fault of this instance only.
    claims = faults.isolated(Fault.Source.COMMIT, f"claim:{instance_id}", lambda: claim(instance_id, me, count), instance_id=instance_id)
    return claims or []


def record_outcomes(ended: list[tuple[engine.Claim, bool, Any]], me: str, *, claim: int) -> list[engine.Claim]:
    """Commit the attempts' outcomes together and claim up to ``claim`` next steps.

    A commit that raises is recorded as a fault and the attempt failed (``CommitFailed``), so the
    step does not sit ``running`` until its lease expires; if even that cannot be written, the
    lease expiry (isolated too) takes over. A batch that raises is recorded one outcome at a time,
    so one result that cannot be written does not hold back the others'.
    """
    if not ended:
        return []
    by_instance: dict[Any, list] = {}
    for one in ended:
        by_instance.setdefault(one[0].instance_id, []).append(one)
    if len(by_instance) > 1:  # attempts of several instances (a worker filling its slots by priority)
        claimed: list[engine.Claim] = []
        for group in by_instance.values():
            claimed += record_outcomes(group, me, claim=claim - len(claimed))
        return claimed
    try:
        return engine.finish_attempts(ended, worker=me, claim=claim)
    except Exception as exc:
        if len(ended) > 1:
            log.warning("recording %d outcomes together failed (%s); recording them one by one", len(ended), exc)
            for one in ended:
                record_outcomes([one], me, claim=0)
            return []
        claimed = ended[0][0]
        faults.record(Fault.Source.COMMIT, claimed.step_id, exc, instance_id=claimed.instance_id)
        failure = Failure("CommitFailed", f"recording the step's result failed: {type(exc).__name__}: {exc}", retryable=True)
        faults.isolated(
            Fault.Source.COMMIT, f"{claimed.step_id}:failure", lambda: engine.fail_attempt(claimed, failure, worker=me, claim_next=False),
            instance_id=claimed.instance_id,
        )  # fmt: skip
        return []


def record_outcome(claim: engine.Claim, ok: bool, result: Any, me: str, *, claim_next: bool) -> engine.Claim | None:
    """Commit one attempt's outcome (and claim the next step): ``record_outcomes`` for one."""
    claims = record_outcomes([(claim, ok, result)], me, claim=int(claim_next))
    return claims[0] if claims else None


def run_attempt(claim: engine.Claim, me: str) -> tuple[bool | None, Any]:
    """Run one attempt: ``(True, output)``, ``(False, Failure)``, or ``(None, None)`` if lost."""
    attempts = Attempts(me)
    attempts.start([claim])
    ((_, ok, result),) = attempts.wait()
    return ok, result


class _Attempt:
    """One attempt's handler, on a thread of its own."""

    def __init__(self, claim: engine.Claim, me: str, ended: queue.SimpleQueue):
        self.claim = claim
        self.gave_up = threading.Event()
        self.result: tuple[bool, Any] | None = None
        self.heartbeat_s, self.beat_at, self.written_at, self.unwritten = None, time.time(), 0.0, None
        if claim.mock is not None:  # a test run: the mock answers instead of the handler
            fail = claim.mock.get("fail")
            if fail:
                self.result = (False, Failure(fail["type"], fail.get("message") or "mocked failure", retryable=False))
            else:
                self.result = (True, claim.mock.get("output"))
            ended.put(self)
            return
        config = engine.graph_of(claim.version_id).nodes[claim.node_id].config
        if claim.compensation:  # the saga undoes this step: its compensate handler runs instead
            config = {**config, "handler": compensation_of(config)[0]}
        step_type = step_types.get(claim.node_type)
        #: with ``heartbeat_s``, silence for longer than that fails the attempt (``Attempts.wait``)
        self.heartbeat_s = clamp(config.get("heartbeat_s"), WORKER_PROPERTIES["heartbeat_s"])
        ctx = StepContext(
            instance_id=str(claim.instance_id),
            node_id=claim.node_id,
            attempt=claim.attempt,
            idempotency_key=claim.idempotency_key,
            deadline=claim.deadline,
            vars=claim.vars,
            heartbeat=lambda details=None: self.heartbeat(me, details),
            heartbeat_details=engine.last_heartbeat(claim),
            egress=settings.FLOWDESK_EGRESS,
            abandoned=self.gave_up.is_set,
            mail=mail.send,
        )

        def target() -> None:
            try:
                self.result = (True, step_type.execute(config, claim.input, ctx))
            except BaseException as exc:  # errors are data: the worker never dies of a handler's exception
                self.result = (False, failure_from(exc))
            if self.unwritten is not None:  # the last details, held back by the throttle, are shown too
                faults.isolated(Fault.Source.COMMIT, f"heartbeat:{claim.step_id}", lambda: engine.heartbeat(claim.step_id, me, self.unwritten), instance_id=claim.instance_id)
            ended.put(self)

        threads.run(target)

    def heartbeat(self, me: str, details: Any) -> None:
        """On the handler's thread: note the beat; write it (lease, details) at most every
        ``BEAT_WRITE_S``, so a handler beating in a tight loop does not hammer the database."""
        self.beat_at = now = time.time()
        if details is not None:
            try:
                check(details, where="heartbeat details", max_bytes=HEARTBEAT_MAX_BYTES)
            except InvalidValue as exc:
                raise ValueError(str(exc)) from None
        if self.gave_up.is_set():
            return
        if now - self.written_at >= BEAT_WRITE_S:
            self.written_at, self.unwritten = now, None
            engine.heartbeat(self.claim.step_id, me, details)
        elif details is not None:
            self.unwritten = details

    def due(self) -> float:
        """When the worker gives up on it: its deadline, or its heartbeat's."""
        beat = self.beat_at + self.heartbeat_s if self.heartbeat_s else float("inf")
        return min(self.claim.deadline or float("inf"), beat)


class _Threads:
    """Handler threads, kept for the next attempt: starting a thread waits for it to be scheduled,
    about a millisecond on a busy 2-core machine, and a fan-out of 200 started 200. A thread whose
    handler hangs is abandoned with it; another is started when no kept one is free."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.idle = 0
        self.lock = threading.Lock()
        self.pid = os.getpid()

    def run(self, job) -> None:
        with self.lock:
            if self.pid != os.getpid():  # a forked worker process: the parent's threads are not here
                self.jobs, self.idle, self.pid = queue.SimpleQueue(), 0, os.getpid()
            spawn = self.idle == 0
            if not spawn:
                self.idle -= 1
            jobs = self.jobs
        jobs.put(job)
        if spawn:
            threading.Thread(target=self._serve, args=(jobs,), name="flowdesk-handler", daemon=True).start()

    def _serve(self, jobs: queue.SimpleQueue) -> None:
        while True:
            jobs.get()()  # the job catches its handler's errors itself
            connections.close_all()  # what a handler opened (a heartbeat, the ORM) is not kept by an idle thread
            with self.lock:
                if jobs is not self.jobs:
                    return
                self.idle += 1


threads = _Threads()


class Attempts:
    """The attempts a worker runs at once. Each handler runs on its own thread, so the worker can
    renew all their leases together while they run and give up on one at its deadline; a handler
    that hangs is abandoned, not waited for."""

    def __init__(self, me: str):
        self.me = me
        self.running: dict[int, _Attempt] = {}
        self.ended: queue.SimpleQueue = queue.SimpleQueue()
        self.renew_every = settings.FLOWDESK["LEASE_S"] / 3
        self.renew_at = time.time() + self.renew_every

    def start(self, claims: list[engine.Claim]) -> None:
        for claim in claims:
            self.running[claim.step_id] = _Attempt(claim, self.me, self.ended)

    def wait(self) -> list[tuple[engine.Claim, bool | None, Any]]:
        """Block until at least one attempt ends; every attempt that ended by then, as
        ``(claim, True, output)``, ``(claim, False, Failure)`` or ``(claim, None, None)`` if lost
        (cancelled, or its lease expired: the worker stops quietly)."""
        while True:
            now = time.time()
            deadline = min((a.due() for a in self.running.values()), default=float("inf"))
            finished: list[_Attempt] = []
            try:
                finished.append(self.ended.get(timeout=max(0.0, min(self.renew_at, deadline) - now)))
                while True:
                    finished.append(self.ended.get_nowait())
            except queue.Empty:
                pass
            # one given up on (timed out or lost) may still end later: it is no longer ours
            ended = [(a.claim, *a.result) for a in finished if self.running.pop(a.claim.step_id, None) is a]
            now = time.time()
            for step_id, attempt in list(self.running.items()):
                if now >= (attempt.claim.deadline or float("inf")):
                    failure = Failure("StepTimeout", "the step did not finish within its timeout", retryable=True)
                elif now >= attempt.due():
                    failure = Failure("HeartbeatTimeout", f"the handler sent no heartbeat for {attempt.heartbeat_s:g} s", retryable=True)
                else:
                    continue
                del self.running[step_id]
                attempt.gave_up.set()
                ended.append((attempt.claim, False, failure))
            if now >= self.renew_at:
                if self.running:
                    owned = engine.renew_leases(list(self.running), self.me)
                    for step_id in [s for s in self.running if s not in owned]:
                        attempt = self.running.pop(step_id)
                        attempt.gave_up.set()
                        ended.append((attempt.claim, None, None))
                self.renew_at = now + self.renew_every
            if ended:
                return ended
