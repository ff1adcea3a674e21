"""Writing schedules (DESIGN §3 "Schedule"): every writer — the API, the CLI, the admin and the
demo set-up — checks the same things here, field by field, and nothing is written when one is
wrong. Firing is ``workflows.scheduling``'s.

Changing the cron, the zone or resuming arms the next fire from now; the row is locked while it
changes, so an engine firing it at that moment waits and then sees the new timer.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from workflows.core import cron
from workflows.core.values import json_size
from workflows.engine import to_dt
from workflows.models import Schedule, Template, TemplateVersion
from workflows.sql import unstorable

MAX_NAME = Schedule._meta.get_field("name").max_length
#: What a writer may set; the rest (timers, who, when) is the engine's and the clock's.
EDITABLE = ("name", "template", "version", "cron", "timezone", "input", "priority", "overlap", "catch_up", "enabled")
OVERLAPS = [choice.value for choice in Schedule.Overlap]


def problems(data: Mapping[str, Any], *, current: Schedule | None = None) -> dict[str, list[str]]:
    """What is wrong with ``data`` (a create's fields, or an update's changes to ``current``), by
    field. ``template`` is a name or a Template. Messages never repeat a large value."""
    found: dict[str, list[str]] = {}

    def bad(field: str, message: str) -> None:
        found.setdefault(field, []).append(message)

    if "name" in data:
        name = data["name"]
        if not isinstance(name, str) or not name or slugify(name) != name or len(name) > MAX_NAME:
            bad("name", f"use lower-case letters, digits, - and _ (at most {MAX_NAME} characters)")
        elif Schedule.objects.filter(name=name).exclude(pk=getattr(current, "pk", None)).exists():
            bad("name", f"a schedule named {name!r} already exists")
    template = data.get("template", current.template if current else None)
    if "template" in data:
        template = _template(data["template"], bad)
    elif current is None:
        bad("template", "a template is required")
    if "cron" in data or current is None:
        try:
            cron.validate(data.get("cron", ""))
        except cron.CronError as exc:
            bad("cron", str(exc))
    if "timezone" in data:
        try:
            cron.zone(data["timezone"])
        except cron.CronError as exc:
            bad("timezone", str(exc))
    if "input" in data:
        value = data["input"]
        limit = settings.FLOWDESK["MAX_INPUT_BYTES"]
        if not isinstance(value, dict):
            bad("input", "must be a JSON object")
        elif problem := unstorable(value, "input"):
            bad("input", problem)
        elif (size := json_size(value)) > limit:
            bad("input", f"is {size:,} bytes; the limit is {limit:,}")
    if "priority" in data and not (_is_int(data["priority"]) and 0 <= data["priority"] <= 100):
        bad("priority", "must be a whole number from 0 to 100")
    if "overlap" in data and data["overlap"] not in OVERLAPS:
        bad("overlap", f"must be one of {', '.join(OVERLAPS)}")
    for flag in ("catch_up", "enabled"):
        if flag in data and not isinstance(data[flag], bool):
            bad(flag, "must be true or false")
    version = data.get("version", current.version if current else None)
    if "version" in data and version is not None and not (_is_int(version) and version >= 1):
        bad("version", "must be a version number (1 or more), or null for the latest published one")
    elif isinstance(template, Template) and "template" not in found and ("version" in data or "template" in data):
        published = TemplateVersion.objects.filter(template=template, status=TemplateVersion.Status.PUBLISHED)
        if version is not None and not published.filter(number=version).exists():
            bad("version", f"template {template.name!r} has no published version {version}")
        elif version is None and not published.exists():
            bad("template", f"template {template.name!r} has no published version yet; publish it first")
    return found


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _template(value: Any, bad) -> Template | None:
    if isinstance(value, Template):
        template = value
    elif isinstance(value, str) and value:
        template = Template.objects.filter(name=value).first()
        if template is None:
            bad("template", f"no template named {value[:100]!r}")
            return None
    else:
        bad("template", "a template name is required")
        return None
    if template.archived_at:
        bad("template", f"template {template.name!r} is archived; it cannot start new instances")
    return template


def check(data: Mapping[str, Any], *, current: Schedule | None = None) -> None:
    """Raise ``ValidationError({field: [messages]})`` when ``data`` has problems."""
    unknown = sorted(set(data) - set(EDITABLE))
    found = {name: ["unknown field"] for name in unknown}
    found.update(problems(data, current=current))
    if found:
        raise ValidationError(found)


def upcoming(schedule: Schedule, count: int = 5, *, after: datetime | None = None) -> list[datetime]:
    """The next ``count`` fire times after ``after`` (now), in the schedule's zone."""
    try:
        return cron.next_fires(schedule.cron, schedule.timezone, after or to_dt(time.time()), count)
    except (cron.CronError, ValueError):
        return []  # a row written around the checks (a migration, the shell): shown as nothing due


def arm(schedule: Schedule, now: float | None = None) -> None:
    """Set the next fire from now (none while paused); the caller saves."""
    schedule.retry_at = None
    if not schedule.enabled:
        schedule.next_fire_at = None
        schedule.buffered_fire_at = None
        return
    found = upcoming(schedule, 1, after=to_dt(time.time() if now is None else now))
    schedule.next_fire_at = found[0] if found else None


def create(*, user=None, **data: Any) -> Schedule:
    check(data)
    fields = dict(data)
    if isinstance(fields["template"], str):
        fields["template"] = Template.objects.get(name=fields["template"])
    fields["cron"] = cron.validate(fields["cron"])
    schedule = Schedule(created_by=user if getattr(user, "is_authenticated", False) else None, **fields)
    arm(schedule)
    schedule.save()
    return schedule


def update(schedule: Schedule, **changes: Any) -> Schedule:
    """Apply ``changes``; a new cron, zone or enabled state re-arms the next fire from now."""
    check(changes, current=schedule)
    with transaction.atomic():
        locked = Schedule.objects.select_for_update().get(pk=schedule.pk)
        if isinstance(changes.get("template"), str):
            changes["template"] = Template.objects.get(name=changes["template"])
        if "cron" in changes:
            changes["cron"] = cron.validate(changes["cron"])
        rearm = any(k in changes and changes[k] != getattr(locked, k) for k in ("cron", "timezone", "enabled"))
        for field, value in changes.items():
            setattr(locked, field, value)
        if rearm:
            arm(locked)
        locked.save()
    return locked


def pause(schedule: Schedule) -> Schedule:
    return update(schedule, enabled=False)


def resume(schedule: Schedule) -> Schedule:
    """Enable again: the next fire is the first one after now (nothing missed while paused fires)."""
    return update(schedule, enabled=True)


def delete(schedule: Schedule) -> None:
    """Its runs stay; they no longer name it."""
    schedule.delete()


def fire_key(schedule: Schedule, fire_at: datetime) -> str:
    """The business and idempotency key of the run a fire starts: the schedule and the fire time
    in its zone, so a double fire cannot start two instances."""
    return f"schedule:{schedule.name}:{cron.iso(fire_at, schedule.timezone)}"
