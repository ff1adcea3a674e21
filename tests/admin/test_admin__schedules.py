"""The schedules in the admin: listed with their template, cron, zone, state and next fire; edited
with the API's checks (errors on the fields, nothing saved); paused and resumed by action; operators
only, everyone else with the view permission reads."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import UserFactory, VersionFactory, role_group
from workflows import schedules
from workflows.models import Schedule
from workflows.roles import OPERATORS, REVIEWERS

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:workflows_schedule_changelist")
ADD = reverse("admin:workflows_schedule_add")


@pytest.fixture
def schedule():
    template = VersionFactory(template__name="nightly-report", number=1).template
    return schedules.create(name="nightly", template=template, cron="0 2 * * *", timezone="Europe/Paris", input={"full": True})


@pytest.fixture
def operator(client):
    user = UserFactory(username="otto", is_staff=True)
    user.groups.add(role_group(OPERATORS))
    client.force_login(user)
    return client


def form(schedule_or_template, **fields):
    template = getattr(schedule_or_template, "template", schedule_or_template)
    data = {"name": "weekly", "template": template.pk, "version": "", "cron": "0 6 * * 1", "timezone": "UTC", "input": "{}", "priority": 50, "overlap": "skip", "catch_up": "", "enabled": "on"}
    data.update(fields)
    return data


def test_the_list_shows_template_cron_zone_state_and_next_fire(operator, schedule):
    html = operator.get(CHANGELIST).content.decode()
    for text in ("nightly", "nightly-report", "<code>0 2 * * *</code>", "Europe/Paris", schedule.next_fire_at.astimezone().strftime("%Y-%m-%d")):
        assert text in html
    assert "pause_schedules" in html and "resume_schedules" in html


def test_the_page_shows_the_next_five_fires_with_their_offset(operator, schedule):
    html = operator.get(reverse("admin:workflows_schedule_change", args=[schedule.pk])).content.decode()
    fires = [m.isoformat() for m in schedules.upcoming(schedule, 5)]
    assert all(f"<code>{f}</code>" in html for f in fires) and all(f.endswith(("+01:00", "+02:00")) for f in fires)


def test_adding_arms_the_next_fire_and_records_who(operator, schedule):
    response = operator.post(ADD, form(schedule), follow=True)
    assert response.status_code == 200
    added = Schedule.objects.get(name="weekly")
    assert added.next_fire_at is not None and added.next_fire_at.weekday() == 0 and added.created_by.username == "otto"


@pytest.mark.parametrize(
    "fields, field, words",
    [({"cron": "61 * * * *"}, "cron", "minute: &#x27;61&#x27;"), ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"), ({"version": 9}, "version", "no published version 9")],
)
def test_bad_fields_are_shown_on_the_form_and_nothing_is_saved(operator, schedule, fields, field, words):
    response = operator.post(ADD, form(schedule, **fields))
    assert response.status_code == 200
    assert words in response.content.decode()
    assert field in response.context["adminform"].form.errors
    assert not Schedule.objects.filter(name="weekly").exists()


def test_changing_the_cron_rearms_the_next_fire(operator, schedule):
    url = reverse("admin:workflows_schedule_change", args=[schedule.pk])
    operator.post(url, form(schedule, name="nightly", cron="30 4 * * *", timezone="Europe/Paris", input='{"full": true}'))
    schedule.refresh_from_db()
    assert schedule.cron == "30 4 * * *" and schedule.next_fire_at.astimezone(schedule_zone()).strftime("%H:%M") == "04:30"


def schedule_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Paris")


def test_pause_and_resume_actions(operator, schedule):
    response = operator.post(CHANGELIST, {"action": "pause_schedules", "_selected_action": [schedule.pk], "index": 0}, follow=True)
    assert "Paused 1 schedule: nightly." in response.content.decode()
    schedule.refresh_from_db()
    assert not schedule.enabled and schedule.next_fire_at is None
    operator.post(CHANGELIST, {"action": "resume_schedules", "_selected_action": [schedule.pk], "index": 0})
    schedule.refresh_from_db()
    assert schedule.enabled and schedule.next_fire_at is not None


def test_a_staff_reviewer_reads_but_cannot_change(client, schedule):
    user = UserFactory(username="rita", is_staff=True)
    user.groups.add(role_group(REVIEWERS))
    client.force_login(user)
    html = client.get(CHANGELIST).content.decode()
    assert "nightly" in html and "pause_schedules" not in html
    assert client.get(ADD).status_code == 403
    assert client.post(reverse("admin:workflows_schedule_delete", args=[schedule.pk]), {"post": "yes"}).status_code == 403
    assert Schedule.objects.filter(pk=schedule.pk).exists()
