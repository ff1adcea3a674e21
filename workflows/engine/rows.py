"""What a transition reads under the instance lock: the instance (and whether mail waits for it),
the latest attempt of each step, and the snapshot the decider sees.

Steps are keyed ``(node, item)``. A transition reads every node's own step (item ``""``) and only
the items its events name: a map of 10,000 items is its node's counters plus one item per message.
The hot path reads plain tuples (``_Row``), not model instances, and keeps the node rows it saw of
recent instances (``seen``), so that a completion in a busy fan-out re-reads a few rows, not 200.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from workflows import sql
from workflows.core import decider as d
from workflows.core import messages
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S
from django.conf import settings

from django.db import connection
from django.db.models import Exists, OuterRef, Q

from workflows.models import Event, Instance, Signal, StepRun, Timer

from . import inbox
from .clock import to_epoch


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
    compensation: bool = False
    state: Any = None  # a map's or loop's counters (node rows only)
    input: Any = None  # loaded only for the row a worker claims
    output: Any = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    lease_until: datetime | None = None
    deadline_at: datetime | None = None
    error_type: str = ""
    error_message: str = ""
    error_traceback: str = ""


Row = _Row | StepRun
Key = tuple[str, str]

_ROW_COLUMNS = ("id", "instance", "node_id", "node_type", "item_key", "attempt", "status", "ports", "not_before", "worker", "lost", "compensation")
_NODE_COLUMNS = (*_ROW_COLUMNS, "state")
_ITEM_COLUMNS = (*_NODE_COLUMNS, "input", "output")


class Rows(dict):
    """(node, item) -> latest attempt. Every node's own step is here; items only once a
    transition's events name them (``load_items``)."""

    instance_id: Any = None
    #: outputs this transition's read brought along: (node, item) -> (step id, output)
    outputs: dict[Key, tuple[int, Any]] = {}  # noqa: RUF012 - replaced, never changed in place


_INSTANCE_FIELDS = (
    "id", "version", "status", "vars", "priority", "business_key", "started_at", "last_seq", "mocks",
    "parent_step", "waited", "depth", "is_test", "saga",
)  # not ``input``: it may be a 10,000-item list, and few transitions look at it (``input_of``)
_STATUS = {str(s): s for s in S}


@lru_cache(maxsize=256)
def _ports(raw: Any) -> tuple[str, ...]:
    """Ports taken, decoded once per distinct stored text (a wide fan-out repeats '["out"]')."""
    value = json.loads(raw) if isinstance(raw, str) else raw
    return tuple(value or ())


def read(instance_id, items: list[Key] = (), timer: tuple[int, Any, list] | None = None) -> tuple[Instance, Rows, list[object]]:
    """Lock the instance and read what a transition needs, in one round trip: the instance, its
    inbox (taken), the node rows changed since this process last saw it, and ``items``.

    ``timer``: ``(id, message, fired)`` of a due timer of this instance, taken like an inbox
    message: deleted in the same round trip, its message decided after the inbox's, and ``True``
    appended to ``fired`` (a timer another loop took first is gone: nothing happens).

    One batch is safe: under READ COMMITTED each statement sees what was committed when it began,
    so the reads after the lock see everything the previous holder of the lock wrote.
    """
    kept = seen.take(instance_id)
    batch = sql.Batch()
    # A small input comes along with the lock the first time this process meets the instance: a
    # task without an ``input`` config gets the instance's, so its scheduling would read it next.
    also_input = None if inputs.has(instance_id) else _small_input()
    lock = sql.selecting(Instance, _INSTANCE_FIELDS, {"id": instance_id}, for_update=True, extra=also_input)
    at_lock = lock.add_to(batch)
    at_mail = inbox.take_into(batch, instance_id)
    nodes = _nodes_query(instance_id, changed_after=kept[0] if kept else None)
    at_nodes = nodes.add_to(batch)
    keys = [k for k in dict.fromkeys(items) if k[1]]
    wanted = _items_query(instance_id, keys) if keys else None
    at_items = wanted.add_to(batch) if wanted else None
    if timer is not None:
        at_timer = batch.add(f"DELETE FROM {sql.table(Timer)} WHERE id = %s RETURNING id", [timer[0]], returns=True)
        # What the timer wakes (a wait completing keeps the output it recorded) is read along with
        # it, not by a round trip of its own while deciding.
        woken = messages.decode(timer[1])
        key = (getattr(woken, "node", ""), getattr(woken, "item", "") or "")
        if key[0] and getattr(woken, "attempt", None) is not None:
            step = {"instance": instance_id, "node_id": key[0], "item_key": key[1], "attempt": woken.attempt}
            output = sql.selecting(StepRun, ("id", "output"), step)
            at_output = output.add_to(batch)
    results = batch.run()
    found = lock.rows(results[at_lock])
    if not found:
        raise Instance.DoesNotExist(f"no instance {instance_id}")
    values = dict(zip(_INSTANCE_FIELDS, found[0]))
    if also_input is not None and found[0][-1] is not None:
        wrapped = found[0][-1]  # [input]: a JSON null input is [null], a large one SQL NULL
        inputs.keep(instance_id, (json.loads(wrapped) if isinstance(wrapped, str) else wrapped)[0])
    values["version_id"] = values.pop("version")
    values["parent_step_id"] = values.pop("parent_step")
    instance = Instance(**values)
    if kept is not None and kept[0] <= instance.last_seq:
        rows = kept[1]
        for row in rows.values():
            row.input = None  # a claim loads its row's input afresh
        _merge(rows, nodes.rows(results[at_nodes]))
    elif kept is None:
        rows = _merge(Rows(), nodes.rows(results[at_nodes]))
    else:  # the cache is ahead of the database (it was reset): read everything again
        rows = latest_rows(instance.pk)
    rows.instance_id = instance.pk
    if wanted is not None:
        _merge(rows, wanted.rows(results[at_items]))
    events = inbox.opened(results[at_mail])
    rows.outputs = {}
    if timer is not None and results.get(at_timer):
        events.append(woken)
        timer[2].append(True)
        if key[0] and getattr(woken, "attempt", None) is not None:
            step_output = output.rows(results[at_output])
            rows.outputs = {key: step_output[0]} if step_output else {}
    return instance, rows, events


