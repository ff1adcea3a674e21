"""Daily maintenance (the demo schedule's workflow, 02:00 Europe/Paris): clean up temporary files,
archive the image-generation history older than 90 days, update the daily analytics. Each does
real, small work under the data directory and is safe to run again (a retry or a catch-up fire
changes nothing twice)."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from django.conf import settings

from workflows import handler
from workflows.core.errors import ValidationError
from workflows.demo.schemas import DAY, reads


def _data(*parts: str) -> Path:
    path = Path(settings.DATA_DIR).joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _positive(input, field: str, default: float) -> float:
    value = input.get(field, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValidationError(f"{field} must be a positive number, got {value!r}")
    return value


@handler(
    "demo.cleanup_temp_files",
    input_schema=reads({"older_than_hours": {"type": "number", "exclusiveMinimum": 0, "default": 24, "description": "remove temporary files older than this"}}),
)
def cleanup_temp_files(input, ctx):
    """Removes files older than ``older_than_hours`` from the data directory's tmp folder."""
    hours = _positive(input or {}, "older_than_hours", 24)
    cutoff = time.time() - hours * 3600
    removed = kept = freed = 0
    for path in sorted(_data("tmp").rglob("*")):
        if not path.is_file():
            continue
        stat = path.stat()
        if stat.st_mtime < cutoff:
            path.unlink(missing_ok=True)  # gone already on a retry: fine
            removed, freed = removed + 1, freed + stat.st_size
        else:
            kept += 1
    return {"removed": removed, "kept": kept, "freed_bytes": freed}


def _recorded_at(entry: dict) -> float | None:
    """When a history line was written: its ``at``, else its image file's time (older lines)."""
    if isinstance(entry.get("at"), str):
        try:
            return datetime.fromisoformat(entry["at"]).timestamp()
        except ValueError:
            return None
    path = entry.get("path")
    if isinstance(path, str) and os.path.isfile(path):
        return os.path.getmtime(path)
    return None


@handler(
    "demo.archive_generation_history",
    input_schema=reads({"older_than_days": {"type": "integer", "minimum": 1, "default": 90, "description": "archive entries older than this many days"}}),
)
def archive_generation_history(input, ctx):
    """Moves image-generation history entries older than ``older_than_days`` to the archive file."""
    days = _positive(input or {}, "older_than_days", 90)
    media = _data("media")
    history, archive = media / "history.jsonl", media / "history-archive.jsonl"
    if not history.exists():
        return {"archived": 0, "kept": 0}
    cutoff = time.time() - days * 86400
    keep, old = [], []
    for line in history.read_text().splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            keep.append(line)  # not ours to judge: left where it is
            continue
        at = _recorded_at(entry) if isinstance(entry, dict) else None
        (old if at is not None and at < cutoff else keep).append(line)
    if old:
        # A retry after a crash between the two writes finds these lines archived already.
        archived = set(archive.read_text().splitlines()) if archive.exists() else set()
        with archive.open("a") as fh:
            fh.writelines(line + "\n" for line in old if line not in archived)
        tmp = history.with_suffix(".jsonl.tmp")
        tmp.write_text("".join(line + "\n" for line in keep))
        tmp.replace(history)  # atomic: readers see the old file or the new one
    return {"archived": len(old), "kept": len(keep), "archive": str(archive)}


@handler(
    "demo.update_daily_analytics",
    input_schema=reads({"day": {**DAY, "description": "the day to count (default: yesterday, UTC)", "examples": ["2026-12-01"]}}),
)
def update_daily_analytics(input, ctx):
    """Counts the day's instances by template and status into analytics/daily-DAY.json."""
    from workflows.models import Instance  # handlers import without Django set up (the registry lists them)

    raw = (input or {}).get("day")
    try:
        day = date.fromisoformat(raw) if raw else datetime.now(timezone.utc).date() - timedelta(days=1)
    except (TypeError, ValueError):
        raise ValidationError(f"day must be a date (YYYY-MM-DD), got {raw!r}") from None
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    rows = Instance.objects.filter(created_at__gte=start, created_at__lt=start + timedelta(days=1), is_test=False)
    counts = Counter(rows.values_list("template__name", "status"))
    by_template: dict[str, dict[str, int]] = {}
    for (template, status), n in sorted(counts.items()):
        by_template.setdefault(template, {})[status] = n
    report = {"day": day.isoformat(), "instances": sum(counts.values()), "by_template": by_template}
    path = _data("analytics") / f"daily-{day.isoformat()}.json"
    path.write_text(json.dumps(report, indent=2))  # the same day again overwrites: idempotent
    return {**report, "path": str(path)}
