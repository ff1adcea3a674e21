"""Statistics for ``GET /stats/`` and ``GET /instances/{id}/metrics/``, computed in the database.

There can be millions of instances and step runs, so every number here is an aggregate the
database computes (``COUNT ... FILTER``, ``AVG``, ``SUM``, PostgreSQL's ``percentile_cont``);
Python only reshapes the handful of aggregated rows that come back and turns ``timedelta`` into
seconds. The result is plain JSON-ready data, like ``workflows.presenters``.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.db import NotSupportedError, connections
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.fields.json import KT
from django.db.models.functions import TruncDate
from django.utils import timezone

from workflows.core.status import FINAL_INSTANCE_STATUSES, InstanceStatus, StepStatus
from workflows.models import Instance, StepRun

#: Instance statuses that count as "finished" for the success rate and the durations.
FINISHED = tuple(sorted(FINAL_INSTANCE_STATUSES))
FAILED_STEP = (StepStatus.FAILED, StepStatus.TIMED_OUT)


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate ``percentile_cont(f) WITHIN GROUP (ORDER BY expr)``.

    Django has no percentile aggregate. This one interpolates between the two nearest values, as
    the fallback in ``_percentile_by_offset`` does. The fraction is validated as a float, so it is
    safe to format into the SQL. Works on any type PostgreSQL can interpolate (numbers,
    intervals): pass a matching ``output_field``.
    """

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    window_compatible = False  # PostgreSQL rejects ordered-set aggregates as window functions

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"percentile fraction must be within [0, 1], got {fraction}")
        super().__init__(expression, fraction=repr(fraction), **extra)

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor != "postgresql":
            raise NotSupportedError("percentile_cont needs PostgreSQL; use the ORDER BY + OFFSET fallback")
        return super().as_sql(compiler, connection, **extra_context)


def _duration() -> ExpressionWrapper:
    """``finished_at - started_at`` as an interval (NULL unless both are set)."""
    return ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())


def _seconds(value: timedelta | float | None) -> float | None:
    if value is None:
        return None
    return value.total_seconds() if isinstance(value, timedelta) else float(value) / 1_000_000


