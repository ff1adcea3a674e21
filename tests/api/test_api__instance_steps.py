"""GET /api/v1/instances/{id}/steps/: one instance's step attempts a page at a time (keyset cursor),
filtered by node, status and item, or as a map's items list (each item's latest attempt, in number
order); bad parameters are 400s naming them; the detail's permissions."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import client_for
from tests.factories import InstanceFactory, StepRunFactory, UserFactory
from workflows.models import StepRun

pytestmark = pytest.mark.django_db

NODES = ["a", "b", "fan", "z"]
ITEMS = ["", "0", "1", "10", "2", "x"]
STATUSES = ["completed", "failed", "running", "scheduled", "skipped"]
SORT = {
    "node": lambda r: (r.node_id, r.item_key, r.attempt),
    "id": lambda r: r.id,
    "item": lambda r: (r.node_id, len(r.item_key), r.item_key, r.attempt),
}


def url(instance) -> str:
    return f"/api/v1/instances/{instance.pk}/steps/"


def add_steps(instance, layout) -> list[StepRun]:
    """``layout``: (node, item, attempts, status of the last attempt); earlier attempts failed."""
    rows = [
        StepRunFactory.build(instance=instance, node_id=node, item_key=item, attempt=n, status=status if n == attempts else "failed")
        for node, item, attempts, status in layout
        for n in range(1, attempts + 1)
    ]
    return StepRun.objects.bulk_create(rows)


def walk(client, start: str, params: dict) -> list[dict]:
    """Every row, following ``next`` to the end (and failing on a page that loops)."""
    rows, next_url = [], None
    response = client.get(start, params)
    for _ in range(10_000):
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        rows += body["results"]
        next_url = body["next"]
        if next_url is None:
            return rows
        assert body["results"], "a page with a next page is never empty"
        response = client.get(next_url)
    raise AssertionError("the walk did not end")


def expected(instance, order: str, latest: bool = False, items: bool | None = None, **filters) -> list[int]:
    rows = list(StepRun.objects.filter(instance=instance))
    last = {}
    for r in rows:
        last[r.node_id, r.item_key] = max(last.get((r.node_id, r.item_key), 0), r.attempt)
    rows = [r for r in rows if not latest or r.attempt == last[r.node_id, r.item_key]]
    rows = [r for r in rows if items is None or bool(r.item_key) == items]
    rows = [r for r in rows if all(getattr(r, k.removesuffix("__in")) in v if k.endswith("__in") else getattr(r, k) == v for k, v in filters.items())]
    return [r.id for r in sorted(rows, key=SORT[order])]


layouts = st.lists(
    st.tuples(st.sampled_from(NODES), st.sampled_from(ITEMS), st.integers(1, 3), st.sampled_from(STATUSES)),
    max_size=30,
    unique_by=lambda row: row[:2],
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], derandomize=True)
@given(
    layout=layouts,
    limit=st.integers(1, 12),
    order=st.sampled_from(["node", "id", "item"]),
    node=st.none() | st.sampled_from(NODES),
    statuses=st.lists(st.sampled_from(STATUSES), max_size=3, unique=True),
    item=st.none() | st.sampled_from([i for i in ITEMS if i]),
    latest=st.booleans(),
    items=st.none() | st.booleans(),
)
def test_paging_walks_every_matching_attempt_exactly_once_in_the_order_asked(operator, layout, limit, order, node, statuses, item, latest, items):
    with transaction.atomic():
        instance = InstanceFactory()
        add_steps(instance, layout)
        add_steps(InstanceFactory(version=instance.version), layout)  # another instance's rows never show
        params = {"limit": limit, "order": order, "node": node or "", "status": statuses, "item": item or "", "latest": str(latest).lower(), "items": "" if items is None else str(items).lower()}
        rows = walk(operator, url(instance), params)
        filters = {k: v for k, v in {"node_id": node, "status__in": statuses or None, "item_key": item}.items() if v}
        assert [r["id"] for r in rows] == expected(instance, order, latest=latest, items=items, **filters)
        transaction.set_rollback(True)


def test_rows_written_while_a_client_pages_are_not_repeated_and_do_not_shift_the_walk(operator):
    instance = InstanceFactory()
    add_steps(instance, [("m", str(i), 1, "completed") for i in range(10)])
    first = operator.get(url(instance), {"limit": 4}).json()
    add_steps(instance, [("a", "new", 1, "running"), ("z", "new", 1, "running")])  # before and after the cursor
    StepRun.objects.filter(instance=instance, node_id="m", item_key="0").delete()  # a row already shown goes
    rest = walk(operator, first["next"], {})
    seen = [r["id"] for r in first["results"] + rest]
    assert len(seen) == len(set(seen))
    assert [(r["node"], r["item_key"]) for r in rest] == [("m", str(i)) for i in sorted(range(10), key=str)[4:]] + [("z", "new")]


def test_filters_by_node_by_one_or_several_statuses_and_by_item(operator):
    instance = InstanceFactory()
    add_steps(instance, [("a", "", 1, "completed"), ("fan", "1", 2, "completed"), ("fan", "2", 1, "running"), ("fan", "3", 1, "failed"), ("z", "", 1, "scheduled")])

    def keys(**params):
        return [(r["node"], r["item_key"], r["attempt"]) for r in operator.get(url(instance), params).json()["results"]]

    assert keys(node="fan") == [("fan", "1", 1), ("fan", "1", 2), ("fan", "2", 1), ("fan", "3", 1)]
    assert keys(status="failed") == [("fan", "1", 1), ("fan", "3", 1)]
    assert keys(status=["running", "scheduled"]) == [("fan", "2", 1), ("z", "", 1)]
    assert keys(item="1") == [("fan", "1", 1), ("fan", "1", 2)]
    assert keys(node="fan", item="1", status="completed") == [("fan", "1", 2)]
    assert keys(node="nowhere") == []


def test_a_page_holds_100_rows_unless_asked_and_never_more_than_500(operator):
    instance = InstanceFactory()
    add_steps(instance, [("fan", f"{i:04}", 1, "completed") for i in range(520)])
    default = operator.get(url(instance)).json()
    assert len(default["results"]) == 100 and default["next"]
    assert len(operator.get(url(instance), {"limit": 7}).json()["results"]) == 7
    most = operator.get(url(instance), {"limit": 100_000}).json()
    assert len(most["results"]) == 500 and most["next"]
    last = operator.get(most["next"], {}).json()
    assert [r["item_key"] for r in last["results"]] == [f"{i:04}" for i in range(500, 520)] and last["next"] is None


@pytest.mark.parametrize(
    "params, field",
    [
        ({"limit": "ten"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "-3"}, "limit"),
        ({"limit": "1e3"}, "limit"),
        ({"status": "done"}, "status"),
        ({"status": ["failed", "nonsense"]}, "status"),
        ({"item": "x" * 65}, "item"),
        ({"item": "a\x00b"}, "item"),
        ({"node": "n" * 65}, "node"),
        ({"order": "attempt"}, "order"),
        ({"latest": "maybe"}, "latest"),
        ({"items": "2"}, "items"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "x" * 5000}, "cursor"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(operator, params, field):
    instance = InstanceFactory()
    add_steps(instance, [("a", "", 1, "completed")])
    response = operator.get(url(instance), params)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_cursor_changed_by_hand_or_made_for_another_order_is_a_400_naming_cursor(operator):
    instance = InstanceFactory()
    add_steps(instance, [("a", str(i), 1, "completed") for i in range(3)])
    cursor = parse_qs(urlsplit(operator.get(url(instance), {"limit": 1}).json()["next"]).query)["cursor"][0]
    assert operator.get(url(instance), {"cursor": cursor}).status_code == 200
    payload = signing.loads(cursor, salt="flowdesk.steps.cursor")
    forged = signing.dumps({**payload, "after": ["a", "0", "not a number"]}, salt="flowdesk.steps.cursor")
    other_list = signing.dumps(payload, salt="flowdesk.instances.cursor")
    tampered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    for bad in (tampered, other_list, forged):
        response = operator.get(url(instance), {"cursor": bad})
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "cursor"
    response = operator.get(url(instance), {"cursor": cursor, "order": "id"})
    assert response.status_code == 400 and "order=node" in response.json()["errors"][0]["message"]


def test_a_maps_items_list_has_each_item_once_as_it_stands_in_number_order(operator):
    instance = InstanceFactory()
    add_steps(instance, [("fan", "", 1, "waiting"), ("other", "", 1, "completed")])
    add_steps(instance, [("fan", str(i), 2 if i in (3, 11) else 1, "failed" if i in (3, 11) else "completed") for i in range(12)])
    add_steps(instance, [("fan", "12", 3, "completed")])  # failed twice, then done

    def items(**params):
        body = operator.get(url(instance), {"node": "fan", "items": "true", "latest": "true", "order": "item", **params}).json()
        return [(r["item_key"], r["attempt"], r["status"]) for r in body["results"]]

    assert [key for key, _, _ in items()] == [str(i) for i in range(13)]  # 0, 1, 2 ... 10, 11, 12: not 0, 1, 10
    assert items(status="failed") == [("3", 2, "failed"), ("11", 2, "failed")]  # as step_counts counts them
    assert ("12", 3, "completed") in items(status="completed") and len(items(status="completed")) == 11
    own = operator.get(url(instance), {"node": "fan", "items": "false"}).json()["results"]
    assert [(r["item_key"], r["status"]) for r in own] == [("", "waiting")]


def test_the_item_order_pages_through_a_thousand_items_in_number_order(operator):
    instance = InstanceFactory()
    add_steps(instance, [("fan", str(i), 1, "completed") for i in range(1000)])
    rows = walk(operator, url(instance), {"node": "fan", "order": "item", "limit": 300})
    assert [r["item_key"] for r in rows] == [str(i) for i in range(1000)]


def test_an_item_order_cursor_with_a_length_that_is_not_a_number_is_a_400_naming_cursor(operator):
    instance = InstanceFactory()
    add_steps(instance, [("fan", str(i), 1, "completed") for i in range(3)])
    cursor = parse_qs(urlsplit(operator.get(url(instance), {"order": "item", "limit": 1}).json()["next"]).query)["cursor"][0]
    assert signing.loads(cursor, salt="flowdesk.steps.cursor")["after"] == ["fan", 1, "0", "1"]
    forged = signing.dumps({"order": "item", "after": ["fan", "long", "0", "1"]}, salt="flowdesk.steps.cursor")
    response = operator.get(url(instance), {"order": "item", "cursor": forged})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "cursor"


def test_a_step_that_started_an_instance_names_it_as_its_child(operator):
    instance = InstanceFactory()
    started = StepRunFactory(instance=instance, node_id="fan", item_key="0", status="waiting")
    StepRunFactory(instance=instance, node_id="fan", item_key="1", status="pending")
    child = InstanceFactory(version=instance.version, parent_step=started)
    rows = operator.get(url(instance)).json()["results"]
    assert {r["item_key"]: r["child"] for r in rows} == {"0": str(child.pk), "1": None}
    detail = operator.get(f"/api/v1/instances/{instance.pk}/").json()
    assert {r["item_key"]: r["child"] for r in detail["steps"]} == {"0": str(child.pk), "1": None}


def test_an_unknown_or_malformed_instance_is_a_404(operator):
    assert operator.get("/api/v1/instances/00000000-0000-0000-0000-000000000000/steps/").status_code == 404
    assert operator.get("/api/v1/instances/not-a-uuid/steps/").status_code == 404


def test_reading_needs_a_login_and_any_role_will_do(anonymous, reviewer, outsider):
    instance = InstanceFactory()
    add_steps(instance, [("a", "", 1, "completed")])
    assert anonymous.get(url(instance)).status_code == 401
    assert reviewer.get(url(instance)).status_code == 200
    assert outsider.get(url(instance)).status_code == 200


def test_a_failed_attempts_traceback_shows_to_operators_and_staff_only(operator, reviewer):
    instance = InstanceFactory()
    StepRunFactory(instance=instance, status="failed", error_type="StepError", error_message="kaput", error_traceback='File "x.py", line 1')
    staff = client_for(UserFactory(username="sam", is_staff=True))
    assert reviewer.get(url(instance)).json()["results"][0]["error"] == {"type": "StepError", "message": "kaput"}
    for client in (operator, staff):
        assert client.get(url(instance)).json()["results"][0]["error"]["traceback"] == 'File "x.py", line 1'
