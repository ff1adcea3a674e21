"""Instances as plain data, shared by the CLI, the API and the pages."""

from __future__ import annotations

from typing import Any

from workflows.models import Instance


#: The words for every status, on every page: the designer's canvas says the same
#: (designer/frontend/src/canvas/look.tsx STATUS_LABEL; a test keeps the two tables equal).
#: ``not_run`` is the canvas's word for a step the run never reached.
STATUS_LABEL: dict[str, str] = {
    "completed": "Completed",
    "failed": "Failed",
    "skipped": "Skipped",
    "running": "Running",
    "scheduled": "Scheduled",
    "waiting": "Waiting",
    "cancelled": "Cancelled",
    "timed_out": "Timed out",
    "compensated": "Compensated",
    "pending": "Not started",
    "not_run": "Not reached",
    "paused": "Paused",
}


def status_label(status: str) -> str:
    return STATUS_LABEL.get(status, status)


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def instance_as_dict(instance: Instance, *, steps: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(instance.pk),
        "template": instance.template.name,
        "version": instance.version.number,
        "status": instance.status,
        "input": instance.input,
        "output": instance.output,
        "vars": instance.vars,
        "error": instance.error,
        "priority": instance.priority,
        "business_key": instance.business_key,
        "created_at": _iso(instance.created_at),
        "started_at": _iso(instance.started_at),
        "finished_at": _iso(instance.finished_at),
        "duration_s": instance.duration_s,
    }
    if steps:
        data["steps"] = [
            {
                "node": s.node_id,
                "type": s.node_type,
                "attempt": s.attempt,
                "status": s.status,
                "output": s.output,
                "error": {"type": s.error_type, "message": s.error_message} if s.error_type else None,
                "started_at": _iso(s.started_at),
                "finished_at": _iso(s.finished_at),
                "duration_ms": s.duration_ms,
            }
            for s in instance.steps.order_by("id")
        ]
    return data


def human_duration(seconds: float | None, *, empty: str = "-") -> str:
    """12 ms, 3.4 s, 2 min 5 s, 1 h 4 min, 3 d 2 h: one way to say a duration on every page
    (static/instances.js says it the same way for the running ones it ticks)."""
    if seconds is None:
        return empty
    seconds = max(0.0, seconds)
    if seconds < 1:
        ms = seconds * 1000
        return "<1 ms" if ms < 1 else f"{ms:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    if whole < 86400:
        return f"{whole // 3600} h {whole % 3600 // 60} min"
    return f"{whole // 86400} d {whole % 86400 // 3600} h"
