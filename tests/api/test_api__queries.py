"""Queries over the API: an ad hoc sandboxed expression over the instance's state, and the named
queries its graph declares; a bad or too costly expression is a 400 naming ``expr``."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.conftest import drain_all
from tests.factories import VersionFactory, graph_of
from workflows import engine
from workflows.models import Event

pytestmark = pytest.mark.django_db

QUERIES = {
    "approved": "steps.wait.status == 'completed'",
    "total": "sum([line.amount for line in input.lines])",
    "customer": "vars.customer",  # never set: fails on this state
    "who": "instance.business_key",
}


@pytest.fixture
def instance(db):
    """'orders' with named queries, run until its signal node waits."""
    graph = graph_of(
        [
            ("prep", "transform", {"assignments": {"stage": "prepared"}}),
            ("wait", "signal", {"name": "approve"}),
            ("after", "task", {"handler": "demo.noop"}),
        ],
        [("prep", "wait"), ("wait", "after")],
        queries=QUERIES,
    )
    VersionFactory(template__name="orders", number=1, graph=graph)
    started, _ = engine.start_instance("orders", input={"lines": [{"amount": 5}, {"amount": 7}]}, business_key="order-9")
    drain_all(started.pk)
    return started


def query(client, instance_id, expr):
    return client.get(f"/api/v1/instances/{instance_id}/query/", {"expr": expr})


@pytest.mark.parametrize(
    "expr, value",
    [
        ("input.lines[1].amount * 2", 14),
        ("steps.wait.status", "waiting"),
        ("steps.prep.status", "completed"),
        ("vars.stage", "prepared"),
        ("instance.business_key + '/' + instance.status", "order-9/running"),
        ("sorted(steps.keys())", ["prep", "wait"]),
        ("steps", None),  # checked below: the whole namespace as JSON
        ("{'n': len(input.lines), 'ok': true}", {"n": 2, "ok": True}),
    ],
)
def test_a_query_evaluates_an_expression_over_the_instance_state(reviewer, instance, expr, value):
    response = query(reviewer, instance.pk, expr)  # anyone who can see it may query it
    assert response.status_code == 200, response.json()
    if expr == "steps":
        assert response.json()["value"]["wait"] == {"output": None, "status": "waiting"}
    else:
        assert response.json() == {"value": value}


def test_a_query_does_not_write_anything(operator, instance):
    before = Event.objects.filter(instance=instance).count()
    query(operator, instance.pk, "input.lines")
    assert Event.objects.filter(instance=instance).count() == before


@pytest.mark.parametrize(
    "expr, words",
    [
        ("", "write an expression"),
        ("input.", "invalid syntax"),
        ("__import__('os')", "unknown function"),
        ("input.__class__", "not allowed"),
        ("input.missing", "no field 'missing'"),
        ("nothing.here", "unknown name"),
        ("len", "function"),
        ("1e308 * 10", "JSON cannot represent"),
        ("x" * 2_100, "long"),
    ],
)
def test_a_bad_expression_is_400_naming_expr(operator, instance, expr, words):
    response = query(operator, instance.pk, expr)
    assert response.status_code == 400, response.json()
    error = response.json()["errors"][0]
    assert error["field"] == "expr"
    assert words.lower() in response.json()["detail"].lower()


@pytest.mark.parametrize(
    "expr, words",
    [
        ("len([1 for a in 'x' * 3000 for b in 'y' * 3000])", "more than 10,000 steps"),
        ("'x' * 60000 + 'y' * 60000", "the limit is 100,000"),
        ("2 ** 100000", "too large"),
    ],
)
def test_a_too_costly_expression_is_400_naming_expr(operator, instance, expr, words):
    response = query(operator, instance.pk, expr)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "expr"
    assert words in response.json()["detail"]


def test_a_query_of_an_unknown_instance_is_404(operator, instance):
    assert query(operator, uuid.uuid4(), "1").status_code == 404
    assert query(operator, "nope", "1").status_code == 404


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(expr=st.text(max_size=60))
def test_any_text_is_a_value_or_a_400_never_a_500(operator, instance, expr):
    response = query(operator, instance.pk, expr)
    assert response.status_code in (200, 400)


# --- named queries ------------------------------------------------------------------------------


def test_the_detail_lists_the_named_queries(reviewer, instance):
    detail = reviewer.get(f"/api/v1/instances/{instance.pk}/").json()
    assert detail["queries"] == sorted(QUERIES)
    assert detail["saga"] is None


def test_a_named_query_answers_its_value(reviewer, instance):
    response = reviewer.get(f"/api/v1/instances/{instance.pk}/queries/total/")
    assert response.status_code == 200
    assert response.json() == {"name": "total", "value": 12}
    assert reviewer.get(f"/api/v1/instances/{instance.pk}/queries/approved/").json()["value"] is False


def test_an_undeclared_named_query_is_404_naming_name(reviewer, instance):
    response = reviewer.get(f"/api/v1/instances/{instance.pk}/queries/nope/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "name"


def test_a_named_query_that_fails_on_the_current_state_is_409_naming_it(reviewer, instance):
    response = reviewer.get(f"/api/v1/instances/{instance.pk}/queries/customer/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "query_failed" and body["errors"][0]["field"] == "settings.queries.customer"
    assert "no field 'customer'" in body["detail"]


def test_the_queries_list_has_every_value_or_its_error(reviewer, instance):
    results = reviewer.get(f"/api/v1/instances/{instance.pk}/queries/").json()["results"]
    by_name = {r["name"]: r for r in results}
    assert list(by_name) == sorted(QUERIES)
    assert by_name["total"] == {"name": "total", "expression": QUERIES["total"], "value": 12, "error": None}
    assert by_name["customer"]["value"] is None and "no field 'customer'" in by_name["customer"]["error"]
    assert by_name["who"]["value"] == "order-9"
