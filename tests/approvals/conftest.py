from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from tests.engine.conftest import drain_all
from tests.factories import UserFactory, VersionFactory, graph_of
from workflows import engine
from workflows.models import Instance


@pytest.fixture(autouse=True)
def mail_now(settings):
    settings.FLOWDESK = {**settings.FLOWDESK, "TASK_MAIL_SYNC": True}


@pytest.fixture
def people(db):
    """ann and bob (assignees), cy (in ``managers``), dee (an outsider), root (a superuser)."""
    managers = Group.objects.create(name="managers")
    users = {name: UserFactory(username=name) for name in ("ann", "bob", "cy", "dee")}
    users["cy"].groups.add(managers)
    users["root"] = UserFactory(username="root", is_superuser=True, is_staff=True)
    return users


def approval_graph(**config) -> dict:
    node = {"title": "Approve {{ input.what }}", "assignees": ["ann", "bob"], "form": [{"name": "amount", "type": "number", "required": True, "min": 0}], **config}
    return graph_of(
        [("ok", "approval", node), ("yes", "task", {"handler": "demo.noop"}), ("no", "task", {"handler": "demo.noop"}),
         ("redo", "task", {"handler": "demo.noop"}), ("late", "task", {"handler": "demo.noop"})],
        [("ok", "yes", "approved"), ("ok", "no", "rejected"), ("ok", "redo", "changes"), ("ok", "late", "timeout")],
    )  # fmt: skip


@pytest.fixture
def start(people):
    """Start an instance of an approval graph (its first transition opens the task)."""

    def go(started_by=None, **config) -> Instance:
        name = VersionFactory(graph=approval_graph(**config)).template.name
        instance, _ = engine.start_instance(name, input={"what": "the budget"}, started_by=started_by)
        drain_all(instance.pk)
        instance.refresh_from_db()
        return instance

    return go
