"""What people and integrations call: cancel and retry, refused with a reason when the state
does not allow it (the API answers 409 with that reason)."""

from __future__ import annotations

from workflows.core import decider as d
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S
from workflows.models import Instance

from workflows.errors import Conflict, NotFound
from .transition import transition


def cancel_instance(instance_id, *, reason: str = "cancelled by a user") -> Instance:
    def check(instance: Instance, rows) -> None:
        if I(instance.status).is_final:
            raise Conflict(f"the instance is already {instance.status}; only a pending, running or paused instance can be cancelled")

    return _guarded(instance_id, lambda rows: d.CancelRequested(reason), check)


def retry_instance(instance_id) -> Instance:
    def check(instance: Instance, rows) -> None:
        if instance.status != I.FAILED:
            raise Conflict(f"the instance is {instance.status}; only a failed instance can be retried")
        if not any(r.status in (S.FAILED, S.TIMED_OUT) and not r.ports for k, r in rows.items() if not k[1]):
            raise Conflict("the instance failed outside a step (an end node or its output); there is no step to retry")

    return _guarded(instance_id, lambda rows: d.RetryRequested(), check)


def _guarded(instance_id, make_event, check) -> Instance:
    try:
        instance, _ = transition(instance_id, make_event, check=check)
    except Instance.DoesNotExist:
        raise NotFound(f"no instance {instance_id}") from None
    instance.refresh_from_db()
    return instance