SMALL_INPUT_BYTES = 4096


def _small_input() -> tuple[str, list]:
    column = sql.column(Instance, "input")
    if connection.vendor == "postgresql":
        return f"CASE WHEN pg_column_size({column}) <= %s THEN jsonb_build_array({column}) END", [SMALL_INPUT_BYTES]
    return f"CASE WHEN length({column}) <= %s THEN json_array(json({column})) END", [SMALL_INPUT_BYTES]


def _nodes_query(instance_id, *, changed_after: int | None = None) -> sql.Select:
    """The latest attempt of each node's own step, without the (possibly large) JSON columns;
    with ``changed_after``, only those of nodes named by a later event."""
    also = None
    if changed_after is not None:
        also = (
            f"{sql.column(StepRun, 'node_id')} IN (SELECT {sql.column(Event, 'node_id')} FROM {sql.table(Event)}"
            f" WHERE {sql.column(Event, 'instance')} = %s AND {sql.column(Event, 'seq')} > %s)",
            [sql.value(Event, "instance", instance_id), changed_after],
        )
    where = {"instance": instance_id, "item_key": ""}
    return sql.selecting(StepRun, _NODE_COLUMNS, where, order_by="attempt", convert={"ports": _ports}, also=also)


def _items_query(instance_id, keys: list[Key]) -> sql.Select:
    """The latest attempts of these items, input and output included (an item's retry runs its
    input again). One branch per item, by equality on the unique key: given a list (IN, ANY), the
    planner, whose statistics may not count a map's 10,000 new items yet, read all of them."""
    condition = f"{sql.column(StepRun, 'node_id')} = %s AND {sql.column(StepRun, 'item_key')} = %s"
    branches = [sql.selecting(StepRun, _ITEM_COLUMNS, {"instance": instance_id}, convert={"ports": _ports}, also=(condition, list(k))) for k in keys]
    statement = " UNION ALL ".join(b.statement for b in branches) + f" ORDER BY {sql.column(StepRun, 'attempt')}"
    return sql.Select(statement, [p for b in branches for p in b.params], branches[0].converters)


def _merge(rows: Rows, found: list[tuple]) -> Rows:
    for values in found:  # ordered by attempt: the latest one wins
        row = _Row(*values)
        rows[(row.node_id, row.item_key)] = row
    return rows


def latest_rows(instance_id) -> Rows:
    """Every node's latest attempt, read on its own."""
    rows = Rows()
    rows.instance_id = instance_id
    return _merge(rows, _nodes_query(instance_id).run())


def load_items(rows: Rows, keys: list[Key]) -> None:
    """Items named by messages found in the inbox (the caller's own are read with the lock)."""
    keys = [k for k in dict.fromkeys(keys) if k[1] and k not in rows]
    if keys:
        _merge(rows, _items_query(rows.instance_id, keys).run())


def item_results(instance_id, node: str) -> list[tuple[str, Any, dict]]:
    """``(status, output, error)`` of the latest attempt of each of the node's items, in item
    order: read once, when a map finishes."""
    latest: dict[str, tuple] = {}
    found = StepRun.objects.filter(instance_id=instance_id, node_id=node).exclude(item_key="").order_by("attempt")
    for item, status, output, kind, message in found.values_list("item_key", "status", "output", "error_type", "error_message").iterator(chunk_size=2000):
        latest[item] = (status, output, {"type": kind, "message": message} if kind else {})
    return [latest[k] for k in sorted(latest, key=int)]


class SeenRows:
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
        # Items are not kept: an event names its node, not which of 10,000 items changed.
        for key in [k for k in rows if k[1]]:
            del rows[key]
        for row in rows.values():
            row.output = None  # outputs are read lazily from the database, never from here
        with self.lock:
            self.entries[instance_id] = (seq, rows)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


