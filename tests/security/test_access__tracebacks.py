"""A failed step's traceback names server paths and code: staff and operators (who debug runs) see
it, everyone else signed in sees the error's type and message only — in the API's instance detail
(which the designer's instance page reads), its events and the live socket's events."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.api.conftest import client_for, persona
from tests.engine.conftest import drain_all
from tests.factories import UserFactory, VersionFactory
from workflows import engine, live
from workflows.models import Instance, StepRun
from workflows.roles import ANALYSTS, OPERATORS, REVIEWERS

pytestmark = pytest.mark.django_db

FAILING = {
    "version": 1,
    "settings": {},
    "nodes": [{"id": "boom", "type": "task", "config": {"handler": "demo.fail", "input": {"retryable": False, "message": "kaput"}}}],
    "edges": [],
}


@pytest.fixture
def failed() -> Instance:
    instance, _ = engine.start_instance(VersionFactory(graph=FAILING).template.name)
    drain_all(instance.pk)
    step = StepRun.objects.get(instance=instance, node_id="boom")
    assert step.status == "failed" and 'File "' in step.error_traceback  # a real traceback, with paths
    return instance


def step_error(user, instance: Instance) -> dict:
    response = client_for(user).get(f"/api/v1/instances/{instance.pk}/")
    assert response.status_code == 200
    (step,) = response.json()["steps"]
    return step["error"]


@pytest.mark.parametrize("roles", [(REVIEWERS,), (ANALYSTS,), ()], ids=["reviewer", "analyst", "no role"])
def test_a_user_who_does_not_run_instances_sees_the_summary_without_the_traceback(failed, roles):
    error = step_error(persona("someone", *roles), failed)
    assert error == {"type": "StepError", "message": "kaput"}


def test_an_operator_sees_the_traceback(failed):
    error = step_error(persona("otto", OPERATORS), failed)
    assert error["type"] == "StepError" and error["message"] == "kaput"
    assert 'File "' in error["traceback"] and "StepError: kaput" in error["traceback"]


def test_a_staff_user_sees_the_traceback_in_the_api_and_the_admin(client, failed):
    admin = UserFactory(username="sam", is_staff=True, is_superuser=False)
    assert 'File "' in step_error(admin, failed)["traceback"]

    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    step = StepRun.objects.get(instance=failed)
    page = client.get(reverse("admin:workflows_steprun_change", args=[step.pk])).content.decode()
    assert "fd-traceback" in page and "StepError: kaput" in page


def test_events_carry_no_traceback_for_anyone(failed):
    events = client_for(persona("rita", REVIEWERS)).get(f"/api/v1/instances/{failed.pk}/events/").json()["results"]
    streamed = live.events_after(str(failed.pk), 0)
    assert any(e["type"] == "step_failed" for e in events)
    for text in (json.dumps(events), json.dumps(streamed, default=str)):
        assert "Traceback" not in text and 'File "' not in text
