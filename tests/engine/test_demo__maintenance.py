"""The daily-maintenance demo: its schedule (02:00 Europe/Paris, made once by demo_setup) and its
three steps doing their small real work under the data directory."""

from __future__ import annotations

import io
import json
import os
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import override_settings

from tests.engine.conftest import drain_all
from workflows import engine, scheduling
from workflows.core.steps.base import StepContext
from workflows.demo import maintenance
from workflows.models import Instance, Schedule

pytestmark = pytest.mark.django_db
DAY = 86400


def ctx() -> StepContext:
    return StepContext(instance_id="6f1c0d2e-0000-4000-8000-000000000001", node_id="n", attempt=1, idempotency_key="k")


def aged(path, seconds: float, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (time.time() - seconds, time.time() - seconds))


def test_demo_setup_creates_the_daily_schedule_once_and_keeps_an_operators_changes():
    call_command("demo_setup", "--no-demo-login", stdout=io.StringIO())
    schedule = Schedule.objects.get(name="daily-maintenance")
    assert (schedule.template.name, schedule.cron, schedule.timezone, schedule.catch_up, schedule.enabled) == ("daily-maintenance", "0 2 * * *", "Europe/Paris", True, True)
    assert schedule.next_fire_at.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M") == "02:00"
    schedule.enabled = False
    schedule.save()
    out = io.StringIO()
    call_command("demo_setup", "--no-demo-login", stdout=out)
    assert "schedule daily-maintenance kept as it is" in out.getvalue()
    assert Schedule.objects.filter(name="daily-maintenance").count() == 1 and not Schedule.objects.get().enabled


def test_a_fire_runs_the_three_steps_on_the_data_directory(tmp_path):
    with override_settings(DATA_DIR=tmp_path):
        call_command("demo_setup", "--no-demo-login", stdout=io.StringIO())
        aged(tmp_path / "tmp" / "old.part", 2 * DAY)
        aged(tmp_path / "tmp" / "fresh.part", 60)
        old = {"key": "a", "prompt": "an old lighthouse", "at": datetime.fromtimestamp(time.time() - 120 * DAY, timezone.utc).isoformat()}
        recent = {"key": "b", "prompt": "a new boat", "at": datetime.now(timezone.utc).isoformat()}
        aged(tmp_path / "media" / "history.jsonl", 0, json.dumps(old) + "\n" + json.dumps(recent) + "\n")
        schedule = Schedule.objects.get(name="daily-maintenance")
        scheduling.fire_due(schedule.next_fire_at.timestamp() + 0.01)
        run = Instance.objects.get(schedule=schedule)
        drain_all(run.pk)
        run.refresh_from_db()
    assert run.status == "completed", run.error
    assert run.business_key.startswith("schedule:daily-maintenance:") and run.business_key.endswith(("T02:00:00+01:00", "T02:00:00+02:00"))
    assert run.output["temp_files_removed"] == 1 and run.output["history_archived"] == 1
    assert [p.name for p in (tmp_path / "tmp").iterdir()] == ["fresh.part"]
    assert json.loads((tmp_path / "media" / "history.jsonl").read_text()) == recent
    assert json.loads((tmp_path / "media" / "history-archive.jsonl").read_text()) == old
    assert json.loads(open(run.output["analytics"]).read())["day"] < datetime.now(timezone.utc).date().isoformat()
    assert set(run.steps.values_list("node_id", flat=True)) == {"cleanup", "archive", "analytics"}


def test_archiving_again_after_a_crash_does_not_archive_twice(tmp_path):
    with override_settings(DATA_DIR=tmp_path):
        old = json.dumps({"key": "a", "at": "2020-01-01T00:00:00+00:00"})
        aged(tmp_path / "media" / "history.jsonl", 0, old + "\n")
        aged(tmp_path / "media" / "history-archive.jsonl", 0, old + "\n")  # the first attempt got this far
        assert maintenance.archive_generation_history({"older_than_days": 90}, ctx())["archived"] == 1
    assert (tmp_path / "media" / "history-archive.jsonl").read_text() == old + "\n"
    assert (tmp_path / "media" / "history.jsonl").read_text() == ""


def test_the_analytics_count_a_days_instances_by_template_and_status(tmp_path, publish):
    name = publish({"version": 1, "settings": {}, "nodes": [{"id": "a", "type": "task", "config": {"handler": "demo.noop"}}], "edges": []})
    instance, _ = engine.start_instance(name)
    today = datetime.now(timezone.utc).date().isoformat()
    with override_settings(DATA_DIR=tmp_path):
        out = maintenance.update_daily_analytics({"day": today}, ctx())
    assert out["instances"] == 1 and out["by_template"] == {name: {instance.status: 1}}
    with pytest.raises(Exception, match="day must be a date"):
        maintenance.update_daily_analytics({"day": "yesterday"}, ctx())
