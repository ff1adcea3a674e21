"""Loading templates, starting instances and waiting for them: what the engine figures share."""

from __future__ import annotations

import time


def _load(name: str, graph: dict) -> str:
    from workflows.authoring import load_template

    load_template({"name": name, "title": name, "graph": graph})
    return name


def _start_all(name: str, count: int, input=None) -> list:
    from workflows import engine

    return [engine.start_instance(name, input=input(k) if callable(input) else (input or {}))[0].pk for k in range(count)]


def _wait_all(ids: list, timeout: float = 120.0) -> list:
    from workflows.core.status import FINAL_INSTANCE_STATUSES
    from workflows.models import Instance

    finals = [str(s) for s in FINAL_INSTANCE_STATUSES]
    give_up = time.monotonic() + timeout
    while Instance.objects.filter(pk__in=ids).exclude(status__in=finals).exists():
        if time.monotonic() > give_up:
            raise RuntimeError(f"instances did not finish within {timeout} s")
        time.sleep(0.1)  # timings come from the rows, not from this loop
    instances = list(Instance.objects.filter(pk__in=ids))
    bad = [i for i in instances if i.status != "completed"]
    if bad:
        raise RuntimeError(f"{len(bad)} instances did not complete: {bad[0].status} {bad[0].error}")
    return instances