def _ms(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds() * 1000


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# --- per template ----------------------------------------------------------------------------


def template_stats(instances: QuerySet[Instance] | None = None, *, with_id: bool = False) -> list[dict[str, Any]]:
    """Per template with instances in ``instances`` (default: all), ordered by template name:
    totals by status (every status, zeros included), success rate, and average / median / p95
    duration of the finished instances.

    One grouped query with conditional aggregation on PostgreSQL. Elsewhere (SQLite, the embedded
    local run) there is no percentile aggregate, so each template's p50 and p95 cost one more
    ``ORDER BY ... LIMIT 2 OFFSET k`` query each, which reads at most two rows.
    ``instances`` must be an unsliced queryset; its own ordering is ignored. ``with_id`` adds
    each row's ``template_id``.
    """
    qs = Instance.objects.all() if instances is None else instances
    alias = qs.db
    postgres = connections[alias].vendor == "postgresql"

    finished = Q(status__in=FINISHED)
    timed = finished & Q(started_at__isnull=False, finished_at__isnull=False)
    aggregates: dict[str, Any] = {
        "total": Count("pk"),
        **{f"n_{s.value}": Count("pk", filter=Q(status=s.value)) for s in InstanceStatus},
        "n_timed": Count("pk", filter=timed),
        "avg_duration": Avg(_duration(), filter=timed),
    }
    if postgres:
        aggregates["p50_duration"] = PercentileCont(_duration(), 0.5, filter=timed, output_field=DurationField())
        aggregates["p95_duration"] = PercentileCont(_duration(), 0.95, filter=timed, output_field=DurationField())

    rows = (
        qs.order_by()  # a caller's or Meta ordering would leak into GROUP BY
        .values("template_id", "template__name", "template__title")
        .annotate(**aggregates)
        .order_by("template__name")
    )

    result = []
    for row in rows:
        by_status = {s.value: row[f"n_{s.value}"] for s in InstanceStatus}
        n_finished = sum(by_status[s] for s in FINISHED)
        if postgres:
            p50, p95 = _seconds(row["p50_duration"]), _seconds(row["p95_duration"])
        else:
            timed_qs = qs.filter(timed, template_id=row["template_id"])
            p50 = _percentile_by_offset(timed_qs, row["n_timed"], 0.5)
            p95 = _percentile_by_offset(timed_qs, row["n_timed"], 0.95)
        result.append(
            {
                **({"template_id": row["template_id"]} if with_id else {}),
                "template": row["template__name"],
                "title": row["template__title"],
                "total": row["total"],
                "by_status": by_status,
                "success_rate": by_status[InstanceStatus.COMPLETED] / n_finished if n_finished else None,
                "avg_duration_s": _seconds(row["avg_duration"]),
                "p50_duration_s": p50,
                "p95_duration_s": p95,
            }
        )
    return result


def _percentile_by_offset(timed: QuerySet[Instance], n: int, fraction: float) -> float | None:
    """``percentile_cont`` without the aggregate: the value at position ``fraction * (n - 1)`` of
    the sorted durations, interpolated between its two neighbours, which one ``ORDER BY duration
    LIMIT 2 OFFSET floor(position)`` fetches; ``n`` comes from the grouped query."""
    if not n:
        return None
    position = fraction * (n - 1)
    low = math.floor(position)
    values = list(
        timed.order_by()
        .annotate(_d=_duration())
        .order_by("_d")
        .values_list("_d", flat=True)[low : low + 2]
    )
    if not values:  # rows deleted since the grouped query counted them
        return None
    lower, upper = _seconds(values[0]), _seconds(values[-1])
    assert lower is not None and upper is not None
    # Rounded to microseconds, the resolution of PostgreSQL's interval result.
    return round(lower + (upper - lower) * (position - low), 6)


# --- the overview's dashboard ----------------------------------------------------------------

FAILED_INSTANCE = (InstanceStatus.FAILED, InstanceStatus.TIMED_OUT)
TOP_ERROR_TYPES = 5


def dashboard(since: datetime) -> dict[int, dict[str, Any]]:
    """Per template id, for the real runs (no designer test runs) created since ``since``: the
    ``template_stats`` figures, runs per day by outcome, the most frequent error types of the
    failures; and, whenever they started, how many run now.

    Four grouped queries whatever the number of templates (the window's rows via the
    ``created_at`` index, the running ones via the ``status`` index), never one per template.
    Days are calendar days in the current time zone, as the instance list's date filters read them.
    """
    runs = Instance.objects.filter(is_test=False)
    window = runs.filter(created_at__gte=since)
    out: dict[int, dict[str, Any]] = {}

    def entry(template_id: int) -> dict[str, Any]:
        return out.setdefault(template_id, {"stats": None, "days": {}, "error_types": [], "running": 0})

    for row in template_stats(window, with_id=True):
        entry(row["template_id"])["stats"] = row

    done, failed = Q(status=InstanceStatus.COMPLETED), Q(status__in=FAILED_INSTANCE)
    per_day = (
        window.order_by()
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("template_id", "day")
        .annotate(completed=Count("pk", filter=done), failed=Count("pk", filter=failed), other=Count("pk", filter=~done & ~failed))
    )
    for row in per_day:
        entry(row["template_id"])["days"][row["day"]] = {k: row[k] for k in ("completed", "failed", "other")}

    errors = (
        window.filter(failed)
        .order_by()
        .values("template_id", error_type=KT("error__type"))
        .annotate(n=Count("pk"))
        .order_by("template_id", "-n", "error_type")
    )
    for row in errors:
        found = entry(row["template_id"])["error_types"]
        if len(found) < TOP_ERROR_TYPES:
            found.append({"type": row["error_type"] or "", "count": row["n"]})

    running = runs.filter(status=InstanceStatus.RUNNING).order_by().values("template_id").annotate(n=Count("pk"))
    for row in running:
        entry(row["template_id"])["running"] = row["n"]
    return out


# --- per instance ----------------------------------------------------------------------------


def instance_metrics(instance: Instance) -> dict[str, Any]:
    """Per-step durations, attempts and retries of one instance, and how much its steps ran in
    parallel (busy time over wall time: 2.0 means two steps' worth of work per second).

    One grouped query over the step runs (per node: attempts, run count, summed durations, first
    start, last finish, and the latest attempt's status and duration via correlated subqueries);
    the totals are sums of those few rows. ``retries`` counts attempts after the first: for a node
    without fan-out that is ``attempts - 1``, for a fan-out node it adds up each item's retries.
    """
    runs = StepRun.objects.using(instance._state.db or "default").filter(instance_id=instance.pk)
    latest = runs.filter(node_id=OuterRef("node_id")).order_by("-id")
    steps = list(
        runs.order_by()
        .values("node_id")
        .annotate(
            attempts=Max("attempt"),
            runs=Count("pk"),
            retries=Count("pk", filter=Q(attempt__gt=1)),
            failed=Count("pk", filter=Q(status__in=FAILED_STEP)),
            duration=Sum(_duration()),
            first_started_at=Min("started_at"),
            last_finished_at=Max("finished_at"),
            last_status=Subquery(latest.values("status")[:1]),
            last_duration=Subquery(latest.annotate(_d=_duration()).values("_d")[:1], output_field=DurationField()),
        )
        .order_by(F("first_started_at").asc(nulls_last=True), "node_id")
    )

    busy = sum((s["duration"] for s in steps if s["duration"] is not None), timedelta())
    busy_s = busy.total_seconds()
    wall_s = None
    if instance.started_at:
        wall_s = ((instance.finished_at or timezone.now()) - instance.started_at).total_seconds()

    return {
        "instance": str(instance.pk),
        "status": instance.status,
        "wall_s": wall_s,
        "busy_s": busy_s,
        "parallel_efficiency": busy_s / wall_s if wall_s else None,
        "steps": [
            {
                "node": s["node_id"],
                "attempts": s["attempts"],
                "runs": s["runs"],
                "retries": s["retries"],
                "status": s["last_status"],
                "duration_ms": _ms(s["duration"]),
                "last_duration_ms": _ms(s["last_duration"]),
                "first_started_at": _iso(s["first_started_at"]),
                "last_finished_at": _iso(s["last_finished_at"]),
            }
            for s in steps
        ],
        "totals": {
            "step_runs": sum(s["runs"] for s in steps),
            "retries": sum(s["retries"] for s in steps),
            "failed_attempts": sum(s["failed"] for s in steps),
        },
    }
