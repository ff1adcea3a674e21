"""The operator's command line: validate, load (and start, in the end-to-end tests)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import chain_graph
from workflows.models import Template, TemplateVersion

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("workflow", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code), out.getvalue()
    return 0, out.getvalue()


def write(tmp_path, data, name="flow.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_validate_prints_the_plan_of_a_valid_graph(tmp_path):
    code, out = run("validate", write(tmp_path, chain_graph("a", "b", "c")))
    assert code == 0
    assert json.loads(out) == {"valid": True, "errors": [], "plan": {"batches": [["a"], ["b"], ["c"]]}}


def test_validate_names_every_node_of_a_cycle_and_exits_non_zero(tmp_path):
    graph = chain_graph("a", "b", "c")
    graph["edges"].append({"id": "back", "source": "c", "target": "a", "port": "out"})
    code, out = run("validate", write(tmp_path, graph))
    result = json.loads(out)
    assert code == 1 and result["valid"] is False
    cycle = [e for e in result["errors"] if e["code"] == "cycle"]
    assert cycle and set(cycle[0]["nodes"]) == {"a", "b", "c"}


def test_validate_reports_an_unknown_handler_by_node_and_field(tmp_path):
    code, out = run("validate", write(tmp_path, chain_graph("a", handler="nope.missing")))
    assert code == 1
    assert {"node": "a", "field": "config.handler", "code": "unknown_handler"}.items() <= json.loads(out)["errors"][0].items()


def test_validate_refuses_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{nope")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("workflow", "validate", str(path))


def test_load_publishes_a_new_version_only_when_behaviour_changes(tmp_path):
    data = {"name": "billing", "title": "Billing", "graph": chain_graph("a", "b")}
    assert run("load", write(tmp_path, data)) == (0, "billing v1 published\n")
    data["graph"]["nodes"][0]["position"] = {"x": 500, "y": 20}  # layout only
    assert run("load", write(tmp_path, data)) == (0, "billing v1 unchanged\n")
    data["graph"] = chain_graph("a", "b", "c")
    assert run("load", write(tmp_path, data)) == (0, "billing v2 published\n")
    assert list(TemplateVersion.objects.values_list("number", "status")) == [(2, "published"), (1, "published")]


def test_load_accepts_edges_without_ids_as_the_readme_writes_them_and_stays_unchanged_on_reload(tmp_path):
    graph = chain_graph("a", "b", "c")
    for e in graph["edges"]:
        del e["id"]
    data = {"name": "billing", "title": "Billing", "graph": graph}
    assert run("load", write(tmp_path, data)) == (0, "billing v1 published\n")
    stored = TemplateVersion.objects.get(template__name="billing").graph
    assert [e["id"] for e in stored["edges"]] == ["e1", "e2"]
    assert run("load", write(tmp_path, data)) == (0, "billing v1 unchanged\n")


def test_load_refuses_an_invalid_graph_and_writes_nothing(tmp_path):
    data = {"name": "broken", "title": "Broken", "graph": chain_graph("a", handler="nope.missing")}
    code, out = run("load", write(tmp_path, data))
    assert code == 1
    assert json.loads(out)["errors"][0]["code"] == "unknown_handler"
    assert not Template.objects.filter(name="broken").exists()


def test_start_refuses_input_that_is_not_json():
    with pytest.raises(CommandError, match="--input is not valid JSON"):
        call_command("workflow", "start", "whatever", "--input", "{bad")


def test_start_names_an_unknown_template():
    with pytest.raises(CommandError, match="no template named 'ghost'"):
        call_command("workflow", "start", "ghost")


# --- controlling instances: signal, pause, resume, cancel, retry, query ---------------------------


@pytest.fixture
def waiting():
    """An instance of 'orders' whose signal node waits for 'go'."""
    from tests.engine.conftest import drain_all
    from tests.factories import VersionFactory, graph_of
    from workflows import engine

    graph = graph_of([("wait", "signal", {"name": "go"}), ("after", "task", {"handler": "demo.noop"})], [("wait", "after")], queries={"n": "len(input.items)"})
    VersionFactory(template__name="orders", number=1, graph=graph)
    instance, _ = engine.start_instance("orders", input={"items": [1, 2, 3]})
    drain_all(instance.pk)
    return instance


def history(instance, kind):
    from workflows.models import Event

    return list(Event.objects.filter(instance=instance, type=kind).values_list("data", flat=True))


def test_signal_sends_the_payload_and_prints_its_seq(waiting, django_capture_on_commit_callbacks):
    from tests.engine.conftest import drain_all
    from workflows.models import Signal

    with django_capture_on_commit_callbacks(execute=True):
        code, out = run("signal", str(waiting.pk), "go", "--payload", '{"approved": true}', "--by", "ci")
    signal = Signal.objects.get()
    assert code == 0 and json.loads(out) == {"seq": signal.pk, "name": "go", "instance": str(waiting.pk)}
    assert signal.sent_by == "ci" and signal.payload == {"approved": True}
    drain_all(waiting.pk)
    waiting.refresh_from_db()
    assert waiting.status == "completed" and waiting.steps.get(node_id="wait").output == {"approved": True}


def test_signal_refuses_bad_json_an_unknown_instance_and_a_finished_one(waiting):
    import uuid

    from workflows import engine
    from workflows.models import Signal

    with pytest.raises(CommandError, match="--payload is not valid JSON"):
        call_command("workflow", "signal", str(waiting.pk), "go", "--payload", "{nope")
    with pytest.raises(CommandError, match="no instance"):
        call_command("workflow", "signal", str(uuid.uuid4()), "go")
    engine.cancel_instance(waiting.pk)
    with pytest.raises(CommandError, match="cancelled"):
        call_command("workflow", "signal", str(waiting.pk), "go")
    assert not Signal.objects.exists()


def test_pause_and_resume_record_the_os_user_by_default(waiting, monkeypatch):
    import getpass

    monkeypatch.setattr(getpass, "getuser", lambda: "opsbot")
    code, out = run("pause", str(waiting.pk))
    assert code == 0 and json.loads(out) == {"done": {str(waiting.pk): "paused"}, "refused": {}}
    assert history(waiting, "instance_paused")[-1]["by"] == "opsbot"
    code, out = run("resume", str(waiting.pk), "--by", "alice")
    assert code == 0 and json.loads(out)["done"] == {str(waiting.pk): "running"}
    assert history(waiting, "instance_running")[-1]["by"] == "alice"


def test_pause_of_several_reports_each_and_exits_1_if_any_was_refused(waiting):
    code, out = run("pause", str(waiting.pk), "nope", str(waiting.pk))
    result = json.loads(out)
    assert code == 1
    assert result["done"] == {str(waiting.pk): "paused"} and result["refused"] == {"nope": "no instance nope"}


def test_cancel_and_retry(waiting):
    code, out = run("cancel", str(waiting.pk), "--reason", "duplicate order", "--by", "bob")
    assert code == 0 and json.loads(out)["done"] == {str(waiting.pk): "cancelled"}
    assert history(waiting, "instance_cancelled")[-1]["by"] == "bob"
    with pytest.raises(CommandError, match="only a failed instance can be retried"):
        call_command("workflow", "retry", str(waiting.pk))


def test_query_prints_the_value_as_json_and_refuses_a_bad_expression(waiting):
    assert json.loads(run("query", str(waiting.pk), "{'status': steps.wait.status, 'sum': sum(input.items)}")[1]) == {"status": "waiting", "sum": 6}
    with pytest.raises(CommandError, match="expr: .*syntax"):
        call_command("workflow", "query", str(waiting.pk), "input.")
