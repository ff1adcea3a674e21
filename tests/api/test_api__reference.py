"""Stats, step types, handlers, and the token command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from tests.api.conftest import client_for
from tests.engine.conftest import drain_all
from workflows import engine

pytestmark = pytest.mark.django_db


def test_step_types_list_every_type_with_its_config_schema(reviewer):
    types = {t["type"]: t for t in reviewer.get("/api/v1/step-types/").json()}
    assert set(types) == {"task", "http", "notify", "transform", "condition", "switch", "wait", "end", "map", "loop", "subworkflow", "signal", "approval"}
    assert types["task"]["schema"]["required"] == ["handler"]
    assert types["condition"]["inline"] is True and types["task"]["inline"] is False


def test_handlers_lists_registered_names(reviewer):
    names = {h["name"] for h in reviewer.get("/api/v1/handlers/").json()}
    assert {"demo.noop", "demo.generate_schedule"} <= names


def test_stats_count_instances_by_status_per_template(operator, published):
    for _ in range(2):
        instance, _ = engine.start_instance("billing")
        drain_all(instance.pk)
    engine.cancel_instance(engine.start_instance("billing")[0].pk)
    (row,) = operator.get("/api/v1/stats/").json()["results"]
    assert row["template"] == "billing" and row["total"] == 3
    assert row["by_status"]["completed"] == 2 and row["by_status"]["cancelled"] == 1
    assert row["success_rate"] == pytest.approx(2 / 3)


def test_create_token_makes_a_user_with_roles_and_a_working_token():
    out = StringIO()
    call_command("create_token", "ci-bot", "--role", "operators", stdout=out)
    key = out.getvalue().strip()
    token = Token.objects.get(key=key)
    assert token.user.username == "ci-bot"
    assert list(token.user.groups.values_list("name", flat=True)) == ["operators"]
    again = StringIO()
    call_command("create_token", "ci-bot", stdout=again)
    assert again.getvalue().strip() == key
    client = client_for(token.user)
    assert client.get("/api/v1/instances/").status_code == 200