seen = SeenRows()


class Inputs:
    """Instances' inputs, read when an expression first needs one and kept: an input never changes
    after the instance is created. Only small ones are kept (a map's 10,000-item input is read
    again by the few transitions that look at it, not held in every worker)."""

    def __init__(self, size: int = 64, max_chars: int = 64 * 1024):
        self.size, self.max_chars = size, max_chars
        self.entries: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()

    def of(self, instance_id) -> Any:
        instance_id = str(instance_id)  # a UUID here, its text there: one key
        with self.lock:
            if instance_id in self.entries:
                self.entries.move_to_end(instance_id)
                return self.entries[instance_id]
        found = sql.select(Instance, ("input",), {"id": instance_id}, convert={"input": lambda raw: raw})
        raw = found[0][0] if found else None
        value = json.loads(raw) if isinstance(raw, str) else raw
        if isinstance(raw, str) and len(raw) <= self.max_chars:
            self.keep(instance_id, value)
        return value

    def has(self, instance_id) -> bool:
        with self.lock:
            return str(instance_id) in self.entries

    def keep(self, instance_id, value: Any) -> None:
        with self.lock:
            self.entries[str(instance_id)] = value
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


inputs = Inputs()


class LazyOutputs(Mapping):
    """The outputs of the latest attempts, read from the database on first use only.

    The one read that may happen while ``decide`` runs, on purpose: outputs can be megabytes, and
    most transitions (a join counting arrivals, a plain task completing) never look at them. It
    reads under the same instance lock and transaction, so it sees what the snapshot saw.
    """

    def __init__(self, rows: Rows):
        self._pks = {row.pk: key for key, row in rows.items() if row.pk}
        self._data: dict[Key, Any] | None = None
        # read along with the lock: valid while it is the latest attempt's (same step id)
        self._known = {key: output for key, (pk, output) in rows.outputs.items() if self._pks.get(pk) == key}

    def _load(self) -> dict[Key, Any]:
        if self._data is None:
            found = StepRun.objects.filter(pk__in=list(self._pks)).values_list("pk", "output") if self._pks else []
            self._data = {self._pks[pk]: output for pk, output in found}
        return self._data

    def __getitem__(self, key: Key) -> Any:
        if self._data is None and key in self._known:
            return self._known[key]
        return self._load()[key]

    def __iter__(self):
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._pks)


def snapshot(instance: Instance, rows: Rows, now: float, *, input: Any = None) -> d.Snapshot:
    """What the decider sees; ``input`` when the caller has it at hand (else read if needed)."""
    nodes = {k: d.NodeState(_STATUS[r.status], r.attempt, tuple(r.ports), r.lost, r.state) for k, r in rows.items()}
    pk = instance.pk
    return d.Snapshot(
        instance_id=str(instance.pk),
        status=I(instance.status),
        input=input if input is not None else lambda: inputs.of(pk),  # read while deciding, only if an expression needs it
        vars=instance.vars or {},
        nodes=nodes,
        now=now,
        outputs=LazyOutputs(rows),
        priority=instance.priority,
        business_key=instance.business_key,
        started_at=to_epoch(instance.started_at),
        inputs={k: r.input for k, r in rows.items() if k[1]},
        item_results=lambda node: item_results(pk, node),
        max_items=settings.FLOWDESK["MAX_MAP_ITEMS"],
        signal=lambda name, taken: buffered_signal(pk, name, taken),
        saga=instance.saga,
        completions=lambda tasks, maps: next_to_compensate(pk, tasks, maps),
    )


def buffered_signal(instance_id, name: str, taken: frozenset[int]) -> tuple[int, Any] | None:
    """The oldest signal of ``name`` no node has taken (nor this decision, ``taken``)."""
    found = Signal.objects.filter(instance_id=instance_id, name=name, delivered_at__isnull=True).exclude(pk__in=taken)
    return found.order_by("pk").values_list("pk", "payload").first()


def next_to_compensate(instance_id, tasks: list[str], maps: list[str]) -> tuple[str, str, int, Any, Any] | None:
    """``(node, item, attempt, input, output)`` of the latest completed step with a compensate
    handler whose completion is its latest attempt (not undone, nor being undone): a task's own
    step, a map's items. Ties (items ended in one transition) go to the later row."""
    later = StepRun.objects.filter(instance_id=OuterRef("instance_id"), node_id=OuterRef("node_id"), item_key=OuterRef("item_key"), attempt__gt=OuterRef("attempt"))
    which = Q(node_id__in=tasks, item_key="") | (Q(node_id__in=maps) & ~Q(item_key=""))
    found = StepRun.objects.filter(which, instance_id=instance_id, status=S.COMPLETED, compensation=False).filter(~Exists(later))
    return found.order_by("-finished_at", "-pk").values_list("node_id", "item_key", "attempt", "input", "output").first()
