"""The dispatch doorbell: a queue message saying "instance X has steps ready".

The database is the source of truth; a message carries only an instance id. A worker that takes
it claims that instance's ready steps itself (``workflows.worker.drain``), so a lost or duplicate
message loses or repeats nothing: the sweep rings again for steps nobody started.
"""

from __future__ import annotations

import os

from django_q.brokers import get_broker
from django_q.tasks import async_task

_broker = None
_broker_pid = None


def broker():
    """One broker (one Redis connection pool) per process, rebuilt after a fork."""
    global _broker, _broker_pid
    if _broker is None or _broker_pid != os.getpid():
        _broker, _broker_pid = get_broker(), os.getpid()
    return _broker


def ring(instance_id, count: int = 1) -> None:
    for _ in range(max(1, count)):
        async_task("workflows.worker.drain", str(instance_id), broker=broker(), task_name=f"drain-{instance_id}"[:100])
