"""What people and integrations call: cancel, retry, pause, resume and signal, refused with a
reason when the state does not allow it (the API answers 409 with that reason). Each records who
asked (``by``) in the instance's history."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction

from workflows import sql
from workflows.core import decider as d
from workflows.core.values import json_size
from workflows.core import messages
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S
from workflows.errors import Conflict, EngineError, InputTooLarge, NotFound
from workflows.models import InboxMessage, Instance, Signal

from .transition import deliver, transition

#: What pause and resume accept, and what the bulk actions report per instance.
_PAUSABLE = (I.RUNNING,)
SIGNAL_NAME_MAX = 100


def cancel_instance(instance_id, *, reason: str = "cancelled by a user", by: str = "", fresh: bool = True) -> Instance:
    def check(instance: Instance, rows) -> None:
        if I(instance.status).is_final:
            raise Conflict(f"the instance is already {instance.status}; only a pending, running or paused instance can be cancelled")

    return _guarded(instance_id, lambda rows: d.CancelRequested(reason, by), check, fresh)


def retry_instance(instance_id, *, by: str = "") -> Instance:
    def check(instance: Instance, rows) -> None:
        if instance.status != I.FAILED:
            raise Conflict(f"the instance is {instance.status}; only a failed instance can be retried")
        if (instance.saga or {}).get("state") == "failed":
            return  # its compensation failed: the retry runs that compensation again
        if instance.saga:
            raise Conflict("its completed steps were compensated (undone); start a new instance instead")
        if not any(r.status in (S.FAILED, S.TIMED_OUT) and not r.ports for k, r in rows.items() if not k[1]):
            raise Conflict("the instance failed outside a step (an end node or its output); there is no step to retry")

    return _guarded(instance_id, lambda rows: d.RetryRequested(by), check)


def pause_instance(instance_id, *, by: str = "", fresh: bool = True) -> Instance:
    """Running steps finish and are recorded; nothing new starts until ``resume_instance``."""

    def check(instance: Instance, rows) -> None:
        if instance.status not in _PAUSABLE:
            raise Conflict(f"the instance is {instance.status}; only a running instance can be paused")

    return _guarded(instance_id, lambda rows: d.PauseRequested(by), check, fresh)


def resume_instance(instance_id, *, by: str = "", fresh: bool = True) -> Instance:
    """What came due while paused (timers, signals, children's ends) is delivered now."""

    def check(instance: Instance, rows) -> None:
        if instance.status != I.PAUSED:
            raise Conflict(f"the instance is {instance.status}; only a paused instance can be resumed")

    return _guarded(instance_id, lambda rows: d.ResumeRequested(by), check, fresh)


def bulk(action: str, instance_ids: Iterable[Any], *, by: str = "") -> dict[str, dict[str, str]]:
    """Pause, resume or cancel many instances: ``{"done": {id: status}, "refused": {id: reason}}``.
    Each is its own transition (one instance refusing does not stop the others)."""
    act = {"pause": pause_instance, "resume": resume_instance, "cancel": cancel_instance}[action]
    done: dict[str, str] = {}
    refused: dict[str, str] = {}
    for instance_id in dict.fromkeys(str(i) for i in instance_ids):
        try:
            done[instance_id] = str(act(instance_id, by=by, fresh=False).status)
        except (Conflict, NotFound) as exc:
            refused[instance_id] = str(exc)
    return {"done": done, "refused": refused}


def signal_instance(instance_id, name: str, payload: Any = None, *, by: str = "") -> int:
    """Send a signal: kept (and its sequence number returned) at once, delivered to a ``signal``
    node waiting for ``name`` now or when one does. Refused for a finished instance."""
    if not isinstance(name, str) or not name or len(name) > SIGNAL_NAME_MAX:
        raise EngineError(f"a signal name is 1 to {SIGNAL_NAME_MAX} characters", field="name")
    if problem := sql.unstorable(payload, "payload"):
        raise EngineError(problem, field="payload")  # bad input (a NUL, a lone surrogate): 400, like a start's
    limit = settings.FLOWDESK["MAX_SIGNAL_BYTES"]
    if json_size(payload) > limit:
        raise InputTooLarge(f"payload is larger than {limit:,} bytes", field="payload")
    with transaction.atomic():
        found = Instance.objects.filter(pk=instance_id).values_list("status", flat=True).first()
        if found is None:
            raise NotFound(f"no instance {instance_id}")
        if I(found).is_final:
            raise Conflict(f"the instance is {found}; signals go to a pending, running or paused instance")
        signal = Signal.objects.create(instance_id=instance_id, name=name, payload=payload, sent_by=by[:150])
        message = messages.encode(d.SignalReceived(name, signal.pk, payload, by))
        InboxMessage.objects.create(instance_id=instance_id, message=message)
        transaction.on_commit(lambda: deliver(instance_id))
    return signal.pk


def _guarded(instance_id, make_event, check, fresh: bool = True) -> Instance:
    """Run the transition; ``fresh``: the instance re-read whole (the API shows it), else as the
    transition left it (its status: what a bulk action reports)."""
    try:
        instance, _ = transition(instance_id, make_event, check=check)
    except Instance.DoesNotExist:
        raise NotFound(f"no instance {instance_id}") from None
    if fresh:
        instance.refresh_from_db()
    return instance
