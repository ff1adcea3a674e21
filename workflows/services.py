"""The engine's service functions: the only code that changes an instance's or a step's status.

Each function is one transaction: lock the instance row, build a snapshot of what is committed,
let the pure decider say what happens next, apply its commands with their Events, and ring the
dispatch doorbell only after commit (DESIGN §5). Views, the API, the CLI, admin actions, the
timer loop and workers all call these functions.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from workflows import dispatch, faults, live, sql
from workflows.core import decider as d
from workflows.core.errors import Failure, InvalidGraph
from workflows.core.graph import Graph, behaviour_checksum
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S
from workflows.core.status import can_instance, can_step
from workflows.core.steps import step_types
from workflows.core.steps.base import WORKER_PROPERTIES
from workflows.core.values import Limits, clamp
from workflows.models import Event, Fault, Instance, StepRun, Template, TemplateVersion, Timer


class EngineError(Exception):
    """A request the engine refuses; ``code`` maps to an HTTP status in the API."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFound(EngineError):
    code = "not_found"


class Conflict(EngineError):
    """Not allowed in the current state (cancel a completed instance...)."""

    code = "conflict"


class InputTooLarge(EngineError):
    code = "too_large"


# --- time -------------------------------------------------------------------------------------------


def to_dt(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, timezone.utc)


def to_epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


# --- graphs -------------------------------------------------------------------------------------------

_graphs: dict[int, Graph] = {}


def graph_of(version_id: int) -> Graph:
    """The parsed graph of a version an instance runs, cached per process.

    Safe to cache by id: instances only run published versions, which never change.
    """
    graph = _graphs.get(version_id)
    if graph is None:
        if len(_graphs) > 1024:
            _graphs.clear()
        data = TemplateVersion.objects.filter(pk=version_id).values_list("graph", flat=True).get()
        graph = _graphs[version_id] = Graph.from_dict(data)
    return graph


def limits() -> Limits:
    """The bounds the decider holds every computed value to (settings.FLOWDESK)."""
    cfg = settings.FLOWDESK
    return Limits(
        output_bytes=cfg["MAX_OUTPUT_BYTES"],
        input_bytes=cfg["MAX_INPUT_BYTES"],
        vars_bytes=cfg["MAX_VARS_BYTES"],
        lost_retries=cfg["LOST_RETRIES"],
    )


# --- starting ---------------------------------------------------------------------------------------


def json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), default=str))


def _checked_input(input: Any) -> dict:
    input = {} if input is None else input
    if not isinstance(input, dict):
        raise EngineError("input must be a JSON object", field="input")
    if problem := sql.unstorable(input, "input"):
        raise EngineError(problem, field="input")
    limit = settings.FLOWDESK["MAX_INPUT_BYTES"]
    if json_size(input) > limit:
        raise InputTooLarge(f"input is larger than {limit:,} bytes", field="input")
    return input


def _template(template: str | Template) -> Template:
    tpl = template if isinstance(template, Template) else Template.objects.filter(name=template).first()
    if tpl is None:
        raise NotFound(f"no template named {template!r}", field="template")
    return tpl


def _create_and_start(tpl: Template, version: TemplateVersion, **fields: Any) -> Instance:
    with transaction.atomic():
        instance = Instance.objects.create(template=tpl, version=version, **fields)
        _transition(instance.pk, lambda snap, rows: d.Start())
    instance.refresh_from_db()
    return instance


