"""The decider on sequences, parallel branches, joins and dead-path elimination."""

from __future__ import annotations

from workflows.core import decider as d
from workflows.core.status import InstanceStatus as I
from workflows.core.status import StepStatus as S

from .decider_helpers import Run, graph, task


def chain(*ids: str):
    return graph([(n, "task", task()) for n in ids], [(a, b) for a, b in zip(ids, ids[1:])])


def test_a_start_schedules_only_the_entry_nodes():
    run = Run(chain("a", "b", "c")).start()
    assert run.status == I.RUNNING
    assert run.scheduled() == ["a"]


def test_a_chain_runs_one_step_after_another_and_completes():
    run = Run(chain("a", "b")).start()
    run.complete("a", {"x": 1})
    assert run.scheduled() == ["b"]
    run.complete("b", {"y": 2})
    assert run.status == I.COMPLETED
    assert run.output == {"b": {"y": 2}}  # default output: what the sinks returned


def test_several_edges_on_one_port_start_all_targets_in_parallel():
    g = graph([("a", "task", task()), ("b", "task", task()), ("c", "task", task())], [("a", "b"), ("a", "c")])
    run = Run(g).start()
    run.complete("a")
    assert run.scheduled() == ["b", "c"]


def test_a_join_waits_for_every_incoming_branch():
    g = graph(
        [("a", "task", task()), ("b", "task", task()), ("c", "task", task()), ("j", "task", task())],
        [("a", "b"), ("a", "c"), ("b", "j"), ("c", "j")],
    )
    run = Run(g).start()
    run.complete("a")
    run.complete("b")
    assert run.status_of("j") is None
    run.complete("c")
    assert run.scheduled() == ["j"]


def test_a_join_after_if_else_runs_once_because_the_branch_not_taken_is_skipped():
    g = graph(
        [
            ("check", "condition", {"expression": "input.amount > 100"}),
            ("big", "task", task()),
            ("small", "task", task()),
            ("after", "task", task()),
        ],
        [("check", "big", "true"), ("check", "small", "false"), ("big", "after"), ("small", "after")],
    )
    run = Run(g, input={"amount": 500}).start()
    assert run.status_of("check") == S.COMPLETED
    assert run.status_of("small") == S.SKIPPED
    assert run.scheduled() == ["big"]
    run.complete("big")
    assert run.scheduled() == ["after"]
    run.complete("after")
    assert run.status == I.COMPLETED


def test_skipping_propagates_down_a_whole_dead_branch():
    g = graph(
        [
            ("check", "condition", {"expression": "False"}),
            ("t1", "task", task()),
            ("t2", "task", task()),
            ("t3", "task", task()),
            ("f", "task", task()),
        ],
        [("check", "t1", "true"), ("t1", "t2"), ("t2", "t3"), ("check", "f", "false")],
    )
    run = Run(g).start()
    assert [run.status_of(n) for n in ("t1", "t2", "t3")] == [S.SKIPPED] * 3
    assert run.scheduled() == ["f"]


def test_a_join_any_runs_on_the_first_arrival_and_ignores_the_rest():
    g = graph(
        [("a", "task", task()), ("b", "task", task()), ("c", "task", task()), ("j", "task", task(join="any"))],
        [("a", "b"), ("a", "c"), ("b", "j"), ("c", "j")],
    )
    run = Run(g).start()
    run.complete("a")
    run.complete("b")
    assert run.scheduled() == ["c", "j"]
    run.complete("j")
    run.complete("c")
    assert run.status == I.COMPLETED
    scheduled_j = [c for c in run.history if isinstance(c, d.CreateAttempt) and c.node == "j"]
    assert len(scheduled_j) == 1


def test_a_switch_takes_the_matching_case_and_skips_the_others():
    g = graph(
        [
            ("route", "switch", {"expression": "input.backend", "cases": ["local", "remote"]}),
            ("local", "task", task()),
            ("remote", "task", task()),
            ("fallback", "task", task()),
        ],
        [("route", "local", "local"), ("route", "remote", "remote"), ("route", "fallback", "default")],
    )
    run = Run(g, input={"backend": "remote"}).start()
    assert run.scheduled() == ["remote"]
    assert run.status_of("local") == S.SKIPPED and run.status_of("fallback") == S.SKIPPED
    assert run.outputs["route"] == {"value": "remote", "case": "remote"}


def test_a_switch_without_a_matching_case_takes_default():
    g = graph(
        [("route", "switch", {"expression": "input.kind", "cases": ["a"]}), ("a", "task", task()), ("other", "task", task())],
        [("route", "a", "a"), ("route", "other", "default")],
    )
    run = Run(g, input={"kind": "zzz"}).start()
    assert run.scheduled() == ["other"]


