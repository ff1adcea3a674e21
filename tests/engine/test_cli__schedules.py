"""``manage.py schedule``: list, show, create, pause, resume, delete; bad input names the field and
writes nothing."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import VersionFactory
from workflows.models import Schedule

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("schedule", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def template():
    return VersionFactory(template__name="cleanup", number=1).template


def test_create_list_show_pause_resume_delete(template):
    out = run("create", "nightly", "--template", "cleanup", "--cron", "0 2 * * *", "--timezone", "Europe/Paris", "--input", '{"days": 90}', "--catch-up", "--overlap", "buffer_one")
    assert out.startswith("schedule nightly created (next: ") and "T02:00:00+01:00" in out
    listing = run("list").splitlines()
    assert listing[0].split() == ["NAME", "TEMPLATE", "CRON", "ZONE", "STATE", "NEXT", "FIRE"]
    assert listing[1].split()[:8] == ["nightly", "cleanup", "0", "2", "*", "*", "*", "Europe/Paris"] and "active" in listing[1]
    shown = json.loads(run("show", "nightly"))
    assert (shown["input"], shown["catch_up"], shown["overlap"], len(shown["next_fires"])) == ({"days": 90}, True, "buffer_one", 5)
    assert run("pause", "nightly") == "schedule nightly paused\n"
    assert "paused" in run("list") and not Schedule.objects.get().enabled
    assert run("resume", "nightly").startswith("schedule nightly resumed (next: ")
    assert run("delete", "nightly") == "schedule nightly deleted\n"
    assert run("list") == "no schedules\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (("--cron", "0 25 * * *"), "cron: hour: '25'"),
        (("--cron", "0 2 * * *", "--timezone", "Moon/Base"), "timezone: unknown time zone 'Moon/Base'"),
        (("--cron", "0 2 * * *", "--input", "[1]"), "input: must be a JSON object"),
        (("--cron", "0 2 * * *", "--input", "{nope"), "input: not valid JSON"),
        (("--cron", "0 2 * * *", "--version", "4"), "version: template 'cleanup' has no published version 4"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(template, args, message):
    with pytest.raises(CommandError, match=message.replace("*", r"\*")):
        run("create", "nightly", "--template", "cleanup", *args)
    assert not Schedule.objects.exists()


def test_an_unknown_schedule_is_an_error():
    with pytest.raises(CommandError, match="no schedule named 'ghost'"):
        run("pause", "ghost")