def start_instance(
    template: str | Template,
    *,
    input: Any = None,
    version: int | None = None,
    priority: int = 50,
    business_key: str = "",
    idempotency_key: str | None = None,
    started_by=None,
) -> tuple[Instance, bool]:
    """Start an instance of a published version; returns ``(instance, created)``.

    A repeated ``idempotency_key`` returns the instance the first call started.
    """
    input = _checked_input(input)
    if not 0 <= int(priority) <= 100:
        raise EngineError("priority must be between 0 and 100", field="priority")
    tpl = _template(template)
    if idempotency_key:
        existing = Instance.objects.filter(template=tpl, idempotency_key=idempotency_key).first()
        if existing:
            return existing, False
    if tpl.archived_at:
        raise Conflict(f"template {tpl.name!r} is archived; it cannot start new instances", field="template")
    versions = tpl.versions.filter(status=TemplateVersion.Status.PUBLISHED)
    ver = versions.filter(number=version).first() if version else versions.order_by("-number").first()
    if ver is None:
        what = f"version {version}" if version else "a published version"
        raise NotFound(f"template {tpl.name!r} has no {what}", field="version")
    fields = dict(input=input, priority=priority, business_key=business_key or "", idempotency_key=idempotency_key or None)
    try:
        return _create_and_start(tpl, ver, started_by=started_by, **fields), True
    except IntegrityError:
        if idempotency_key:  # a concurrent start with the same key won the race
            return Instance.objects.get(template=tpl, idempotency_key=idempotency_key), False
        raise


def start_test_run(template: str | Template, *, input: Any = None, mocks: Any = None, started_by=None) -> Instance:
    """Run the current draft for real, with the chosen worker nodes answered by mocks.

    The draft is frozen into a hidden ``test`` version (instances run immutable versions); the
    instance is marked ``is_test`` and stays out of lists and statistics by default.
    """
    input = _checked_input(input)
    tpl = _template(template)
    draft = tpl.draft()
    if draft is None:
        raise Conflict(f"template {tpl.name!r} has no draft to test", field="template")
    result = validate_graph(draft.graph)
    if not result.valid:
        raise InvalidGraph(result.errors)
    mocks = _checked_mocks(mocks, result.graph)
    version = TemplateVersion.objects.create(
        template=tpl,
        number=draft.number,
        graph=draft.graph,
        status=TemplateVersion.Status.TEST,
        checksum=behaviour_checksum(draft.graph),
        created_by=started_by,
    )
    return _create_and_start(tpl, version, input=input, is_test=True, mocks=mocks, started_by=started_by)


def _checked_mocks(mocks: Any, graph: Graph) -> dict:
    """``{node: {"output": any} | {"fail": {"type", "message"}}}`` for worker nodes only."""
    mocks = {} if mocks is None else mocks
    if not isinstance(mocks, dict):
        raise EngineError("mocks must be an object of node id -> mock", field="mocks")
    for node_id, mock in mocks.items():
        where = f"mocks.{node_id}"
        node = graph.nodes.get(node_id)
        if node is None:
            raise EngineError(f"there is no node {node_id!r} in the draft", field=where)
        if step_types.get(node.type).inline:
            raise EngineError(f"{node_id!r} is a {node.type} node, decided inline: only task and http nodes can be mocked", field=where)
        if not isinstance(mock, dict) or len(mock) != 1 or not ({"output", "fail"} & set(mock)):
            raise EngineError('a mock is {"output": ...} or {"fail": {"type": ..., "message": ...}}', field=where)
        if "fail" in mock:
            fail = mock["fail"]
            if not isinstance(fail, dict) or not isinstance(fail.get("type"), str) or not fail["type"].strip() or not isinstance(fail.get("message", ""), str):
                raise EngineError("a mocked failure needs a 'type' (text) and may have a 'message'", field=f"{where}.fail")
    if problem := sql.unstorable(mocks, "mocks"):
        raise EngineError(problem, field="mocks")
    return mocks


# --- the transition -------------------------------------------------------------------------------


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


class _Writer:
    """Applies decider commands to the locked instance, one Event per change."""

    def __init__(self, instance: Instance, rows: dict[str, StepRun], now: float):
        self.instance = instance
        self.rows = rows  # latest attempt per node
        self.now = now
        self.now_dt = to_dt(now)
        self.events: list[Event] = []
        self.new_steps: list[StepRun] = []
        self.instance_fields: set[str] = set()
        self.due_steps = 0  # scheduled steps claimable now, created in this transaction
        self.batch = sql.Batch()  # the writes, sent together at save()
        self.claimed: tuple[_Row | StepRun, int] | None = None  # a pre-existing row claimed, its statement

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

    def claim(self, worker: str, *, only: int | None = None) -> Claim | None:
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
        return row  # type: ignore[return-value]  # converted by _claim_of after insert

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
            self.batch.add("SELECT pg_notify(%s, %s)", [live.CHANNEL, str(self.instance.pk)])
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


