"""/api/v1/schedules/: operators create, change, pause, resume and delete; everyone signed in
reads; bad input is a 400 naming the field with nothing written; each schedule shows its next
five fire times (with the zone's offset) and its last runs."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.test import override_settings
from django.conf import settings

from tests.factories import VersionFactory
from workflows import engine, scheduling
from workflows.models import Instance, Schedule

URL = "/api/v1/schedules/"


def body(**fields):
    return {"name": "nightly", "template": "billing", "cron": "0 2 * * *", "timezone": "Europe/Paris", **fields}


@pytest.fixture
def created(operator, published):
    response = operator.post(URL, body(input={"region": "eu"}), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_an_operator_creates_a_schedule_and_sees_its_next_five_fires_with_the_zones_offset(created):
    assert {k: created[k] for k in ("name", "template", "version", "cron", "timezone", "input", "priority", "overlap", "catch_up", "enabled")} == {
        "name": "nightly", "template": "billing", "version": None, "cron": "0 2 * * *", "timezone": "Europe/Paris",
        "input": {"region": "eu"}, "priority": 50, "overlap": "skip", "catch_up": False, "enabled": True,
    }  # fmt: skip
    fires = [datetime.fromisoformat(f) for f in created["next_fires"]]
    assert len(fires) == 5 and all(f.strftime("%H:%M") == "02:00" for f in fires)
    assert all(f.utcoffset().total_seconds() in (3600, 7200) for f in fires)
    assert all((b - a).days == 1 or (b - a).total_seconds() in (82800, 90000) for a, b in zip(fires, fires[1:]))
    assert datetime.fromisoformat(created["next_fire_at"]) == fires[0]
    assert created["last_runs"] == [] and created["created_by"] == "otto" and created["problem"] is None


def test_everyone_signed_in_reads_and_filters_by_template(created, reviewer, analyst, anonymous):
    VersionFactory(template__name="other", number=1)
    for client in (reviewer, analyst):
        listing = client.get(URL, {"template": "billing"}).json()
        assert [s["name"] for s in listing["results"]] == ["nightly"]
        assert client.get(URL, {"template": "other"}).json()["results"] == []
        assert client.get(f"{URL}{created['id']}/").json()["name"] == "nightly"
    assert anonymous.get(URL).status_code == 401


def test_unknown_filter_values_are_a_400_naming_the_parameter(created, reviewer):
    response = reviewer.get(URL, {"template": "ghost"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "template"
    assert reviewer.get(URL, {"enabled": "maybe"}).status_code == 400


def test_only_operators_write(created, analyst, reviewer, published):
    for client in (analyst, reviewer):
        assert client.post(URL, body(name="mine"), format="json").status_code == 403
        assert client.patch(f"{URL}{created['id']}/", {"priority": 3}, format="json").status_code == 403
        refused = client.post(f"{URL}{created['id']}/pause/", {}, format="json")
        assert refused.status_code == 403 and "only operators" in refused.json()["detail"]
        assert client.delete(f"{URL}{created['id']}/").status_code == 403
    assert Schedule.objects.get().priority == 50 and Schedule.objects.get().enabled


def test_pause_and_resume(operator, created):
    paused = operator.post(f"{URL}{created['id']}/pause/", {}, format="json").json()
    assert paused["enabled"] is False and paused["next_fire_at"] is None
    assert Schedule.objects.get().next_fire_at is None
    resumed = operator.post(f"{URL}{created['id']}/resume/", {}, format="json").json()
    assert resumed["enabled"] is True and resumed["next_fire_at"] == created["next_fire_at"]


def test_patch_changes_only_what_is_sent_and_rearms_on_a_new_cron(operator, created):
    changed = operator.patch(f"{URL}{created['id']}/", {"cron": "15 6 * * 1", "timezone": "America/New_York", "overlap": "buffer_one"}, format="json")
    assert changed.status_code == 200, changed.json()
    data = changed.json()
    assert (data["cron"], data["timezone"], data["overlap"], data["input"], data["priority"]) == ("15 6 * * 1", "America/New_York", "buffer_one", {"region": "eu"}, 50)
    first = datetime.fromisoformat(data["next_fires"][0])
    assert (first.weekday(), first.strftime("%H:%M")) == (0, "06:15") and datetime.fromisoformat(data["next_fire_at"]) == first


def test_delete_keeps_the_runs(operator, created):
    schedule = Schedule.objects.get()
    Schedule.objects.filter(pk=schedule.pk).update(next_fire_at=engine.to_dt(1_800_000_000))
    scheduling.fire_due(1_800_000_000.01)
    run = Instance.objects.get()
    shown = operator.get(f"{URL}{created['id']}/").json()
    assert [(r["id"], r["status"], r["business_key"]) for r in shown["last_runs"]] == [(str(run.pk), "running", run.business_key)]
    assert operator.delete(f"{URL}{created['id']}/").status_code == 204
    assert not Schedule.objects.exists()
    run.refresh_from_db()
    assert run.schedule is None


@pytest.mark.parametrize(
    "fields, field, words",
    [
        ({"cron": "61 * * * *"}, "cron", "minute: '61'"),
        ({"cron": "* * *"}, "cron", "5 fields"),
        ({"cron": "0 0 30 2 *"}, "cron", "never fires"),
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"timezone": "../../etc/passwd"}, "timezone", "not an IANA"),
        ({"template": "ghost"}, "template", "no template named 'ghost'"),
        ({"version": 7}, "version", "no published version 7"),
        ({"version": 0}, "version", "greater than or equal to 1"),
        ({"input": [1, 2]}, "input", "must be a JSON object"),
        ({"input": "text"}, "input", "must be a JSON object"),
        ({"priority": 101}, "priority", "less than or equal to 100"),
        ({"overlap": "sometimes"}, "overlap", "not a valid choice"),
        ({"name": "Not A Slug"}, "name", "letters"),
        ({"surprise": 1}, "surprise", "unknown field"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(operator, published, fields, field, words):
    response = operator.post(URL, body(**fields), format="json")
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert errors[0]["field"] == field and words in errors[0]["message"], errors
    assert not Schedule.objects.exists()


def test_an_unpublished_template_or_version_is_refused(operator, published):
    VersionFactory(template=published, number=2, status="draft")
    response = operator.post(URL, body(version=2), format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "version"
    VersionFactory(template__name="drafty", number=1, status="draft")
    response = operator.post(URL, body(template="drafty"), format="json")
    assert response.status_code == 400 and "no published version yet" in response.json()["errors"][0]["message"]
    assert not Schedule.objects.exists()


def test_oversized_input_is_a_400_naming_input(operator, published):
    with override_settings(FLOWDESK={**settings.FLOWDESK, "MAX_INPUT_BYTES": 100}):
        response = operator.post(URL, body(input={"blob": "x" * 200}), format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "input" and "the limit is 100" in response.json()["errors"][0]["message"]
    assert not Schedule.objects.exists()


def test_a_duplicate_name_is_refused(operator, created):
    response = operator.post(URL, body(), format="json")
    assert response.status_code == 400 and response.json()["errors"][0] == {"field": "name", "code": "invalid", "message": "a schedule named 'nightly' already exists"}


def test_a_bad_patch_changes_nothing(operator, created):
    response = operator.patch(f"{URL}{created['id']}/", {"cron": "0 0 30 2 *", "priority": 9}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "cron"
    assert (Schedule.objects.get().cron, Schedule.objects.get().priority) == ("0 2 * * *", 50)


def test_put_is_not_offered(operator, created):
    assert operator.put(f"{URL}{created['id']}/", body(), format="json").status_code == 405