def test_input_mapping_renders_templates_from_earlier_outputs():
    g = graph(
        [("a", "task", task()), ("b", "task", task(input={"n": "{{ steps.a.output.count * 2 }}", "who": "hi {{ input.name }}"}))],
        [("a", "b")],
    )
    run = Run(g, input={"name": "Ana"}).start()
    run.complete("a", {"count": 21})
    assert run.inputs[("b", 1)] == {"n": 42, "who": "hi Ana"}


def test_a_transform_sets_vars_inline_for_later_steps():
    g = graph(
        [("t", "transform", {"assignments": {"total": "{{ input.a + input.b }}"}}), ("use", "task", task(input="{{ vars.total }}"))],
        [("t", "use")],
    )
    run = Run(g, input={"a": 2, "b": 3}).start()
    assert run.vars == {"total": 5}
    assert run.inputs[("use", 1)] == 5


def test_an_end_node_finishes_the_workflow_and_cancels_running_branches():
    g = graph(
        [("a", "task", task()), ("slow", "task", task()), ("done", "end", {"output": {"answer": "{{ steps.a.output }}"}})],
        [("a", "done")],
    )
    run = Run(g).start()
    assert run.scheduled() == ["a", "slow"]
    run.complete("a", 42)
    assert run.status == I.COMPLETED
    assert run.output == {"answer": 42}
    assert run.status_of("slow") == S.CANCELLED


def test_an_end_node_can_fail_the_workflow_with_a_message():
    g = graph([("stop", "end", {"fail": "no budget for {{ input.who }}"})], [])
    run = Run(g, input={"who": "Ana"}).start()
    assert run.status == I.FAILED
    assert run.error["message"] == "no budget for Ana"


def test_the_workflow_output_template_is_rendered_when_it_completes():
    g = graph([("a", "task", task())], [], output={"result": "{{ steps.a.output.v }}", "fixed": 1})
    run = Run(g).start()
    run.complete("a", {"v": "ok"})
    assert run.output == {"result": "ok", "fixed": 1}


def test_a_template_that_cannot_render_fails_the_node_and_names_it():
    g = graph([("a", "task", task(input="{{ input.missing }}"))], [])
    run = Run(g, input={}).start()
    assert run.status == I.FAILED
    assert run.error["node"] == "a"
    assert run.error["type"] == "ExpressionError"


def test_a_workflow_of_only_inline_nodes_completes_in_one_decision():
    g = graph([("c", "condition", {"expression": "True"}), ("e", "end", {"output": "yes"})], [("c", "e", "true")])
    run = Run(g).start()
    assert run.status == I.COMPLETED and run.output == "yes"


def test_a_wait_node_waits_for_its_timer_then_continues():
    g = graph([("w", "wait", {"for_s": 30}), ("a", "task", task())], [("w", "a")])
    run = Run(g).start()
    assert run.status_of("w") == S.WAITING
    assert run.timers == [d.StartTimer("wait", 1030.0, d.TimerFired("w", 1), "w", 1)]
    run.send(d.TimerFired("w", 1))
    assert run.scheduled() == ["a"]


def test_a_wait_until_a_moment_uses_an_iso_datetime():
    g = graph([("w", "wait", {"until": "{{ input.when }}"})], [])
    run = Run(g, input={"when": "1970-01-01T00:20:00Z"}).start()
    assert run.timers[0].due == 1200.0


def test_events_for_a_finished_instance_change_nothing():
    run = Run(chain("a")).start()
    run.complete("a")
    assert run.send(d.TimerFired("a", 1)) == []
    assert run.send(d.CancelRequested()) == []


def test_a_join_check_in_a_wide_fan_out_reads_no_outputs():
    """Outputs may be loaded lazily: deciding that a join still waits must not touch them."""

    class Untouchable(dict):
        def __getitem__(self, key):
            raise AssertionError(f"read the output of {key}")

        get = __getitem__

    branches = [(f"w{i}", "task", task()) for i in range(50)]
    g = graph([("a", "task", task()), *branches, ("j", "task", task())], [("a", b[0]) for b in branches] + [(b[0], "j") for b in branches])
    run = Run(g).start()
    run.complete("a")
    run.claim("w0")
    snapshot = run.snapshot()
    lazy = d.Snapshot(snapshot.instance_id, snapshot.status, snapshot.input, snapshot.vars, snapshot.nodes, snapshot.now, Untouchable())
    commands = d.decide(g, lazy, d.AttemptCompleted("w0", 1, {"i": 0}))
    assert [type(c) for c in commands] == [d.FinishAttempt]
