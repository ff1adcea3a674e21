"""Signals over the API: send one (202 with its sequence number), list them with their delivery,
signal-with-start by idempotency or business key; and every bad input a 4xx naming its field."""

from __future__ import annotations

import uuid

import pytest

from tests.engine.conftest import drain_all
from tests.factories import VersionFactory, graph_of
from workflows import engine
from workflows.models import Event, Instance, Signal

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(db):
    """The template 'orders': a signal node waiting for 'approve', then a task."""
    graph = graph_of([("wait", "signal", {"name": "approve"}), ("after", "task", {"handler": "demo.noop"})], [("wait", "after")])
    VersionFactory(template__name="orders", number=1, graph=graph)
    return "orders"


def started(name: str, **fields) -> Instance:
    instance, _ = engine.start_instance(name, **fields)
    drain_all(instance.pk)
    instance.refresh_from_db()
    return instance


def send(client, instance_id, name, payload, capture):
    with capture(execute=True):  # the engine delivers after commit
        return client.post(f"/api/v1/instances/{instance_id}/signals/{name}/", payload, format="json")


def test_a_signal_is_accepted_with_its_sequence_and_completes_the_waiting_node(operator, waiting, django_capture_on_commit_callbacks):
    instance = started(waiting)
    assert instance.steps.get(node_id="wait").status == "waiting"
    response = send(operator, instance.pk, "approve", {"approved": True, "by": "finance"}, django_capture_on_commit_callbacks)
    assert response.status_code == 202
    body = response.json()
    signal = Signal.objects.get(instance=instance)
    assert body == {"seq": signal.pk, "name": "approve", "instance": str(instance.pk)}
    assert signal.sent_by == "otto" and signal.payload == {"approved": True, "by": "finance"}
    drain_all(instance.pk)
    instance.refresh_from_db()
    assert instance.status == "completed"
    assert instance.steps.get(node_id="wait").output == {"approved": True, "by": "finance"}
    received = Event.objects.get(instance=instance, type="signal_received")
    assert received.data["by"] == "otto" and received.data["seq"] == signal.pk


def test_the_signals_list_says_which_were_delivered_and_by_which_node(operator, reviewer, waiting, django_capture_on_commit_callbacks):
    instance = started(waiting)
    first = send(operator, instance.pk, "approve", {"n": 1}, django_capture_on_commit_callbacks).json()["seq"]
    second = send(operator, instance.pk, "other", [1, 2], django_capture_on_commit_callbacks).json()["seq"]
    drain_all(instance.pk)
    response = reviewer.get(f"/api/v1/instances/{instance.pk}/signals/")  # reading needs no role
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["seq"], r["name"], r["delivered"], r["node"]) for r in rows] == [(first, "approve", True, "wait"), (second, "other", False, "")]
    assert rows[1]["payload"] == [1, 2] and rows[1]["delivered_at"] is None and rows[0]["sent_by"] == "otto"
    newest = reviewer.get(f"/api/v1/instances/{instance.pk}/signals/?order=-seq").json()["results"]
    assert [r["seq"] for r in newest] == [second, first]
    assert reviewer.get(f"/api/v1/instances/{instance.pk}/signals/?order=name").status_code == 400


def test_a_signal_without_a_body_has_a_null_payload(operator, waiting, django_capture_on_commit_callbacks):
    instance = started(waiting)
    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(f"/api/v1/instances/{instance.pk}/signals/approve/")
    assert response.status_code == 202
    assert Signal.objects.get(instance=instance).payload is None


def test_a_signal_to_an_unknown_instance_is_404(operator, waiting):
    for missing in (uuid.uuid4(), "not-a-uuid"):
        response = operator.post(f"/api/v1/instances/{missing}/signals/approve/", {}, format="json")
        assert response.status_code == 404
    assert not Signal.objects.exists()


def test_a_signal_to_a_finished_instance_is_409_and_kept_nowhere(operator, waiting, django_capture_on_commit_callbacks):
    instance = started(waiting)
    engine.cancel_instance(instance.pk)
    response = send(operator, instance.pk, "approve", {}, django_capture_on_commit_callbacks)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict" and "cancelled" in response.json()["detail"]
    assert not Signal.objects.exists()


def test_an_oversized_payload_is_413_naming_payload(operator, waiting, settings, django_capture_on_commit_callbacks):
    settings.FLOWDESK = {**settings.FLOWDESK, "MAX_SIGNAL_BYTES": 1_000}
    instance = started(waiting)
    response = send(operator, instance.pk, "approve", {"blob": "x" * 2_000}, django_capture_on_commit_callbacks)
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "payload"
    assert not Signal.objects.exists() and not Event.objects.filter(type="signal_received").exists()