def _snapshot(instance: Instance, rows: dict[str, StepRun], now: float) -> d.Snapshot:
    nodes = {n: d.NodeState(_STATUS[r.status], r.attempt, tuple(r.ports), r.lost) for n, r in rows.items()}
    return d.Snapshot(
        instance_id=str(instance.pk),
        status=I(instance.status),
        input=instance.input,
        vars=instance.vars or {},
        nodes=nodes,
        now=now,
        outputs=_LazyOutputs(rows),
        priority=instance.priority,
        business_key=instance.business_key,
        started_at=to_epoch(instance.started_at),
    )


@dataclass(slots=True)
class _Row:
    """A step run as loaded for a transition: plain attributes, no model machinery (hot path)."""

    pk: int
    instance_id: Any
    node_id: str
    node_type: str
    item_key: str
    attempt: int
    status: str
    ports: list
    not_before: datetime | None
    worker: str
    lost: int
    input: Any = None  # loaded only for the row a worker claims
    output: Any = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    lease_until: datetime | None = None
    deadline_at: datetime | None = None
    error_type: str = ""
    error_message: str = ""
    error_traceback: str = ""




_ROW_COLUMNS = ("id", "instance", "node_id", "node_type", "item_key", "attempt", "status", "ports", "not_before", "worker", "lost")
_INSTANCE_FIELDS = ("id", "version", "status", "input", "vars", "priority", "business_key", "started_at", "last_seq", "mocks")


@lru_cache(maxsize=256)
def _ports(raw: Any) -> tuple[str, ...]:
    """Ports taken, decoded once per distinct stored text (a wide fan-out repeats '["out"]')."""
    value = json.loads(raw) if isinstance(raw, str) else raw
    return tuple(value or ())


_STATUS = {str(s): s for s in S}


def _latest_rows(instance_id, rows: dict[str, _Row | StepRun] | None = None, *, changed_after: int | None = None) -> dict[str, _Row | StepRun]:
    """The latest attempt of each node of the instance, without the (possibly large) JSON columns;
    with ``changed_after``, only those of nodes named by a later event, merged into ``rows``."""
    rows = {} if rows is None else rows
    also = None
    if changed_after is not None:
        also = (
            f"{sql.column(StepRun, 'node_id')} IN (SELECT {sql.column(Event, 'node_id')} FROM {sql.table(Event)}"
            f" WHERE {sql.column(Event, 'instance')} = %s AND {sql.column(Event, 'seq')} > %s)",
            [sql.value(Event, "instance", instance_id), changed_after],
        )
    for values in sql.select(StepRun, _ROW_COLUMNS, {"instance": instance_id}, order_by="attempt", convert={"ports": _ports}, also=also):
        row = _Row(*values)
        rows[row.node_id] = row
    return rows


class _SeenRows:
    """The step rows this process saw of recent instances, each with the ``last_seq`` it saw.

    Every change to a step row is written together with an event naming its node, and every event
    bumps the instance's ``last_seq``. So under the instance lock a transition re-reads only the
    rows of nodes named by events after the seq this process saw: none when it made the last change
    itself, a few in a busy fan-out (instead of all 200 on every completion).
    """

    def __init__(self, size: int = 128):
        self.size = size
        self.entries: OrderedDict[Any, tuple[int, dict]] = OrderedDict()
        self.lock = threading.Lock()

    def take(self, instance_id) -> tuple[int, dict] | None:
        """Removed while in use: a transaction that rolls back leaves no entry behind."""
        with self.lock:
            return self.entries.pop(instance_id, None)

    def keep(self, instance_id, seq: int, rows: dict) -> None:
        for row in rows.values():
            row.output = None  # outputs are read lazily from the database, never from here
        with self.lock:
            self.entries[instance_id] = (seq, rows)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


_seen = _SeenRows()


