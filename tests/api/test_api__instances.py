"""/api/v1/instances/: start (idempotent), list with filters, detail, events, cancel, retry, metrics."""

from __future__ import annotations

import pytest

from tests.engine.conftest import drain_all
from tests.factories import VersionFactory
from workflows import engine
from workflows.models import Instance

pytestmark = pytest.mark.django_db

URL = "/api/v1/instances/"


def start(client, **body):
    return client.post(URL, {"template": "billing", **body}, format="json")


def test_an_operator_starts_an_instance_and_polls_it_to_completion(operator, published):
    response = start(operator, input={"order": 7}, business_key="order-7")
    assert response.status_code == 201
    instance_id = response.json()["id"]
    drain_all(instance_id)
    body = operator.get(f"{URL}{instance_id}/").json()
    assert body["status"] == "completed"
    assert body["input"] == {"order": 7} and body["output"] == {"b": {"order": 7}}
    assert [(s["node"], s["attempt"], s["status"]) for s in body["steps"]] == [("a", 1, "completed"), ("b", 1, "completed")]


def test_a_retried_start_with_the_same_idempotency_key_returns_the_same_instance(operator, published):
    first = start(operator, idempotency_key="k-1")
    again = start(operator, idempotency_key="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Instance.objects.count() == 1


@pytest.mark.parametrize("who", ["reviewer", "analyst", "outsider"])
def test_only_operators_cancel_and_retry_and_only_they_and_analysts_start(request, who, published):
    client = request.getfixturevalue(who)
    assert start(client).status_code == (201 if who == "analyst" else 403)
    Instance.objects.all().delete()
    instance, _ = engine.start_instance("billing")
    assert client.get(f"{URL}{instance.pk}/").status_code == 200  # reading is fine
    assert client.post(f"{URL}{instance.pk}/cancel/", {}, format="json").status_code == 403
    assert client.post(f"{URL}{instance.pk}/retry/", {}, format="json").status_code == 403
    assert Instance.objects.count() == 1


@pytest.mark.parametrize(
    "body, field, code",
    [
        ({"input": [1, 2]}, "input", 400),
        ({"input": {"x": 1}, "colour": "red"}, "colour", 400),
        ({"priority": 101}, "priority", 400),
        ({"priority": "high"}, "priority", 400),
        ({"template": "ghost"}, "template", 404),
        ({"version": 9}, "version", 404),
    ],
)
def test_bad_starts_are_refused_with_the_field_and_start_nothing(operator, published, body, field, code):
    response = operator.post(URL, {"template": "billing", **body}, format="json")
    assert response.status_code == code
    assert response.json()["errors"][0]["field"] == field
    assert not Instance.objects.exists()


def test_an_oversized_input_is_refused_with_413(operator, published, settings):
    settings.FLOWDESK = {**settings.FLOWDESK, "MAX_INPUT_BYTES": 1000}
    response = start(operator, input={"blob": "x" * 2000})
    assert response.status_code in (400, 413)
    assert response.json()["errors"][0]["code"] == "too_large"
    assert not Instance.objects.exists()


def test_the_list_filters_by_template_status_priority_and_business_key(operator, published):
    other = VersionFactory().template
    a, _ = engine.start_instance("billing", priority=80, business_key="k1")
    engine.start_instance("billing", priority=10)
    engine.start_instance(other)
    engine.cancel_instance(a.pk)
    ids = lambda **q: {i["id"] for i in operator.get(URL, q).json()["results"]}  # noqa: E731
    assert len(ids()) == 3
    assert len(ids(template="billing")) == 2
    assert ids(status="cancelled") == {str(a.pk)}
    assert ids(priority_min=60) == {str(a.pk)}
    assert ids(business_key="k1") == {str(a.pk)}
    assert operator.get(URL, {"status": "nonsense"}).status_code == 400
    assert operator.get(URL, {"created_after": "not a date"}).status_code == 400


def test_events_resume_after_the_last_sequence_number_seen(operator, published):
    instance, _ = engine.start_instance("billing")
    drain_all(instance.pk)
    everything = operator.get(f"{URL}{instance.pk}/events/").json()
    seqs = [e["seq"] for e in everything["results"]]
    assert seqs == list(range(1, len(seqs) + 1)) and everything["more"] is False
    page = operator.get(f"{URL}{instance.pk}/events/", {"after": 3, "limit": 2}).json()
    assert [e["seq"] for e in page["results"]] == [4, 5] and page["more"] is True and page["last_seq"] == 5
    assert operator.get(f"{URL}{instance.pk}/events/", {"after": "x"}).status_code == 400


def test_cancel_a_running_instance_then_refuse_to_cancel_it_again(operator, published):
    instance, _ = engine.start_instance("billing")
    response = operator.post(f"{URL}{instance.pk}/cancel/", {"reason": "customer left"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    events = instance.events.count()
    again = operator.post(f"{URL}{instance.pk}/cancel/", {}, format="json")
    assert again.status_code == 409
    assert "already cancelled" in again.json()["detail"]
    assert instance.events.count() == events


def test_retry_runs_a_failed_instance_again_and_refuses_others(operator):
    graph = {
        "version": 1,
        "settings": {},
        "nodes": [{"id": "f", "type": "task", "config": {"handler": "demo.flaky", "input": {"failures": 1}}}],
        "edges": [],
    }
    name = VersionFactory(graph=graph).template.name
    instance, _ = engine.start_instance(name)
    drain_all(instance.pk)
    assert operator.post(f"{URL}{instance.pk}/retry/", {}, format="json").json()["status"] == "running"
    drain_all(instance.pk)
    assert operator.get(f"{URL}{instance.pk}/").json()["status"] == "completed"
    response = operator.post(f"{URL}{instance.pk}/retry/", {}, format="json")
    assert response.status_code == 409


def test_an_unknown_or_malformed_instance_id_is_a_404(operator):
    assert operator.get(f"{URL}00000000-0000-0000-0000-000000000000/").status_code == 404
    assert operator.get(f"{URL}not-a-uuid/").status_code == 404
    assert operator.post(f"{URL}not-a-uuid/cancel/", {}, format="json").status_code == 404


def test_metrics_report_steps_attempts_and_parallel_efficiency(operator, published):
    instance, _ = engine.start_instance("billing")
    drain_all(instance.pk)
    body = operator.get(f"{URL}{instance.pk}/metrics/").json()
    assert [s["node"] for s in body["steps"]] == ["a", "b"]
    assert body["totals"]["retries"] == 0
    assert "parallel_efficiency" in body


def test_a_nul_character_anywhere_in_the_input_is_refused_not_a_500(operator, published):
    response = start(operator, input={"note": "a\u0000b"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "input"
    assert operator.get("/api/v1/stats/", {"template": "a\x00"}).status_code == 400
    assert not Instance.objects.exists()


def test_the_detail_says_whether_the_caller_may_cancel_or_retry(operator, reviewer, analyst, published):
    instance, _ = engine.start_instance("billing")
    assert operator.get(f"{URL}{instance.pk}/").json()["can_control"] is True
    assert reviewer.get(f"{URL}{instance.pk}/").json()["can_control"] is False
    assert analyst.get(f"{URL}{instance.pk}/").json()["can_control"] is False


def test_the_detail_links_an_instance_to_the_step_that_started_it_and_back(operator, published):
    parent, _ = engine.start_instance("billing")
    drain_all(parent.pk)
    step = parent.steps.get(node_id="a")
    child, _ = engine.start_instance("billing")
    Instance.objects.filter(pk=child.pk).update(parent_step=step)  # what a sub-workflow step will do
    assert operator.get(f"{URL}{child.pk}/").json()["parent"] == {"instance": str(parent.pk), "step": "a"}
    assert operator.get(f"{URL}{parent.pk}/").json()["children"] == [{"id": str(child.pk), "status": child.status, "step": "a", "item_key": ""}]
    assert operator.get(f"{URL}{parent.pk}/").json()["parent"] is None
