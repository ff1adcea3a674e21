"""Every endpoint, for each role: allowed, refused (403) or unauthenticated (401)."""

from __future__ import annotations

import pytest

from tests.engine.conftest import drain_all
from workflows import engine

pytestmark = pytest.mark.django_db

READ = ["analyst", "operator", "reviewer", "outsider"]


def endpoints(instance_id: str):
    """(method, path, body, roles allowed to write) for every operation of /api/v1/."""
    t, i = "/api/v1/templates/billing", f"/api/v1/instances/{instance_id}"
    return [
        ("get", "/api/v1/templates/", None, READ),
        ("post", "/api/v1/templates/", {"name": "new-one", "title": "New"}, ["analyst"]),
        ("get", f"{t}/", None, READ),
        ("patch", f"{t}/", {"title": "Renamed"}, ["analyst"]),
        ("get", f"{t}/versions/", None, READ),
        ("get", f"{t}/versions/1/", None, READ),
        ("get", f"{t}/versions/1/plan/", None, READ),
        ("put", f"{t}/draft/", {"graph": {"version": 1, "nodes": [], "edges": []}}, ["analyst"]),
        ("get", f"{t}/draft/", None, READ),
        ("post", f"{t}/validate/", {}, READ),
        ("post", f"{t}/publish/", {}, ["analyst"]),
        ("delete", f"{t}/", None, ["analyst"]),
        ("get", "/api/v1/instances/", None, READ),
        ("post", "/api/v1/instances/", {"template": "billing"}, ["operator", "analyst"]),
        ("get", f"{i}/", None, READ),
        ("get", f"{i}/events/", None, READ),
        ("get", f"{i}/metrics/", None, READ),
        ("post", f"{i}/retry/", {}, ["operator"]),
        ("post", f"{i}/cancel/", {}, ["operator"]),
        ("post", f"{i}/pause/", {}, ["operator"]),
        ("post", f"{i}/resume/", {}, ["operator"]),
        ("post", "/api/v1/instances/bulk/", {"action": "pause", "ids": [instance_id]}, ["operator"]),
        ("post", f"{i}/signals/approve/", {"ok": True}, ["operator"]),
        ("post", "/api/v1/instances/", {"template": "billing", "business_key": "b", "signal": {"name": "go"}}, ["operator", "analyst"]),
        ("get", f"{i}/signals/", None, READ),
        ("get", f"{i}/query/?expr=input", None, READ),
        ("get", f"{i}/queries/", None, READ),
        ("get", f"{i}/queries/nope/", None, READ),
        ("get", "/api/v1/stats/", None, READ),
        ("get", "/api/v1/step-types/", None, READ),
        ("get", "/api/v1/handlers/", None, READ),
    ]


@pytest.mark.parametrize("role", ["analyst", "operator", "reviewer", "outsider", "anonymous"])
def test_every_endpoint_enforces_its_role(request, role, published):
    client = request.getfixturevalue(role)
    instance, _ = engine.start_instance("billing")
    drain_all(instance.pk)
    for method, path, body, allowed in endpoints(str(instance.pk)):
        response = getattr(client, method)(path, body, format="json") if body is not None else getattr(client, method)(path)
        where = f"{role} {method.upper()} {path} -> {response.status_code}"
        if role == "anonymous":
            assert response.status_code == 401, where
        elif role in allowed:
            assert response.status_code not in (401, 403), where  # allowed (may still be a 4xx for the state)
            assert response.status_code < 500, where
        else:
            assert response.status_code == 403, where


def test_an_oversized_body_is_refused_with_413_before_it_is_parsed(operator, published, settings):
    settings.FLOWDESK = {**settings.FLOWDESK, "MAX_INPUT_BYTES": 10_000}
    body = '{"template": "billing", "input": {"blob": "' + "x" * 200_000 + '"}}'
    response = operator.generic("POST", "/api/v1/instances/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