@pytest.mark.parametrize("name", ["has space", "x" * 101, "semi;colon"])
def test_a_bad_signal_name_is_400_naming_name(operator, waiting, name):
    instance = started(waiting)
    response = operator.post(f"/api/v1/instances/{instance.pk}/signals/{name}/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "name"
    assert not Signal.objects.exists()


def test_a_payload_that_is_not_json_is_400(operator, waiting):
    instance = started(waiting)
    response = operator.generic("POST", f"/api/v1/instances/{instance.pk}/signals/approve/", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert not Signal.objects.exists()


# --- signal-with-start --------------------------------------------------------------------------


def start_with_signal(client, capture, **body):
    with capture(execute=True):
        return client.post("/api/v1/instances/", {"template": "orders", **body}, format="json")


def test_signal_with_start_starts_once_by_idempotency_key_then_signals_the_same_instance(operator, waiting, django_capture_on_commit_callbacks):
    body = {"idempotency_key": "order-7", "signal": {"name": "approve", "payload": {"n": 1}}}
    first = start_with_signal(operator, django_capture_on_commit_callbacks, **body)
    assert first.status_code == 201
    again = start_with_signal(operator, django_capture_on_commit_callbacks, **{**body, "signal": {"name": "approve", "payload": {"n": 2}}})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert [first.json()["signal"]["name"], again.json()["signal"]["seq"] > first.json()["signal"]["seq"]] == ["approve", True]
    assert Instance.objects.count() == 1
    instance_id = first.json()["id"]
    drain_all(instance_id)
    assert list(Signal.objects.filter(instance_id=instance_id).values_list("payload", flat=True)) == [{"n": 1}, {"n": 2}]
    assert Instance.objects.get(pk=instance_id).steps.get(node_id="wait").output == {"n": 1}  # the oldest first


def test_signal_with_start_by_business_key_reuses_the_open_instance_and_starts_anew_once_it_ended(operator, waiting, django_capture_on_commit_callbacks):
    body = {"business_key": "cust-42", "signal": {"name": "approve"}}
    first = start_with_signal(operator, django_capture_on_commit_callbacks, **body)
    second = start_with_signal(operator, django_capture_on_commit_callbacks, **body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    engine.cancel_instance(first.json()["id"])
    third = start_with_signal(operator, django_capture_on_commit_callbacks, **body)
    assert third.status_code == 201 and third.json()["id"] != first.json()["id"]
    assert third.json()["business_key"] == "cust-42"


def test_signal_with_start_to_a_finished_idempotent_instance_is_409_and_changes_nothing(operator, waiting, django_capture_on_commit_callbacks):
    instance = started(waiting, idempotency_key="k1")
    engine.cancel_instance(instance.pk)
    response = start_with_signal(operator, django_capture_on_commit_callbacks, idempotency_key="k1", signal={"name": "approve"})
    assert response.status_code == 409
    assert Instance.objects.count() == 1 and not Signal.objects.exists()


def test_signal_with_start_with_an_oversized_payload_starts_nothing(operator, waiting, settings, django_capture_on_commit_callbacks):
    settings.FLOWDESK = {**settings.FLOWDESK, "MAX_SIGNAL_BYTES": 1_000}
    response = start_with_signal(operator, django_capture_on_commit_callbacks, business_key="b", signal={"name": "approve", "payload": "x" * 5_000})
    assert response.status_code == 413 and response.json()["errors"][0]["field"] == "payload"
    assert not Instance.objects.exists() and not Signal.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"signal": {"name": "approve"}}, "signal"),  # no key to find the instance by
        ({"business_key": "b", "signal": {"name": "bad name"}}, "signal.name"),
        ({"business_key": "b", "signal": {"payload": 1}}, "signal.name"),
        ({"business_key": "b", "signal": {"name": "approve", "extra": 1}}, "signal.extra"),
        ({"business_key": "b", "signal": "approve"}, "signal"),
    ],
)
def test_a_bad_signal_with_start_is_400_naming_the_field(operator, waiting, body, field):
    response = operator.post("/api/v1/instances/", {"template": "orders", **body}, format="json")
    assert response.status_code == 400
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not Instance.objects.exists()


def test_a_plain_start_answers_a_null_signal(operator, waiting):
    response = operator.post("/api/v1/instances/", {"template": "orders"}, format="json")
    assert response.status_code == 201 and response.json()["signal"] is None


def test_a_payload_the_database_cannot_store_is_400_naming_payload_not_413(operator, waiting, django_capture_on_commit_callbacks):
    """A NUL character is refused (PostgreSQL's jsonb cannot hold it), but it is bad input, not a
    size: 400, as the start endpoint answers for the same input."""
    instance = started(waiting)
    response = send(operator, instance.pk, "approve", {"note": "a\u0000b"}, django_capture_on_commit_callbacks)
    assert response.json()["errors"][0]["field"] == "payload"
    assert not Signal.objects.exists()
    assert response.status_code == 400
