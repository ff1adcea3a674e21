"""One transition: lock the instance, read what is committed and what waits in its inbox, decide,
write, commit; ring the dispatch doorbell and deliver to other inboxes only after commit
(DESIGN §5, §5b). Every change of status goes through here."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from workflows import dispatch, sql
from workflows.core import decider as d
from workflows.core.status import StepStatus as S
from workflows.models import Instance

from . import rows as reads
from .clock import to_epoch
from .graphs import graph_of, limits
from .writer import Writer

log = logging.getLogger(__name__)
_deliveries = threading.local()  # a delivery's own deliveries queue up here instead of recursing


@dataclass(frozen=True)
class Claim:
    """A step a worker now owns: everything it needs to run the attempt."""

    step_id: int
    instance_id: Any
    version_id: int
    node_id: str
    node_type: str
    attempt: int
    input: Any
    deadline: float | None
    idempotency_key: str
    vars: dict
    mock: dict | None = None  # a test run's stand-in for this node
    item: str = ""
    compensation: bool = False  # run the node's compensate handler (saga)
    priority: int = 50  # the instance's


def idempotency_key(row) -> str:
    """Stable across attempts of one logical step, so handlers can de-duplicate side effects."""
    suffix = f":{row.item_key}" if row.item_key else ""
    return f"{row.instance_id}:{row.node_id}{suffix}"


def transition(
    instance_id,
    make_event=None,
    *,
    check=None,
    claim_for: str | None = None,
    claim_count: int = 1,
    claim_only: int | None = None,
    items: list[tuple[str, str]] = (),
    timer: tuple[int, Any, list] | None = None,
):
    """Lock, read the inbox, snapshot, decide, apply, commit; then ring and deliver.

    ``make_event(rows)`` returns the caller's own event or events (or None), decided after the
    inbox's messages; ``check(instance, rows)`` may raise to refuse; ``claim_for`` claims up to
    ``claim_count`` due steps for a worker in the same transaction (eager continuation); ``items``
    are the (node, item) keys the own events are about, read with the lock; ``timer`` a due timer
    to fire (``rows.read``). Returns ``(instance, claims)``.
    """
    now = time.time()
    with transaction.atomic():
        instance, rows, events = reads.read(instance_id, items, timer)
        # at commit, what this transition leaves (rows are updated in place, last_seq too)
        transaction.on_commit(lambda: reads.seen.keep(instance.pk, instance.last_seq, rows))
        if make_event is None and claim_for is None and not events:
            return instance, []  # a delivery that an earlier transition already consumed
        if check is not None:
            check(instance, rows)
        own = make_event(rows) if make_event is not None else None
        events.extend(own if isinstance(own, list) else [] if own is None else [own])
        events = _current(events, rows)
        writer = Writer(instance, rows, now)
        writer.claim_for = claim_for if claim_only is None else None
        writer.claim_room = claim_count if claim_for and claim_only is None else 0
        if events:
            graph = graph_of(instance.version_id)
            snapshot = reads.snapshot(instance, rows, now)
            writer.apply(d.decide(graph, snapshot, events, limits=limits()), graph)
        claimed = writer.claim(claim_for, claim_count - len(writer.item_claims), only=claim_only) if claim_for else []
        writer.save()
        claimed += writer.items_claimed
        if claim_for and len(claimed) < claim_count and claim_only is None and _items_may_be_due(writer.rows, instance):
            more = writer.claim_items(claim_for, claim_count - len(claimed))
            if more:
                writer.save()
                claimed += more
        _ring_and_deliver(instance, writer)
        for child in writer.new_children:
            start_new(child, now)
        # Made now: the hooks above run at commit, and a delivery re-uses (and clears) these rows.
        claims = [_claim_of(row, instance) for row in claimed]
    return instance, claims


def deliver(*instance_ids) -> None:
    """Let each instance consume its inbox now (called after commit, holding no lock). Nested
    deliveries (a child's end reaching its parent, whose end reaches its own) queue up here
    instead of recursing."""
    queue = getattr(_deliveries, "queue", None)
    if queue is not None:
        queue.extend(instance_ids)
        return
    queue = _deliveries.queue = deque(instance_ids)
    try:
        while queue:
            instance_id = queue.popleft()
            try:
                transition(instance_id, None)
            except Exception:
                # One instance that cannot consume its mail must not stop the others; the timer
                # loop's sweep (``stranded``) tries it again and records the fault.
                log.exception("delivering the inbox of %s failed", instance_id)
    finally:
        _deliveries.queue = None


def _ring_and_deliver(instance: Instance, writer: Writer) -> None:
    """At commit: ring for the steps this made due, deliver the mail it sent."""
    extra = writer.due_steps
    if extra:
        # each doorbell brings a worker that claims up to WORKER_SLOTS steps
        count = min(-(-extra // settings.FLOWDESK["WORKER_SLOTS"]), settings.FLOWDESK["DISPATCH_FANOUT"])
        transaction.on_commit(lambda: dispatch.ring(instance.pk, count))
    if writer.doorbells:
        doorbells = list(writer.doorbells)
        transaction.on_commit(lambda: deliver(*doorbells))


def start_new(instance: Instance, now: float) -> Instance:
    """Insert an instance and take its first decision, in the caller's transaction: a start, or a
    child its parent's transition created. Nobody can see or lock the row before this commits, so
    there is nothing to lock or read, and no second lock is waited for (the rule that keeps parents
    and children from deadlocking holds); the row, its first steps and events go out in one round
    trip, and a map starting 50 children starts them in its own transaction instead of delivering
    50 ``Start`` messages one by one after it."""
    rows = reads.Rows()
    rows.instance_id = instance.pk
    transaction.on_commit(lambda: reads.seen.keep(instance.pk, instance.last_seq, rows))
    writer = Writer(instance, rows, now)
    instance.created_at = writer.now_dt
    sql.insert(writer.batch, [instance])  # first in the batch: what follows refers to it
    graph = graph_of(instance.version_id)
    writer.apply(d.decide(graph, reads.snapshot(instance, rows, now, input=instance.input), [d.Start()], limits=limits()), graph)
    writer.save()
    _ring_and_deliver(instance, writer)
    for child in writer.new_children:
        start_new(child, now)
    return instance


def _items_may_be_due(rows: reads.Rows, instance: Instance) -> bool:
    """A map of handlers is waiting on its items, or a saga undoes one: one of them may be due
    (items are not in memory)."""
    current = (instance.saga or {}).get("current") or {}
    return bool(current.get("item")) or any(not k[1] and r.status == S.WAITING and r.node_type == "map" for k, r in rows.items())


def _current(events: list, rows: reads.Rows) -> list:
    """Drop a worker's result once it no longer owns the attempt (its lease expired and the
    attempt was failed and retried), and load the items the events name."""
    keys = [(e.node, e.item) for e in events if getattr(e, "item", "")]
    if keys:
        reads.load_items(rows, keys)
    kept = []
    for event in events:
        worker = getattr(event, "worker", "")
        if worker:
            row = rows.get((event.node, event.item))
            if row is None or row.status != S.RUNNING or row.worker != worker or row.attempt != event.attempt:
                continue
        kept.append(event)
    return kept


def _claim_of(row, instance: Instance) -> Claim:
    return Claim(
        step_id=row.pk,
        instance_id=instance.pk,
        version_id=instance.version_id,
        node_id=row.node_id,
        node_type=row.node_type,
        attempt=row.attempt,
        input=row.input,
        deadline=to_epoch(row.deadline_at),
        idempotency_key=idempotency_key(row),
        vars=dict(instance.vars or {}),
        mock=(instance.mocks or {}).get(row.node_id),
        item=row.item_key,
        compensation=bool(row.compensation),
        priority=instance.priority,
    )
