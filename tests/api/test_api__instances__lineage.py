"""Parents and children on /api/v1/instances/: every row (list and detail) carries ``parent``
({instance, step} or null) and ``children_count``; ``?parent=<id>`` pages through all the children."""

from __future__ import annotations

import pytest

from tests.factories import InstanceFactory, StepRunFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/instances/"


@pytest.fixture
def family():
    """A parent whose steps 'fan' (one per item) and 'solo' started 60 and 1 children."""
    parent = InstanceFactory()
    fan = [StepRunFactory(instance=parent, node_id="fan", item_key=str(i)) for i in range(60)]
    solo = StepRunFactory(instance=parent, node_id="solo")
    children = [InstanceFactory(version=parent.version, parent_step=step, status="completed") for step in fan]
    children.append(InstanceFactory(version=parent.version, parent_step=solo))
    return parent, children


def rows_by_id(client, **params) -> dict[str, dict]:
    rows, page = {}, 1
    while True:
        body = client.get(URL, {**params, "page": page}).json()
        rows.update({r["id"]: r for r in body["results"]})
        if not body["next"]:
            return rows
        page += 1


def test_list_rows_say_who_started_them_and_how_many_they_started(operator, family):
    parent, children = family
    loner = InstanceFactory()
    rows = rows_by_id(operator)
    assert rows[str(parent.pk)]["parent"] is None and rows[str(parent.pk)]["children_count"] == 61
    assert rows[str(loner.pk)]["parent"] is None and rows[str(loner.pk)]["children_count"] == 0
    assert rows[str(children[0].pk)]["parent"] == {"instance": str(parent.pk), "step": "fan"}
    assert rows[str(children[-1].pk)]["parent"] == {"instance": str(parent.pk), "step": "solo"}
    assert rows[str(children[-1].pk)]["children_count"] == 0


def test_the_detail_counts_every_child_and_lists_the_first_50(operator, family):
    parent, children = family
    body = operator.get(f"{URL}{parent.pk}/").json()
    assert body["children_count"] == 61 and body["parent"] is None
    assert [c["id"] for c in body["children"]] == [str(c.pk) for c in children[:50]]
    child = operator.get(f"{URL}{children[3].pk}/").json()
    assert child["parent"] == {"instance": str(parent.pk), "step": "fan"} and child["children_count"] == 0


def test_the_parent_filter_pages_through_all_the_children_and_only_them(operator, family):
    parent, children = family
    InstanceFactory()  # nobody's child
    rows = rows_by_id(operator, parent=str(parent.pk))
    assert set(rows) == {str(c.pk) for c in children}
    assert len(operator.get(URL, {"parent": str(parent.pk)}).json()["results"]) == 50  # a page, then the next
    assert set(rows_by_id(operator, parent=str(parent.pk), status="running")) == {str(children[-1].pk)}
    assert rows_by_id(operator, parent=str(children[0].pk)) == {}


def test_the_parent_filter_lists_a_test_runs_children_too_as_children_count_counts_them(operator):
    parent = InstanceFactory(is_test=True)
    child = InstanceFactory(version=parent.version, is_test=True, parent_step=StepRunFactory(instance=parent))
    assert set(rows_by_id(operator, parent=str(parent.pk))) == {str(child.pk)}
    assert operator.get(f"{URL}{parent.pk}/").json()["children_count"] == 1


@pytest.mark.parametrize("value", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "1"])
def test_an_unknown_or_malformed_parent_is_a_400_naming_it(operator, value):
    response = operator.get(URL, {"parent": value})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["parent"]


def test_a_list_page_costs_the_same_queries_with_many_families_as_with_one(operator, django_assert_max_num_queries):
    for _ in range(30):
        parent = InstanceFactory()
        InstanceFactory(version=parent.version, parent_step=StepRunFactory(instance=parent))
    with django_assert_max_num_queries(8):
        body = operator.get(URL).json()
    assert len(body["results"]) == 50


def test_a_nested_childs_detail_lists_its_ancestors_root_first_with_the_steps_that_started_each(operator, django_assert_max_num_queries):
    root = InstanceFactory(version__template__name="orders")
    fan = StepRunFactory(instance=root, node_id="fan", item_key="7", status="waiting")
    middle = InstanceFactory(version__template__name="order", parent_step=fan)
    repeat = StepRunFactory(instance=middle, node_id="repeat", item_key="2", status="waiting")
    leaf = InstanceFactory(version__template__name="attempt", parent_step=repeat, status="completed")
    with django_assert_max_num_queries(12):
        body = operator.get(f"{URL}{leaf.pk}/").json()
    assert body["ancestors"] == [
        {"instance": str(root.pk), "template": "orders", "status": "running", "step": "fan", "item_key": "7"},
        {"instance": str(middle.pk), "template": "order", "status": "running", "step": "repeat", "item_key": "2"},
    ]
    assert body["parent"] == {"instance": str(middle.pk), "step": "repeat"}
    assert operator.get(f"{URL}{middle.pk}/").json()["ancestors"] == [body["ancestors"][0]]
    assert operator.get(f"{URL}{root.pk}/").json()["ancestors"] == []


def test_ancestors_stop_at_the_nearest_25(operator, monkeypatch):
    instance = InstanceFactory()
    chain = [instance]
    for _ in range(30):
        instance = InstanceFactory(version=instance.version, parent_step=StepRunFactory(instance=instance, node_id="down"))
        chain.append(instance)
    ancestors = operator.get(f"{URL}{instance.pk}/").json()["ancestors"]
    assert [a["instance"] for a in ancestors] == [str(i.pk) for i in chain[-26:-1]]


def test_the_detail_lists_which_item_started_each_child(operator, family):
    parent, children = family
    listed = operator.get(f"{URL}{parent.pk}/").json()["children"]
    assert listed[:2] == [
        {"id": str(children[0].pk), "status": "completed", "step": "fan", "item_key": "0"},
        {"id": str(children[1].pk), "status": "completed", "step": "fan", "item_key": "1"},
    ]
