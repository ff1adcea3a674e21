"""Writes what the decider commanded: each command becomes row changes and an Event, all sent to
PostgreSQL together at ``save`` (one round trip for a transition's writes, ``workflows.sql``).

What involves another existing instance goes through that instance's inbox, never its lock
(DESIGN §5b): cancelling a child appends its ``CancelRequested``, a child's end a ``ChildEnded``
to its parent. ``doorbells`` lists who to ``deliver`` to once this commits. A child is created
here (``new_children``) and takes its first decision in the same transaction (``transition``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, models

from workflows import sql
from workflows.core import decider as d
from workflows.core import messages
from workflows.core.errors import Failure
from workflows.core.graph import Graph
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S
from workflows.core.status import can_instance, can_step
from workflows.core.steps.base import WORKER_PROPERTIES
from workflows.core.values import clamp
from workflows.models import Event, InboxMessage, Instance, Signal, StepRun, Template, TemplateVersion, Timer

from .clock import to_dt
from .graphs import graph_of
from .rows import Row, Rows, _Row

_ACTIVE = [str(s) for s in (S.PENDING, S.SCHEDULED, S.RUNNING, S.WAITING)]
_OPEN = [str(s) for s in (I.PENDING, I.RUNNING, I.PAUSED)]

#: Notified (``pg_notify``) with the instance id by every transition that wrote events; the web
#: processes' live relays LISTEN on it (``workflows.live``). Here, so workers never import Channels.
CHANNEL = "flowdesk_events"


class Writer:
    """Applies decider commands to the locked instance, one Event per change."""

    def __init__(self, instance: Instance, rows: Rows, now: float):
        self.instance = instance
        self.rows = rows  # latest attempt per (node, item) loaded
        self.now = now
        self.now_dt = to_dt(now)
        self.events: list[Event] = []
        self.new_steps: list[StepRun] = []
        self.instance_fields: set[str] = set()
        self.due_steps = 0  # scheduled steps claimable now, created in this transaction
        self.batch = sql.Batch()  # the writes, sent together at save()
        self.claimed: list[tuple[Row, int]] = []  # pre-existing rows claimed, their statements
        self.items: dict[str, dict[str, StepRun]] = {}  # items created in this transaction, per node
        self.started: list[tuple[int, str]] = []  # (statement, node) of pending items turned waiting
        self.children: list[tuple[Any, d.StartChild]] = []  # (step row or pk, command) to start
        self.cancelled: list[int] = []  # statements returning steps whose waited children must cancel
        self.cancel_children = False
        self.doorbells: list[Any] = []  # instances with new mail, to deliver to after commit
        self.new_children: list[Instance] = []  # created here: the transition starts them here too
        self.mail: list[tuple[Any, object]] = []
        self.released: int | None = None  # the statement releasing held messages (a resume)
        #: a worker this transition may hand up to ``claim_room`` started items to (eager
        #: continuation through a map: items that start as others end go to the worker that
        #: ended them, no queue)
        self.claim_for: str | None = None
        self.claim_room = 0
        self.item_claims: list[tuple[int, str, str, datetime]] = []  # statement, node, its type, deadline
        self.items_claimed: list[Row] = []

    def event(self, type: str, node_id: str = "", attempt: int | None = None, item: str = "", **data: Any) -> None:
        self.instance.last_seq += 1
        self.events.append(
            Event(
                instance_id=self.instance.pk, seq=self.instance.last_seq, type=type, node_id=node_id, item_key=item, attempt=attempt, data=data
            )
        )

    def send(self, instance_id, event: object) -> None:
        self.mail.append((instance_id, event))

    def apply(self, commands: Iterable[d.Command], graph: Graph) -> None:
        for command in commands:
            getattr(self, "apply_" + type(command).__name__)(command, graph)

    def apply_SetInstanceStatus(self, c: d.SetInstanceStatus, graph: Graph) -> None:
        inst = self.instance
        if not can_instance(inst.status, c.status):
            raise RuntimeError(f"instance {inst.pk}: {inst.status} -> {c.status} is not allowed")
        was = inst.status
        inst.status = c.status
        self.instance_fields.add("status")
        data: dict[str, Any] = {"by": c.by} if c.by else {}
        if c.saga is not None:
            inst.saga = dict(c.saga)
            self.instance_fields.add("saga")
        if c.status == I.PAUSED or was == I.PAUSED and c.status == I.RUNNING:
            pass  # paused and resumed: started, deadline and the rest stand
        elif c.status == I.RUNNING:
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
            data.update({"output": c.output} if c.status == I.COMPLETED else {"error": inst.error})
            if inst.parent_step_id and inst.waited:
                self.tell_parent(c)
            # what was held for a resume that will not come: nothing will take it
            self.batch.add(f"DELETE FROM {sql.table(InboxMessage)} WHERE {sql.column(InboxMessage, 'instance')} = %s AND held", [self.pk_value])
        self.event("instance_" + str(c.status), **data)

    def tell_parent(self, c: d.SetInstanceStatus) -> None:
        step = StepRun.objects.filter(pk=self.instance.parent_step_id).values("instance_id", "node_id", "item_key", "attempt").first()
        if step is not None:
            ended = d.ChildEnded(step["node_id"], step["attempt"], step["item_key"], str(self.instance.pk), str(c.status), c.output, c.error)
            self.send(step["instance_id"], ended)

    def apply_CreateAttempt(self, c: d.CreateAttempt, graph: Graph) -> None:
        node = graph.nodes[c.node]
        row = StepRun(
            instance_id=self.instance.pk,
            node_id=c.node,
            node_type=node.type,
            item_key=c.item,
            attempt=c.attempt,
            status=c.status,
            input=c.input,
            output=c.output,
            ports=list(c.ports),
            scheduled_at=self.now_dt,
            not_before=to_dt(c.not_before),
            lost=c.lost,
            priority=self.instance.priority,
            compensation=c.compensation,
        )
        if c.status.is_final:
            row.started_at = row.finished_at = self.now_dt
        elif c.status == S.WAITING:
            row.started_at = self.now_dt
        _set_failure(row, c.failure)
        self.new_steps.append(row)
        self.rows[(c.node, c.item)] = row
        if c.status == S.SCHEDULED and c.not_before is None:
            self.due_steps += 1
        data = _outcome_data(c.status, c.output, c.ports, c.failure)
        if c.not_before is not None:
            data["not_before"] = row.not_before.isoformat()
        if c.compensation:
            data["compensation"] = True
        self.event("step_" + str(c.status), c.node, c.attempt, c.item, **data)

    def apply_FinishAttempt(self, c: d.FinishAttempt, graph: Graph) -> None:
        row = self.rows[(c.node, c.item)]
        if not can_step(row.status, c.status):
            raise RuntimeError(f"step {c.node}#{c.attempt}: {row.status} -> {c.status} is not allowed")
        row.status, row.output, row.ports, row.finished_at = c.status, c.output, list(c.ports), self.now_dt
        row.lease_until = None
        _set_failure(row, c.failure)
        if row.node_type == "approval" and c.status != S.COMPLETED:
            self.withdraw_task(c)
        if row.pk:  # rows created in this transaction are inserted later with their final state
            changes = {"status": row.status, "output": row.output, "ports": row.ports, "finished_at": row.finished_at, "lease_until": None}
            if c.failure is not None:
                changes.update(error_type=row.error_type, error_message=row.error_message, error_traceback=row.error_traceback)
            sql.update(self.batch, StepRun, row.pk, changes)
        self.event("step_" + str(c.status), c.node, c.attempt, c.item, **_outcome_data(c.status, c.output, c.ports, c.failure))

    def apply_MakeDue(self, c: d.MakeDue, graph: Graph) -> None:
        row = self.rows[(c.node, c.item)]
        row.not_before = None
        if row.pk:
            sql.update(self.batch, StepRun, row.pk, {"not_before": None})
        self.due_steps += 1
        self.event("step_due", c.node, c.attempt, c.item)

    def apply_SetState(self, c: d.SetState, graph: Graph) -> None:
        row = self.rows[(c.node, "")]
        row.state = dict(c.state)
        if row.pk:
            sql.update(self.batch, StepRun, row.pk, {"state": row.state})

    def apply_CreateItems(self, c: d.CreateItems, graph: Graph) -> None:
        """Pending rows for every item; a map run again (an operator's retry) numbers each item's
        attempts on from the last run's."""
        node = graph.nodes[c.node]
        previous: dict[str, int] = {}
        if self.rows[(c.node, "")].attempt > 1:
            found = StepRun.objects.filter(instance_id=self.instance.pk, node_id=c.node).exclude(item_key="")
            previous = {k: n for k, n in found.values("item_key").annotate(n=models.Max("attempt")).values_list("item_key", "n")}
        created = self.items.setdefault(c.node, {})
        for index, value in enumerate(c.inputs):
            item = str(index)
            row = StepRun(
                instance_id=self.instance.pk, node_id=c.node, node_type=node.type, item_key=item, attempt=previous.get(item, 0) + 1,
                status=S.PENDING, input=value, ports=[], scheduled_at=self.now_dt, priority=self.instance.priority,
            )  # fmt: skip
            created[item] = row
            self.new_steps.append(row)
        self.event("items_created", c.node, None, count=len(c.inputs))

    def apply_StartItems(self, c: d.StartItems, graph: Graph) -> None:
        status = S.WAITING if c.child else S.SCHEDULED
        created = self.items.get(c.node, {})
        waiting = []
        for item in c.items:
            row = created.get(item)
            if row is not None:
                row.status = status
                if c.child:
                    row.started_at = self.now_dt
                    self.children.append((row, None))
                else:
                    self.rows[(c.node, item)] = row  # claimable in this transaction
            else:
                waiting.append(item)
            self.event("step_" + str(status), c.node, None, item)
        if not c.child:
            self.due_steps += len(c.items)
        if waiting:
            changes = {"status": status, "scheduled_at": self.now_dt}
            if c.child:
                changes["started_at"] = self.now_dt
            column = sql.column(StepRun, "item_key")
            while not c.child and self.claim_for and self.claim_room > 0 and waiting and self.instance.status == I.RUNNING:
                item, *waiting = waiting
                deadline = to_dt(self.now + _timeout(graph.nodes[c.node]))
                claim = {**changes, "status": S.RUNNING, "worker": self.claim_for, "started_at": self.now_dt,
                         "lease_until": to_dt(self.now + settings.FLOWDESK["LEASE_S"]), "deadline_at": deadline}  # fmt: skip
                statement = _update_items(self.batch, self.instance.pk, c.node, claim, f"{column} = %s", [item], [str(S.PENDING)], returning=True)
                self.item_claims.append((statement, c.node, graph.nodes[c.node].type, deadline))
                self.claim_room -= 1
                self.due_steps -= 1
                self.event("step_running", c.node, None, item, worker=self.claim_for)
            for item in waiting:  # by equality on the unique index's columns: one row read, not the map's N
                statement = _update_items(self.batch, self.instance.pk, c.node, changes, f"{column} = %s", [item], [str(S.PENDING)], returning=c.child)
                if c.child:
                    self.started.append((statement, c.node))

    def apply_CancelItems(self, c: d.CancelItems, graph: Graph) -> None:
        for row in self.items.get(c.node, {}).values():
            if row.status in _ACTIVE:
                row.status, row.finished_at = S.CANCELLED, self.now_dt
        for (node, item), row in self.rows.items():
            if node == c.node and item and row.status in _ACTIVE:
                row.status = S.CANCELLED
        changes = {"status": S.CANCELLED, "finished_at": self.now_dt, "lease_until": None}
        self.cancelled.append(_update_items(self.batch, self.instance.pk, c.node, changes, f"{sql.column(StepRun, 'item_key')} <> ''", [], _ACTIVE, returning=True))
        self.event("items_cancelled", c.node)

    def apply_StartChild(self, c: d.StartChild, graph: Graph) -> None:
        self.children.append((self.rows[(c.node, c.item)], c))

    def apply_CancelChildren(self, c: d.CancelChildren, graph: Graph) -> None:
        self.cancel_children = True

    def apply_TellChildren(self, c: d.TellChildren, graph: Graph) -> None:
        children = Instance.objects.filter(waited=True, status__in=_OPEN, parent_step__instance_id=self.instance.pk)
        for child in children.values_list("pk", flat=True):
            self.send(child, c.message)

    def apply_Hold(self, c: d.Hold, graph: Graph) -> None:
        message = InboxMessage(instance_id=self.instance.pk, message=messages.encode(c.message), created_at=self.now_dt, held=True)
        sql.insert(self.batch, [message])

    def apply_ReleaseHeld(self, c: d.ReleaseHeld, graph: Graph) -> None:
        table, instance = sql.table(InboxMessage), sql.column(InboxMessage, "instance")
        self.released = self.batch.add(f"UPDATE {table} SET held = false WHERE {instance} = %s AND held RETURNING id", [self.pk_value], returns=True)

    def apply_SendSelf(self, c: d.SendSelf, graph: Graph) -> None:
        self.send(self.instance.pk, c.message)

    def apply_NoteSignal(self, c: d.NoteSignal, graph: Graph) -> None:
        data = {"name": c.name, "seq": c.seq, **({"by": c.by} if c.by else {})}
        self.event("signal_received", **data)

    def apply_TakeSignal(self, c: d.TakeSignal, graph: Graph) -> None:
        changes = {"delivered_at": self.now_dt, "node_id": c.node, "item_key": c.item}
        sql.update(self.batch, Signal, c.seq, changes)
        self.event("signal_delivered", c.node, c.attempt, c.item, seq=c.seq)

    # --- approval tasks (the ``approvals`` app keeps them; the step's transition opens and closes them)
    def apply_OpenTask(self, c: d.OpenTask, graph: Graph) -> None:
        from approvals import opening

        self.event("task_opened", c.node, c.attempt, **opening.open_task(self.instance, c.node, c.attempt, dict(c.spec), self.now_dt))

    def apply_UpdateTask(self, c: d.UpdateTask, graph: Graph) -> None:
        from approvals import opening

        if found := opening.update_task(self.instance, c.node, c.attempt, dict(c.change), self.now_dt):
            self.event(found[0], c.node, c.attempt, **found[1])

    def apply_NoteTask(self, c: d.NoteTask, graph: Graph) -> None:
        self.event("task_" + c.action, c.node, c.attempt, task=c.task, **({"by": c.by} if c.by else {}), **dict(c.data or {}))

    def withdraw_task(self, c: d.FinishAttempt) -> None:
        """An approval step ended without its decision: its open task is withdrawn."""
        from approvals import opening

        if (task := opening.withdraw(self.instance.pk, c.node, c.attempt, self.now_dt)) is not None:
            self.event("task_withdrawn", c.node, c.attempt, task=task)

    def apply_SetSaga(self, c: d.SetSaga, graph: Graph) -> None:
        first = self.instance.saga is None
        self.instance.saga = dict(c.saga)
        self.instance_fields.add("saga")
        if first:
            self.event("compensation_started", error=c.saga.get("error"))

    @property
    def pk_value(self):
        return sql.value(InboxMessage, "instance", self.instance.pk)

    def apply_SetVars(self, c: d.SetVars, graph: Graph) -> None:
        if self.instance.vars is None:
            self.instance.vars = {}
        self.instance.vars.update(c.values)  # in place: a transition setting many vars stays linear
        self.instance_fields.add("vars")
        self.event("vars_set", values=dict(c.values))

    def apply_StartTimer(self, c: d.StartTimer, graph: Graph) -> None:
        timer = Timer(
            instance_id=self.instance.pk, kind=c.kind, node_id=c.node, item_key=c.item, attempt=c.attempt, due_at=to_dt(c.due),
            message=messages.encode(c.message), created_at=self.now_dt,
        )  # fmt: skip
        sql.insert(self.batch, [timer])  # with the transition's other writes, in order with them
        if c.kind == "deadline":
            return  # the instance_running event already carries deadline_at
        self.event("timer_started", c.node, c.attempt or None, c.item, kind=c.kind, due_at=to_dt(c.due).isoformat())

    def apply_CancelTimers(self, c: d.CancelTimers, graph: Graph) -> None:
        self.batch.add(f"DELETE FROM {sql.table(Timer)} WHERE {sql.column(Timer, 'instance')} = %s", [self.pk_value])

    def claim(self, worker: str, count: int = 1, *, only: int | None = None) -> list[Row]:
        """Take up to ``count`` due scheduled steps of this instance for ``worker`` (in the same
        transaction), oldest first. Their pks are known after ``save()``, when the transition makes
        Claims of them."""
        if count <= 0 or self.instance.status != I.RUNNING:
            return []
        due = [r for r in self.rows.values() if r.status == S.SCHEDULED and (r.not_before is None or r.not_before <= self.now_dt)]
        if only is not None:
            due = [r for r in due if r.pk == only]
        due.sort(key=lambda r: (r.pk is None, r.pk or 0))
        graph = graph_of(self.instance.version_id)
        new = {id(r) for r in self.new_steps}
        for row in due[:count]:
            row.status, row.worker, row.started_at = S.RUNNING, worker, self.now_dt
            row.lease_until = to_dt(self.now + settings.FLOWDESK["LEASE_S"])
            row.deadline_at = to_dt(self.now + _timeout(graph.nodes[row.node_id]))
            if row.pk:
                changes = {"status": row.status, "worker": worker, "started_at": row.started_at, "lease_until": row.lease_until, "deadline_at": row.deadline_at}
                self.claimed.append((row, sql.update(self.batch, StepRun, row.pk, changes, returning=["input"])))
            elif id(row) in new:
                self.due_steps -= 1
            self.event("step_running", row.node_id, row.attempt, row.item_key, worker=worker)
        return due[:count]

    def claim_items(self, worker: str, count: int) -> list[Row]:
        """Take up to ``count`` due scheduled *items* for ``worker``: items are not all in memory,
        so this asks the database (after ``save``: what this transaction wrote is visible to it)."""
        if self.instance.status != I.RUNNING:
            return []
        now = self.now_dt
        found = (
            StepRun.objects.filter(instance_id=self.instance.pk, status=S.SCHEDULED)
            .exclude(item_key="")
            .filter(models.Q(not_before__isnull=True) | models.Q(not_before__lte=now))
            .order_by("pk")
            .values_list("pk", "node_id", "node_type", "item_key", "attempt", "worker", "lost", "compensation")[:count]
        )
        claimed = []
        for pk, node, node_type, item, attempt, worker_was, lost, undo in found:
            self.rows[(node, item)] = _Row(pk, self.instance.pk, node, node_type, item, attempt, str(S.SCHEDULED), [], None, worker_was, lost, undo)
            claimed += self.claim(worker, only=pk)
        return claimed

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
        if self.released is not None and results.get(self.released):
            self.doorbells.append(self.instance.pk)  # what was held is delivered next, in the order it was held
        self.released = None
        decode_input = StepRun._meta.get_field("input").from_db_value
        for row, index in self.claimed:
            ((stored,),) = results[index]
            row.input = decode_input(stored, None, connection)
        for index, node, node_type, deadline in self.item_claims:
            for pk, item, attempt, raw in results.get(index, []):
                self.items_claimed.append(
                    _Row(pk, self.instance.pk, node, node_type, item, attempt, str(S.RUNNING), [], None, self.claim_for, 0,
                         input=decode_input(raw, None, connection), deadline_at=deadline)
                )  # fmt: skip
        self.others(results)
        self.events, self.new_steps, self.instance_fields, self.claimed, self.item_claims = [], [], set(), [], []

    # --- other instances: through their inboxes -------------------------------------------------
    def others(self, results: dict[int, list[tuple]]) -> None:
        """Start children, cancel waited ones, tell a parent: rows and inbox messages, no locks."""
        decode = StepRun._meta.get_field("input").from_db_value
        for index, node in self.started:
            for pk, item, attempt, raw in results.get(index, []):
                row = _Row(pk, self.instance.pk, node, "", item, attempt, str(S.WAITING), [], None, "", 0, input=decode(raw, None, connection))
                self.children.append((row, None))
        if self.children:
            self.start_children()
        cancelled = [pk for index in self.cancelled for (pk, *_rest) in results.get(index, [])]
        if cancelled or self.cancel_children:
            children = Instance.objects.filter(waited=True, status__in=_OPEN)
            if self.cancel_children:
                children = children.filter(parent_step__instance_id=self.instance.pk)
            else:
                children = children.filter(parent_step_id__in=cancelled)
            reason = f"its parent {self.instance.pk} was cancelled or ended"
            for child in children.values_list("pk", flat=True):
                self.send(child, d.CancelRequested(reason))
        if self.mail:
            sql.insert(self.batch, [InboxMessage(instance_id=i, message=messages.encode(e), created_at=self.now_dt) for i, e in self.mail])
            self.doorbells.extend(dict.fromkeys(i for i, _ in self.mail))
            self.mail = []
        self.batch.run()  # the children and the messages: one round trip
        self.children, self.started, self.cancelled, self.cancel_children = [], [], [], False

    def start_children(self) -> None:
        """A child is a new pending instance, started by the transition that created it; one that
        cannot be created (no such template, too deep) is a ``ChildEnded`` failure in this
        instance's own inbox."""
        parent = self.instance
        limit = settings.FLOWDESK["MAX_DEPTH"]
        created = []
        for row, command in self.children:
            envelope = row.input or {}
            name, version, child_input = envelope.get("workflow"), envelope.get("version"), envelope.get("input") or {}
            child = d.child_id(str(parent.pk), row.node_id, row.item_key, row.attempt)
            wait = command.wait if command is not None else True
            resolved, problem = _resolve(name, version)
            if problem is None and parent.depth + 1 > limit:
                problem = ("NestingTooDeep", f"child workflows nest at most {limit} deep (FLOWDESK_MAX_DEPTH); does {name!r} start itself?")
            if problem is not None:
                error = {"type": problem[0], "message": problem[1]}
                self.send(parent.pk, d.ChildEnded(row.node_id, row.attempt, row.item_key, child, str(I.FAILED), None, error))
                continue
            template_id, version_id = resolved
            created.append(
                Instance(
                    id=child, template_id=template_id, version_id=version_id, input=child_input, priority=parent.priority,
                    business_key=parent.business_key, parent_step_id=row.pk, waited=wait, depth=parent.depth + 1, is_test=parent.is_test,
                )  # fmt: skip
            )
        self.new_children += created  # inserted and started by the transition (``start_new``)


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


def _timeout(node) -> float:
    return clamp(node.config.get("timeout_s"), WORKER_PROPERTIES["timeout_s"]) or settings.FLOWDESK["DEFAULT_STEP_TIMEOUT_S"]


def _update_items(batch: sql.Batch, instance_id, node: str, changes: dict, condition: str, params: list, statuses: list, *, returning: bool) -> int:
    """UPDATE the node's items in ``statuses`` matching ``condition`` (the engine's own SQL)."""
    meta = StepRun._meta
    sets, values = [], []
    for name, value in changes.items():
        field = meta.get_field(name)
        prepped = field.get_db_prep_value(value, connection, prepared=False)
        sets.append(f"{sql.column(StepRun, name)} = {'NULL' if prepped is None else '%s'}")
        if prepped is not None:
            values.append(prepped)
    status = ", ".join(["%s"] * len(statuses))
    where = (
        f"{sql.column(StepRun, 'instance')} = %s AND {sql.column(StepRun, 'node_id')} = %s AND {sql.column(StepRun, 'status')} IN ({status})"
        f" AND {condition}"
    )
    statement = f"UPDATE {sql.table(StepRun)} SET {', '.join(sets)} WHERE {where}"
    if returning:
        statement += f" RETURNING id, {sql.column(StepRun, 'item_key')}, {sql.column(StepRun, 'attempt')}, {sql.column(StepRun, 'input')}"
    return batch.add(statement, [*values, sql.value(StepRun, "instance", instance_id), node, *statuses, *params], returns=returning)


def _resolve(name: Any, version: Any) -> tuple[tuple[int, int] | None, tuple[str, str] | None]:
    """(template id, version id) of a child's template: a pinned published version, or the latest."""
    if not isinstance(name, str) or not name:
        return None, ("UnknownTemplate", "the child step names no workflow")
    which = (
        f"{sql.column(TemplateVersion, 'template')} = (SELECT id FROM {sql.table(Template)}"
        f" WHERE {sql.column(Template, 'name')} = %s AND {sql.column(Template, 'archived_at')} IS NULL)",
        [name],
    )  # plain SQL: compiling the ORM's join cost more than running it
    where = {"status": TemplateVersion.Status.PUBLISHED, **({"number": version} if version else {})}
    if found := sql.select(TemplateVersion, ("number", "template", "id"), where, also=which):
        return max(found)[1:], None  # one query when the child can start; the ones below say why it cannot
    template = Template.objects.filter(name=name).values_list("pk", "archived_at").first()
    if template is None:
        return None, ("UnknownTemplate", f"no template named {name!r}")
    if template[1] is not None:
        return None, ("ArchivedTemplate", f"template {name!r} is archived; it cannot start new instances")
    what = f"version {version}" if version else "a published version"
    return None, ("UnknownTemplate", f"template {name!r} has no {what}")
