"""What a transition reads under the instance lock: the instance, the latest attempt of each node,
and the snapshot the decider sees.

The hot path reads plain tuples (``_Row``), not model instances, and keeps the rows it saw of
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
from workflows.models import Event, Instance, StepRun

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
    error_type: str = ""
    error_message: str = ""
    error_traceback: str = ""


Row = _Row | StepRun
Rows = dict[str, Row]

_ROW_COLUMNS = ("id", "instance", "node_id", "node_type", "item_key", "attempt", "status", "ports", "not_before", "worker", "lost")
_INSTANCE_FIELDS = ("id", "version", "status", "input", "vars", "priority", "business_key", "started_at", "last_seq", "mocks")
_STATUS = {str(s): s for s in S}


@lru_cache(maxsize=256)
def _ports(raw: Any) -> tuple[str, ...]:
    """Ports taken, decoded once per distinct stored text (a wide fan-out repeats '["out"]')."""
    value = json.loads(raw) if isinstance(raw, str) else raw
    return tuple(value or ())


def lock(instance_id) -> Instance:
    """Lock the instance row: every transition of one instance runs one at a time (joins)."""
    found = sql.select(Instance, _INSTANCE_FIELDS, {"id": instance_id}, for_update=True)
    if not found:
        raise Instance.DoesNotExist(f"no instance {instance_id}")
    values = dict(zip(_INSTANCE_FIELDS, found[0]))
    values["version_id"] = values.pop("version")
    return Instance(**values)


def latest_rows(instance_id, rows: Rows | None = None, *, changed_after: int | None = None) -> Rows:
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


def snapshot(instance: Instance, rows: Rows, now: float) -> d.Snapshot:
    nodes = {n: d.NodeState(_STATUS[r.status], r.attempt, tuple(r.ports), r.lost) for n, r in rows.items()}
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
    )
