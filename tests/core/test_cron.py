"""Cron maths (workflows.core.cron): validation names the problem; fire times are strictly
increasing, match the expression in the zone's wall time where that time exists, never fire twice
for one wall time, and miss none, across daylight-saving changes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.core import cron

UTC = timezone.utc
PARIS = "Europe/Paris"


def fires(expression, zone, after, count=5):
    return [f.isoformat() for f in cron.next_fires(expression, zone, after, count)]


# --- examples ---------------------------------------------------------------------------------------


def test_a_daily_schedule_fires_at_its_wall_time_with_the_zones_offset():
    assert fires("0 2 * * *", PARIS, datetime(2026, 12, 1, 0, tzinfo=UTC), 2) == ["2026-12-01T02:00:00+01:00", "2026-12-02T02:00:00+01:00"]


def test_on_spring_forward_a_time_in_the_gap_fires_once_at_the_first_moment_after_it():
    # Paris, 29 March 2026: 02:00 becomes 03:00; 02:30 does not exist that day.
    assert fires("30 2 * * *", PARIS, datetime(2026, 3, 28, 12, tzinfo=UTC), 3) == [
        "2026-03-29T03:00:00+02:00",
        "2026-03-30T02:30:00+02:00",
        "2026-03-31T02:30:00+02:00",
    ]
    # three wall times inside the gap, one fire; 03:00 itself is the same moment
    assert fires("0,20,40 2,3 * * *", PARIS, datetime(2026, 3, 28, 23, tzinfo=UTC), 4) == [
        "2026-03-29T03:00:00+02:00",
        "2026-03-29T03:20:00+02:00",
        "2026-03-29T03:40:00+02:00",
        "2026-03-30T02:00:00+02:00",
    ]


def test_on_fall_back_a_time_in_the_repeated_hour_fires_once_not_twice():
    # Paris, 25 October 2026: 03:00 becomes 02:00; 02:30 happens twice, 01:30 once.
    assert fires("30 2 * * *", PARIS, datetime(2026, 10, 24, 12, tzinfo=UTC), 2) == ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]
    assert fires("30 1 * * *", PARIS, datetime(2026, 10, 24, 12, tzinfo=UTC), 2) == ["2026-10-25T01:30:00+02:00", "2026-10-26T01:30:00+01:00"]
    # asked during the second pass of the repeated hour: the first pass's 02:30 is already past
    second_pass = datetime(2026, 10, 25, 1, 10, tzinfo=UTC)  # 02:10+01:00
    assert fires("30 2 * * *", PARIS, second_pass, 1) == ["2026-10-26T02:30:00+01:00"]


def test_six_fields_put_seconds_first():
    assert fires("*/20 * * * * *", "UTC", datetime(2026, 1, 1, 0, 0, 5, 500, tzinfo=UTC), 3) == [
        "2026-01-01T00:00:20+00:00",
        "2026-01-01T00:00:40+00:00",
        "2026-01-01T00:01:00+00:00",
    ]


def test_the_macros_are_understood():
    assert fires("@daily", "UTC", datetime(2026, 1, 1, 12, tzinfo=UTC), 1) == ["2026-01-02T00:00:00+00:00"]


@pytest.mark.parametrize(
    "expression, message",
    [
        ("", "a cron expression is required"),
        ("* * * *", "has 4"),
        ("* * * * * * *", "has 7"),
        ("61 * * * *", "minute: '61' is not valid here (allowed: 0-59"),
        ("0 24 * * *", "hour: '24'"),
        ("0 0 32 * *", "day of month: '32'"),
        ("0 0 * 13 *", "month: '13'"),
        ("0 0 * * 8", "day of week: '8'"),
        ("70 * * * * *", "second: '70'"),
        ("H * * * *", "minute: 'H'"),
        ("0 0 30 2 *", "never fires"),
        ("x" * 300, "at most 200 characters"),
    ],
)
def test_validation_names_what_is_wrong(expression, message):
    with pytest.raises(cron.CronError, match=message.replace("(", r"\(").replace("*", r"\*")) as caught:
        cron.validate(expression)
    assert caught.value.field == "cron"


def test_validation_normalises_spaces_and_accepts_names():
    assert cron.validate("  0  2 * *   mon-fri ") == "0 2 * * mon-fri"


@pytest.mark.parametrize(
    "name, message",
    [("", "a time zone is required"), ("Mars/Olympus", "unknown time zone 'Mars/Olympus'"), ("europe/paris", "did you mean Europe/Paris"), ("../../etc/passwd", "not an IANA")],
)
def test_an_unknown_time_zone_is_refused_by_name(name, message):
    with pytest.raises(cron.CronError, match=message) as caught:
        cron.zone(name)
    assert caught.value.field == "timezone"


def test_iso_keeps_the_offset():
    assert cron.iso(datetime(2026, 12, 1, 1, tzinfo=UTC), PARIS) == "2026-12-01T02:00:00+01:00"


# --- properties ----------------------------------------------------------------------------------------

ZONES = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Pacific/Chatham", "Asia/Kolkata", "UTC"]


@lru_cache
def transitions(name: str) -> list[datetime]:
    """The instants in 2026 where the zone's offset changes (found hour by hour, then by minute)."""
    tz = ZoneInfo(name)
    out = []
    t = datetime(2026, 1, 1, tzinfo=UTC)
    while t.year == 2026:
        nxt = t + timedelta(hours=1)
        if t.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            m = t
            while m.astimezone(tz).utcoffset() == t.astimezone(tz).utcoffset():
                m += timedelta(minutes=1)
            out.append(m)
        t = nxt
    return out or [datetime(2026, 6, 1, tzinfo=UTC)]


