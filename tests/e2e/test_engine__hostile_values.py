"""Property: whatever values a workflow computes, receives or is given, a real engine (``manage.py
engine``: django-q2 workers and the timer loop) keeps running every other instance (issue 8 §1).

Hypothesis builds hostile values and sends each through one route: a transform's expression, a
task handler's output, an HTTP endpoint's body, and the API's input. Next to them runs an
unrelated instance that needs the timer loop (a wait) and a worker. It must complete; every hostile
instance must end (completed, or failed with a clear error type); no loop may have needed its
fault isolation (the value gate caught everything before a write) and the API never answers 500.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import Engine, wait_for
from tests.factories import UserFactory, VersionFactory, role_group
from workflows import engine
from workflows.models import Fault, Instance

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CLEAR_ERRORS = {"ExpressionError", "InvalidOutput", "HTTPServerError", "RecursionError", "JSONDecodeError"}

# --- hostile values, by route ----------------------------------------------------------------------

# A JSON text Python's json accepts but PostgreSQL's jsonb does not (NaN, 1e999 read as inf, lone
# surrogate and NUL escapes), nested or deep.
json_leaves = st.sampled_from(
    ["NaN", "Infinity", "-Infinity", "1e999", "-1e400", '"\\ud800"', '"x\\udfff"', '"a\\u0000b"', "0", '"ok"', "null"]
)
json_texts = st.recursive(
    json_leaves,
    lambda inner: st.lists(inner, max_size=3).map(lambda xs: "[" + ",".join(xs) + "]")
    | st.dictionaries(st.sampled_from(["a", "b", "\\u0000", "\\ud834"]), inner, max_size=3).map(
        lambda d: "{" + ",".join(f'"{k}":{v}' for k, v in d.items()) + "}"
    ),
    max_leaves=6,
) | st.integers(60, 3000).map(lambda n: "[" * n + "]" * n)

# Handler outputs, described in plain JSON (tests/support/handlers.py decodes them).
tagged_leaves = st.one_of(
    st.sampled_from([{"$float": "nan"}, {"$float": "inf"}, {"$float": "-inf"}, {"$cycle": True}, {"$function": True}, {"$bytes": 3}]),
    st.lists(st.sampled_from([0, 0xD800, 0xDFFF, 0x41, 0x1F600]), min_size=1, max_size=4).map(lambda cps: {"$text": cps}),
    st.integers(60, 5000).map(lambda n: {"$deep": n}),
    st.integers() | st.text(max_size=5),
)
tagged = st.recursive(tagged_leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["k", "v"]), inner, max_size=2), max_leaves=5)

expressions = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "1e999", "-1e400"]).map(lambda x: ("{{ float(input.x) }}", {"x": x})),
    st.text("ab~", min_size=1, max_size=5).map(lambda t: ("{{ input.x.replace('~', '\\x00') }}", {"x": t + "~"})),
    st.sampled_from(["{{ 'a'.removeprefix }}", "{{ '\\ud800' + input.x }}", "{{ [vars, vars, context] }}", "{{ input }}"]).map(
        lambda e: (e, {"x": "y"})
    ),
)

cases = st.one_of(
    expressions.map(lambda e: ("transform", e)),
    tagged.map(lambda t: ("task", t)),
    json_texts.map(lambda text: ("http", text)),
    json_texts.map(lambda text: ("input", text)),
)


# --- the real parts ------------------------------------------------------------------------------


class Bodies(BaseHTTPRequestHandler):
    """Serves ``bodies[path]`` as an application/json body, whatever it holds."""

    bodies: dict[str, bytes] = {}

    def do_GET(self):
        body = self.bodies.get(self.path, b"{}")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Bodies)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker, tmp_path_factory):
    # The test's endpoint is on loopback, which the http node refuses unless allowed.
    with django_db_blocker.unblock():
        eng = Engine(tmp_path_factory.mktemp("cluster"), FLOWDESK_APPS="tests.support", FLOWDESK_HTTP_ALLOW="127.0.0.1").start()
    yield eng
    eng.stop()


def chain(*nodes: tuple[str, str, dict]) -> str:
    graph = {
        "version": 1,
        "settings": {},
        "nodes": [{"id": n, "type": t, "config": c} for n, t, c in nodes],
        "edges": [{"id": f"e{i}", "source": a[0], "target": b[0]} for i, (a, b) in enumerate(zip(nodes, nodes[1:]))],
    }
    return VersionFactory(graph=graph).template.name


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(batch=st.lists(cases, min_size=1, max_size=4))
def test_hostile_values_never_stop_an_unrelated_instance(cluster, endpoint, client, batch):
    operator = UserFactory(username="operator")
    operator.groups.add(role_group("operators"))
    client.force_login(operator)
    bystander, _ = engine.start_instance(chain(("pause", "wait", {"for_s": 0.2}), ("done", "task", {"handler": "demo.noop"})))

    started = []
    for index, (route, case) in enumerate(batch):
        if route == "transform":
            expression, input = case
            name = chain(("pause", "wait", {"for_s": 0.05}), ("calc", "transform", {"assignments": {"v": expression}}))
            started.append(engine.start_instance(name, input=input)[0])
        elif route == "task":
            name = chain(("h", "task", {"handler": "support.hostile_value", "input": case}))
            started.append(engine.start_instance(name)[0])
        elif route == "http":
            path = f"/{bystander.pk}/{index}"
            Bodies.bodies[path] = case.encode("utf-8", "surrogatepass")
            name = chain(("call", "http", {"url": endpoint + path}))
            started.append(engine.start_instance(name)[0])
        else:
            name = chain(("a", "task", {"handler": "demo.noop"}))
            body = '{"template": "%s", "input": {"v": %s}}' % (name, case)
            response = client.post("/api/v1/instances/", body, content_type="application/json")
            assert response.status_code in (201, 400, 413), (response.status_code, response.content[:300])
            if response.status_code == 201:
                started.append(Instance.objects.get(pk=response.json()["id"]))

    assert wait_for(bystander.pk, cluster=cluster, timeout=60).status == "completed"
    for instance in started:
        done = wait_for(instance.pk, cluster=cluster, timeout=60)
        if done.status != "completed":
            assert done.status == "failed" and done.error["type"] in CLEAR_ERRORS, done.error
    assert not Fault.objects.exists(), list(Fault.objects.values("source", "error_type", "error_message"))
    assert "timer loop failed" not in cluster.output()
