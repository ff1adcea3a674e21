"""Maps, loops and sub-workflows through the ORM adapter, in-process on PostgreSQL: the inbox carries
children's starts and ends and parents' cancels (DESIGN §5b). Transactional: deliveries happen after
commit, as in production."""

from __future__ import annotations

import pytest

from tests.factories import VersionFactory, graph_of
from workflows import engine, worker
from workflows.models import Event, InboxMessage, Instance, StepRun

pytestmark = pytest.mark.django_db(transaction=True)


g = graph_of


def publish(graph: dict, name: str | None = None) -> str:
    kwargs = {"template__name": name} if name else {}
    return VersionFactory(graph=graph, **kwargs).template.name


def settle(rounds: int = 500) -> None:
    """Run every instance's ready steps in this process until nothing is ready (what workers do)."""
    for _ in range(rounds):
        ids = set(StepRun.objects.filter(status="scheduled").values_list("instance_id", flat=True))
        if not ids:
            return
        for instance_id in ids:
            worker.drain(str(instance_id))
    raise AssertionError("still not at rest")


CHILD = g([("double", "transform", {"assignments": {"double": "{{ input.n * 2 }}"}})], output="{{ steps.double.output }}")


def test_a_map_of_handlers_runs_every_item_and_keeps_item_order():
    name = publish(g([("m", "map", {"items": "input.xs", "handler": "demo.noop", "input": {"x": "{{ item }}", "i": "{{ index }}"}, "concurrency": 3})]))
    instance, _ = engine.start_instance(name, input={"xs": [5, 6, 7, 8, 9, 10, 11]})
    settle()
    instance.refresh_from_db()
    assert instance.status == "completed"
    output = instance.output["m"]
    assert output["results"] == [{"x": x, "i": i} for i, x in enumerate([5, 6, 7, 8, 9, 10, 11])]
    assert (output["completed"], output["failed"], output["errors"]) == (7, 0, [])
    items = StepRun.objects.filter(instance=instance, node_id="m").exclude(item_key="")
    assert sorted(items.values_list("item_key", flat=True), key=int) == [str(i) for i in range(7)]
    seqs = list(instance.events.values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_map_never_runs_more_items_than_its_concurrency():
    name = publish(g([("m", "map", {"items": "input.xs", "handler": "demo.noop", "concurrency": 2})]))
    instance, _ = engine.start_instance(name, input={"xs": list(range(6))})
    items = StepRun.objects.filter(instance=instance, node_id="m").exclude(item_key="")
    assert items.filter(status__in=["scheduled", "running"]).count() == 2
    assert items.filter(status="pending").count() == 4
    while True:
        claim = engine.claim_step(instance.pk, "w1")
        if claim is None:
            break
        assert items.filter(status__in=["scheduled", "running"]).count() <= 2
        engine.complete_attempt(claim, {"ok": claim.item}, worker="w1", claim_next=False)
    instance.refresh_from_db()
    assert instance.status == "completed"
    assert instance.output["m"]["results"] == [{"ok": str(i)} for i in range(6)]


def test_an_item_that_fails_stops_the_map_and_cancels_the_rest():
    graph = g([("m", "map", {"items": "input.xs", "handler": "demo.fail", "input": {"when": "{{ item == 2 }}", "retryable": False}, "concurrency": 2})])
    name = publish(graph)
    instance, _ = engine.start_instance(name, input={"xs": [0, 1, 2, 3, 4]})
    settle()
    instance.refresh_from_db()
    assert instance.status == "failed"
    assert instance.error["type"] == "ItemFailed" and "item 2" in instance.error["message"]
    statuses = dict(StepRun.objects.filter(instance=instance, node_id="m").exclude(item_key="").values_list("item_key", "status"))
    assert statuses["2"] == "failed"
    assert not [s for s in statuses.values() if s in ("pending", "scheduled", "running", "waiting")]


def test_a_map_that_continues_collects_errors_by_index():
    graph = g([("m", "map", {"items": "input.xs", "handler": "demo.fail", "input": {"when": "{{ item % 2 == 1 }}", "retryable": False}, "on_item_failure": "continue"})])
    instance, _ = engine.start_instance(publish(graph), input={"xs": [0, 1, 2, 3]})
    settle()
    instance.refresh_from_db()
    out = instance.output["m"]
    assert instance.status == "completed"
    assert out["results"][0] == out["results"][2] == {"when": False, "retryable": False}
    assert out["results"][1] is None and out["results"][3] is None
    assert [e["index"] for e in out["errors"]] == [1, 3]


def test_too_many_items_fail_the_step_with_a_clear_error(settings):
    settings.FLOWDESK = {**settings.FLOWDESK, "MAX_MAP_ITEMS": 5}
    instance, _ = engine.start_instance(publish(g([("m", "map", {"items": "input.xs", "handler": "demo.noop"})])), input={"xs": list(range(6))})
    instance.refresh_from_db()
    assert instance.status == "failed"
    assert instance.error["type"] == "TooManyItems" and "at most 5" in instance.error["message"]
    assert not StepRun.objects.filter(instance=instance).exclude(item_key="").exists()  # nothing half-written


def test_a_subworkflow_completes_with_its_childs_output_and_links_both_ways():
    child = publish(CHILD, "double-it")
    parent = publish(g([("sub", "subworkflow", {"workflow": child, "input": {"n": "{{ input.n }}"}}), ("after", "transform", {"assignments": {"got": "{{ steps.sub.output }}"}})], [("sub", "after")]))
    instance, _ = engine.start_instance(parent, input={"n": 21})
    instance.refresh_from_db()
    assert instance.status == "completed"
    assert instance.output == {"after": {"got": {"double": 42}}}
    kid = Instance.objects.get(parent_step__instance=instance)
    assert (kid.status, kid.depth, kid.waited, kid.input) == ("completed", 1, True, {"n": 21})
    assert not InboxMessage.objects.exists()


def test_a_fire_and_forget_child_lets_the_parent_go_on():
    child = publish(g([("w", "wait", {"for_s": 3600})]), "slow-child")
    parent = publish(g([("sub", "subworkflow", {"workflow": child, "wait": False})]))
    instance, _ = engine.start_instance(parent)
    instance.refresh_from_db()
    kid = Instance.objects.get(parent_step__instance=instance)
    assert instance.status == "completed" and instance.output == {"sub": {"instance": str(kid.pk)}}
    assert (kid.status, kid.waited) == ("running", False)


def test_a_failing_child_fails_the_step_under_its_on_failure():
    child = publish(g([("boom", "end", {"fail": "no luck"})]), "failing-child")
    parent = publish(g([("sub", "subworkflow", {"workflow": child, "on_failure": "route"}), ("handle", "transform", {"assignments": {"handled": True}})], [("sub", "handle", "failure")]))
    instance, _ = engine.start_instance(parent)
    instance.refresh_from_db()
    assert instance.status == "completed" and instance.output == {"handle": {"handled": True}}
    step = StepRun.objects.get(instance=instance, node_id="sub")
    assert step.status == "failed" and "no luck" in step.error_message


def test_an_unknown_child_template_at_run_time_fails_the_step_naming_it():
    parent = publish(g([("sub", "subworkflow", {"workflow": "{{ input.kind }}", "allowed_workflows": ["ghost"]})]))
    instance, _ = engine.start_instance(parent, input={"kind": "ghost"})
    instance.refresh_from_db()
    assert instance.status == "failed"
    assert instance.error["type"] == "UnknownTemplate" and "ghost" in instance.error["message"]


def test_a_workflow_that_starts_itself_stops_at_the_depth_limit(settings):
    settings.FLOWDESK = {**settings.FLOWDESK, "MAX_DEPTH": 3}
    version = VersionFactory(graph=g([("noop", "transform", {"assignments": {"x": 1}})]))
    name = version.template.name
    # published with a dynamic name, so validation cannot see the recursion statically
    version.graph = g([("again", "subworkflow", {"workflow": "{{ input.me }}", "allowed_workflows": [name], "input": {"me": name}})])
    type(version).objects.filter(pk=version.pk).update(graph=version.graph)
    engine.graph_of.__globals__["forget"]()
    instance, _ = engine.start_instance(name, input={"me": name})
    instance.refresh_from_db()
    assert instance.status == "failed"
    assert "NestingTooDeep" in str(Instance.objects.filter(depth=3).values_list("error", flat=True).first())
    assert Instance.objects.count() == 4  # depths 0..3, no deeper


def test_a_loop_runs_its_child_count_times_in_order():
    child = publish(CHILD, "loop-body")
    parent = publish(g([("l", "loop", {"workflow": child, "count": 4, "max_iterations": 10, "input": {"n": "{{ iteration.index }}"}})]))
    instance, _ = engine.start_instance(parent)
    instance.refresh_from_db()
    assert instance.status == "completed"
    assert instance.output["l"] == {"last": {"double": 6}, "iterations": 4, "results": [{"double": n * 2} for n in range(4)]}
    assert list(StepRun.objects.filter(instance=instance, node_id="l").exclude(item_key="").order_by("id").values_list("item_key", flat=True)) == ["0", "1", "2", "3"]


def test_a_map_of_child_workflows_routes_items_by_type():
    for kind in ("image", "video"):
        publish(g([("t", "transform", {"assignments": {"kind": kind, "name": "{{ input.name }}"}})]), f"{kind}-pipeline")
    parent = publish(g([("m", "map", {
        "items": "input.files", "workflow": "{{ item.type }}-pipeline", "allowed_workflows": ["image-pipeline", "video-pipeline"],
        "input": {"name": "{{ item.name }}"}, "concurrency": 2,
    })]))  # fmt: skip
    files = [{"type": "image", "name": "a.png"}, {"type": "video", "name": "b.mp4"}, {"type": "image", "name": "c.jpg"}]
    instance, _ = engine.start_instance(parent, input={"files": files})
    instance.refresh_from_db()
    assert instance.status == "completed"
    assert [r["t"] for r in instance.output["m"]["results"]] == [
        {"kind": "image", "name": "a.png"}, {"kind": "video", "name": "b.mp4"}, {"kind": "image", "name": "c.jpg"},
    ]  # fmt: skip
    assert Instance.objects.filter(parent_step__instance=instance).count() == 3


def test_cancelling_a_parent_cancels_its_waited_children_through_their_inboxes():
    child = publish(g([("w", "wait", {"for_s": 3600})]), "waiting-child")
    parent = publish(g([("m", "map", {"items": "input.xs", "workflow": child, "input": {"n": "{{ item }}"}, "concurrency": 3})]))
    instance, _ = engine.start_instance(parent, input={"xs": [1, 2, 3, 4, 5]})
    kids = Instance.objects.filter(parent_step__instance=instance)
    assert list(kids.values_list("status", flat=True)) == ["running"] * 3
    engine.cancel_instance(instance.pk, reason="stop")
    assert set(kids.values_list("status", flat=True)) == {"cancelled"}
    statuses = set(StepRun.objects.filter(instance=instance, node_id="m").exclude(item_key="").values_list("status", flat=True))
    assert statuses == {"cancelled"}
    assert not InboxMessage.objects.exists()
    assert Event.objects.filter(instance__in=kids, type="instance_cancelled").count() == 3


def test_a_child_input_that_is_not_an_object_fails_the_map_before_anything_starts():
    child = publish(g([("w", "wait", {"for_s": 3600})]), "object-child")
    parent = publish(g([("m", "map", {"items": "input.xs", "workflow": child})]))
    instance, _ = engine.start_instance(parent, input={"xs": [1, 2]})
    instance.refresh_from_db()
    assert instance.status == "failed" and "must be an object" in instance.error["message"]
    assert not Instance.objects.filter(parent_step__instance=instance).exists()


def test_a_failed_child_item_is_retried_as_a_new_child_under_the_maps_retry_policy():
    from workflows import timers

    child = publish(g([("t", "task", {"handler": "demo.fail", "input": {"when": "{{ input.fail }}", "type": "Flaky"}})]), "sometimes-failing")
    parent = publish(g([("m", "map", {
        "items": "input.xs", "workflow": child, "input": {"fail": "{{ item }}"}, "on_item_failure": "continue",
        "retry": {"max_attempts": 2, "initial_s": 0, "jitter": False},
    })]))  # fmt: skip
    instance, _ = engine.start_instance(parent, input={"xs": [True, False]})
    for _ in range(4):  # children run, the failed item's backoff fires, its new child runs
        settle()
        timers.tick()
    instance.refresh_from_db()
    assert instance.status == "completed"
    item0 = list(StepRun.objects.filter(instance=instance, node_id="m", item_key="0").order_by("attempt").values_list("attempt", "status"))
    assert item0 == [(1, "failed"), (2, "failed")]  # each attempt a child of its own, both failed
    children = Instance.objects.filter(parent_step__instance=instance, parent_step__item_key="0")
    assert children.count() == 2 and set(children.values_list("status", flat=True)) == {"failed"}
    assert StepRun.objects.get(instance=instance, node_id="m", item_key="1").attempt == 1  # the good item ran once
    [error] = instance.output["m"]["errors"]
    assert error["index"] == 0 and error["type"] == "Flaky"  # the child's own error type (non_retryable may name it)