expressions = st.builds(
    lambda minute, hour, dow: f"{minute} {hour} * * {dow}",
    st.sampled_from(["*/15", "0", "30", "0,30", "5-10", "45", "*/20"]),
    st.sampled_from(["*", "1", "2", "0-3", "*/2", "1,2,3", "23"]),
    st.sampled_from(["*", "*", "1-5", "0,6"]),
)


@st.composite
def moments(draw):
    """A zone and a moment near one of its daylight-saving changes (where the bugs live)."""
    name = draw(st.sampled_from(ZONES))
    base = draw(st.sampled_from(transitions(name)))
    return name, base + timedelta(seconds=draw(st.integers(-36 * 3600, 36 * 3600)))


@settings(max_examples=200, deadline=None)
@given(expressions, moments())
def test_fire_times_increase_match_the_wall_clock_and_never_repeat_a_wall_time(expression, at):
    name, after = at
    tz = ZoneInfo(name)
    found = cron.next_fires(expression, name, after, 12)
    assert found, "a schedule of these shapes always fires within a week"
    instants = [f.astimezone(UTC) for f in found]
    assert instants[0] > after
    assert all(a < b for a, b in zip(instants, instants[1:])), "strictly increasing"
    walls = [f.astimezone(tz).replace(tzinfo=None) for f in found]
    assert len(set(walls)) == len(walls), "never twice for the same wall time"
    for instant, wall in zip(instants, walls):
        if not croniter.match(expression, wall):
            # only a wall time that did not exist may move: to the first moment after its gap
            before = (instant - timedelta(seconds=1)).astimezone(tz)
            assert before.utcoffset() < instant.astimezone(tz).utcoffset(), f"{instant} is neither a matching wall time nor a gap's end"


@settings(max_examples=100, deadline=None)
@given(expressions, moments())
def test_no_existing_matching_wall_time_is_missed(expression, at):
    name, after = at
    tz = ZoneInfo(name)
    found = cron.next_fires(expression, name, after, 4)
    last = found[-1].astimezone(UTC)
    fired = {f.astimezone(UTC) for f in found}
    # every minute in (after, last] whose wall time matches fires at that instant, unless the same
    # wall time already fired earlier (its first occurrence, in a repeated hour)
    t = (after + timedelta(minutes=1)).replace(second=0, microsecond=0)
    minutes, hours, _, _, days = (None if f == ["*"] else set(f) for f in croniter(expression).expanded)

    def matches(w):  # croniter.match, without parsing the expression every minute
        return (minutes is None or w.minute in minutes) and (hours is None or w.hour in hours) and (days is None or (w.weekday() + 1) % 7 in days)

    seen_walls = set()
    while t <= last:
        wall = t.astimezone(tz).replace(tzinfo=None)
        if matches(wall) and wall not in seen_walls and t.astimezone(tz).fold == 0:
            assert t in fired, f"{wall} ({t}) should have fired"
        seen_walls.add(wall)
        t += timedelta(minutes=1)


@settings(max_examples=100, deadline=None)
@given(expressions, moments(), st.integers(1, 6))
def test_asking_again_from_a_fire_time_gives_the_rest_of_the_same_sequence(expression, at, k):
    name, after = at
    found = cron.next_fires(expression, name, after, 8)
    assert cron.next_fires(expression, name, found[k - 1], 8 - k) == found[k:]
