"""Signal-with-start (Temporal's ``SignalWithStart``): start an instance unless one with the key is
open, and signal it either way, in one transaction, so two callers with the same key never start
two instances and a refused signal (a finished instance, an oversized payload) starts nothing.

By ``idempotency_key``: the unique constraint (template, idempotency_key) decides the race
(``engine.start_instance`` returns the winner's instance); that instance is the key's for good, so
a finished one refuses the signal (409) rather than starting another. By ``business_key`` alone:
the open (pending, running or paused) instance with that key, else a new one. Nothing unique
guards a business key, so the lookup and the start run under a lock on the template's row
(``FOR NO KEY UPDATE``: plain starts of the template, which only take ``KEY SHARE`` through their
foreign key, do not wait for it). SQLite's immediate transactions serialise writers anyway.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from workflows import engine
from workflows.core.status import InstanceStatus as I
from workflows.models import Instance, Template

OPEN = (I.PENDING, I.RUNNING, I.PAUSED)


def signal_with_start(
    template: str, *, signal: str, payload: Any = None, by: str = "", business_key: str = "", idempotency_key: str | None = None, **start: Any
) -> tuple[Instance, bool, int]:
    """``(instance, started, seq)``. ``start`` holds the other fields of ``engine.start_instance``."""
    with transaction.atomic():
        if idempotency_key:
            instance, created = engine.start_instance(template, business_key=business_key, idempotency_key=idempotency_key, **start)
        else:
            instance, created = _by_business_key(template, business_key, start)
        seq = engine.signal_instance(instance.pk, signal, payload, by=by)
    return instance, created, seq


def _by_business_key(template: str, business_key: str, start: dict) -> tuple[Instance, bool]:
    locked = Template.objects.select_for_update(no_key=True).filter(name=template).values_list("pk", flat=True).first()
    if locked is None:
        raise engine.NotFound(f"no template named {template!r}", field="template")
    found = Instance.objects.filter(template_id=locked, business_key=business_key, status__in=OPEN, is_test=False).order_by("-created_at").first()
    if found is not None:
        return found, False
    return engine.start_instance(template, business_key=business_key, **start)
