"""Writes what the decider commanded: each command becomes row changes and an Event, all sent to
PostgreSQL together at ``save`` (one round trip for a transition's writes, ``workflows.sql``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection

from workflows import sql
from workflows.core import decider as d
from workflows.core.errors import Failure
from workflows.core.graph import Graph
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S
from workflows.core.status import can_instance, can_step
from workflows.core.steps.base import WORKER_PROPERTIES
from workflows.core.values import clamp
from workflows.models import Event, Instance, StepRun, Timer

from .clock import to_dt
from .graphs import graph_of
from .rows import Row, Rows

#: Notified (``pg_notify``) with the instance id by every transition that wrote events; the web
#: processes' live relays LISTEN on it (``workflows.live``). Here, so workers never import Channels.
CHANNEL = "flowdesk_events"


class Writer:
    """Applies decider commands to the locked instance, one Event per change."""

    def __init__(self, instance: Instance, rows: Rows, now: float):
        self.instance = instance
        self.rows = rows  # latest attempt per node
        self.now = now
        self.now_dt = to_dt(now)
        self.events: list[Event] = []
        self.new_steps: list[StepRun] = []
        self.instance_fields: set[str] = set()
        self.due_steps = 0  # scheduled steps claimable now, created in this transaction
        self.batch = sql.Batch()  # the writes, sent together at save()
        self.claimed: tuple[Row, int] | None = None  # a pre-existing row claimed, its statement

    def event(self, type: str, node_id: str = "", attempt: int | None = None, **data: Any) -> None:
        self.instance.last_seq += 1
        self.events.append(
            Event(instance_id=self.instance.pk, seq=self.instance.last_seq, type=type, node_id=node_id, attempt=attempt, data=data)
        )

    def apply(self, commands: Iterable[d.Command], graph: Graph) -> None:
        for command in commands:
            getattr(self, "apply_" + type(command).__name__)(command, graph)

    def apply_SetInstanceStatus(self, c: d.SetInstanceStatus, graph: Graph) -> None:
        inst = self.instance
        if not can_instance(inst.status, c.status):
            raise RuntimeError(f"instance {inst.pk}: {inst.status} -> {c.status} is not allowed")
        inst.status = c.status
        self.instance_fields.add("status")
        data: dict[str, Any] = {}
        if c.status == I.RUNNING:
            if inst.started_at is None:
                inst.started_at = self.now_dt
                self.instance_fields.add("started_at")
            inst.finished_at, inst.error = None, None
            self.instance_fields |= {"finished_at", "error"}
            if timeout := graph.timeout_s():
                inst.deadline_at = to_dt(self.now + timeout)
                self.instance_fields.add("deadline_at")
        else:
            inst.finished_at = self.now_dt
            inst.output = c.output
            inst.error = dict(c.error) if c.error else None
            self.instance_fields |= {"finished_at", "output", "error"}
            data = {"output": c.output} if c.status == I.COMPLETED else {"error": inst.error}
        self.event("instance_" + str(c.status), **data)

    def apply_CreateAttempt(self, c: d.CreateAttempt, graph: Graph) -> None:
        node = graph.nodes[c.node]
        row = StepRun(
            instance_id=self.instance.pk,
            node_id=c.node,
            node_type=node.type,
            attempt=c.attempt,
            status=c.status,
            input=c.input,
            output=c.output,
            ports=list(c.ports),
            scheduled_at=self.now_dt,
            not_before=to_dt(c.not_before),
            lost=c.lost,
        )
        if c.status.is_final:
            row.started_at = row.finished_at = self.now_dt
        elif c.status == S.WAITING:
            row.started_at = self.now_dt
        _set_failure(row, c.failure)
        self.new_steps.append(row)
        self.rows[c.node] = row
        if c.status == S.SCHEDULED and c.not_before is None:
            self.due_steps += 1
        data = _outcome_data(c.status, c.output, c.ports, c.failure)
        if c.not_before is not None:
            data["not_before"] = row.not_before.isoformat()
        self.event("step_" + str(c.status), c.node, c.attempt, **data)

    def apply_FinishAttempt(self, c: d.FinishAttempt, graph: Graph) -> None:
        row = self.rows[c.node]
        if not can_step(row.status, c.status):
            raise RuntimeError(f"step {c.node}#{c.attempt}: {row.status} -> {c.status} is not allowed")
        row.status, row.output, row.ports, row.finished_at = c.status, c.output, list(c.ports), self.now_dt
        row.lease_until = None
        _set_failure(row, c.failure)
        if row.pk:  # rows created in this transaction are inserted later with their final state
            changes = {"status": row.status, "output": row.output, "ports": row.ports, "finished_at": row.finished_at, "lease_until": None}
            if c.failure is not None:
                changes.update(error_type=row.error_type, error_message=row.error_message, error_traceback=row.error_traceback)
            sql.update(self.batch, StepRun, row.pk, changes)
        self.event("step_" + str(c.status), c.node, c.attempt, **_outcome_data(c.status, c.output, c.ports, c.failure))

    def apply_MakeDue(self, c: d.MakeDue, graph: Graph) -> None:
        row = self.rows[c.node]
        row.not_before = None
        if row.pk:
            sql.update(self.batch, StepRun, row.pk, {"not_before": None})
        self.event("step_due", c.node, c.attempt)

    def apply_SetVars(self, c: d.SetVars, graph: Graph) -> None:
        if self.instance.vars is None:
            self.instance.vars = {}
        self.instance.vars.update(c.values)  # in place: a transition setting many vars stays linear
        self.instance_fields.add("vars")
        self.event("vars_set", values=dict(c.values))

    def apply_StartTimer(self, c: d.StartTimer, graph: Graph) -> None:
        Timer.objects.create(instance_id=self.instance.pk, kind=c.kind, node_id=c.node, attempt=c.attempt, due_at=to_dt(c.due))
        if c.kind == "deadline":
            return  # the instance_running event already carries deadline_at
        self.event("timer_started", c.node, c.attempt or None, kind=c.kind, due_at=to_dt(c.due).isoformat())

    def apply_CancelTimers(self, c: d.CancelTimers, graph: Graph) -> None:
        Timer.objects.filter(instance_id=self.instance.pk).delete()

    def claim(self, worker: str, *, only: int | None = None) -> Row | None:
        """Take one due scheduled step of this instance for ``worker`` (in the same transaction)."""
        candidates = [r for r in self.rows.values() if r.status == S.SCHEDULED and (r.not_before is None or r.not_before <= self.now_dt)]
        if only is not None:
            candidates = [r for r in candidates if r.pk == only]
        if not candidates or self.instance.status != I.RUNNING:
            return None
        row = min(candidates, key=lambda r: (r.pk is None, r.pk or 0))
        node = graph_of(self.instance.version_id).nodes[row.node_id]
        timeout = clamp(node.config.get("timeout_s"), WORKER_PROPERTIES["timeout_s"]) or settings.FLOWDESK["DEFAULT_STEP_TIMEOUT_S"]
        row.status, row.worker, row.started_at = S.RUNNING, worker, self.now_dt
        row.lease_until = to_dt(self.now + settings.FLOWDESK["LEASE_S"])
        row.deadline_at = to_dt(self.now + timeout)
        if row.pk:
            changes = {"status": row.status, "worker": worker, "started_at": row.started_at, "lease_until": row.lease_until, "deadline_at": row.deadline_at}
            self.claimed = (row, sql.update(self.batch, StepRun, row.pk, changes, returning=["input"]))
        elif row in self.new_steps:
            self.due_steps -= 1
        self.event("step_running", row.node_id, row.attempt, worker=worker)
        return row  # its pk is known after save(), when the transition makes a Claim of it

    def save(self) -> None:
        new_steps = sql.insert(self.batch, self.new_steps)
        if self.events:
            for event in self.events:
                event.created_at = self.now_dt
            sql.insert(self.batch, self.events)
            self.instance_fields.add("last_seq")
        if self.instance_fields:
            sql.update(self.batch, Instance, self.instance.pk, {f: getattr(self.instance, f) for f in self.instance_fields})
        if self.events and connection.vendor == "postgresql":
            # the web processes' live relays hear of it on commit only (workflows/live.py)
            self.batch.add("SELECT pg_notify(%s, %s)", [CHANNEL, str(self.instance.pk)])
        results = self.batch.run()
        sql.assign_pks(results, new_steps)
        if self.claimed:
            row, index = self.claimed
            ((stored,),) = results[index]
            row.input = StepRun._meta.get_field("input").from_db_value(stored, None, connection)


def _set_failure(row: StepRun, failure: Failure | None) -> None:
    if failure is not None:
        row.error_type = failure.type[:200]
        row.error_message = failure.message
        row.error_traceback = failure.traceback


def _outcome_data(status: S, output: Any, ports, failure: Failure | None) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if status == S.COMPLETED:
        data["ports"] = list(ports)
    if failure is not None:
        data["error"] = {"type": failure.type, "message": failure.message}
        if ports:
            data["ports"] = list(ports)
    return data