def _rows_now(instance: Instance) -> dict[str, _Row | StepRun]:
    seen = _seen.take(instance.pk)
    if seen is None or seen[0] > instance.last_seq:
        return _latest_rows(instance.pk)
    seq, rows = seen
    for row in rows.values():
        row.input = None  # a claim loads its row's input afresh
    if seq < instance.last_seq:
        _latest_rows(instance.pk, rows, changed_after=seq)
    return rows


def _lock(instance_id) -> Instance:
    """Lock the instance row: every transition of one instance runs one at a time (joins)."""
    found = sql.select(Instance, _INSTANCE_FIELDS, {"id": instance_id}, for_update=True)
    if not found:
        raise Instance.DoesNotExist(f"no instance {instance_id}")
    values = dict(zip(_INSTANCE_FIELDS, found[0]))
    values["version_id"] = values.pop("version")
    return Instance(**values)


class _LazyOutputs(Mapping):
    """The outputs of the latest attempts, read from the database on first use only."""

    def __init__(self, rows: dict[str, _Row | StepRun]):
        self._pks = {row.pk: node for node, row in rows.items() if row.pk}
        self._data: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._data is None:
            found = StepRun.objects.filter(pk__in=list(self._pks)).values_list("pk", "output") if self._pks else []
            self._data = {self._pks[pk]: output for pk, output in found}
        return self._data

    def __getitem__(self, node: str) -> Any:
        return self._load()[node]

    def __iter__(self):
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._pks)


def idempotency_key(row) -> str:
    """Stable across attempts of one logical step, so handlers can de-duplicate side effects."""
    suffix = f":{row.item_key}" if row.item_key else ""
    return f"{row.instance_id}:{row.node_id}{suffix}"


def _transition(instance_id, make_event, *, check=None, claim_for: str | None = None, claim_only: int | None = None):
    """Lock, snapshot, decide, apply, commit; ring the doorbell after commit.

    ``make_event(snapshot, rows)`` returns the event to decide on (or None for nothing to decide);
    ``check(instance, rows)`` may raise to refuse; ``claim_for`` claims one due step for a worker
    in the same transaction (eager continuation). Returns ``(instance, claim)``.
    """
    now = time.time()
    with transaction.atomic():
        instance = _lock(instance_id)
        rows = _rows_now(instance)
        if check is not None:
            check(instance, rows)
        writer = _Writer(instance, rows, now)
        snapshot = _snapshot(instance, rows, now)
        event = make_event(snapshot, rows)
        if event is not None:
            graph = graph_of(instance.version_id)
            writer.apply(d.decide(graph, snapshot, event, limits=limits()), graph)
        claimed = writer.claim(claim_for, only=claim_only) if claim_for else None
        writer.save()
        seen = (instance.pk, instance.last_seq, writer.rows)
        transaction.on_commit(lambda: _seen.keep(*seen))
        extra = writer.due_steps
        if extra:
            count = min(extra, settings.FLOWDESK["DISPATCH_FANOUT"])
            transaction.on_commit(lambda: dispatch.ring(instance.pk, count))
    return instance, (_claim_of(claimed, instance) if claimed is not None else None)


def _claim_of(row: StepRun, instance: Instance) -> Claim:
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


# --- what workers call --------------------------------------------------------------------------


def claim_step(instance_id, worker: str, *, step_id: int | None = None) -> Claim | None:
    """Claim one due scheduled step of the instance for ``worker``, or None if there is none."""
    if not StepRun.objects.filter(instance_id=instance_id, status=S.SCHEDULED).exists():
        return None  # the common no-op doorbell costs one indexed read, no lock
    try:
        _, claim = _transition(instance_id, lambda snap, rows: None, claim_for=worker, claim_only=step_id)
    except Instance.DoesNotExist:
        return None
    return claim


def complete_attempt(claim: Claim, output: Any, *, worker: str, claim_next: bool = True) -> Claim | None:
    """Record a successful attempt; idempotent. Returns the next step this worker now owns."""
    return _finish(claim, worker, claim_next, lambda: d.AttemptCompleted(claim.node_id, claim.attempt, output))


