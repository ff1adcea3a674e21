"""One transition: lock the instance, read what is committed, decide, write, commit; ring the
dispatch doorbell only after commit (DESIGN §5). Every change of status goes through here."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from workflows import dispatch
from workflows.core import decider as d
from workflows.models import Instance

from . import rows as reads
from .clock import to_epoch
from .graphs import graph_of, limits
from .writer import Writer


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


def idempotency_key(row) -> str:
    """Stable across attempts of one logical step, so handlers can de-duplicate side effects."""
    suffix = f":{row.item_key}" if row.item_key else ""
    return f"{row.instance_id}:{row.node_id}{suffix}"


def transition(instance_id, make_event, *, check=None, claim_for: str | None = None, claim_only: int | None = None):
    """Lock, snapshot, decide, apply, commit; ring the doorbell after commit.

    ``make_event(snapshot, rows)`` returns the event to decide on (or None for nothing to decide);
    ``check(instance, rows)`` may raise to refuse; ``claim_for`` claims one due step for a worker
    in the same transaction (eager continuation). Returns ``(instance, claim)``.
    """
    now = time.time()
    with transaction.atomic():
        instance = reads.lock(instance_id)
        rows = reads.rows_now(instance)
        if check is not None:
            check(instance, rows)
        writer = Writer(instance, rows, now)
        snapshot = reads.snapshot(instance, rows, now)
        event = make_event(snapshot, rows)
        if event is not None:
            graph = graph_of(instance.version_id)
            writer.apply(d.decide(graph, snapshot, event, limits=limits()), graph)
        claimed = writer.claim(claim_for, only=claim_only) if claim_for else None
        writer.save()
        kept = (instance.pk, instance.last_seq, writer.rows)
        transaction.on_commit(lambda: reads.seen.keep(*kept))
        extra = writer.due_steps
        if extra:
            count = min(extra, settings.FLOWDESK["DISPATCH_FANOUT"])
            transaction.on_commit(lambda: dispatch.ring(instance.pk, count))
    return instance, (_claim_of(claimed, instance) if claimed is not None else None)


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
    )
