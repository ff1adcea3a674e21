"""workflows.stats: per-template statistics and per-instance metrics, computed in the database.

Fixture rows are created directly with explicit timestamps: the code under test only reads them.
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.factories import TemplateFactory, VersionFactory
from workflows.core.status import InstanceStatus, StepStatus
from workflows.models import Instance, StepRun, TemplateVersion
from workflows.stats import PercentileCont, instance_metrics, template_stats

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def make_instance(version: TemplateVersion, status: str, duration_s: float | None = None, **fields) -> Instance:
    """An instance of ``version``; with ``duration_s`` it started at T0 and finished that much later."""
    if duration_s is not None:
        fields.setdefault("started_at", T0)
        fields.setdefault("finished_at", T0 + timedelta(seconds=duration_s))
    return Instance.objects.create(template=version.template, version=version, status=status, **fields)


def make_run(instance: Instance, node: str, attempt: int, status: str, start_s: float | None, end_s: float | None, **fields) -> StepRun:
    """A step run whose times are offsets in seconds from T0."""
    return StepRun.objects.create(
        instance=instance,
        node_id=node,
        node_type="task",
        attempt=attempt,
        status=status,
        started_at=T0 + timedelta(seconds=start_s) if start_s is not None else None,
        finished_at=T0 + timedelta(seconds=end_s) if end_s is not None else None,
        **fields,
    )


def percentile_cont(values: list[float], fraction: float) -> float:
    """Reference implementation (linear interpolation, as PostgreSQL's percentile_cont)."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@pytest.fixture
def populated():
    """alpha: 4 completed (10, 20, 30, 100 s), 1 failed (40 s), 1 cancelled before start, 1 running,
    1 pending; beta: 2 running; gamma: a template without instances."""
    alpha = VersionFactory(template=TemplateFactory(name="alpha", title="Alpha flow"))
    beta = VersionFactory(template=TemplateFactory(name="beta", title="Beta flow"))
    VersionFactory(template=TemplateFactory(name="gamma"))
    for seconds in (10, 20, 30, 100):
        make_instance(alpha, InstanceStatus.COMPLETED, seconds, business_key="big" if seconds == 100 else "")
    make_instance(alpha, InstanceStatus.FAILED, 40)
    make_instance(alpha, InstanceStatus.CANCELLED, finished_at=T0)  # cancelled while pending
    make_instance(alpha, InstanceStatus.RUNNING, started_at=T0)
    make_instance(alpha, InstanceStatus.PENDING)
    make_instance(beta, InstanceStatus.RUNNING, started_at=T0)
    make_instance(beta, InstanceStatus.RUNNING, started_at=T0)
    return alpha, beta


# --- template_stats --------------------------------------------------------------------------


def test_totals_by_status_include_every_status_with_zeros(populated):
    stats = template_stats()

    assert [s["template"] for s in stats] == ["alpha", "beta"]  # gamma has no instances
    alpha, beta = stats
    assert alpha["title"] == "Alpha flow"
    assert alpha["total"] == 8
    assert alpha["by_status"] == {
        "pending": 1,
        "running": 1,
        "paused": 0,
        "completed": 4,
        "failed": 1,
        "cancelled": 1,
        "timed_out": 0,
    }
    assert set(beta["by_status"]) == {s.value for s in InstanceStatus}
    assert beta["total"] == 2 and beta["by_status"]["running"] == 2
    assert sum(beta["by_status"].values()) == beta["total"]


def test_success_rate_is_completed_over_finished(populated):
    alpha, beta = template_stats()

    assert alpha["success_rate"] == pytest.approx(4 / 6)  # 4 completed of 4 + 1 failed + 1 cancelled
    assert beta["success_rate"] is None  # nothing finished


def test_durations_against_hand_computed_values(populated):
    alpha, beta = template_stats()

    # Finished instances with both timestamps: 10, 20, 30, 40 (failed), 100 s; the cancelled one
    # never started, the running and pending ones are not finished.
    durations = [10, 20, 30, 40, 100]
    assert alpha["avg_duration_s"] == pytest.approx(40.0)
    assert alpha["p50_duration_s"] == pytest.approx(30.0)
    # position 0.95 * 4 = 3.8: 40 + 0.8 * (100 - 40) = 88
    assert alpha["p95_duration_s"] == pytest.approx(88.0)
    assert alpha["p95_duration_s"] == pytest.approx(percentile_cont(durations, 0.95))
    assert alpha["avg_duration_s"] == pytest.approx(statistics.mean(durations))
    assert beta["avg_duration_s"] is None and beta["p50_duration_s"] is None and beta["p95_duration_s"] is None


def test_percentiles_with_sub_second_durations():
    version = VersionFactory(template=TemplateFactory(name="fast"))
    durations = [0.25, 0.5, 1.75, 0.125, 3.0, 0.75]
    for d in durations:
        make_instance(version, InstanceStatus.TIMED_OUT if d == 3.0 else InstanceStatus.COMPLETED, d)

    (fast,) = template_stats()

    assert fast["p50_duration_s"] == pytest.approx(percentile_cont(durations, 0.5))  # 0.625
    assert fast["p95_duration_s"] == pytest.approx(percentile_cont(durations, 0.95))
    assert fast["avg_duration_s"] == pytest.approx(statistics.mean(durations))
    assert fast["success_rate"] == pytest.approx(5 / 6)


def test_filtered_queryset(populated):
    stats = template_stats(Instance.objects.filter(status=InstanceStatus.COMPLETED).order_by("-created_at"))

    (alpha,) = stats  # beta has no completed instances
    assert alpha["total"] == 4
    assert alpha["by_status"]["completed"] == 4 and alpha["by_status"]["failed"] == 0
    assert alpha["success_rate"] == 1.0
    assert alpha["avg_duration_s"] == pytest.approx(40.0)  # (10 + 20 + 30 + 100) / 4
    assert alpha["p50_duration_s"] == pytest.approx(25.0)
    assert alpha["p95_duration_s"] == pytest.approx(percentile_cont([10, 20, 30, 100], 0.95))

    # The percentiles honour the filter too (exclude the 100 s outlier).
    (alpha,) = template_stats(Instance.objects.filter(template__name="alpha").exclude(business_key="big"))
    assert alpha["total"] == 7
    assert alpha["p95_duration_s"] == pytest.approx(percentile_cont([10, 20, 30, 40], 0.95))

    assert template_stats(Instance.objects.none()) == []


def test_query_count_is_constant(django_assert_max_num_queries):
    for t in range(5):
        version = VersionFactory(template=TemplateFactory(name=f"load-{t}"))
        statuses = list(InstanceStatus)
        Instance.objects.bulk_create(
            Instance(
                template=version.template,
                version=version,
                status=statuses[i % len(statuses)],
                started_at=T0,
                finished_at=T0 + timedelta(seconds=i + t),
            )
            for i in range(20)
        )

    with django_assert_max_num_queries(1):
        stats = template_stats()

    assert len(stats) == 5
    assert all(s["total"] == 20 for s in stats)


def test_percentile_cont_rejects_a_bad_fraction():
    with pytest.raises(ValueError):
        PercentileCont("x", 1.5)


# --- instance_metrics ------------------------------------------------------------------------


def test_metrics_with_retries():
    version = VersionFactory()
    instance = make_instance(version, InstanceStatus.COMPLETED, started_at=T0, finished_at=T0 + timedelta(seconds=10))
    make_run(instance, "a", 1, StepStatus.COMPLETED, 0, 1)
    make_run(instance, "b", 1, StepStatus.FAILED, 1, 3, error_type="Boom")  # 2 s, failed
    make_run(instance, "b", 2, StepStatus.COMPLETED, 5, 5.5)  # retried after backoff, 0.5 s

    m = instance_metrics(instance)

    assert m["instance"] == str(instance.pk)
    assert m["status"] == "completed"
    assert m["wall_s"] == pytest.approx(10.0)
    assert m["busy_s"] == pytest.approx(3.5)
    assert m["parallel_efficiency"] == pytest.approx(0.35)
    a, b = m["steps"]  # ordered by first start
    assert a["node"] == "a" and a["attempts"] == 1 and a["retries"] == 0 and a["status"] == "completed"
    assert a["duration_ms"] == pytest.approx(1000.0)
    assert b == {
        "node": "b",
        "attempts": 2,
        "runs": 2,
        "retries": 1,
        "status": "completed",  # of the latest attempt, not the failed one
        "duration_ms": pytest.approx(2500.0),
        "last_duration_ms": pytest.approx(500.0),
        "first_started_at": (T0 + timedelta(seconds=1)).isoformat(),
        "last_finished_at": (T0 + timedelta(seconds=5.5)).isoformat(),
    }
    assert m["totals"] == {"step_runs": 3, "retries": 1, "failed_attempts": 1}


def test_parallel_efficiency_of_overlapping_steps():
    version = VersionFactory()
    instance = make_instance(version, InstanceStatus.COMPLETED, 1)
    make_run(instance, "left", 1, StepStatus.COMPLETED, 0, 1)
    make_run(instance, "right", 1, StepStatus.COMPLETED, 0, 1)

    m = instance_metrics(instance)

    assert m["wall_s"] == pytest.approx(1.0)
    assert m["busy_s"] == pytest.approx(2.0)
    assert m["parallel_efficiency"] == pytest.approx(2.0)


def test_running_instance_measures_wall_time_to_now():
    version = VersionFactory()
    started = timezone.now() - timedelta(seconds=30)
    instance = make_instance(version, InstanceStatus.RUNNING, started_at=started)
    run = {"instance": instance, "node_type": "task", "attempt": 1}
    StepRun.objects.create(**run, node_id="a", status=StepStatus.COMPLETED, started_at=started, finished_at=started + timedelta(seconds=3))
    StepRun.objects.create(**run, node_id="b", status=StepStatus.RUNNING, started_at=started + timedelta(seconds=3))
    StepRun.objects.create(**run, node_id="c", status=StepStatus.SCHEDULED)

    m = instance_metrics(instance)

    assert m["wall_s"] is not None and 30 <= m["wall_s"] < 60
    assert m["busy_s"] == pytest.approx(3.0)  # the running step has no finish yet
    assert m["parallel_efficiency"] == pytest.approx(3.0 / m["wall_s"])
    assert [s["node"] for s in m["steps"]] == ["a", "b", "c"]  # never-started steps last
    running, scheduled = m["steps"][1:]
    assert running["status"] == "running" and running["duration_ms"] is None and running["last_finished_at"] is None
    assert scheduled["status"] == "scheduled" and scheduled["first_started_at"] is None
    assert m["totals"] == {"step_runs": 3, "retries": 0, "failed_attempts": 0}


def test_metrics_of_a_pending_instance():
    instance = make_instance(VersionFactory(), InstanceStatus.PENDING)

    m = instance_metrics(instance)

    assert m["wall_s"] is None and m["parallel_efficiency"] is None
    assert m["busy_s"] == 0.0 and m["steps"] == []
    assert m["totals"] == {"step_runs": 0, "retries": 0, "failed_attempts": 0}


def test_metrics_count_fan_out_retries_and_timeouts_per_item():
    instance = make_instance(VersionFactory(), InstanceStatus.FAILED, 20)
    make_run(instance, "each", 1, StepStatus.COMPLETED, 0, 1, item_key="0")
    make_run(instance, "each", 1, StepStatus.TIMED_OUT, 0, 2, item_key="1")
    make_run(instance, "each", 2, StepStatus.FAILED, 3, 4, item_key="1")
    make_run(instance, "each", 1, StepStatus.FAILED, 0, 1, item_key="2")
    make_run(instance, "each", 2, StepStatus.COMPLETED, 2, 3, item_key="2")

    (each,) = instance_metrics(instance)["steps"]

    assert each["attempts"] == 2 and each["runs"] == 5
    assert each["retries"] == 2  # one per retried item
    assert each["status"] == "completed"  # the latest attempt written
    assert each["duration_ms"] == pytest.approx(6000.0)
    assert instance_metrics(instance)["totals"] == {"step_runs": 5, "retries": 2, "failed_attempts": 3}


def test_metrics_use_one_query(django_assert_max_num_queries):
    instance = make_instance(VersionFactory(), InstanceStatus.COMPLETED, 60)
    for n in range(10):
        for attempt in (1, 2, 3):
            make_run(instance, f"n{n}", attempt, StepStatus.COMPLETED, n + attempt, n + attempt + 0.5)

    with django_assert_max_num_queries(1):
        m = instance_metrics(instance)

    assert len(m["steps"]) == 10 and m["totals"]["retries"] == 20
