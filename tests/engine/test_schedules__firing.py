"""Firing schedules (workflows.scheduling) on a real PostgreSQL: exactly once with two engines,
across daylight-saving changes, each overlap policy, catch-up after downtime, and isolation of a
schedule that cannot fire."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
from django.db import connection

from tests.factories import VersionFactory, chain_graph
from workflows import engine, scheduling, schedules, timers
from workflows.models import Fault, Instance, Schedule

UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def template(db):
    """A published template whose runs stay open (its steps wait for a worker nobody runs here)."""
    return VersionFactory(template__name="nightly", number=1, graph=chain_graph("a", "b")).template


def make(template, *, due: str | None = None, **fields) -> Schedule:
    fields = {"name": "nightly-run", "template": template, "cron": "0 2 * * *", "timezone": "Europe/Paris", **fields}
    schedule = schedules.create(**fields)
    if due:
        Schedule.objects.filter(pk=schedule.pk).update(next_fire_at=at(due))
        schedule.refresh_from_db()
    return schedule


def runs(schedule):
    return list(Instance.objects.filter(schedule=schedule).order_by("created_at"))


def test_a_due_schedule_starts_one_run_named_by_the_schedule_and_fire_time_and_arms_the_next(template):
    schedule = make(template, due="2026-12-01T02:00:00+01:00", input={"mode": "full"}, priority=70)
    assert scheduling.fire_due(at("2026-12-01T02:00:00.050+01:00").timestamp()) == 1
    (run,) = runs(schedule)
    assert run.business_key == run.idempotency_key == "schedule:nightly-run:2026-12-01T02:00:00+01:00"
    assert (run.input, run.priority, run.version.number, run.status) == ({"mode": "full"}, 70, 1, "running")
    schedule.refresh_from_db()
    assert schedule.next_fire_at == at("2026-12-02T02:00:00+01:00")
    assert schedule.last_fired_at == at("2026-12-01T02:00:00+01:00")
    # the same moment again: nothing is due any more
    assert scheduling.fire_due(at("2026-12-01T02:00:01+01:00").timestamp()) == 0
    assert len(runs(schedule)) == 1


def test_nothing_fires_before_its_time_or_while_paused(template):
    schedule = make(template, due="2026-12-01T02:00:00+01:00")
    assert scheduling.fire_due(at("2026-12-01T01:59:59+01:00").timestamp()) == 0
    schedules.pause(schedule)
    assert scheduling.fire_due(at("2026-12-05T02:00:00+01:00").timestamp()) == 0
    assert runs(schedule) == [] and scheduling.next_due() is None


def test_next_due_is_the_earliest_enabled_fire(template):
    make(template, due="2026-12-01T02:00:00+01:00")
    make(template, name="later", due="2026-12-03T02:00:00+01:00")
    paused = make(template, name="paused")
    schedules.pause(paused)
    assert scheduling.next_due() == at("2026-12-01T02:00:00+01:00").timestamp()


def test_a_pinned_version_runs_even_after_a_newer_one_is_published(template):
    VersionFactory(template=template, number=2)
    pinned = make(template, version=1, due="2026-12-01T02:00:00+01:00")
    latest = make(template, name="latest", due="2026-12-01T02:00:00+01:00")
    scheduling.fire_due(at("2026-12-01T02:00:01+01:00").timestamp())
    assert [r.version.number for r in runs(pinned)] == [1]
    assert [r.version.number for r in runs(latest)] == [2]


def test_the_fire_key_guards_against_a_second_start_of_the_same_fire(template):
    schedule = make(template)
    fire = at("2026-12-01T02:00:00+01:00")
    assert scheduling._start(schedule, fire) == 1
    assert scheduling._start(schedule, fire) == 0
    assert len(runs(schedule)) == 1


# --- two engines ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_engines_firing_the_same_due_schedules_at_once_start_each_run_once():
    template = VersionFactory(template__name="nightly", number=1, graph=chain_graph("a")).template
    made = [make(template, name=f"s{i}", due="2026-12-01T02:00:00+01:00") for i in range(8)]
    now = at("2026-12-01T02:00:00.010+01:00").timestamp()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def engine_loop():
        try:
            barrier.wait()
            results.append(scheduling.fire_due(now))  # its own database connection (per thread)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=engine_loop) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert sum(results) == 8
    for schedule in made:
        assert Instance.objects.filter(schedule=schedule).count() == 1
        schedule.refresh_from_db()
        assert schedule.next_fire_at == at("2026-12-02T02:00:00+01:00")


# --- daylight saving -------------------------------------------------------------------------------------


def fire_through(schedule, start: str, end: str) -> list[str]:
    """Let the loop run from ``start`` to ``end``, firing at each next_fire_at; the run keys."""
    schedules.arm(schedule, now=at(start).timestamp())
    schedule.save()
    stop = at(end)
    while True:
        schedule.refresh_from_db()
        if schedule.next_fire_at is None or schedule.next_fire_at > stop:
            break
        for run in Instance.objects.filter(schedule=schedule).exclude(status="cancelled"):
            engine.cancel_instance(run.pk)
        scheduling.fire_due(schedule.next_fire_at.timestamp() + 0.01)
    return [r.business_key for r in runs(schedule)]


def test_on_spring_forward_a_time_in_the_gap_fires_once_just_after_it(template):
    schedule = make(template, cron="30 2 * * *")
    assert fire_through(schedule, "2026-03-28T12:00:00+00:00", "2026-03-30T12:00:00+00:00") == [
        "schedule:nightly-run:2026-03-29T03:00:00+02:00",
        "schedule:nightly-run:2026-03-30T02:30:00+02:00",
    ]


def test_on_fall_back_a_time_in_the_repeated_hour_fires_once(template):
    schedule = make(template, cron="30 2 * * *")
    assert fire_through(schedule, "2026-10-24T12:00:00+00:00", "2026-10-26T12:00:00+00:00") == [
        "schedule:nightly-run:2026-10-25T02:30:00+02:00",
        "schedule:nightly-run:2026-10-26T02:30:00+01:00",
    ]


# --- overlap ---------------------------------------------------------------------------------------------

FIRST, SECOND, THIRD = "2026-12-01T02:00:00+01:00", "2026-12-02T02:00:00+01:00", "2026-12-03T02:00:00+01:00"


def fire(schedule, when: str) -> int:
    Schedule.objects.filter(pk=schedule.pk).update(next_fire_at=at(when))
    return scheduling.fire_due(at(when).timestamp() + 0.01)


def test_skip_starts_nothing_while_the_previous_run_is_open(template):
    schedule = make(template, overlap="skip")
    assert fire(schedule, FIRST) == 1
    assert fire(schedule, SECOND) == 0
    engine.cancel_instance(runs(schedule)[0].pk)
    assert fire(schedule, THIRD) == 1
    assert [r.business_key for r in runs(schedule)] == [f"schedule:nightly-run:{FIRST}", f"schedule:nightly-run:{THIRD}"]


def test_allow_lets_runs_overlap(template):
    schedule = make(template, overlap="allow")
    assert fire(schedule, FIRST) + fire(schedule, SECOND) == 2
    assert [r.status for r in runs(schedule)] == ["running", "running"]


@pytest.mark.django_db(transaction=True)
def test_cancel_previous_starts_the_new_run_and_cancels_the_open_one_after_the_commit():
    template = VersionFactory(template__name="nightly", number=1, graph=chain_graph("a", "b")).template
    schedule = make(template, overlap="cancel_previous")
    assert fire(schedule, FIRST) == 1
    assert fire(schedule, SECOND) == 1
    first, second = runs(schedule)
    assert (first.status, second.status) == ("cancelled", "running")
    assert first.events.get(type="instance_cancelled").data["error"]["message"] == "cancelled by schedule nightly-run: a newer run started"


def test_buffer_one_keeps_one_fire_and_starts_it_when_the_open_run_ends(template):
    schedule = make(template, overlap="buffer_one")
    assert fire(schedule, FIRST) == 1
    assert fire(schedule, SECOND) == 0
    assert fire(schedule, THIRD) == 0  # dropped: one is already waiting
    schedule.refresh_from_db()
    assert schedule.buffered_fire_at == at(SECOND)
    later = at(THIRD).timestamp() + 5
    assert scheduling.fire_due(later) == 0  # the first run is still open
    assert scheduling.next_due() > later  # not due: the loop sleeps until the next fire
    engine.cancel_instance(runs(schedule)[0].pk)
    assert scheduling.next_due() <= later  # due now: the loop ticks
    assert scheduling.fire_due(later) == 1
    assert runs(schedule)[1].business_key == "schedule:nightly-run:2026-12-02T02:00:00+01:00"
    schedule.refresh_from_db()
    assert schedule.buffered_fire_at is None


# --- catch-up ----------------------------------------------------------------------------------------------


def test_after_downtime_catch_up_fires_once_for_what_was_missed_then_waits_for_the_next(template):
    schedule = make(template, catch_up=True, due=FIRST)
    now = at("2026-12-04T09:00:00+01:00").timestamp()
    assert scheduling.fire_due(now) == 1
    assert scheduling.fire_due(now + 1) == 0
    assert [r.business_key for r in runs(schedule)] == ["schedule:nightly-run:2026-12-01T02:00:00+01:00"]
    schedule.refresh_from_db()
    assert schedule.next_fire_at == at("2026-12-05T02:00:00+01:00")


def test_after_downtime_without_catch_up_nothing_fires_until_the_next_time(template):
    schedule = make(template, catch_up=False, due=FIRST)
    assert scheduling.fire_due(at("2026-12-04T09:00:00+01:00").timestamp()) == 0
    schedule.refresh_from_db()
    assert runs(schedule) == [] and schedule.next_fire_at == at("2026-12-05T02:00:00+01:00")


def test_a_fire_a_little_late_is_not_a_missed_one(template):
    schedule = make(template, catch_up=False, due=FIRST)
    assert scheduling.fire_due(at(FIRST).timestamp() + scheduling.TOLERANCE_S - 1) == 1
    assert len(runs(schedule)) == 1


# --- isolation ---------------------------------------------------------------------------------------------


def test_a_schedule_that_cannot_fire_is_recorded_and_backed_off_while_the_others_fire(template):
    now = time.time()  # real time: a fault's backoff is counted from the real clock
    due = engine.to_dt(now - 0.5).isoformat()
    broken_template = VersionFactory(template__name="retired", number=1).template
    broken = make(broken_template, name="broken", due=due)
    healthy = make(template, name="healthy", due=due)
    broken_template.archived_at = at(due)
    broken_template.save()
    done = timers.tick(now)
    assert done["schedules"] == 1
    assert len(runs(healthy)) == 1 and runs(broken) == []
    fault = Fault.objects.get(source="schedule", target=str(broken.pk))
    assert "archived" in fault.error_message
    broken.refresh_from_db()
    assert broken.retry_at.timestamp() > now and broken.next_fire_at == at(due)  # the fire is kept, retried later
    assert scheduling.fire_due(now + 0.01) == 0  # backed off
    assert Fault.objects.get(pk=fault.pk).attempts == 1
    assert scheduling.next_due() == pytest.approx(broken.retry_at.timestamp())
    # once it can start again, the retry fires it (within the tolerance: late, not missed) and clears the fault
    broken_template.archived_at = None
    broken_template.save()
    assert scheduling.fire_due(broken.retry_at.timestamp() + 0.01) == 1
    assert not Fault.objects.filter(pk=fault.pk).exists()
