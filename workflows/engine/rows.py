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
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S
from django.conf import settings

from workflows.models import Event, InboxMessage, Instance, StepRun

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
    input: Any = None  # loaded only for the row a worker claims
    output: Any = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    lease_until: datetime | None = None
    deadline_at: datetime | None = None
    state: Any = None
    error_type: str = ""
    error_message: str = ""
    error_traceback: str = ""


Row = _Row | StepRun
Key = tuple[str, str]

_ROW_COLUMNS = ("id", "instance", "node_id", "node_type", "item_key", "attempt", "status", "ports", "not_before", "worker", "lost")
_ITEM_COLUMNS = (*_ROW_COLUMNS, "input", "output")


class Rows(dict):
    """(node, item) -> latest attempt. Every node's own step is here; items only once a
    transition's events name them (``load_items``)."""

    instance_id: Any = None
_INSTANCE_FIELDS = (
    "id", "version", "status", "input", "vars", "priority", "business_key", "started_at", "last_seq", "mocks",
    "parent_step", "waited", "depth", "is_test",
)
_STATUS = {str(s): s for s in S}


@lru_cache(maxsize=256)
def _ports(raw: Any) -> tuple[str, ...]:
    """Ports taken, decoded once per distinct stored text (a wide fan-out repeats '["out"]')."""
    value = json.loads(raw) if isinstance(raw, str) else raw
    return tuple(value or ())


def lock(instance_id) -> Instance:
    """Lock the instance row: every transition of one instance runs one at a time (joins). The
    instance's ``has_mail`` says whether messages were waiting in its inbox as the lock was taken."""
    mail = f"EXISTS (SELECT 1 FROM {sql.table(InboxMessage)} m WHERE m.{sql.column(InboxMessage, 'instance')} = %s)"
    found = sql.select(Instance, _INSTANCE_FIELDS, {"id": instance_id}, for_update=True, extra=(mail, [sql.value(Instance, "id", instance_id)]))
    if not found:
        raise Instance.DoesNotExist(f"no instance {instance_id}")
    values = dict(zip(_INSTANCE_FIELDS, found[0]))
    values["version_id"] = values.pop("version")
    values["parent_step_id"] = values.pop("parent_step")
    instance = Instance(**values)
    instance.has_mail = found[0][-1]
    return instance


def latest_rows(instance_id, rows: Rows | None = None, *, changed_after: int | None = None) -> Rows:
    """The latest attempt of each node's own step, without the (possibly large) JSON columns;
    with ``changed_after``, only those of nodes named by a later event, merged into ``rows``."""
    rows = Rows() if rows is None else rows
    rows.instance_id = instance_id
    also = None
    if changed_after is not None:
        also = (
            f"{sql.column(StepRun, 'node_id')} IN (SELECT {sql.column(Event, 'node_id')} FROM {sql.table(Event)}"
            f" WHERE {sql.column(Event, 'instance')} = %s AND {sql.column(Event, 'seq')} > %s)",
            [sql.value(Event, "instance", instance_id), changed_after],
        )
    where = {"instance": instance_id, "item_key": ""}
    for values in sql.select(StepRun, (*_ROW_COLUMNS, "state"), where, order_by="attempt", convert={"ports": _ports}, also=also):
        row = _Row(*values[:-1], state=values[-1])
        rows[(row.node_id, "")] = row
    return rows


def load_items(rows: Rows, keys: list[Key]) -> None:
    """The latest attempts of these items, input and output included (an item's retry runs its
    input again), into ``rows``: one indexed read however large the map."""
    keys = [k for k in dict.fromkeys(keys) if k[1] and k not in rows]
    if not keys:
        return
    pairs = ", ".join(["(%s, %s)"] * len(keys))
    also = (f"({sql.column(StepRun, 'node_id')}, {sql.column(StepRun, 'item_key')}) IN ({pairs})", [v for k in keys for v in k])
    for values in sql.select(StepRun, _ITEM_COLUMNS, {"instance": rows.instance_id}, order_by="attempt", convert={"ports": _ports}, also=also):
        row = _Row(*values)
        rows[(row.node_id, row.item_key)] = row


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


def rows_now(instance: Instance) -> Rows:
    """The latest attempt of each node as committed, for the locked ``instance``."""
    kept = seen.take(instance.pk)
    if kept is None or kept[0] > instance.last_seq:
        return latest_rows(instance.pk)
    seq, rows = kept
    for row in rows.values():
        row.input = None  # a claim loads its row's input afresh
    if seq < instance.last_seq:
        latest_rows(instance.pk, rows, changed_after=seq)
    return rows


class LazyOutputs(Mapping):
    """The outputs of the latest attempts, read from the database on first use only.

    The one read that may happen while ``decide`` runs, on purpose: outputs can be megabytes, and
    most transitions (a join counting arrivals, a plain task completing) never look at them. It
    reads under the same instance lock and transaction, so it sees what the snapshot saw.
    """

    def __init__(self, rows: Rows):
        self._pks = {row.pk: key for key, row in rows.items() if row.pk}
        self._data: dict[Key, Any] | None = None

    def _load(self) -> dict[Key, Any]:
        if self._data is None:
            found = StepRun.objects.filter(pk__in=list(self._pks)).values_list("pk", "output") if self._pks else []
            self._data = {self._pks[pk]: output for pk, output in found}
        return self._data

    def __getitem__(self, key: Key) -> Any:
        return self._load()[key]

    def __iter__(self):
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._pks)


def snapshot(instance: Instance, rows: Rows, now: float) -> d.Snapshot:
    nodes = {k: d.NodeState(_STATUS[r.status], r.attempt, tuple(r.ports), r.lost, r.state) for k, r in rows.items()}
    pk = instance.pk
    return d.Snapshot(
        instance_id=str(instance.pk),
        status=I(instance.status),
        input=instance.input,
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
    )