def fail_attempt(claim: Claim, failure: Failure, *, worker: str, timed_out: bool = False, claim_next: bool = True) -> Claim | None:
    return _finish(claim, worker, claim_next, lambda: d.AttemptFailed(claim.node_id, claim.attempt, failure, timed_out))


def _finish(claim: Claim, worker: str, claim_next: bool, make) -> Claim | None:
    def event(snap: d.Snapshot, rows: dict[str, StepRun]):
        # Only the worker that owns the attempt may finish it: a late result from a worker whose
        # lease expired (and whose attempt was already failed and retried) changes nothing.
        row = rows.get(claim.node_id)
        if row is None or row.pk != claim.step_id or row.status != S.RUNNING or row.worker != worker:
            return None
        return make()

    _, nxt = _transition(claim.instance_id, event, claim_for=worker if claim_next else None)
    return nxt


def renew_lease(step_id: int, worker: str) -> bool:
    """Extend a running step's lease; False when the worker no longer owns it (stop working)."""
    until = to_dt(time.time() + settings.FLOWDESK["LEASE_S"])
    return bool(StepRun.objects.filter(pk=step_id, status=S.RUNNING, worker=worker).update(lease_until=until))


# --- what the timer loop calls -----------------------------------------------------------------------


def fire_timer(timer_id: int) -> bool:
    """Fire one due timer at least once; deleting it in the same transaction makes firing idempotent."""
    timer = Timer.objects.filter(pk=timer_id).values("instance_id", "kind", "node_id", "attempt").first()
    if timer is None:
        return False
    fired = False

    def event(snap: d.Snapshot, rows):
        nonlocal fired
        if not Timer.objects.filter(pk=timer_id).delete()[0]:
            return None  # another timer loop fired it first
        fired = True
        kind = timer["kind"]
        if kind == Timer.Kind.WAIT:
            return d.TimerFired(timer["node_id"], timer["attempt"])
        if kind == Timer.Kind.DEADLINE:
            return d.DeadlineReached()
        return d.BackoffOver(timer["node_id"], timer["attempt"])

    instance, _ = _transition(timer["instance_id"], event)
    if fired and timer["kind"] == Timer.Kind.RETRY:
        dispatch.ring(instance.pk, 1)
    return fired


def expire_step(step_id: int, *, reason: str) -> bool:
    """Fail a running attempt whose lease (worker lost) or deadline (timeout) passed."""
    row = StepRun.objects.filter(pk=step_id, status=S.RUNNING).values("instance_id", "node_id", "attempt", "worker").first()
    if row is None:
        return False
    expired = False

    def event(snap: d.Snapshot, rows):
        nonlocal expired
        now = to_dt(snap.now)
        field = "lease_until__lt" if reason == "lost" else "deadline_at__lt"
        if not StepRun.objects.filter(pk=step_id, status=S.RUNNING, **{field: now}).exists():
            return None
        expired = True
        if reason == "lost":
            failure = Failure("WorkerLost", f"worker {row['worker'] or '?'} stopped renewing its lease", retryable=True)
            return d.AttemptFailed(row["node_id"], row["attempt"], failure)
        failure = Failure("StepTimeout", "the step did not finish within its timeout", retryable=True)
        return d.AttemptFailed(row["node_id"], row["attempt"], failure, timed_out=True)

    _transition(row["instance_id"], event)
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


# --- what people and integrations call ------------------------------------------------------------


def cancel_instance(instance_id, *, reason: str = "cancelled by a user") -> Instance:
    def check(instance: Instance, rows) -> None:
        if I(instance.status).is_final:
            raise Conflict(f"the instance is already {instance.status}; only a pending, running or paused instance can be cancelled")

    instance, _ = _guarded(instance_id, lambda snap, rows: d.CancelRequested(reason), check)
    return instance


def retry_instance(instance_id) -> Instance:
    def check(instance: Instance, rows) -> None:
        if instance.status != I.FAILED:
            raise Conflict(f"the instance is {instance.status}; only a failed instance can be retried")
        if not any(r.status in (S.FAILED, S.TIMED_OUT) and not r.ports for r in rows.values()):
            raise Conflict("the instance failed outside a step (an end node or its output); there is no step to retry")

    instance, _ = _guarded(instance_id, lambda snap, rows: d.RetryRequested(), check)
    return instance


