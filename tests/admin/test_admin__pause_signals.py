"""The admin's pause and resume (actions and buttons, recording the admin user as who did it), its
read-only signals, and heartbeats and compensation on step runs."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.engine.conftest import drain_all
from tests.factories import UserFactory, VersionFactory, graph_of, role_group
from workflows import engine
from workflows.models import Event, Instance, Signal, StepRun
from workflows.roles import OPERATORS, REVIEWERS

pytestmark = pytest.mark.django_db

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def waiting(db) -> Instance:
    graph = graph_of([("wait", "signal", {"name": "go"}), ("after", "task", {"handler": "demo.noop"})], [("wait", "after")])
    VersionFactory(template__name="orders", number=1, graph=graph)
    instance, _ = engine.start_instance("orders")
    drain_all(instance.pk)
    return instance


def act(client, action: str, *instances: Instance):
    data = {"action": action, "_selected_action": [str(i.pk) for i in instances], "index": 0}
    return client.post(reverse("admin:workflows_instance_changelist"), data, follow=True)


def by_of(instance, kind):
    return Event.objects.filter(instance=instance, type=kind).values_list("data__by", flat=True).last()


def test_the_pause_and_resume_actions_go_through_the_engine_and_record_the_admin_user(admin_client, admin_user, waiting):
    html = act(admin_client, "pause_instances", waiting).content.decode()
    waiting.refresh_from_db()
    assert waiting.status == "paused" and "Paused 1 instance: orders" in html
    assert by_of(waiting, "instance_paused") == admin_user.username
    again = act(admin_client, "pause_instances", waiting).content.decode()
    assert "was not paused: the instance is paused; only a running instance can be paused" in again
    act(admin_client, "resume_instances", waiting)
    waiting.refresh_from_db()
    assert waiting.status == "running" and by_of(waiting, "instance_running") == admin_user.username


def test_cancel_and_retry_actions_record_the_admin_user(admin_client, admin_user, waiting):
    act(admin_client, "cancel_instances", waiting)
    assert by_of(waiting, "instance_cancelled") == admin_user.username


def test_the_instance_page_offers_pause_or_resume_by_state(admin_client, waiting):
    change = reverse("admin:workflows_instance_change", args=[waiting.pk])
    pause, resume = (reverse(f"admin:workflows_instance_{a}", args=[waiting.pk]) for a in ("pause", "resume"))
    html = admin_client.get(change).content.decode()
    assert pause in html and resume not in html
    assert admin_client.get(pause).status_code == 405
    response = admin_client.post(pause)
    assert response.status_code == 302 and response["Location"] == change
    html = admin_client.get(change).content.decode()
    assert resume in html and pause not in html
    admin_client.post(resume)
    waiting.refresh_from_db()
    assert waiting.status == "running"


def test_a_staff_reviewer_is_refused_pause_with_the_reason(client, waiting):
    reviewer = UserFactory(username="rita", is_staff=True)
    reviewer.groups.add(role_group(REVIEWERS))
    client.force_login(reviewer)
    html = act(client, "pause_instances", waiting).content.decode()
    assert "Only operators may cancel, retry, pause, resume or signal instances" in html
    response = client.post(reverse("admin:workflows_instance_pause", args=[waiting.pk]), follow=True)
    assert "Only operators may" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == "running"


def test_signals_are_listed_read_only_with_their_delivery_and_escaped(admin_client, waiting, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the engine delivers after commit
        engine.signal_instance(waiting.pk, "go", {"note": XSS}, by="otto")
        engine.signal_instance(waiting.pk, "other", None, by="otto")
    drain_all(waiting.pk)
    delivered, buffered = Signal.objects.order_by("id")
    assert delivered.delivered_at is not None and buffered.delivered_at is None
    listing = admin_client.get(reverse("admin:workflows_signal_changelist")).content.decode()
    assert "to <code>wait</code>" in listing and "buffered" in listing
    assert XSS not in listing and "&lt;img src=x onerror=alert(1)&gt;" in listing
    assert admin_client.get(reverse("admin:workflows_signal_changelist") + "?delivered_at__isempty=1").status_code == 200
    page = admin_client.get(reverse("admin:workflows_signal_change", args=[delivered.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin_client.get(reverse("admin:workflows_signal_add")).status_code == 403
    instance_page = admin_client.get(reverse("admin:workflows_instance_change", args=[waiting.pk])).content.decode()
    assert "signals" in instance_page and "otto" in instance_page


def test_an_operator_sees_signals_in_the_admin(client, waiting):
    operator = UserFactory(username="otto", is_staff=True)
    operator.groups.add(role_group(OPERATORS))
    engine.signal_instance(waiting.pk, "go", {"n": 1}, by="otto")
    client.force_login(operator)
    assert client.get(reverse("admin:workflows_signal_changelist")).status_code == 200


def test_a_step_run_shows_its_heartbeat_as_progress_and_whether_it_compensates(admin_client, waiting):
    step = StepRun.objects.get(instance=waiting, node_id="wait")
    StepRun.objects.filter(pk=step.pk).update(heartbeat={"progress": 40, "file": XSS}, heartbeat_at=timezone.now())
    page = admin_client.get(reverse("admin:workflows_steprun_change", args=[step.pk])).content.decode()
    assert '<progress max="100" value="40"' in page and "40%" in page
    assert XSS not in page
    StepRun.objects.filter(pk=step.pk).update(compensation=True)
    listing = admin_client.get(reverse("admin:workflows_steprun_changelist") + "?compensation__exact=1").content.decode()
    assert "compensation" in listing and "orders" in listing
    instance_page = admin_client.get(reverse("admin:workflows_instance_change", args=[waiting.pk])).content.decode()
    assert '<progress max="100" value="40"' in instance_page
