"""Cron maths for schedules (DESIGN §3 "Schedule"): parse, validate, and the next fire times in a
time zone, correct across daylight-saving changes. Pure: croniter and zoneinfo, no Django.

croniter walks *wall-clock* times (naive datetimes); this module maps each wall time to one
instant in the zone:

- a wall time that exists once is that instant;
- one that exists twice (the clocks go back) is its first occurrence, so a 01:30 daily fires once
  that night, not twice;
- one that does not exist (the clocks go forward) is the first valid moment after the gap, so a
  02:30 daily fires at 03:00 that day; several wall times inside one gap fire once.

The mapping never goes backwards, so the fire times are strictly increasing (equal instants are
merged).

Expressions have 5 fields (minute hour day-of-month month day-of-week) or the macros ``@hourly``,
``@daily``, ``@weekly``, ``@monthly``, ``@yearly``; 6 fields put **seconds first** (as Quartz and
Spring do): ``*/5 * * * * *`` fires every five seconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import croniter
from croniter.croniter import CroniterBadDateError, CroniterError

MAX_LENGTH = 200
FIELDS_5 = ("minute", "hour", "day of month", "month", "day of week")
FIELDS_6 = ("second", *FIELDS_5)
RANGES = {"second": "0-59", "minute": "0-59", "hour": "0-23", "day of month": "1-31", "month": "1-12 or jan-dec", "day of week": "0-6 or sun-sat"}
MACROS = {"@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"}
#: An expression that does not fire within this many years is refused ("0 0 30 2 *").
HORIZON_YEARS = 5
UTC = timezone.utc


class CronError(ValueError):
    """What is wrong with an expression or a zone, in words a person can act on; ``field`` is the
    schedule's field to blame (``cron`` or ``timezone``)."""

    def __init__(self, message: str, *, field: str = "cron"):
        super().__init__(message)
        self.field = field


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` ("Europe/Paris", "UTC"), or a CronError naming it."""
    if not isinstance(name, str) or not name.strip():
        raise CronError("a time zone is required (an IANA name such as Europe/Paris or UTC)", field="timezone")
    # Paths and odd spellings: zoneinfo would read a file outside its database for some of them.
    if name != name.strip() or name.startswith(("/", ".")) or ".." in name or len(name) > 64:
        raise CronError(f"{name[:64]!r} is not an IANA time zone name", field="timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        hint = _suggest(name)
        raise CronError(f"unknown time zone {name!r}{hint}", field="timezone") from None


def _suggest(name: str) -> str:
    lowered = name.lower()
    match = next((z for z in sorted(available_timezones()) if z.lower() == lowered), None)
    return f" (did you mean {match}?)" if match else " (use an IANA name such as Europe/Paris or UTC)"


def fields_of(expression: str) -> tuple[str, ...]:
    """The names of the expression's fields (raises for a wrong count)."""
    parts = expression.split()
    if len(parts) == 1 and parts[0].lower() in MACROS:
        return ()
    if len(parts) == 5:
        return FIELDS_5
    if len(parts) == 6:
        return FIELDS_6
    raise CronError(
        f"a cron expression has 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first; {expression!r} has {len(parts)}"
    )


def validate(expression: str) -> str:
    """The expression, normalised (single spaces), or a CronError naming the field at fault."""
    if not isinstance(expression, str) or not expression.strip():
        raise CronError("a cron expression is required, such as '0 2 * * *' (02:00 every day)")
    if len(expression) > MAX_LENGTH:
        raise CronError(f"a cron expression is at most {MAX_LENGTH} characters")
    expression = " ".join(expression.split())
    names = fields_of(expression)
    try:
        _iterator(expression, datetime(2000, 1, 1)).get_next(datetime)
    except CroniterBadDateError:  # valid, but no such date ("0 0 30 2 *": February 30th)
        raise CronError(f"{expression!r} never fires (no such date within {HORIZON_YEARS} years)") from None
    except CroniterError as exc:
        raise CronError(_blame(expression, names) or f"{expression!r} is not a valid cron expression ({exc})") from None
    return expression


def _blame(expression: str, names: tuple[str, ...]) -> str | None:
    """Which field croniter refused: each field tried alone, the others '*'."""
    parts = expression.split()
    for index, name in enumerate(names):
        probe = ["*"] * len(parts)
        probe[index] = parts[index]
        try:
            _iterator(" ".join(probe), datetime(2000, 1, 1)).get_next(datetime)
        except CroniterError:
            return f"{name}: {parts[index]!r} is not valid here (allowed: {RANGES[name]}, with * , - /)"
    return None


def _iterator(expression: str, start: datetime, *, years: int | None = None, backwards: bool = False) -> croniter:
    six = len(expression.split()) == 6
    return croniter(expression, start, second_at_beginning=six, max_years_between_matches=years or HORIZON_YEARS, is_prev=backwards)


def _wall(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def resolve(wall: datetime, tz: ZoneInfo) -> datetime:
    """The instant (UTC) a wall-clock time stands for in ``tz`` (see the module's rules)."""
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _wall(first, tz) == wall:
        return first  # exists (its first occurrence, if twice)
    # In a gap: fold=1 reads the wall time with the offset after the change (an instant before
    # it), fold=0 with the offset before (an instant after it). Offsets and transitions are whole
    # seconds: bisect to the first second whose wall time is past the gap, the change itself.
    low, high = wall.replace(tzinfo=tz, fold=1).astimezone(UTC), first
    while high - low > timedelta(seconds=1):
        mid = low + timedelta(seconds=(high - low) // timedelta(seconds=1) // 2)
        if _wall(mid, tz) >= wall:
            high = mid
        else:
            low = mid
    return high


def next_fires(expression: str, tz: str | ZoneInfo, after: datetime, count: int = 5) -> list[datetime]:
    """The next ``count`` fire times strictly after ``after`` (aware), as aware datetimes in ``tz``."""
    tz = zone(tz) if isinstance(tz, str) else tz
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    after = after.astimezone(UTC)
    local = after.astimezone(tz)
    # Inside a repeated hour (its second pass) some later wall times stand for earlier instants:
    # start from the hour's first pass and let the "after" test drop them.
    start = _wall(after, tz)
    if local.fold:
        start -= local.replace(fold=0).utcoffset() - local.utcoffset()
    walls = _iterator(expression, start - timedelta(microseconds=1))
    out: list[datetime] = []
    last = after
    while len(out) < count:
        try:
            wall = walls.get_next(datetime)
        except CroniterError:
            break  # never again (a date that no longer comes within the horizon)
        instant = resolve(wall, tz)
        if instant > last:
            out.append(instant.astimezone(tz))
            last = instant
    return out


def next_fire(expression: str, tz: str | ZoneInfo, after: datetime) -> datetime | None:
    found = next_fires(expression, tz, after, 1)
    return found[0] if found else None


def iso(moment: datetime, tz: str | ZoneInfo) -> str:
    """``moment`` in ``tz``, ISO 8601 with its offset ("2026-12-01T02:00:00+01:00")."""
    tz = zone(tz) if isinstance(tz, str) else tz
    return moment.astimezone(tz).isoformat(timespec="seconds" if moment.microsecond == 0 else "milliseconds")