def _guarded(instance_id, make_event, check):
    try:
        instance, claim = _transition(instance_id, make_event, check=check)
    except Instance.DoesNotExist:
        raise NotFound(f"no instance {instance_id}") from None
    instance.refresh_from_db()
    return instance, claim


def validate_graph(data: Any):
    """Validate graph JSON against the registered step types and handlers."""
    from workflows.core.handlers import handlers
    from workflows.core.validation import validate

    return validate(data, types=step_types, handler_names=handlers.names())


def publish(template: Template, *, graph: dict | None = None, change_note: str = "", user=None) -> TemplateVersion:
    """Validate and publish the draft (or ``graph``) as the next immutable version."""
    with transaction.atomic():
        tpl = Template.objects.select_for_update().get(pk=template.pk)
        draft = tpl.versions.filter(status=TemplateVersion.Status.DRAFT).first()
        source = graph if graph is not None else (draft.graph if draft else None)
        if source is None:
            raise Conflict("there is no draft to publish", field="graph")
        result = validate_graph(source)
        if not result.valid:
            raise InvalidGraph(result.errors)
        number = (tpl.versions.order_by("-number").values_list("number", flat=True).first() or 0) + (0 if draft else 1)
        version = draft or TemplateVersion(template=tpl, number=number)
        version.graph = source
        version.status = TemplateVersion.Status.PUBLISHED
        version.checksum = behaviour_checksum(source)
        version.change_note = change_note
        version.published_by = user
        version.published_at = to_dt(time.time())
        version.save()
    return version


# --- templates -------------------------------------------------------------------------------------

EMPTY_GRAPH = {"version": 1, "settings": {}, "nodes": [], "edges": []}


def create_template(
    *, name: str, title: str, description: str = "", tags=(), example_input: dict | None = None, graph: dict | None = None, user=None
) -> Template:
    """A template with its first draft; its fields are checked in ``workflows.authoring``."""
    from workflows import authoring

    return authoring.create_template(
        name=name, title=title, description=description, tags=tags, example_input=example_input, graph=graph, user=user
    )


class StaleDraft(Conflict):
    """Someone saved the draft since this edit began; carries what is stored now."""

    def __init__(self, draft: TemplateVersion):
        who = draft.updated_by.get_username() if draft.updated_by else "someone"
        super().__init__(f"{who} saved this draft at {draft.updated_at:%H:%M:%S} (revision {draft.revision}); reload it before saving", field="revision")
        self.current = {"revision": draft.revision, "updated_at": draft.updated_at.isoformat(), "updated_by": who}


def save_draft(template: Template, graph: dict, *, user=None, revision: int | None = None) -> TemplateVersion:
    """Replace the draft's graph (creating the draft after the latest version if there is none).

    A draft may be invalid: it is work in progress; publishing is what validates. ``revision`` is
    the revision the edit started from: when the draft moved on since, the save is refused
    (StaleDraft, 409), so two analysts never silently overwrite each other.
    """
    if problem := sql.unstorable(graph, "graph"):
        raise EngineError(problem, field="graph")
    with transaction.atomic():
        tpl = Template.objects.select_for_update().get(pk=template.pk)
        if tpl.archived_at:
            raise Conflict("the template is archived; restore it before editing")
        draft = tpl.versions.select_related("updated_by").filter(status=TemplateVersion.Status.DRAFT).first()
        if draft is None:
            number = (tpl.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
            draft = TemplateVersion(template=tpl, number=number, created_by=user, revision=0)
        elif revision is not None and revision != draft.revision:
            raise StaleDraft(draft)
        draft.graph = graph
        draft.revision += 1
        draft.updated_by = user
        draft.save()
    return draft


def archive_template(template: Template) -> Template:
    """Archived templates leave lists and cannot start new instances; running ones carry on."""
    if template.archived_at is None:
        template.archived_at = to_dt(time.time())
        template.save(update_fields=["archived_at", "updated_at"])
    return template
