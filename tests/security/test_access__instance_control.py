"""Who may cancel or retry an instance: the operators role, in the admin as in the API.

A staff reviewer holds the admin's "view instance" permission (the roles migration gives it to every
role), which once sufficed for the admin's Cancel and Retry; the API refused the same person.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.api.conftest import client_for
from tests.engine.conftest import drain_all
from tests.factories import UserFactory, VersionFactory, role_group
from workflows import engine
from workflows import roles as policy
from workflows.models import Event, Instance
from workflows.roles import OPERATORS, REVIEWERS

pytestmark = pytest.mark.django_db

FAILING = {
    "version": 1,
    "settings": {},
    "nodes": [{"id": "boom", "type": "task", "config": {"handler": "demo.fail", "input": {"retryable": False}}}],
    "edges": [],
}
WAITING = {
    "version": 1,
    "settings": {},
    "nodes": [{"id": "hold", "type": "wait", "config": {"for_s": 600}}],
    "edges": [],
}


def run(graph: dict) -> Instance:
    name = VersionFactory(graph=graph).template.name
    instance, _ = engine.start_instance(name)
    drain_all(instance.pk)
    instance.refresh_from_db()
    return instance


@pytest.fixture
def failed() -> Instance:
    instance = run(FAILING)
    assert instance.status == "failed"
    return instance


@pytest.fixture
def waiting() -> Instance:
    instance = run(WAITING)
    assert instance.status == "running"
    return instance


def staff(username: str, *roles: str):
    user = UserFactory(username=username, is_staff=True)
    for role in roles:
        user.groups.add(role_group(role))
    return user


def snapshot(instance: Instance) -> tuple:
    instance.refresh_from_db()
    return instance.status, instance.steps.count(), Event.objects.filter(instance=instance).count()


def act(client, action: str, *instances: Instance):
    data = {"action": action, "_selected_action": [str(i.pk) for i in instances], "index": 0}
    return client.post(reverse("admin:workflows_instance_changelist"), data, follow=True)


def button(client, verb: str, instance: Instance):
    return client.post(reverse(f"admin:workflows_instance_{verb}", args=[instance.pk]), follow=True)


# --- the admin ---------------------------------------------------------------------------------------


def test_a_staff_reviewer_cannot_cancel_or_retry_through_the_admins_buttons(client, failed, waiting):
    client.force_login(staff("rita", REVIEWERS))
    before = snapshot(waiting), snapshot(failed)

    cancel = button(client, "cancel", waiting)
    retry = button(client, "retry", failed)

    assert (snapshot(waiting), snapshot(failed)) == before
    for response in (cancel, retry):
        assert response.status_code == 200  # back on the instance's page, with the reason
        assert "Only operators may cancel, retry, pause, resume or signal instances" in response.content.decode()


def test_a_staff_reviewer_cannot_cancel_or_retry_through_the_list_actions(client, failed, waiting):
    client.force_login(staff("rita", REVIEWERS))
    before = snapshot(waiting), snapshot(failed)

    cancel = act(client, "cancel_instances", waiting)
    retry = act(client, "retry_instances", failed)

    assert (snapshot(waiting), snapshot(failed)) == before
    for response in (cancel, retry):
        assert "Only operators may cancel, retry, pause, resume or signal instances" in response.content.decode()


def test_a_staff_reviewer_is_not_offered_the_buttons_or_the_actions(client, failed, waiting):
    client.force_login(staff("rita", REVIEWERS))
    listing = client.get(reverse("admin:workflows_instance_changelist")).content.decode()
    assert "cancel_instances" not in listing and "retry_instances" not in listing
    for instance in (failed, waiting):
        page = client.get(reverse("admin:workflows_instance_change", args=[instance.pk]))
        assert page.status_code == 200
        html = page.content.decode()
        assert reverse("admin:workflows_instance_cancel", args=[instance.pk]) not in html
        assert reverse("admin:workflows_instance_retry", args=[instance.pk]) not in html


def test_a_staff_operator_cancels_and_retries_through_the_admin(client, failed, waiting):
    client.force_login(staff("otto", OPERATORS))
    listing = client.get(reverse("admin:workflows_instance_changelist")).content.decode()
    assert "cancel_instances" in listing and "retry_instances" in listing
    page = client.get(reverse("admin:workflows_instance_change", args=[failed.pk])).content.decode()
    assert reverse("admin:workflows_instance_retry", args=[failed.pk]) in page

    button(client, "retry", failed)
    failed.refresh_from_db()
    assert failed.status == "running"

    act(client, "cancel_instances", waiting)
    waiting.refresh_from_db()
    assert waiting.status == "cancelled"


# --- one rule for both ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "superuser", "allowed"),
    [((REVIEWERS,), False, False), ((), False, False), ((OPERATORS,), False, True), ((), True, True)],
)
def test_the_api_and_the_admin_follow_the_same_rule(client, failed, roles, superuser, allowed):
    user = staff(f"user-{'-'.join(roles) or 'none'}-{superuser}", *roles)
    user.is_superuser = superuser
    user.save()
    assert policy.can_control_instance(user) is allowed

    client.force_login(user)
    button(client, "retry", failed)
    failed.refresh_from_db()
    assert (failed.status == "running") is allowed

    api = client_for(user)
    response = api.post(f"/api/v1/instances/{failed.pk}/cancel/", {}, format="json")
    assert response.status_code == (200 if allowed else 403), response.content
    if not allowed:
        assert response.json()["detail"] == "only operators may cancel, retry, pause, resume or signal instances"

