from __future__ import annotations

import pytest

from tests.factories import VersionFactory
from workflows import engine, worker
from workflows.models import Instance


@pytest.fixture
def publish():
    """Publish a graph as a new template and return the template's name."""

    def make(graph: dict) -> str:
        return VersionFactory(graph=graph).template.name

    return make


@pytest.fixture
def run_to_rest():
    """Start an instance and run the engine in this process (no queue) until nothing is ready."""

    def go(name: str, input: dict | None = None) -> Instance:
        instance, _ = engine.start_instance(name, input=input or {})
        drain_all(instance.pk)
        instance.refresh_from_db()
        return instance

    return go


def drain_all(instance_id) -> None:
    while worker.drain(str(instance_id)):
        pass
