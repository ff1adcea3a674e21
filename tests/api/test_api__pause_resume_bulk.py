"""Pause, resume and the bulk actions over the API: who did it goes into the history; a state that
does not allow it is a 409 (one by one) or a refusal in the answer (in bulk), never a 500."""

from __future__ import annotations

import uuid

import pytest

from tests.engine.conftest import drain_all
from tests.factories import VersionFactory, graph_of
from workflows import engine
from workflows.models import Event, Instance

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(db):
    graph = graph_of([("wait", "signal", {"name": "go"}), ("after", "task", {"handler": "demo.noop"})], [("wait", "after")])
    VersionFactory(template__name="orders", number=1, graph=graph)

    def start() -> Instance:
        instance, _ = engine.start_instance("orders")
        drain_all(instance.pk)
        return instance

    return start


def events(instance, kind):
    return list(Event.objects.filter(instance=instance, type=kind).values_list("data", flat=True))


def test_pause_then_resume_records_who_did_each(operator, waiting, django_capture_on_commit_callbacks):
    instance = waiting()
    paused = operator.post(f"/api/v1/instances/{instance.pk}/pause/", {}, format="json")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert events(instance, "instance_paused")[-1]["by"] == "otto"
    with django_capture_on_commit_callbacks(execute=True):
        resumed = operator.post(f"/api/v1/instances/{instance.pk}/resume/", {}, format="json")
    assert resumed.status_code == 200 and resumed.json()["status"] == "running"
    assert events(instance, "instance_running")[-1]["by"] == "otto"


def test_a_signal_sent_while_paused_is_delivered_on_resume(operator, waiting, django_capture_on_commit_callbacks):
    instance = waiting()
    operator.post(f"/api/v1/instances/{instance.pk}/pause/", {}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        assert operator.post(f"/api/v1/instances/{instance.pk}/signals/go/", {"n": 1}, format="json").status_code == 202
    drain_all(instance.pk)
    assert Instance.objects.get(pk=instance.pk).steps.get(node_id="wait").status == "waiting"  # held while paused
    with django_capture_on_commit_callbacks(execute=True):
        operator.post(f"/api/v1/instances/{instance.pk}/resume/", {}, format="json")
    drain_all(instance.pk)
    instance.refresh_from_db()
    assert instance.status == "completed" and instance.steps.get(node_id="wait").output == {"n": 1}
    order = list(Event.objects.filter(instance=instance, type__in=["instance_paused", "signal_received", "instance_running", "signal_delivered"]).values_list("type", flat=True))
    assert order[-4:] == ["instance_paused", "signal_received", "instance_running", "signal_delivered"]  # received when it came


def test_pausing_a_paused_or_finished_instance_and_resuming_a_running_one_are_409(operator, waiting):
    instance = waiting()
    assert operator.post(f"/api/v1/instances/{instance.pk}/resume/", {}, format="json").status_code == 409
    operator.post(f"/api/v1/instances/{instance.pk}/pause/", {}, format="json")
    again = operator.post(f"/api/v1/instances/{instance.pk}/pause/", {}, format="json")
    assert again.status_code == 409 and "paused" in again.json()["detail"]
    engine.cancel_instance(instance.pk)
    assert operator.post(f"/api/v1/instances/{instance.pk}/pause/", {}, format="json").status_code == 409
    assert len(events(instance, "instance_paused")) == 1


def test_pause_of_an_unknown_instance_is_404_and_a_body_is_refused(operator, waiting):
    assert operator.post(f"/api/v1/instances/{uuid.uuid4()}/pause/", {}, format="json").status_code == 404
    instance = waiting()
    response = operator.post(f"/api/v1/instances/{instance.pk}/pause/", {"reason": "x"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "reason"
    assert Instance.objects.get(pk=instance.pk).status == "running"


def test_cancel_and_retry_record_who_did_it(operator, waiting):
    instance = waiting()
    operator.post(f"/api/v1/instances/{instance.pk}/cancel/", {"reason": "not needed"}, format="json")
    data = events(instance, "instance_cancelled")[-1]
    assert data["by"] == "otto"


def test_bulk_pause_reports_each_instance_done_or_refused(operator, waiting):
    running, finished = waiting(), waiting()
    engine.cancel_instance(finished.pk)
    missing = uuid.uuid4()
    response = operator.post("/api/v1/instances/bulk/", {"action": "pause", "ids": [str(running.pk), str(finished.pk), str(missing)]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["done"] == {str(running.pk): "paused"}
    assert set(body["refused"]) == {str(finished.pk), str(missing)}
    assert "cancelled" in body["refused"][str(finished.pk)] and "no instance" in body["refused"][str(missing)]
    assert events(running, "instance_paused")[-1]["by"] == "otto"


def test_bulk_resume_and_cancel(operator, waiting, django_capture_on_commit_callbacks):
    a, b = waiting(), waiting()
    operator.post("/api/v1/instances/bulk/", {"action": "pause", "ids": [str(a.pk), str(b.pk)]}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        resumed = operator.post("/api/v1/instances/bulk/", {"action": "resume", "ids": [str(a.pk)]}, format="json").json()
    assert resumed == {"done": {str(a.pk): "running"}, "refused": {}}
    cancelled = operator.post("/api/v1/instances/bulk/", {"action": "cancel", "ids": [str(a.pk), str(b.pk), str(a.pk)]}, format="json").json()
    assert cancelled["done"] == {str(a.pk): "cancelled", str(b.pk): "cancelled"}  # a repeated id counts once


@pytest.mark.parametrize(
    "body, field",
    [
        ({"action": "retry", "ids": []}, "action"),
        ({"action": "pause", "ids": []}, "ids"),
        ({"action": "pause", "ids": ["nope"]}, "ids"),
        ({"action": "pause"}, "ids"),
        ({"action": "pause", "ids": [str(uuid.uuid4()) for _ in range(1001)]}, "ids"),
        ({"action": "pause", "ids": "x", "extra": 1}, "extra"),
    ],
)
def test_a_bad_bulk_request_is_400_naming_the_field(operator, waiting, body, field):
    instance = waiting()
    response = operator.post("/api/v1/instances/bulk/", body, format="json")
    assert response.status_code == 400
    assert any(e["field"] == field or (e["field"] or "").startswith(field + ".") for e in response.json()["errors"])
    assert Instance.objects.get(pk=instance.pk).status == "running"


def test_the_detail_shows_heartbeats_compensation_and_the_saga(reviewer, waiting):
    instance = waiting()
    step = instance.steps.get(node_id="wait")
    step.heartbeat, step.heartbeat_at = {"progress": 0.4, "note": "half"}, step.started_at
    step.save(update_fields=["heartbeat", "heartbeat_at"])
    Instance.objects.filter(pk=instance.pk).update(saga={"state": "compensating", "compensated": 1, "error": {"type": "X"}})
    detail = reviewer.get(f"/api/v1/instances/{instance.pk}/").json()
    shown = next(s for s in detail["steps"] if s["node"] == "wait")
    assert shown["heartbeat"] == {"progress": 0.4, "note": "half"} and shown["heartbeat_at"] is not None
    assert shown["compensation"] is False
    assert detail["saga"] == {"state": "compensating", "compensated": 1, "error": {"type": "X"}}
    assert detail["queries"] == []
